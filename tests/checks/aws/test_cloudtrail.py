"""CloudTrail checks, table-driven: a multi-region trail that logs reads and writes of management events."""

from __future__ import annotations

from typing import Any

import pytest

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
