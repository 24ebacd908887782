"""Cost alert checks, table-driven: a budget with notifications, or a Cost Anomaly Detection monitor."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, assert_case, in_account, member

BUDGET = "aws.budgets.budget"
MONITOR = "aws.ce.anomaly_monitor"

CASES: list[Case] = [
    # CL-06 cost alerts
    Case("aws.budgets.cost_alerts", PASS, "budget-alert", in_account(member(BUDGET)), says="ml-monthly"),
    Case(
        "aws.budgets.cost_alerts",
        PASS,
        "response-shaped-notifications",
        in_account(
            member(
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
        in_account(member(BUDGET, {"Notifications": []}), member(MONITOR)),
        says="services-monitor",
    ),
    Case(
        "aws.budgets.cost_alerts",
        FAIL,
        "silent-budget",
        in_account(member(BUDGET, {"Notifications": []})),
        says="1 budget(s) without notifications",
    ),
    Case("aws.budgets.cost_alerts", FAIL, "nothing", in_account(), says="no budget and no"),
    Case(
        "aws.budgets.cost_alerts",
        ERROR,
        "budgets-unlisted",
        in_account(member(MONITOR), unlisted=(BUDGET, "DescribeBudgets")),
    ),
    Case(
        "aws.budgets.cost_alerts",
        ERROR,
        "monitors-unlisted",
        in_account(member(BUDGET, {"Notifications": DROP}), unlisted=(MONITOR, "GetAnomalyMonitors")),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
