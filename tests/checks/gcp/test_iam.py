"""GCP IAM checks, table-driven: AI service accounts without basic roles or user-managed keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cspm_ai.attack_paths import build
from cspm_ai.engine import Snapshot
from cspm_ai.model import Resource
from tests.checks.conftest import DROP, ERROR, FAIL, MANUAL, PASS, Case, Estate, assert_case, run
from tests.checks.gcp.test_storage import BUCKET as STORAGE_BUCKET
from tests.checks.gcp_support import NETWORK, SERVING_SA, TRAINER_SA, collection_error, make, one

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
        "gcp.iam.predict_not_public",
        FAIL,
        "domain-grant-inherited-from-the-organization",
        one(
            PROJECT,
            {
                "ancestorIamPolicies": [
                    {"resource": "folders/111122223333", "iamPolicy": {"etag": "ACAB"}},
                    {
                        "resource": "organizations/222233334444",
                        "iamPolicy": {
                            "version": 1,
                            "etag": "BwYe0rg0AAE=",
                            "bindings": [{"role": "roles/aiplatform.user", "members": ["domain:example.com"]}],
                        },
                    },
                ]
            },
        ),
        says="domain:example.com (inherited from organizations/222233334444)",
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
        "standing-group-inherited-from-a-folder",
        one(
            PROJECT,
            {
                BINDINGS: [SERVICE_GRANT],
                "ancestorIamPolicies": [
                    {
                        "resource": "folders/111122223333",
                        "iamPolicy": {"version": 1, "etag": "BwYe0f1dAAE=", "bindings": [ML_GRANT]},
                    }
                ],
            },
        ),
        says="group:ml@example.com roles/aiplatform.user (inherited from folders/111122223333) with no expiry",
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


# -- ZT-4 through every IAM level: folders and organization, buckets, service accounts' own policies -------------
# Grants inherited from folders and the organization, bucket policies, service accounts' own policies (who can
# impersonate whom), conditional bindings, and policies that could not be read.

FOLDER = "folders/111122223333"
ORGANIZATION = "organizations/222233334444"
SERVING = f"serviceAccount:{SERVING_SA}"
WORK_HOURS = {
    "title": "work-hours",
    "expression": "request.time.getHours('Europe/Berlin') >= 8 && request.time.getHours('Europe/Berlin') < 18",
}


def iam_grant(role: str, member: str = SERVING, condition: dict[str, str] | None = None) -> dict[str, Any]:
    return {"role": role, "members": [member], **({"condition": condition} if condition else {})}


def iam_policy(*bindings: dict[str, Any]) -> dict[str, Any]:
    """An IAM policy as getIamPolicy answers it."""
    return {
        "version": 3 if any("condition" in b for b in bindings) else 1,
        "etag": "BwYe0f1dAAE=",
        "bindings": list(bindings),
    }


def bucket_with_policy(name: str, labels: dict[str, str], *bindings: dict[str, Any]) -> Resource:
    """A bucket with its IAM policy: the project's basic roles through the convenience members, then `bindings`."""
    defaults = [
        {
            "role": "roles/storage.legacyBucketOwner",
            "members": ["projectEditor:ml-prod-4521", "projectOwner:ml-prod-4521"],
        },
        {"role": "roles/storage.legacyBucketReader", "members": ["projectViewer:ml-prod-4521"]},
    ]
    return make(
        STORAGE_BUCKET, {"name": name, "labels": labels, "iamPolicy": iam_policy(*defaults, *bindings)}, name=name
    )


def trainer_sa(*bindings: dict[str, Any]) -> Resource:
    """The training service account, with its own IAM policy (who may act as it)."""
    changes = {"email": TRAINER_SA, "displayName": "Vertex AI training", "iamPolicy": iam_policy(*bindings)}
    return make(SA, changes, name=TRAINER_SA)


def project_above(*bindings: dict[str, Any], above: tuple[tuple[str, dict[str, Any]], ...] = ()) -> Resource:
    """The project, team ml, with its own bindings and the policies it inherits (nearest first)."""
    inherited = [{"resource": name, "iamPolicy": p} for name, p in above]
    return make(
        PROJECT, {"iamPolicy.bindings": list(bindings), "ancestorIamPolicies": inherited, "labels": {"team": "ml"}}
    )


def serving_in(project_resource: Resource, *extra: Resource) -> Callable[[], Estate]:
    """The serving account (the target), its project and `extra` resources."""
    return lambda: Estate(make(SA)).add(project_resource, *extra)


