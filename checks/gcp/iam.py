"""IAM checks: the service accounts AI workloads run as (basic roles, user-managed keys), who may call predict, and
whether deploy and export access expires."""

from __future__ import annotations

import re
from typing import Any

from checks._attack_paths import identity_team, judge_exposed, judge_identity, unless_unread
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


def _levels(project: Resource, own: list[Any]) -> list[tuple[str | None, list[Any]]]:
    """The project's own bindings (None: written on the project), then those it inherits from each folder above it
    and its organization, nearest first (ancestorIamPolicies), by where they are written."""
    return [(None, own)] + [
        (str(get(a, "resource", "")), as_list(get(a, "iamPolicy.bindings")))
        for a in as_list(get(project.config, "ancestorIamPolicies"))
    ]


@check(
    id="gcp.iam.predict_not_public",
    resource_types="gcp.project",
    severity=Severity.HIGH,
    title="No public or domain-wide principal may call Vertex AI predict in the project",
    checklist=("ZT-1",),
    remediation="Grant prediction to the callers that need it (a service account or group) with "
    "roles/aiplatform.user, then remove the broad grant: `gcloud projects remove-iam-policy-binding <p> "
    "--member=domain:<domain> --role=roles/aiplatform.user` (likewise for allUsers or allAuthenticatedUsers).",
    reads=("iamPolicy.bindings", "ancestorIamPolicies"),
)
def predict_not_public(project: Resource, ctx: CheckContext) -> Verdict:
    """Vertex AI has no public v1 IAM policy on an endpoint: who may call predict on the project's endpoints is
    decided by the project IAM policy and the policies it inherits from its folders and organization
    (ancestorIamPolicies). FAIL when a binding of any of them gives allUsers, allAuthenticatedUsers or a domain:
    member a role that carries aiplatform.endpoints.predict (roles/owner, roles/editor, roles/aiplatform.admin,
    roles/aiplatform.user) or a custom role (whose permissions the policy does not show); conditional bindings count.
    PASS otherwise, the evidence listing who may predict. No IAM policy collected: MANUAL."""
    bindings = _bindings(project)
    if bindings is None:
        return manual(f"{project.name}'s IAM policy was not collected; review who may call predict by hand.")
    callers: dict[str, list[str]] = {}
    broad: list[dict[str, Any]] = []
    for inherited_from, level in _levels(project, bindings):
        for binding in level:
            role = get(binding, "role")
            if role not in PREDICT_ROLES and not _custom(role):
                continue
            for member in (str(m) for m in as_list(get(binding, "members"))):
                callers.setdefault(str(role), []).append(member)
                if _broad(member):
                    grant = {"role": role, "member": member}
                    if inherited_from:
                        grant["inheritedFrom"] = inherited_from
                    if is_set(get(binding, "condition.title")):
                        grant["condition"] = get(binding, "condition.title")
                    broad.append(grant)
    if broad:
        first = broad[0]
        source = f" (inherited from {first['inheritedFrom']})" if "inheritedFrom" in first else ""
        return failed(
            f"{project.name} grants {first['role']} to {first['member']}{source}, so anyone in that population may "
            f"call its Vertex AI endpoints ({len(broad)} broad grant(s)).",
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
    reads=("iamPolicy.bindings", "ancestorIamPolicies"),
)
def deploy_export_grants_expire(project: Resource, ctx: CheckContext) -> Verdict:
    """ZT-3 asks that no one is trusted indefinitely for sensitive operations. FAIL when a person (user:, group:,
    domain:, or a workforce principal://, principalSet:// member) holds a role of iamPolicy.bindings that can deploy
    models to endpoints or export models and datasets (roles/owner, roles/editor, roles/aiplatform.admin,
    roles/aiplatform.user, roles/ml.admin, roles/ml.developer) without an expiry condition (condition.expression
    bounding request.time from above), in the project policy or one it inherits from its folders and organization
    (ancestorIamPolicies); PASS when every such grant expires (or there is none). Service accounts are workloads, not
    sessions, and are judged by CL-02. What this proves: standing deploy and export access is absent from the
    policies that govern the project; step-up (re-authentication) is not in any API this scan reads. No IAM policy
    collected: MANUAL."""
    bindings = _bindings(project)
    if bindings is None:
        return manual(f"{project.name}'s IAM policy was not collected; review deploy and export grants by hand.")
    standing: list[dict[str, Any]] = []
    bounded: list[dict[str, Any]] = []
    for inherited_from, level in _levels(project, bindings):
        for binding in level:
            role = get(binding, "role")
            if role not in DEPLOY_EXPORT_ROLES:
                continue
            expression = get(binding, "condition.expression")
            expires = isinstance(expression, str) and EXPIRY.search(expression) is not None
            for member in (str(m) for m in as_list(get(binding, "members"))):
                if not member.startswith(HUMAN_PREFIXES):
                    continue
                grant: dict[str, Any] = {"role": role, "member": member}
                if inherited_from:
                    grant["inheritedFrom"] = inherited_from
                if expires:
                    bounded.append({**grant, "condition": shown(expression)})
                else:
                    standing.append(grant)
    if standing:
        first = standing[0]
        source = f" (inherited from {first['inheritedFrom']})" if "inheritedFrom" in first else ""
        return failed(
            f"{project.name} gives {first['member']} {first['role']}{source} with no expiry, one of {len(standing)} "
            "standing deploy or export grant(s) to people.",
            standingGrants=standing,
            timeBoundGrants=bounded,
        )
    return passed(
        f"{project.name} gives people deploy and export roles only through {len(bounded)} time-bound grant(s).",
        standingGrants=[],
        timeBoundGrants=bounded,
    )


# -- ZT-4: blast radius and attack paths ----------------------------------------------------------------------

