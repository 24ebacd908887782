"""GCP project-level, IAM and KMS checks, table-driven: every check passes, fails, and says what absence means."""

from __future__ import annotations

from collections.abc import Callable

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
)
from tests.checks.gcp_support import (
    BILLING_ACCOUNT,
    PROJ,
    SERVING_SA,
    collection_error,
    load_gcp_checks,
    make,
    one,
)

PROJECT = "gcp.project"
SA = "gcp.iam.service_account"
KEY = "gcp.kms.crypto_key"
EP = "gcp.vertex.endpoint"
PERIMETER = "gcp.accesscontext.perimeter"
BUDGET = "gcp.billing.budget"
POLICY = "gcp.orgpolicy.policy"
USER_KEY = {
    "name": f"projects/ml-prod-4521/serviceAccounts/{SERVING_SA}/keys/0123456789abcdef",
    "validAfterTime": "2024-03-01T10:00:00Z",
    "validBeforeTime": "9999-12-31T23:59:59Z",
    "keyAlgorithm": "KEY_ALG_RSA_2048",
    "keyOrigin": "GOOGLE_PROVIDED",
    "keyType": "USER_MANAGED",
}
BINDINGS = "iamPolicy.bindings"
ON_BILLING = {"account": BILLING_ACCOUNT}  # budgets are recorded under their billing account


def project_with(
    *others: tuple[str, dict[str, object] | None, dict[str, object]], **changes: object
) -> Callable[[], Estate]:
    """A project (with `changes`, dotted paths as keys in a dict) plus other resources (type, changes, make kw)."""

    def build() -> Estate:
        estate = Estate(make(PROJECT, changes.get("changes")))  # type: ignore[arg-type]
        for rtype, rchanges, kw in others:
            estate.add(make(rtype, rchanges, **kw))  # type: ignore[arg-type]
        return estate

    return build


def sa_with(
    bindings: list[dict[str, object]] | None,
    sa_changes: dict[str, object] | None = None,
) -> Callable[[], Estate]:
    def build() -> Estate:
        estate = Estate(make(SA, sa_changes))
        if bindings is not None:
            estate.add(make(PROJECT, {BINDINGS: bindings}))
        return estate

    return build