def public_endpoint(*extra: Resource) -> Estate:
    """An endpoint without Private Service Connect or a peered network, running as the serving account."""
    endpoint = make("gcp.vertex.endpoint", {"network": DROP, "privateServiceConnectConfig": DROP})
    sa = make(SA)
    return Estate(endpoint).add(sa, *extra).link(endpoint, "uses_service_account", sa)


PAYMENTS = {"team": "payments", "data-classification": "confidential"}
TRAINER_ADMIN = iam_grant("roles/resourcemanager.projectIamAdmin", f"serviceAccount:{TRAINER_SA}")

CASES += [
    Case(
        BLAST,
        FAIL,
        "folder-grant-reads-other-teams-bucket",
        serving_in(
            project_above(above=((FOLDER, iam_policy(iam_grant("roles/storage.objectViewer"))),)),
            bucket_with_policy("payments-ledger", PAYMENTS),
        ),
        says="via binding 0 (roles/storage.objectViewer) of folder folders/111122223333, inherited by project "
        "ml-prod-4521, can storage.objects.get on bucket payments-ledger tagged team=payments",
    ),
    Case(
        BLAST,
        FAIL,
        "organization-grant-deploys-to-production",
        serving_in(
            project_above(
                above=((FOLDER, iam_policy()), (ORGANIZATION, iam_policy(iam_grant("roles/aiplatform.user"))))
            ),
            make("gcp.vertex.endpoint"),
        ),
        says="binding 0 (roles/aiplatform.user) of organization organizations/222233334444, inherited by project",
    ),
    Case(
        BLAST,
        FAIL,
        "bucket-grant-reads-other-teams-bucket",
        serving_in(
            project_above(),
            bucket_with_policy("payments-ledger", PAYMENTS, iam_grant("roles/storage.objectViewer")),
            bucket_with_policy("payments-archive", PAYMENTS),
        ),
        says="via binding 2 (roles/storage.objectViewer) of bucket payments-ledger, can storage.objects.get on "
        "bucket payments-ledger",
    ),
    Case(
        BLAST,
        PASS,
        "bucket-grant-on-own-teams-bucket",
        serving_in(
            project_above(), bucket_with_policy("ml-artifacts", {"team": "ml"}, iam_grant("roles/storage.objectViewer"))
        ),
        says="1 data store(s) and key(s) reached, all within team ml",
    ),
    Case(
        BLAST,
        FAIL,
        "token-creator-on-an-account-that-can-raise-permissions",
        serving_in(project_above(TRAINER_ADMIN), trainer_sa(iam_grant("roles/iam.serviceAccountTokenCreator"))),
        says="via binding 0 (roles/iam.serviceAccountTokenCreator) of service account Vertex AI training, can "
        "become service account Vertex AI training",
    ),
    Case(
        BLAST,
        PASS,
        "token-creator-on-an-account-that-holds-nothing",
        serving_in(project_above(), trainer_sa(iam_grant("roles/iam.serviceAccountTokenCreator"))),
        says="cannot raise its own permissions",
    ),
    Case(
        BLAST,
        FAIL,
        "service-account-user-who-can-run-a-job",
        serving_in(
            project_above(iam_grant("roles/aiplatform.user"), TRAINER_ADMIN),
            trainer_sa(iam_grant("roles/iam.serviceAccountUser")),
        ),
        says="(iam.serviceAccounts.actAs)",
    ),
    Case(
        BLAST,
        PASS,
        "service-account-user-who-cannot-run-anything",
        serving_in(project_above(TRAINER_ADMIN), trainer_sa(iam_grant("roles/iam.serviceAccountUser"))),
        says="0 data store(s)",
    ),
    Case(
        BLAST,
        FAIL,
        "conditional-folder-grant-counts-and-says-so",
        serving_in(
            project_above(above=((FOLDER, iam_policy(iam_grant("roles/storage.objectViewer", condition=WORK_HOURS))),)),
            bucket_with_policy("payments-ledger", PAYMENTS),
        ),
        says="of folder folders/111122223333, inherited by project ml-prod-4521 with condition work-hours "
        "(conditional: counted, as some requests meet it)",
    ),
    Case(
        BLAST,
        ERROR,
        "bucket-policy-not-read",
        lambda: serving_in(
            project_above(), make(STORAGE_BUCKET, {"name": "payments-ledger"}, name="payments-ledger")
        )().fail(
            collection_error(
                STORAGE_BUCKET,
                uid=make(STORAGE_BUCKET, name="payments-ledger").uid,
                operation="storage.buckets.getIamPolicy",
            )
        ),
        says="storage.buckets.getIamPolicy",
    ),
    Case(
        BLAST,
        FAIL,
        "production-deploy-stands-beside-an-unread-account-policy",
        lambda: serving_in(
            project_above(iam_grant("roles/aiplatform.user")), make("gcp.vertex.endpoint"), trainer_sa()
        )().fail(collection_error(SA, uid=trainer_sa().uid, operation="iam.serviceAccounts.getIamPolicy")),
        says="aiplatform.endpoints.deploy",
    ),
    Case(
        EXPOSED,
        FAIL,
        "public-endpoint-reads-confidential-through-its-folder",
        lambda: public_endpoint(
            project_above(above=((FOLDER, iam_policy(iam_grant("roles/storage.objectViewer"))),)),
            bucket_with_policy("payments-ledger", PAYMENTS),
        ),
        says="of folder folders/111122223333",
    ),
]


