"""Account- and region-wide checks (CloudTrail, GuardDuty, Security Hub, Config, cost alerts, IR), table-driven."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.conftest import (
    DROP,
    ERROR,
    FAIL,
    MANUAL,
    PASS,
    Case,
    Estate,
    assert_case,
    collection_error,
    default_region,
    make,
    one,
)

ACCOUNT_T = "aws.account"
REGION_T = "aws.region"
TRAIL = "aws.cloudtrail.trail"
DETECTOR = "aws.guardduty.detector"
HUB = "aws.securityhub.hub"
RECORDER = "aws.config.recorder"
BUDGET = "aws.budgets.budget"
MONITOR = "aws.ce.anomaly_monitor"
Member = tuple[str, dict[str, Any] | None, dict[str, Any]]  # (type, changes, make keywords)


def scope(
    target_type: str, *members: Member, unlisted: tuple[str, str] | None = None, where: str | None = None
) -> Callable[[], Estate]:
    """The account or region resource with service resources (type, changes, make kwargs) and list failures."""

    def build() -> Estate:
        estate = Estate(make(target_type))
        for rtype, changes, kw in members:
            estate.add(make(rtype, changes, **kw))
        if unlisted:
            rtype, operation = unlisted
            estate.fail(collection_error(rtype, operation=operation, region=where or default_region(rtype)))
        return estate

    return build


def trail(changes: dict[str, Any] | None = None, **kw: Any) -> Member:
    return m(TRAIL, changes, **kw)


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


def account(*members: Member, **kw: Any) -> Callable[[], Estate]:
    return scope(ACCOUNT_T, *members, **kw)


def region(*members: Member, **kw: Any) -> Callable[[], Estate]:
    return scope(REGION_T, *members, **kw)


def m(rtype: str, changes: dict[str, Any] | None = None, **kw: Any) -> Member:
    return rtype, changes, kw


CASES: list[Case] = [
    # CL-05 CloudTrail
    Case("aws.cloudtrail.multi_region_trail", PASS, "all-management", account(trail()), says="org-audit"),
    Case(
        "aws.cloudtrail.multi_region_trail",
        PASS,
        "default-selectors",
        account(trail({"EventSelectors": DROP})),
        says="by default",
    ),
    Case(
        "aws.cloudtrail.multi_region_trail", PASS, "advanced-management", account(trail(advanced([MANAGEMENT], DATA)))
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        PASS,
        "advanced-reads-and-writes",
        account(trail(advanced([MANAGEMENT, READS], [MANAGEMENT, WRITES]))),
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        FAIL,
        "advanced-reads-only",
        account(trail(advanced([MANAGEMENT, READS]))),
        says="readOnly=true",
    ),
    Case("aws.cloudtrail.multi_region_trail", FAIL, "advanced-data-only", account(trail(advanced(DATA)))),
    Case(
        "aws.cloudtrail.multi_region_trail",
        FAIL,
        "single-region",
        account(trail({"IsMultiRegionTrail": False})),
        says="IsMultiRegionTrail False",
    ),
    Case("aws.cloudtrail.multi_region_trail", FAIL, "stopped", account(trail({"Status.IsLogging": False}))),
    Case("aws.cloudtrail.multi_region_trail", FAIL, "status-absent", account(trail({"Status": DROP}))),
    Case(
        "aws.cloudtrail.multi_region_trail",
        FAIL,
        "write-only",
        account(trail({"EventSelectors.0.ReadWriteType": "WriteOnly"})),
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        FAIL,
        "no-management",
        account(trail({"EventSelectors.0.IncludeManagementEvents": False})),
    ),
    Case("aws.cloudtrail.multi_region_trail", FAIL, "no-trail", account(), says="no CloudTrail trail"),
    Case(
        "aws.cloudtrail.multi_region_trail",
        PASS,
        "one-good-of-two",
        account(trail({"IsMultiRegionTrail": False}, name="local"), trail()),
    ),
    Case(
        "aws.cloudtrail.multi_region_trail",
        ERROR,
        "trails-unlisted-elsewhere",
        account(trail(), unlisted=(TRAIL, "DescribeTrails"), where="eu-west-1"),
        says="DescribeTrails",
    ),
    # CL-10 GuardDuty and Security Hub
    Case("aws.guardduty.enabled", PASS, "enabled", region(m(DETECTOR))),
    Case("aws.guardduty.enabled", FAIL, "disabled", region(m(DETECTOR, {"Status": "DISABLED"})), says="DISABLED"),
    Case("aws.guardduty.enabled", FAIL, "none", region(), says="no GuardDuty detector"),
    Case("aws.guardduty.enabled", FAIL, "other-region-only", region(m(DETECTOR, region="eu-west-1"))),
    Case("aws.guardduty.enabled", ERROR, "detectors-unlisted", region(unlisted=(DETECTOR, "ListDetectors"))),
    Case(
        "aws.guardduty.enabled",
        PASS,
        "other-region-unlisted",
        region(m(DETECTOR), unlisted=(DETECTOR, "ListDetectors"), where="eu-west-1"),
    ),
    Case("aws.securityhub.enabled", PASS, "hub", region(m(HUB))),
    Case("aws.securityhub.enabled", FAIL, "none", region(), says="does not have Security Hub"),
    Case("aws.securityhub.enabled", ERROR, "hub-unreadable", region(unlisted=(HUB, "DescribeHub"))),
    # CL-12 AWS Config
    Case("aws.config.recorder_all_resources", PASS, "all-supported", region(m(RECORDER))),
    Case(
        "aws.config.recorder_all_resources",
        PASS,
        "strategy-only",
        region(m(RECORDER, {"recordingGroup.allSupported": DROP})),
    ),
    Case(
        "aws.config.recorder_all_resources",
        FAIL,
        "selected-types",
        region(
            m(
                RECORDER,
                {
                    "recordingGroup": {
                        "allSupported": False,
                        "includeGlobalResourceTypes": False,
                        "resourceTypes": ["AWS::SageMaker::Model", "AWS::S3::Bucket"],
                        "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
                    }
                },
            )
        ),
        says="does not record all supported types",
    ),
    Case("aws.config.recorder_all_resources", FAIL, "not-recording", region(m(RECORDER, {"Status.recording": False}))),
    Case("aws.config.recorder_all_resources", FAIL, "group-absent", region(m(RECORDER, {"recordingGroup": DROP}))),
    Case("aws.config.recorder_all_resources", FAIL, "none", region(), says="no AWS Config"),
    Case(
        "aws.config.recorder_all_resources",
        ERROR,
        "recorders-unlisted",
        region(unlisted=(RECORDER, "DescribeConfigurationRecorders")),
    ),
    # CL-06 cost alerts
    Case("aws.budgets.cost_alerts", PASS, "budget-alert", account(m(BUDGET)), says="ml-monthly"),
    Case(
        "aws.budgets.cost_alerts",
        PASS,
        "response-shaped-notifications",
        account(
            m(
                BUDGET,
                {
                    "Notifications": {
                        "Notifications": [
                            {"NotificationType": "FORECASTED", "ComparisonOperator": "GREATER_THAN", "Threshold": 100.0}
                        ]
                    }
                },
            )
        ),
    ),
    Case(
        "aws.budgets.cost_alerts",
        PASS,
        "anomaly-monitor",
        account(m(BUDGET, {"Notifications": []}), m(MONITOR)),
        says="services-monitor",
    ),
    Case(
        "aws.budgets.cost_alerts",
        FAIL,
        "silent-budget",
        account(m(BUDGET, {"Notifications": []})),
        says="1 budget(s) without notifications",
    ),
    Case("aws.budgets.cost_alerts", FAIL, "nothing", account(), says="no budget and no"),
    Case(
        "aws.budgets.cost_alerts", ERROR, "budgets-unlisted", account(m(MONITOR), unlisted=(BUDGET, "DescribeBudgets"))
    ),
    Case(
        "aws.budgets.cost_alerts",
        ERROR,
        "monitors-unlisted",
        account(m(BUDGET, {"Notifications": DROP}), unlisted=(MONITOR, "GetAnomalyMonitors")),
    ),
    # CL-11 attestation only
    Case("aws.account.incident_response_playbooks", MANUAL, "attest", one(ACCOUNT_T), says="attestation"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_account_service_check(case: Case) -> None:
    assert_case(case)