CASES: list[Case] = [
    # CL-02
    Case(
        "gcp.iam.no_basic_roles_for_ai_service_accounts",
        PASS,
        "predefined-only",
        sa_with(
            [
                {"role": "roles/aiplatform.user", "members": [f"serviceAccount:{SERVING_SA}"]},
                {"role": "roles/owner", "members": ["group:cloud-admins@example.com"]},
            ]
        ),
    ),
    Case("gcp.iam.no_basic_roles_for_ai_service_accounts", PASS, "no-bindings", sa_with([])),
    Case(
        "gcp.iam.no_basic_roles_for_ai_service_accounts",
        FAIL,
        "editor",
        sa_with([{"role": "roles/editor", "members": [f"serviceAccount:{SERVING_SA}"]}]),
        says="roles/editor",
    ),
    Case(
        "gcp.iam.no_basic_roles_for_ai_service_accounts",
        FAIL,
        "owner-conditional",
        sa_with(
            [
                {
                    "role": "roles/owner",
                    "members": ["user:bob@example.com", f"serviceAccount:{SERVING_SA}"],
                    "condition": {
                        "title": "temporary",
                        "expression": "request.time < timestamp('2026-01-01T00:00:00Z')",
                    },
                }
            ]
        ),
        says="roles/owner",
    ),
    Case(
        "gcp.iam.no_basic_roles_for_ai_service_accounts", MANUAL, "project-not-collected", one(SA), says="not collected"
    ),
    # CL-08
    Case("gcp.iam.no_user_managed_keys", PASS, "absent", one(SA), says="no user-managed keys"),
    Case("gcp.iam.no_user_managed_keys", FAIL, "one-key", one(SA, {"keys": [USER_KEY]}), says="0123456789abcdef"),
    Case("gcp.iam.no_user_managed_keys", FAIL, "disabled-key", one(SA, {"keys": [{**USER_KEY, "disabled": True}]})),
    # CL-03 key rotation
    Case("gcp.kms.key_rotation", PASS, "ninety-days", one(KEY), says="every 90 days"),
    Case("gcp.kms.key_rotation", PASS, "thirty-days", one(KEY, {"rotationPeriod": "2592000s"})),
    Case(
        "gcp.kms.key_rotation", FAIL, "one-year", one(KEY, {"rotationPeriod": "31536000s"}), says="longer than 90 days"
    ),
    Case(
        "gcp.kms.key_rotation",
        FAIL,
        "absent",
        one(KEY, {"rotationPeriod": DROP, "nextRotationTime": DROP}),
        says="absent means no automatic rotation",
    ),
    Case(
        "gcp.kms.key_rotation",
        MANUAL,
        "asymmetric",
        one(KEY, {"purpose": "ASYMMETRIC_SIGN", "rotationPeriod": DROP, "primary": DROP}),
        says="attest",
    ),
    # CL-05
    Case("gcp.logging.vertex_data_access_audit_logs", PASS, "aiplatform", one(PROJECT)),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        PASS,
        "all-services-with-exemption",
        one(
            PROJECT,
            {
                "iamPolicy.auditConfigs": [
                    {
                        "service": "allServices",
                        "auditLogConfigs": [
                            {"logType": "ADMIN_READ"},
                            {"logType": "DATA_READ", "exemptedMembers": ["user:jose@example.com"]},
                            {"logType": "DATA_WRITE"},
                        ],
                    }
                ]
            },
        ),
        says="1 exempted member",
    ),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        PASS,
        "union-of-entries",
        one(
            PROJECT,
            {
                "iamPolicy.auditConfigs": [
                    {"service": "allServices", "auditLogConfigs": [{"logType": "DATA_WRITE"}]},
                    {"service": "aiplatform.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]},
                ]
            },
        ),
    ),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        FAIL,
        "read-only",
        one(
            PROJECT,
            {
                "iamPolicy.auditConfigs": [
                    {"service": "aiplatform.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]}
                ]
            },
        ),
        says="DATA_WRITE",
    ),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        FAIL,
        "other-service",
        one(
            PROJECT,
            {
                "iamPolicy.auditConfigs": [
                    {
                        "service": "storage.googleapis.com",
                        "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}],
                    }
                ]
            },
        ),
    ),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        FAIL,
        "absent",
        one(PROJECT, {"iamPolicy.auditConfigs": DROP}),
        says="absent auditConfigs",
    ),
    # CL-07
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        PASS,
        "perimeter-other-account",
        project_with((PERIMETER, None, {"account": "organizations/222"})),
        says="ml_perimeter",
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        PASS,
        "all-endpoints-psc",
        project_with((EP, None, {}), (EP, None, {"name": "2"})),
        says="Private Service Connect",
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        FAIL,
        "perimeter-without-vertex",
        project_with((PERIMETER, {"status.restrictedServices": ["storage.googleapis.com"]}, {})),
        says="does not restrict",
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        FAIL,
        "perimeter-dry-run-only",
        project_with(
            (
                PERIMETER,
                {
                    "spec": {"resources": [PROJ], "restrictedServices": ["aiplatform.googleapis.com"]},
                    "status.resources": ["projects/210987654321"],
                },
                {},
            )
        ),
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        FAIL,
        "public-endpoint",
        project_with((EP, None, {}), (EP, {"privateServiceConnectConfig": DROP, "network": "x"}, {"name": "2"})),
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        PASS,
        "perimeters-unlisted-all-psc",
        lambda: project_with((EP, None, {}))().fail(collection_error(PERIMETER)),
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        ERROR,
        "perimeters-unlisted-public-endpoint",
        lambda: project_with((EP, {"privateServiceConnectConfig": DROP}, {}))().fail(collection_error(PERIMETER)),
    ),
    Case("gcp.accesscontext.vertex_in_perimeter", FAIL, "nothing", one(PROJECT), says="no service perimeter"),
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
    # CL-10
    Case("gcp.scc.enabled", PASS, "enabled", project_with(("gcp.scc.settings", None, {}))),
    Case(
        "gcp.scc.enabled",
        FAIL,
        "enabled-absent",
        project_with(("gcp.scc.settings", {"enabled": DROP}, {})),
        says="absent means false",
    ),
    Case("gcp.scc.enabled", FAIL, "no-settings", one(PROJECT), says="no Security Command Center state"),
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
    # CL-11
    Case("gcp.project.incident_response_playbooks", MANUAL, "always", one(PROJECT), says="attestation"),
]


@pytest.fixture(scope="module", autouse=True)
def _gcp_checks() -> None:
    load_gcp_checks()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


def test_user_managed_key_evidence_names_key_and_age() -> None:
    case = next(c for c in CASES if c.label == "one-key")
    finding = assert_case(case)
    assert finding.evidence["keys"] == [{"key": "0123456789abcdef", "validAfterTime": "2024-03-01T10:00:00Z"}]


def test_audit_log_exemptions_are_reported() -> None:
    case = next(c for c in CASES if c.label == "all-services-with-exemption")
    finding = assert_case(case)
    assert finding.evidence["exemptedMembers"] == {"allServices:DATA_READ": ["user:jose@example.com"]}