def _level_case(label: str) -> Case:
    return next(c for c in CASES if c.label == label)


def test_a_bucket_grant_reaches_that_bucket_only() -> None:
    finding = run(_level_case("bucket-grant-reads-other-teams-bucket"))
    assert finding.evidence["data_stores"] == [
        "bucket payments-ledger tagged team=payments, data-classification=confidential"
    ]


def test_the_impersonation_chain_names_the_accounts_policy_then_the_projects() -> None:
    finding = run(_level_case("token-creator-on-an-account-that-can-raise-permissions"))
    hops = finding.evidence["paths"][0]["hops"]
    assert [(h["grants"][0]["action"], h["grants"][0]["via"]) for h in hops] == [
        (
            "iam.serviceAccounts.getAccessToken",
            "binding 0 (roles/iam.serviceAccountTokenCreator) of service account Vertex AI training",
        ),
        (
            "resourcemanager.projects.setIamPolicy",
            "binding 0 (roles/resourcemanager.projectIamAdmin) of project ml-prod-4521",
        ),
    ]


def _level_graph(built: Estate) -> Any:
    return build(Snapshot(built.resources, built.relations, built.errors))


def test_a_conditional_binding_is_never_shown_as_unconditional() -> None:
    """Counted, as a conditional Allow is on AWS, but every grant it makes says it is conditional and names the
    condition (its expression when it has no title)."""
    untitled = {"expression": WORK_HOURS["expression"]}
    graph = _level_graph(
        serving_in(
            project_above(
                iam_grant("roles/storage.objectViewer", condition=untitled),
                above=((FOLDER, iam_policy(iam_grant("roles/storage.objectCreator", condition=WORK_HOURS))),),
            ),
            bucket_with_policy("payments-ledger", PAYMENTS),
        )()
    )
    grants = graph.graph[make(SA).uid][bucket_with_policy("payments-ledger", PAYMENTS).uid]["grants"]
    assert {g.action for g in grants} == {"storage.objects.get", "storage.objects.create"}
    assert all("(conditional: counted, as some requests meet it)" in g.via for g in grants)
    assert any(WORK_HOURS["expression"] in g.via for g in grants) and any("work-hours" in g.via for g in grants)


def test_convenience_members_of_a_bucket_policy_are_not_identities() -> None:
    """projectEditor:, projectOwner: and projectViewer: stand for the project's basic roles, followed through the
    project policy; they are not principals of their own."""
    graph = _level_graph(
        serving_in(
            project_above(), bucket_with_policy("payments-ledger", PAYMENTS, iam_grant("roles/storage.objectViewer"))
        )()
    )
    sources = {p.source.uid for p in graph.paths_to(bucket_with_policy("payments-ledger", PAYMENTS).uid)}
    assert sources == {make(SA).uid}


def test_an_unread_policy_is_listed_and_a_read_one_is_not() -> None:
    unread = make(STORAGE_BUCKET, {"name": "payments-ledger"}, name="payments-ledger")
    built = serving_in(project_above(), unread, bucket_with_policy("ml-artifacts", {"team": "ml"}), trainer_sa())()
    built.fail(collection_error(STORAGE_BUCKET, uid=unread.uid, operation="storage.buckets.getIamPolicy"))
    assert _level_graph(built).unread_policies == [unread.uid]
