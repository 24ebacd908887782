"""Cost Management budget checks, table-driven: a budget with an enabled alert."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import collection_error, make, one, subscription_with
from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, Estate, assert_case

SUBSCRIPTION = "azure.subscription"
BUDGET = "azure.consumption.budget"
NOTIFICATION_OFF = {"properties.notifications.Actual_GreaterThan_80_Percent.enabled": False}


def budgets_unlisted() -> Estate:
    return Estate(make(SUBSCRIPTION)).fail(collection_error(BUDGET, operation="ListBudgets"))


CASES: list[Case] = [
    # CL-06 budgets
    Case(
        "azure.consumption.budget_alerts",
        PASS,
        "enabled-alert",
        subscription_with(BUDGET, {}),
        says="Actual_GreaterThan_80_Percent",
    ),
    Case(
        "azure.consumption.budget_alerts",
        FAIL,
        "alert-disabled",
        subscription_with(BUDGET, NOTIFICATION_OFF),
        says="no enabled notification",
    ),
    Case(
        "azure.consumption.budget_alerts",
        FAIL,
        "notifications-absent",
        subscription_with(BUDGET, {"properties.notifications": DROP}),
    ),
    Case("azure.consumption.budget_alerts", FAIL, "no-budget", one(SUBSCRIPTION), says="no budget"),
    Case("azure.consumption.budget_alerts", ERROR, "unlisted", budgets_unlisted),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
