"""Organization Policy checks, table-driven: the constraints that guard AI workloads are enforced."""

from __future__ import annotations

import pytest

from tests.checks.conftest import FAIL, PASS, Case, assert_case
from tests.checks.gcp_support import one, project_with

PROJECT = "gcp.project"
POLICY = "gcp.orgpolicy.policy"

CASES: list[Case] = [
    # CL-12
    Case(
        "gcp.orgpolicy.ai_constraints",
        PASS,
        "boolean-enforced",
        project_with((POLICY, None, {})),
        says="iam.disableServiceAccountKeyCreation",
    ),
    Case(
        "gcp.orgpolicy.ai_constraints",
        PASS,
        "list-allowed-values",
        project_with(
            (
                POLICY,
                {"spec.rules": [{"values": {"allowedValues": ["in:us-locations"]}}]},
                {"name": "gcp.resourceLocations"},
            )
        ),
        says="gcp.resourceLocations",
    ),
    Case(
        "gcp.orgpolicy.ai_constraints",
        FAIL,
        "not-enforced",
        project_with(
            (POLICY, {"spec.rules": [{}]}, {}),
            (POLICY, {"spec.rules": [{"allowAll": True}]}, {"name": "compute.vmExternalIpAccess"}),
        ),
        says="2 set without",
    ),
    Case(
        "gcp.orgpolicy.ai_constraints",
        FAIL,
        "unrelated-constraint",
        project_with((POLICY, None, {"name": "compute.requireOsLogin"})),
    ),
    Case("gcp.orgpolicy.ai_constraints", FAIL, "none", one(PROJECT), says="enforces none"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