EXPOSED_TYPES = ("gcp.vertex.endpoint", "gcp.notebooks.instance")


def _project_labels(resource: Resource, ctx: CheckContext) -> dict[str, str]:
    """The labels of the resource's project (a team label there is the fallback team of its service accounts)."""
    project = project_of(resource, ctx)
    if project is not None:
        ctx.get(project.uid)  # raises Unseen when the project's IAM policy could not be read
    labels = get(project.config, "labels") if project is not None else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


@check(
    id="gcp.iam.ai_identity_blast_radius",
    resource_types=SERVICE_ACCOUNT,
    severity=Severity.HIGH,
    title="A compromised AI service account cannot change production endpoints, reach other teams' data or raise "
    "its own permissions",
    checklist=("ZT-4",),
    remediation="Grant the service account predefined roles on its own resources only (`gcloud storage buckets "
    "add-iam-policy-binding gs://<its bucket> --member=serviceAccount:<email> --role=roles/storage.objectViewer`), "
    "then remove project-wide grants that reach endpoints, other teams' data or other service accounts: `gcloud "
    "projects remove-iam-policy-binding <project> --member=serviceAccount:<email> --role=roles/editor` (likewise "
    "roles/aiplatform.user, roles/iam.serviceAccountUser, roles/iam.serviceAccountTokenCreator); "
    "`cspm-ai paths --from <email>` lists every path.",
    reads=(
        "email",
        "iamPolicy.bindings",
        "gcp.project:iamPolicy.bindings",
        "gcp.project:ancestorIamPolicies",
        "<gcp.storage.bucket>.iamPolicy.bindings",
        "<gcp.bigquery.dataset>.access",
        "labels",
    ),
)
def ai_identity_blast_radius(sa: Resource, ctx: CheckContext) -> Verdict:
    """Evaluates the project IAM policies with those inherited from folders and the organization (conditional
    bindings count, named as conditional), bucket IAM policies, BigQuery dataset access lists and who can impersonate
    whom (token creation, key creation, setIamPolicy on service accounts, granted on a project or on the account
    itself, and actAs with a permission that creates a workload) (`cspm_ai.attack_paths.gcp`). FAIL when a path,
    through every service account it can become, leads to a Vertex AI endpoint not labelled as non-production that
    it can deploy to or change, to a bucket,
    dataset or key labelled with another team (team or owner label; with no team of its own, of its workloads or of
    its project, to those of two teams), or to setIamPolicy on a project; the evidence names each binding and the
    level it was made at. MANUAL when a custom role (whose permissions are not read) is on the way of a clean
    result; a project IAM policy (or one it inherits) that could not be read makes it ERROR, and so does, short of a
    FAIL, a bucket or service account IAM policy that could not be read."""
    labels = _project_labels(sa, ctx)  # a project whose IAM policy could not be read makes this ERROR
    graph = ctx.attack_paths
    return unless_unread(ctx, judge_identity(graph, sa.uid, sa.name, identity_team(graph, sa.uid, labels)))


def _public(resource: Resource) -> dict[str, str] | None:
    """The settings that make a Vertex AI endpoint or Workbench instance reachable from the internet (proto3 JSON
    omits false and empty values: absence is the public default)."""
    if resource.type == "gcp.notebooks.instance":
        return (
            None if get(resource.config, "gceSetup.disablePublicIp") is True else {"gceSetup.disablePublicIp": "false"}
        )
    if get(resource.config, "privateServiceConnectConfig.enablePrivateServiceConnect") is True:
        return None
    if is_set(get(resource.config, "network")):
        return None
    return {"network": "absent", "privateServiceConnectConfig": "absent"}


@check(
    id="gcp.iam.exposed_ai_identity_sensitive_data",
    resource_types=EXPOSED_TYPES,
    severity=Severity.CRITICAL,
    title="No internet-reachable Vertex AI endpoint or Workbench instance runs as a service account that reaches "
    "sensitive data",
    checklist=("ZT-4",),
    remediation="Serve the endpoint through Private Service Connect or a peered network and create Workbench "
    "instances with `--no-public-ip` (`gcloud workbench instances create ... --disable-public-ip`), or run them as a "
    "service account without access to data labelled sensitive (`gcloud projects remove-iam-policy-binding <project> "
    "--member=serviceAccount:<email> --role=roles/editor`); `cspm-ai paths --from <resource name>` lists the paths.",
    reads=(
        "network",
        "privateServiceConnectConfig",
        "gceSetup.disablePublicIp",
        "uses_service_account",
        "gcp.project:iamPolicy.bindings",
        "gcp.project:ancestorIamPolicies",
        "<gcp.storage.bucket>.iamPolicy.bindings",
        "<gcp.storage.bucket>.labels",
    ),
)
def exposed_ai_identity_sensitive_data(resource: Resource, ctx: CheckContext) -> Verdict:
    """Internet-reachable: a Vertex AI endpoint with neither Private Service Connect nor a peered network (its
    public endpoint), a Workbench instance without gceSetup.disablePublicIp (absent = false: it has an external IP).
    Sensitive: a bucket or dataset whose classification label names anything but public data. FAIL when the service
    account such a resource runs as can read or write sensitive data, directly or through service accounts it can
    impersonate; the path is the evidence. PASS when it is not reachable or reaches nothing sensitive; MANUAL when a
    custom role is on the way; a project IAM policy (or one it inherits) that could not be read makes it ERROR, and
    so does, short of a FAIL, a bucket or service account IAM policy that could not be read."""
    _project_labels(resource, ctx)
    ctx.related(resource, "uses_service_account")
    return unless_unread(ctx, judge_exposed(ctx.attack_paths, resource, _public(resource)))
