"""Azure Policy checks, table-driven: assignments that enforce and report compliance."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import collection_error, make, one, subscription_with
from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, Estate, assert_case

SUBSCRIPTION = "azure.subscription"
POLICY = "azure.policy.assignment"


def policies_unlisted() -> Estate:
    return Estate(make(SUBSCRIPTION)).fail(collection_error(POLICY, operation="ListPolicyAssignments"))


CASES: list[Case] = [
    # CL-12 Policy
    Case("azure.policy.assignments_monitor_compliance", PASS, "default", subscription_with(POLICY, {})),
    Case(
        "azure.policy.assignments_monitor_compliance",
        PASS,
        "mode-absent",
        subscription_with(POLICY, {"properties.enforcementMode": DROP}),
        says="means Default",
    ),
    Case(
        "azure.policy.assignments_monitor_compliance",
        FAIL,
        "do-not-enforce",
        subscription_with(POLICY, {"properties.enforcementMode": "DoNotEnforce"}),
        says="none with enforcementMode",
    ),
    Case(
        "azure.policy.assignments_monitor_compliance",
        FAIL,
        "properties-not-an-object",
        subscription_with(POLICY, {"properties": "Default"}),
        says="none with enforcementMode",
    ),
    Case(
        "azure.policy.assignments_monitor_compliance",
        FAIL,
        "none",
        one(SUBSCRIPTION),
        says="no Azure Policy assignments",
    ),
    Case("azure.policy.assignments_monitor_compliance", ERROR, "unlisted", policies_unlisted),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
