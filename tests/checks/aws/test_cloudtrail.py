"""CloudTrail checks, table-driven: a multi-region trail that logs reads and writes of management events, and
the data events of Bedrock agents, knowledge bases and guardrails."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checks.aws.test_bedrock import AGENT, GUARDRAIL, KNOWLEDGE_BASE
from tests.checks.conftest import (
    DROP,
    ERROR,
    FAIL,
    PASS,
    Case,
    Member,
    assert_case,
    in_account,
    member,
)

TRAIL = "aws.cloudtrail.trail"


def trail(changes: dict[str, Any] | None = None, **kw: Any) -> Member:
    return member(TRAIL, changes, **kw)


def advanced(*field_selectors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "EventSelectors": DROP,
        "HasCustomEventSelectors": True,
        "AdvancedEventSelectors": [
            {"Name": f"selector-{i}", "FieldSelectors": fields} for i, fields in enumerate(field_selectors)
        ],
    }


MANAGEMENT = {"Field": "eventCategory", "Equals": ["Management"]}
READS = {"Field": "readOnly", "Equals": ["true"]}
WRITES = {"Field": "readOnly", "Equals": ["false"]}
DATA = [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]
DATA_CATEGORY = {"Field": "eventCategory", "Equals": ["Data"]}
BEDROCK_DATA = [
    DATA_CATEGORY,
    {
        "Field": "resources.type",
        "Equals": ["AWS::Bedrock::AgentAlias", "AWS::Bedrock::KnowledgeBase", "AWS::Bedrock::Guardrail"],
    },
]

CASES: list[Case] = [
    # CL-05 CloudTrail
    Case("aws.cloudtrail.multi_region_trail", PASS, "all-management", in_account(trail()), says="org-audit"),
    Case(
        "aws.cloudtrail.multi_region_trail",
        PASS,
        "default-selectors",
        in_account(trail({"EventSelectors": DROP})),
        says="by default",
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        PASS,
        "advanced-management",
        in_account(trail(advanced([MANAGEMENT], DATA))),
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        PASS,
        "advanced-reads-and-writes",
        in_account(trail(advanced([MANAGEMENT, READS], [MANAGEMENT, WRITES]))),
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        FAIL,
        "advanced-reads-only",
        in_account(trail(advanced([MANAGEMENT, READS]))),
        says="readOnly=true",
    ),
    Case("aws.cloudtrail.multi_region_trail", FAIL, "advanced-data-only", in_account(trail(advanced(DATA)))),
    Case(
        "aws.cloudtrail.multi_region_trail",
        FAIL,
        "single-region",
        in_account(trail({"IsMultiRegionTrail": False})),
        says="IsMultiRegionTrail False",
    ),
    Case("aws.cloudtrail.multi_region_trail", FAIL, "stopped", in_account(trail({"Status.IsLogging": False}))),
    Case("aws.cloudtrail.multi_region_trail", FAIL, "status-absent", in_account(trail({"Status": DROP}))),
    Case(
        "aws.cloudtrail.multi_region_trail",
        FAIL,
        "write-only",
        in_account(trail({"EventSelectors.0.ReadWriteType": "WriteOnly"})),
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        FAIL,
        "no-management",
        in_account(trail({"EventSelectors.0.IncludeManagementEvents": False})),
    ),
    Case("aws.cloudtrail.multi_region_trail", FAIL, "no-trail", in_account(), says="no CloudTrail trail"),
    Case(
        "aws.cloudtrail.multi_region_trail",
        PASS,
        "one-good-of-two",
        in_account(trail({"IsMultiRegionTrail": False}, name="local"), trail()),
    ),
    # CL-05 Bedrock data events
    Case(
        "aws.cloudtrail.bedrock_data_events",
        PASS,
        "no-bedrock",
        in_account(trail()),
        says="no Bedrock agent, knowledge base or guardrail",
    ),
    Case(
        "aws.cloudtrail.bedrock_data_events",
        FAIL,
        "management-only",
        in_account(trail(), member(AGENT), member(GUARDRAIL)),
        says="AWS::Bedrock::AgentAlias in us-east-1, AWS::Bedrock::Guardrail in us-east-1",
    ),
    Case(
        "aws.cloudtrail.bedrock_data_events",
        PASS,
        "every-bedrock-type",
        in_account(trail(advanced([MANAGEMENT], BEDROCK_DATA)), member(AGENT), member(KNOWLEDGE_BASE)),
    ),
    Case(
        "aws.cloudtrail.bedrock_data_events",
        PASS,
        "by-prefix",
        in_account(
            trail(advanced([DATA_CATEGORY, {"Field": "resources.type", "StartsWith": ["AWS::Bedrock::"]}])),
            member(AGENT),
        ),
    ),
    Case(
        "aws.cloudtrail.bedrock_data_events",
        FAIL,
        "knowledge-base-missing",
        in_account(
            trail(advanced([DATA_CATEGORY, {"Field": "resources.type", "Equals": ["AWS::Bedrock::AgentAlias"]}])),
            member(AGENT),
            member(KNOWLEDGE_BASE),
        ),
        says="AWS::Bedrock::KnowledgeBase",
    ),
    Case(
        "aws.cloudtrail.bedrock_data_events",
        FAIL,
        "reads-only",
        in_account(trail(advanced([*BEDROCK_DATA, READS])), member(AGENT)),
    ),
    Case(
        "aws.cloudtrail.bedrock_data_events",
        FAIL,
        "trail-stopped",
        in_account(trail({**advanced(BEDROCK_DATA), "Status.IsLogging": False}), member(AGENT)),
    ),
    Case(
        "aws.cloudtrail.bedrock_data_events",
        FAIL,
        "trail-in-another-region",
        in_account(
            trail({**advanced(BEDROCK_DATA), "IsMultiRegionTrail": False, "HomeRegion": "eu-west-1"}), member(AGENT)
        ),
    ),
    Case(
        "aws.cloudtrail.bedrock_data_events",
        ERROR,
        "agents-unlisted",
        in_account(trail(), unlisted=(AGENT, "ListAgents")),
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        ERROR,
        "trails-unlisted-elsewhere",
        in_account(trail(), unlisted=(TRAIL, "DescribeTrails"), where="eu-west-1"),
        says="DescribeTrails",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
