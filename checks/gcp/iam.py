"""IAM checks on the service accounts AI workloads run as: basic roles and user-managed keys."""

from __future__ import annotations

from typing import Any

from checks.gcp._common import project_of
from cspm_ai.doc import as_list, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

SERVICE_ACCOUNT = "gcp.iam.service_account"
BASIC_ROLES = ("roles/owner", "roles/editor")


@check(
    id="gcp.iam.no_basic_roles_for_ai_service_accounts",
    resource_types=SERVICE_ACCOUNT,
    severity=Severity.HIGH,
    title="AI service accounts hold no basic roles (Owner, Editor) on the project",
    checklist=("CL-02",),
    remediation="Grant the predefined roles the workload needs (e.g. roles/aiplatform.user, "
    "roles/storage.objectViewer on its buckets), then remove the basic role: `gcloud projects "
    "remove-iam-policy-binding <project> --member=serviceAccount:<email> --role=roles/editor` "
    "(and roles/owner).",
    reads=("email", "gcp.project:iamPolicy.bindings"),
)
def no_basic_roles_for_ai_service_accounts(sa: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the project's iamPolicy.bindings grant roles/owner or roles/editor to "serviceAccount:<email>"
    (conditional bindings count, their condition is shown); PASS otherwise. No project or no iamPolicy in the
    inventory = MANUAL (the grants cannot be seen)."""
    email = get(sa.config, "email")
    project = project_of(sa, ctx)
    if project is None or not isinstance(get(project.config, "iamPolicy"), dict):
        return manual(
            f"{sa.name}'s project IAM policy was not collected; review its roles by hand.", email=shown(email)
        )
    member = f"serviceAccount:{email}".lower()
    grants: list[dict[str, Any]] = []
    for binding in as_list(get(project.config, "iamPolicy.bindings")):
        role = get(binding, "role")
        if role in BASIC_ROLES and member in (str(m).lower() for m in as_list(get(binding, "members"))):
            grant = {"role": role}
            title = get(binding, "condition.title")
            if is_set(title):
                grant["condition"] = title
            grants.append(grant)
    if grants:
        return failed(
            f"{sa.name} holds {', '.join(g['role'] for g in grants)} on project {project.account}, "
            "far beyond what an AI workload needs.",
            email=shown(email),
            basicRoles=grants,
        )
    return passed(f"{sa.name} holds no basic role on project {project.account}.", email=shown(email), basicRoles=[])


@check(
    id="gcp.iam.no_user_managed_keys",
    resource_types=SERVICE_ACCOUNT,
    severity=Severity.HIGH,
    title="AI service accounts have no user-managed keys",
    checklist=("CL-08",),
    remediation="Move callers to attached service accounts or Workload Identity Federation, then delete each key: "
    "`gcloud iam service-accounts keys list --iam-account=<email> --managed-by=user` and `gcloud iam "
    "service-accounts keys delete <key id> --iam-account=<email>`; block new ones with the org policy "
    "constraints/iam.disableServiceAccountKeyCreation.",
    reads=("keys",),
)
def no_user_managed_keys(sa: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when `keys` (the collector's list of USER_MANAGED keys) has any entry, disabled ones included (an entry
    marked keyType SYSTEM_MANAGED is ignored); absent or empty = no user-managed keys: PASS."""
    keys = [k for k in as_list(get(sa.config, "keys")) if get(k, "keyType") != "SYSTEM_MANAGED"]
    summary = [
        {
            "key": str(get(k, "name", "")).rsplit("/", 1)[-1],
            "validAfterTime": shown(get(k, "validAfterTime")),
            **({"disabled": True} if get(k, "disabled") is True else {}),
        }
        for k in keys
    ]
    if summary:
        return failed(
            f"{sa.name} has {len(summary)} user-managed key(s) ({', '.join(s['key'] for s in summary)}), "
            "long-lived credentials that can leak.",
            keys=summary,
        )
    return passed(f"{sa.name} has no user-managed keys.", keys=[])
