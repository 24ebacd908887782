"""IAM checks: the service accounts AI workloads run as (basic roles, user-managed keys), who may call predict, and
whether deploy and export access expires."""

from __future__ import annotations

import re
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


# Predefined roles that carry aiplatform.endpoints.predict (Vertex AI online prediction).
PREDICT_ROLES = ("roles/owner", "roles/editor", "roles/aiplatform.admin", "roles/aiplatform.user")
# Principals that are not one identity or team: anyone, any Google account, a whole domain.
BROAD_MEMBERS = ("allUsers", "allAuthenticatedUsers")
# Predefined roles that can deploy models to endpoints or export models and datasets.
DEPLOY_EXPORT_ROLES = (*PREDICT_ROLES, "roles/ml.admin", "roles/ml.developer")
HUMAN_PREFIXES = ("user:", "group:", "domain:", "principal://", "principalSet://")
EXPIRY = re.compile(r"request\.time\s*<")


def _custom(role: Any) -> bool:
    """A custom role (projects/<p>/roles/<r>, organizations/<o>/roles/<r>): what it grants is not in the policy."""
    return isinstance(role, str) and role.startswith(("projects/", "organizations/"))


def _broad(member: str) -> bool:
    return member in BROAD_MEMBERS or member.startswith("domain:")


def _bindings(project: Resource) -> list[Any] | None:
    policy = get(project.config, "iamPolicy")
    return as_list(get(policy, "bindings")) if isinstance(policy, dict) else None


@check(
    id="gcp.iam.predict_not_public",
    resource_types="gcp.project",
    severity=Severity.HIGH,
    title="No public or domain-wide principal may call Vertex AI predict in the project",
    checklist=("ZT-1",),
    remediation="Grant prediction to the callers that need it (a service account or group) with "
    "roles/aiplatform.user, then remove the broad grant: `gcloud projects remove-iam-policy-binding <p> "
    "--member=domain:<domain> --role=roles/aiplatform.user` (likewise for allUsers or allAuthenticatedUsers).",
    reads=("iamPolicy.bindings",),
)
def predict_not_public(project: Resource, ctx: CheckContext) -> Verdict:
    """Vertex AI has no public v1 IAM policy on an endpoint: who may call predict on the project's endpoints is
    decided by the project IAM policy (and policies inherited from folders and the organization, which this scan
    does not read). FAIL when a binding of iamPolicy.bindings gives allUsers, allAuthenticatedUsers or a domain:
    member a role that carries aiplatform.endpoints.predict (roles/owner, roles/editor, roles/aiplatform.admin,
    roles/aiplatform.user) or a custom role (whose permissions the policy does not show); conditional bindings count.
    PASS otherwise, the evidence listing who may predict. No IAM policy collected: MANUAL."""
    bindings = _bindings(project)
    if bindings is None:
        return manual(f"{project.name}'s IAM policy was not collected; review who may call predict by hand.")
    callers: dict[str, list[str]] = {}
    broad: list[dict[str, Any]] = []
    for binding in bindings:
        role = get(binding, "role")
        if role not in PREDICT_ROLES and not _custom(role):
            continue
        for member in (str(m) for m in as_list(get(binding, "members"))):
            callers.setdefault(str(role), []).append(member)
            if _broad(member):
                grant = {"role": role, "member": member}
                if is_set(get(binding, "condition.title")):
                    grant["condition"] = get(binding, "condition.title")
                broad.append(grant)
    if broad:
        first = broad[0]
        return failed(
            f"{project.name} grants {first['role']} to {first['member']}, so anyone in that population may call "
            f"its Vertex AI endpoints ({len(broad)} broad grant(s)).",
            broadGrants=broad,
            predictCallers=callers,
        )
    return passed(
        f"{project.name} grants predict only to named principals ({sum(len(m) for m in callers.values())} grant(s)).",
        broadGrants=[],
        predictCallers=callers,
    )


@check(
    id="gcp.iam.deploy_export_grants_expire",
    resource_types="gcp.project",
    severity=Severity.MEDIUM,
    title="People hold Vertex AI deploy and export roles only through grants that expire",
    checklist=("ZT-3",),
    remediation="Replace each standing grant with a time-bound one: `gcloud projects add-iam-policy-binding <p> "
    "--member=group:<group> --role=roles/aiplatform.user --condition='expression=request.time < "
    'timestamp("<RFC 3339 end>"),title=jit-deploy-window\'`, then `gcloud projects remove-iam-policy-binding '
    "<p> --member=group:<group> --role=roles/aiplatform.user --condition=None`; issue the grants through a "
    "just-in-time access process (Privileged Access Manager). Basic roles cannot take conditions: move people "
    "off roles/owner and roles/editor.",
    reads=("iamPolicy.bindings",),
)
def deploy_export_grants_expire(project: Resource, ctx: CheckContext) -> Verdict:
    """ZT-3 asks that no one is trusted indefinitely for sensitive operations. FAIL when a person (user:, group:,
    domain:, or a workforce principal://, principalSet:// member) holds a role of iamPolicy.bindings that can deploy
    models to endpoints or export models and datasets (roles/owner, roles/editor, roles/aiplatform.admin,
    roles/aiplatform.user, roles/ml.admin, roles/ml.developer) without an expiry condition (condition.expression
    bounding request.time from above); PASS when every such grant expires (or there is none). Service accounts are
    workloads, not sessions, and are judged by CL-02. What this proves: standing deploy and export access is absent
    from the project policy; inherited folder and organization grants and step-up (re-authentication) are not in any
    API this scan reads. No IAM policy collected: MANUAL."""
    bindings = _bindings(project)
    if bindings is None:
        return manual(f"{project.name}'s IAM policy was not collected; review deploy and export grants by hand.")
    standing: list[dict[str, Any]] = []
    bounded: list[dict[str, Any]] = []
    for binding in bindings:
        role = get(binding, "role")
        if role not in DEPLOY_EXPORT_ROLES:
            continue
        expression = get(binding, "condition.expression")
        expires = isinstance(expression, str) and EXPIRY.search(expression) is not None
        for member in (str(m) for m in as_list(get(binding, "members"))):
            if not member.startswith(HUMAN_PREFIXES):
                continue
            grant: dict[str, Any] = {"role": role, "member": member}
            if expires:
                bounded.append({**grant, "condition": shown(expression)})
            else:
                standing.append(grant)
    if standing:
        first = standing[0]
        return failed(
            f"{project.name} gives {first['member']} {first['role']} with no expiry, one of {len(standing)} standing "
            "deploy or export grant(s) to people.",
            standingGrants=standing,
            timeBoundGrants=bounded,
        )
    return passed(
        f"{project.name} gives people deploy and export roles only through {len(bounded)} time-bound grant(s).",
        standingGrants=[],
        timeBoundGrants=bounded,
    )
