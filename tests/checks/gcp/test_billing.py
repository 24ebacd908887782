"""Cloud Billing budget checks, table-driven: a budget with alert thresholds covers the project."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, assert_case
from tests.checks.gcp_support import BILLING_ACCOUNT, collection_error, one, project_with

PROJECT = "gcp.project"
BUDGET = "gcp.billing.budget"
ON_BILLING = {"account": BILLING_ACCOUNT}  # budgets are recorded under their billing account

CASES: list[Case] = [
    # CL-06
    Case(
        "gcp.billing.budget_alerts", PASS, "project-budget", project_with((BUDGET, None, ON_BILLING)), says="ai-monthly"
    ),
    Case(
        "gcp.billing.budget_alerts",
        PASS,
        "billing-account-budget",
        project_with((BUDGET, {"budgetFilter.projects": DROP}, ON_BILLING)),
    ),
    Case(
        "gcp.billing.budget_alerts",
        FAIL,
        "no-thresholds",
        project_with((BUDGET, {"thresholdRules": DROP}, ON_BILLING)),
        says="thresholdRules",
    ),
    Case(
        "gcp.billing.budget_alerts",
        FAIL,
        "other-project",
        project_with((BUDGET, {"budgetFilter.projects": ["projects/210987654321"]}, ON_BILLING)),
        says="no budget",
    ),
    Case(
        "gcp.billing.budget_alerts",
        FAIL,
        "other-billing-account",
        project_with((BUDGET, None, {"account": "billingAccounts/0F0F0F-0F0F0F-0F0F0F"})),
        says="no budget",
    ),
    Case(
        "gcp.billing.budget_alerts",
        PASS,
        "no-billing-account",
        project_with(
            changes={"billingInfo": {"name": "projects/ml-prod-4521/billingInfo", "projectId": "ml-prod-4521"}}
        ),
        says="no billing account",
    ),
    Case(
        "gcp.billing.budget_alerts",
        ERROR,
        "billing-unreadable",
        lambda: project_with((BUDGET, None, ON_BILLING))().fail(collection_error(BUDGET)),
    ),
    Case("gcp.billing.budget_alerts", FAIL, "none", one(PROJECT), says="no budget"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
