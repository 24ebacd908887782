"""GCP IAM checks, table-driven: AI service accounts without basic roles or user-managed keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cspm_ai.model import Resource
from tests.checks.conftest import DROP, FAIL, MANUAL, PASS, Case, Estate, assert_case
from tests.checks.gcp.test_storage import BUCKET as STORAGE_BUCKET
from tests.checks.gcp_support import NETWORK, SERVING_SA, make, one

PROJECT = "gcp.project"
SA = "gcp.iam.service_account"
USER_KEY = {
    "name": f"projects/ml-prod-4521/serviceAccounts/{SERVING_SA}/keys/0123456789abcdef",
    "validAfterTime": "2024-03-01T10:00:00Z",
    "validBeforeTime": "9999-12-31T23:59:59Z",
    "keyAlgorithm": "KEY_ALG_RSA_2048",
    "keyOrigin": "GOOGLE_PROVIDED",
    "keyType": "USER_MANAGED",
}
BINDINGS = "iamPolicy.bindings"
SERVICE_GRANT = {"role": "roles/aiplatform.user", "members": [f"serviceAccount:{SERVING_SA}"]}
ML_GRANT = {"role": "roles/aiplatform.user", "members": ["group:ml@example.com"]}
EXPIRING = {"title": "jit-deploy", "expression": "request.time < timestamp('2025-07-01T00:00:00Z')"}


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
    # ZT-1
    Case("gcp.iam.predict_not_public", PASS, "named-callers", one(PROJECT), says="named principals"),
    Case(
        "gcp.iam.predict_not_public",
        FAIL,
        "domain",
        one(PROJECT, {BINDINGS: [{"role": "roles/aiplatform.user", "members": ["domain:example.com"]}]}),
        says="domain:example.com",
    ),
    Case(
        "gcp.iam.predict_not_public",
        FAIL,
        "all-authenticated-custom-role",
        one(
            PROJECT,
            {BINDINGS: [{"role": "projects/ml-prod-4521/roles/predictor", "members": ["allAuthenticatedUsers"]}]},
        ),
        says="allAuthenticatedUsers",
    ),
    Case(
        "gcp.iam.predict_not_public",
        PASS,
        "public-viewer-only",
        one(PROJECT, {BINDINGS: [{"role": "roles/aiplatform.viewer", "members": ["allAuthenticatedUsers"]}]}),
    ),
    Case(
        "gcp.iam.predict_not_public", MANUAL, "policy-not-collected", one(PROJECT, {"iamPolicy": DROP}), says="by hand"
    ),
    # ZT-3
    Case(
        "gcp.iam.deploy_export_grants_expire",
        PASS,
        "time-bound",
        one(PROJECT, {BINDINGS: [SERVICE_GRANT, {**ML_GRANT, "condition": EXPIRING}]}),
        says="1 time-bound grant",
    ),
    Case(
        "gcp.iam.deploy_export_grants_expire",
        PASS,
        "service-accounts-only",
        one(PROJECT, {BINDINGS: [SERVICE_GRANT]}),
        says="0 time-bound",
    ),
    Case(
        "gcp.iam.deploy_export_grants_expire",
        FAIL,
        "standing-group",
        one(PROJECT, {BINDINGS: [ML_GRANT]}),
        says="group:ml@example.com",
    ),
    Case(
        "gcp.iam.deploy_export_grants_expire",
        FAIL,
        "owner",
        one(PROJECT),
        says="group:cloud-admins@example.com roles/owner",
    ),
    Case(
        "gcp.iam.deploy_export_grants_expire",
        FAIL,
        "condition-without-expiry",
        one(
            PROJECT,
            {
                BINDINGS: [
                    {
                        **ML_GRANT,
                        "condition": {
                            "title": "only-us",
                            "expression": "resource.name.startsWith('projects/ml-prod-4521/locations/us')",
                        },
                    }
                ]
            },
        ),
        says="no expiry",
    ),
    Case(
        "gcp.iam.deploy_export_grants_expire",
        MANUAL,
        "policy-not-collected",
        one(PROJECT, {"iamPolicy": DROP}),
        says="by hand",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


def test_user_managed_key_evidence_names_key_and_age() -> None:
    case = next(c for c in CASES if c.label == "one-key")
    finding = assert_case(case)
    assert finding.evidence["keys"] == [{"key": "0123456789abcdef", "validAfterTime": "2024-03-01T10:00:00Z"}]


# -- ZT-4: blast radius and attack paths ----------------------------------------------------------------------

BLAST = "gcp.iam.ai_identity_blast_radius"
EXPOSED = "gcp.iam.exposed_ai_identity_sensitive_data"
TERRAFORM = "serviceAccount:terraform@ml-prod-4521.iam.gserviceaccount.com"


def granted(
    *bindings: dict[str, object], labels: dict[str, str] | None = None, extra: tuple[Resource, ...] = ()
) -> Callable[[], Estate]:
    """The serving account, its project with `bindings` (and project `labels`), and `extra` resources."""

    def build() -> Estate:
        project = make(PROJECT, {BINDINGS: list(bindings), **({"labels": labels} if labels is not None else {})})
        return Estate(make(SA)).add(project, *extra)

    return build


def bucket(name: str, labels: dict[str, str]) -> Resource:
    return make(STORAGE_BUCKET, {"name": name, "labels": labels}, name=name)


def serving(role: str) -> dict[str, object]:
    return {"role": role, "members": [f"serviceAccount:{SERVING_SA}"]}


def exposed(endpoint_changes: dict[str, object], role: str, *labels: dict[str, str]) -> Callable[[], Estate]:
    """An endpoint running as the serving account, which holds `role` on the project, with buckets labelled so."""

    def build() -> Estate:
        endpoint = make("gcp.vertex.endpoint", endpoint_changes)
        sa = make(SA)
        project = make(PROJECT, {BINDINGS: [serving(role)]})
        stores = [bucket(f"store-{i}", label) for i, label in enumerate(labels)]
        return Estate(endpoint).add(sa, project, *stores).link(endpoint, "uses_service_account", sa)

    return build


CASES += [
    Case(BLAST, PASS, "no-grants", granted(), says="0 data store(s)"),
    Case(
        BLAST,
        FAIL,
        "deploys-to-production",
        granted(serving("roles/aiplatform.user"), extra=(make("gcp.vertex.endpoint"),)),
        says="aiplatform.endpoints.deploy",
    ),
    Case(
        BLAST,
        PASS,
        "reads-its-teams-bucket",
        granted(
            serving("roles/storage.objectViewer"),
            labels={"team": "ml"},
            extra=(bucket("ml-artifacts", {"team": "ml"}),),
        ),
        says="all within team ml",
    ),
    Case(
        BLAST,
        FAIL,
        "reads-other-teams-bucket",
        granted(
            serving("roles/storage.objectViewer"),
            labels={"team": "ml"},
            extra=(bucket("payments-ledger", {"team": "payments"}),),
        ),
        says="bucket payments-ledger tagged team=payments",
    ),
    Case(
        BLAST,
        FAIL,
        "mints-keys-for-an-owner",
        granted(serving("roles/iam.serviceAccountKeyAdmin"), {"role": "roles/owner", "members": [TERRAFORM]}),
        says="can become service account terraform@ml-prod-4521.iam.gserviceaccount.com",
    ),
    Case(
        BLAST,
        FAIL,
        "sets-the-project-policy",
        granted(serving("roles/resourcemanager.projectIamAdmin")),
        says="resourcemanager.projects.setIamPolicy",
    ),
    Case(BLAST, MANUAL, "custom-role", granted(serving("projects/ml-prod-4521/roles/mlRunner")), says="custom role"),
    Case(
        EXPOSED,
        FAIL,
        "public-endpoint-reads-confidential",
        exposed(
            {"network": DROP, "privateServiceConnectConfig": DROP},
            "roles/storage.objectViewer",
            {"data-classification": "confidential"},
        ),
        says="storage.objects.get on bucket store-0",
    ),
    Case(
        EXPOSED,
        PASS,
        "peered-endpoint",
        exposed({"network": NETWORK}, "roles/storage.objectViewer", {"data-classification": "confidential"}),
        says="not reachable from the internet",
    ),
    Case(
        EXPOSED,
        PASS,
        "public-endpoint-public-data",
        exposed(
            {"network": DROP, "privateServiceConnectConfig": DROP},
            "roles/storage.objectViewer",
            {"data-classification": "public"},
        ),
        says="reaches no data store classified as sensitive",
    ),
]


def test_impersonation_path_has_two_hops_each_with_its_binding() -> None:
    from tests.checks.conftest import run

    finding = run(next(c for c in CASES if c.label == "mints-keys-for-an-owner"))
    hops = finding.evidence["paths"][0]["hops"]
    assert [h["grants"][0]["via"] for h in hops] == [
        "binding 0 (roles/iam.serviceAccountKeyAdmin) of project ml-prod-4521",
        "binding 1 (roles/owner) of project ml-prod-4521",
    ]
    assert [h["grants"][0]["action"] for h in hops] == [
        "iam.serviceAccountKeys.create",
        "resourcemanager.projects.setIamPolicy",
    ]
