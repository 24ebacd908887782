"""Cost Anomaly Detection check, table-driven: a monitor has a subscription someone receives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.conftest import (
    ACCOUNT,
    ERROR,
    FAIL,
    PASS,
    Case,
    Estate,
    assert_case,
    collection_error,
    declare_type,
    make,
)

MONITOR = "aws.ce.anomaly_monitor"
MONITOR_ARN = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
CHECK = "aws.ce.anomaly_monitor_alerts"
SUBSCRIPTION = declare_type(
    "aws.ce.anomaly_subscription",
    {
        "SubscriptionArn": f"arn:aws:ce::{ACCOUNT}:anomalysubscription/9f8e7d6c-5b4a-4321-8fed-cba987654321",
        "AccountId": ACCOUNT,
        "MonitorArnList": [MONITOR_ARN],
        "Subscribers": [{"Address": "ml-finops@example.com", "Type": "EMAIL", "Status": "CONFIRMED"}],
        "Frequency": "DAILY",
        "SubscriptionName": "ai-spend-alerts",
        "ThresholdExpression": {
            "Dimensions": {
                "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                "Values": ["100"],
                "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
            }
        },
    },
    uid=f"arn:aws:ce::{ACCOUNT}:anomalysubscription/{{name}}",
    name="ai-spend-alerts",
    is_global=True,
)
OTHER_MONITOR = f"arn:aws:ce::{ACCOUNT}:anomalymonitor/11111111-2222-3333-4444-555555555555"
SNS = {"Address": f"arn:aws:sns:us-east-1:{ACCOUNT}:cost-alerts", "Type": "SNS"}


def monitor(*subscriptions: dict[str, Any], unlisted: bool = False) -> Callable[[], Estate]:
    """The monitor, with the subscriptions of the account (each: changes to the base one)."""

    def build() -> Estate:
        estate = Estate(make(MONITOR))
        for i, changes in enumerate(subscriptions):
            estate.add(make(SUBSCRIPTION, changes, name=f"subscription-{i}"))
        if unlisted:
            estate.fail(collection_error(SUBSCRIPTION, operation="GetAnomalySubscriptions"))
        return estate

    return build


CASES: list[Case] = [
    Case(CHECK, PASS, "email", monitor({}), says="alerts EMAIL ml-finops@example.com"),
    Case(CHECK, PASS, "sns-status-absent", monitor({"Subscribers": [SNS], "Frequency": "IMMEDIATE"}), says="SNS"),
    Case(
        CHECK,
        PASS,
        "one-of-several-monitors",
        monitor({"MonitorArnList": [OTHER_MONITOR, MONITOR_ARN]}),
    ),
    Case(CHECK, FAIL, "no-subscription", monitor(), says="no anomaly subscription"),
    Case(CHECK, FAIL, "other-monitor-only", monitor({"MonitorArnList": [OTHER_MONITOR]}), says="alert no one"),
    Case(
        CHECK,
        FAIL,
        "declined",
        monitor({"Subscribers": [{"Address": "ml-finops@example.com", "Type": "EMAIL", "Status": "DECLINED"}]}),
        says="no subscriber who has not declined",
    ),
    Case(CHECK, ERROR, "subscriptions-unlisted", monitor(unlisted=True)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
