"""Organization Policy checks, table-driven: the constraints that guard AI workloads are enforced."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case
from tests.checks.gcp_support import one, project_with

PROJECT = "gcp.project"
POLICY = "gcp.orgpolicy.policy"
OLD_TLS = ["TLS_VERSION_1", "TLS_VERSION_1_1"]
# The Vertex AI and Workbench constraints PH-3 requires, each enforced.
REQUIRED: tuple[tuple[str, dict[str, object] | None, dict[str, object]], ...] = (
    (POLICY, None, {"name": "ainotebooks.restrictPublicIp"}),
    (POLICY, None, {"name": "ainotebooks.disableRootAccess"}),
    (
        POLICY,
        {"spec.rules": [{"values": {"allowedValues": ["publishers/google/models/gemini-2.5-flash:predict"]}}]},
        {"name": "vertexai.allowedModels"},
    ),
)

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
    # PH-3
    Case(
        "gcp.orgpolicy.vertex_workbench_constraints",
        PASS,
        "all-required",
        project_with(*REQUIRED, (POLICY, None, {"name": "ainotebooks.disableTerminal"})),
        says="1 other Workbench constraint",
    ),
    Case(
        "gcp.orgpolicy.vertex_workbench_constraints",
        FAIL,
        "allowed-models-missing",
        project_with(*REQUIRED[:2]),
        says="constraints/vertexai.allowedModels",
    ),
    Case(
        "gcp.orgpolicy.vertex_workbench_constraints",
        FAIL,
        "public-ip-allowed",
        project_with(
            (POLICY, {"spec.rules": [{"allowAll": True}]}, {"name": "ainotebooks.restrictPublicIp"}), *REQUIRED[1:]
        ),
        says="ainotebooks.restrictPublicIp",
    ),
    Case("gcp.orgpolicy.vertex_workbench_constraints", FAIL, "none", one(PROJECT), says="restrictPublicIp"),
    # CL-04
    Case(
        "gcp.orgpolicy.tls_versions_restricted",
        PASS,
        "both-denied",
        project_with(
            (POLICY, {"spec.rules": [{"values": {"deniedValues": OLD_TLS}}]}, {"name": "gcp.restrictTLSVersion"})
        ),
        says="TLS 1.2 or later",
    ),
    Case(
        "gcp.orgpolicy.tls_versions_restricted",
        FAIL,
        "only-1-0-denied",
        project_with(
            (
                POLICY,
                {"spec.rules": [{"values": {"deniedValues": ["TLS_VERSION_1"]}}]},
                {"name": "gcp.restrictTLSVersion"},
            )
        ),
        says="does not deny TLS_VERSION_1_1",
    ),
    Case(
        "gcp.orgpolicy.tls_versions_restricted",
        FAIL,
        "policy-without-rules",
        project_with((POLICY, {"spec": DROP}, {"name": "gcp.restrictTLSVersion"})),
        says="still accept TLS 1.0 and 1.1",
    ),
    Case("gcp.orgpolicy.tls_versions_restricted", FAIL, "no-policy", one(PROJECT), says="has no policy"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
