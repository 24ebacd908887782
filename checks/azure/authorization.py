"""Role assignment checks: no broad privileged roles over the scopes that hold AI resources, and no standing grant of
the roles that deploy models or export AI credentials."""

from __future__ import annotations

import re
from typing import Any

from checks._attack_paths import judge_exposed, judge_workload
from cspm_ai.doc import ABSENT, as_list, display, get, is_set, shown
from cspm_ai.engine import Unseen
from cspm_ai.model import Resource, Severity, Verdict, errored, failed, manual, passed
from cspm_ai.registry import CheckContext, check

ASSIGNMENT = "azure.authorization.role_assignment"
DEFINITION = "azure.authorization.role_definition"
# Built-in role definition names (GUIDs, the same in every tenant) that can change or grant anything in scope.
PRIVILEGED = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
PRIVILEGED_NAMES = {name.lower(): name for name in PRIVILEGED.values()}
# A subscription, a resource group, a management group or the tenant root: more than one AI resource.
_BROAD_SCOPE = re.compile(
    r"^(/|/subscriptions/[^/]+(/resourcegroups/[^/]+)?|/providers/microsoft\.management/managementgroups/[^/]+)/?$",
    re.IGNORECASE,
)
_ASSIGNMENT_SUFFIX = re.compile(r"/providers/Microsoft\.Authorization/roleAssignments/[^/]+$", re.IGNORECASE)


def _role_name(assignment: Resource, ctx: CheckContext) -> tuple[str | None, dict[str, object]]:
    """The privileged built-in role an assignment grants, if any: by the collected definition's roleName,
    else by the well-known GUID at the end of properties.roleDefinitionId."""
    definition_id = get(assignment.config, "properties.roleDefinitionId")
    evidence: dict[str, object] = {"properties.roleDefinitionId": shown(definition_id)}
    for definition in ctx.related(assignment, "assigns_role"):
        if definition.type != DEFINITION:
            continue
        name = get(definition.config, "properties.roleName")
        evidence["assigns_role.properties.roleName"] = shown(name)
        if isinstance(name, str) and name.lower() in PRIVILEGED_NAMES:
            return PRIVILEGED_NAMES[name.lower()], evidence
    if is_set(definition_id):
        guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
        if guid in PRIVILEGED:
            return PRIVILEGED[guid], evidence
    return None, evidence


@check(
    id="azure.authorization.no_broad_privileged_roles",
    resource_types=ASSIGNMENT,
    severity=Severity.HIGH,
    title="No Owner, Contributor or User Access Administrator assignments at subscription or resource group scope",
    checklist=("CL-02",),
    remediation="Replace the assignment with a narrower one: `az role assignment create --assignee <principal> "
    '--role "AzureML Data Scientist" --scope <workspace ARM id>` (or another task role on the single '
    "AI resource), then `az role assignment delete --ids <assignment ARM id>`; use Privileged Identity "
    "Management for the rare standing Owner need.",
    reads=("properties.roleDefinitionId", "properties.scope", "assigns_role"),
)
def no_broad_privileged_roles(assignment: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the assigned role is Owner, Contributor or User Access Administrator (by the related definition's
    roleName or the built-in GUID) and properties.scope is a subscription, resource group, management group or
    the root (absent scope = the scope in the assignment's own id); PASS otherwise."""
    role, evidence = _role_name(assignment, ctx)
    scope = get(assignment.config, "properties.scope")
    if not is_set(scope):
        scope = _ASSIGNMENT_SUFFIX.sub("", assignment.uid) or "/"
    evidence["properties.scope"] = scope
    principal = get(assignment.config, "properties.principalId")
    kind = get(assignment.config, "properties.principalType")
    evidence.update({"properties.principalId": shown(principal), "properties.principalType": shown(kind)})
    if role is None and not is_set(get(assignment.config, "properties.roleDefinitionId")):
        # roleDefinitionId is required: without it nothing says which role is granted.
        return errored(
            f"{assignment.name} has properties.roleDefinitionId "
            f"{display(get(assignment.config, 'properties.roleDefinitionId'))}, so the role it grants "
            "cannot be judged.",
            **evidence,
        )
    if role is None:
        return passed(f"{assignment.name} grants no Owner, Contributor or User Access Administrator role.", **evidence)
    if _BROAD_SCOPE.match(scope):
        return failed(
            f"{assignment.name} grants {role} to {display(kind)} {display(principal)} at scope {scope}, "
            "broader than a single AI resource.",
            **evidence,
        )
    return passed(f"{assignment.name} grants {role} only on the single resource {scope}.", **evidence)


INSTANCE = "azure.authorization.role_assignment_schedule_instance"
# The AI resources a deploy or export grant matters on.
AI_TYPES = ("azure.ml.workspace", "azure.ml.registry", "azure.cognitive.account", "azure.search.service")
# Control-plane actions that deploy a model or hand out the credentials to export models and data.
DEPLOY_ACTIONS = (
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
    "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments/write",
    "Microsoft.CognitiveServices/accounts/deployments/write",
)
EXPORT_ACTIONS = (
    "Microsoft.MachineLearningServices/workspaces/listKeys/action",
    "Microsoft.MachineLearningServices/workspaces/datastores/listSecrets/action",
    "Microsoft.MachineLearningServices/workspaces/connections/listsecrets/action",
    "Microsoft.CognitiveServices/accounts/listKeys/action",
    "Microsoft.Search/searchServices/listAdminKeys/action",
)
# Built-in roles known to grant deploy and export, for an assignment whose definition was not collected.
DEPLOYING_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
}


def _matches(pattern: Any, action: str) -> bool:
    """An RBAC action pattern ("*" matches any run of characters, "/" included) against an action, ignoring case."""
    if not isinstance(pattern, str) or not pattern:
        return False
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def _granted(definition: Resource) -> list[str]:
    """The deploy and export actions a role definition grants: allowed by a permission's actions and not removed
    by that permission's notActions."""
    found = []
    for permission in as_list(get(definition.config, "properties.permissions")):
        actions, not_actions = as_list(get(permission, "actions")), as_list(get(permission, "notActions"))
        for action in (*DEPLOY_ACTIONS, *EXPORT_ACTIONS):
            if any(_matches(a, action) for a in actions) and not any(_matches(n, action) for n in not_actions):
                found.append(action)
    return list(dict.fromkeys(found))


def _ai_under(scope: str, account: str, ctx: CheckContext) -> list[Resource]:
    """The AI resources an assignment at `scope` reaches: those under it; a management group's or the root's, all
    of the subscription's (its assignments are listed because they apply here). A kind that could not be listed
    matters only when no listed AI resource is reached: then it raises Unseen (ERROR), never "no AI here"."""
    lowered = scope.rstrip("/").lower()
    everything = lowered in ("", "/") or lowered.startswith("/providers/microsoft.management/managementgroups/")
    reached: list[Resource] = []
    blind: Unseen | None = None
    for rtype in AI_TYPES:
        try:
            listed = ctx.resources(rtype, account=account)
        except Unseen as err:
            blind = blind or err
            continue
        reached += [
            r for r in listed if everything or r.uid.lower() == lowered or r.uid.lower().startswith(lowered + "/")
        ]
    if blind is not None and not reached:
        raise blind
    return reached


def _expiring(assignment: Resource, ctx: CheckContext) -> list[Resource]:
    """The assignment's schedule instances that end (Privileged Identity Management activations or time-bound
    assignments)."""
    ctx.resources(INSTANCE, account=assignment.account)  # a blind schedule list makes it ERROR, never a FAIL
    return [i for i in ctx.referrers(assignment, "schedules") if is_set(get(i.config, "properties.endDateTime"))]


def _deploy_export(assignment: Resource, ctx: CheckContext) -> tuple[list[str] | None, dict[str, Any]]:
    """What deploy or export actions the assigned role grants (None: its definition was not read and it is not a
    well-known deploying role)."""
    definition_id = get(assignment.config, "properties.roleDefinitionId")
    evidence: dict[str, Any] = {"properties.roleDefinitionId": shown(definition_id)}
    definitions = [d for d in ctx.related(assignment, "assigns_role") if d.type == DEFINITION]
    if definitions:
        evidence["assigns_role.properties.roleName"] = shown(get(definitions[0].config, "properties.roleName"))
        return _granted(definitions[0]), evidence
    guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower() if is_set(definition_id) else ""
    if guid in DEPLOYING_ROLES:
        evidence["assigns_role.properties.roleName"] = DEPLOYING_ROLES[guid]
        return ["*"], evidence
    return None, evidence


@check(
    id="azure.authorization.deploy_export_roles_time_bound",
    resource_types=ASSIGNMENT,
    severity=Severity.HIGH,
    title="Roles that deploy models or export AI credentials are activated for a limited time, not standing",
    checklist=("ZT-3",),
    remediation="Make the role eligible instead of active through Privileged Identity Management, with MFA and an "
    "approval or justification on activation and a short maximum duration: `az rest --method put --url "
    "<scope>/providers/Microsoft.Authorization/roleEligibilityScheduleRequests/<guid>?api-version=2020-10-01 "
    '--body \'{"properties":{"principalId":"<id>","roleDefinitionId":"<role id>","requestType":"AdminAssign",'
    '"scheduleInfo":{"expiration":{"type":"AfterDuration","duration":"P365D"}}}}\'`, then remove the standing '
    "assignment: `az role assignment delete --ids <assignment ARM id>`.",
    reads=(
        "properties.roleDefinitionId",
        "properties.scope",
        "assigns_role.properties.permissions",
        "schedules<-properties.endDateTime",
        "schedules<-properties.assignmentType",
    ),
)
def deploy_export_roles_time_bound(assignment: Resource, ctx: CheckContext) -> Verdict:
    """For an assignment whose role grants a deploy action (Machine Learning online or batch deployments, AI
    services deployments) or an export action (listKeys of workspaces, AI services and search, datastore and
    connection secrets), by its definition's actions less notActions (Owner and Contributor by GUID when the
    definition was not read), over a scope that holds an AI resource: PASS when a Privileged Identity Management
    schedule instance of it has an endDateTime (an activation or time-bound assignment); FAIL when none does
    (standing: trusted until someone removes it). A condition narrows what a standing assignment grants but does not
    make it expire, so it does not pass. Roles granting neither, or scopes without AI resources, PASS; a definition
    not read that is not a well-known role is MANUAL; a failed schedule list is ERROR."""
    granted, evidence = _deploy_export(assignment, ctx)
    scope = get(assignment.config, "properties.scope")
    scope = scope if is_set(scope) else assignment.uid.split("/providers/Microsoft.Authorization/")[0]
    evidence["properties.scope"] = scope
    if granted is None:
        return manual(
            f"{assignment.name} assigns role {display(evidence['properties.roleDefinitionId'])}, whose definition "
            "was not read; attest whether it deploys or exports and how long it lasts.",
            **evidence,
        )
    evidence["deploy_export_actions"] = granted
    if not granted:
        return passed(f"{assignment.name} grants no deploy or export action on AI resources.", **evidence)
    reached = _ai_under(scope, assignment.account, ctx)
    evidence["ai_resources"] = len(reached)
    if not reached:
        return passed(
            f"{assignment.name} grants deploy or export only at {scope}, which holds no AI resource.", **evidence
        )
    expiring = _expiring(assignment, ctx)
    evidence["schedules<-"] = [
        {
            "assignmentType": shown(get(i.config, "properties.assignmentType")),
            "endDateTime": get(i.config, "properties.endDateTime"),
        }
        for i in expiring
    ]
    if expiring:
        ends = min(str(get(i.config, "properties.endDateTime")) for i in expiring)
        kind = get(expiring[0].config, "properties.assignmentType")
        return passed(
            f"{assignment.name} grants deploy or export on AI resources only until {ends} ({display(kind)}).",
            **evidence,
        )
    condition = (
        " (its condition narrows it but does not make it expire)"
        if is_set(get(assignment.config, "properties.condition"))
        else ""
    )
    more = f" and {len(granted) - 1} more deploy or export action(s)" if len(granted) > 1 else ""
    return failed(
        f"{assignment.name} grants {granted[0]}{more} at {scope}, which holds AI resources, to "
        f"{display(get(assignment.config, 'properties.principalType'))} "
        f"{display(get(assignment.config, 'properties.principalId'))} as a standing assignment with no end{condition}.",
        **evidence,
    )


# -- ZT-4: blast radius and attack paths ----------------------------------------------------------------------

SUBSCRIPTION = "azure.subscription"
# The AI resources that run as a managed identity.
IDENTITY_TYPES = (
    "azure.ml.workspace",
    "azure.ml.compute",
    "azure.ml.online_endpoint",
    "azure.ml.batch_endpoint",
    "azure.cognitive.account",
)
EXPOSED_TYPES = ("azure.ml.online_endpoint", "azure.ml.compute", "azure.cognitive.account")


def _subscription_tags(resource: Resource, ctx: CheckContext) -> dict[str, str]:
    """The tags of the resource's subscription (a team tag there is the fallback team of its identities)."""
    found = [s for s in ctx.resources(SUBSCRIPTION) if s.account == resource.account]
    return dict(found[0].tags) if found else {}


@check(
    id="azure.authorization.ai_identity_blast_radius",
    resource_types=IDENTITY_TYPES,
    severity=Severity.HIGH,
    title="A compromised AI managed identity cannot change production endpoints, reach other teams' data or raise "
    "its own permissions",
    checklist=("ZT-4",),
    remediation="Give the resource its own user-assigned identity (`az identity create`) with task roles on its own "
    'resources only: `az role assignment create --assignee <principal id> --role "Storage Blob Data Reader" '
    "--scope <its storage account id>`; remove Owner, Contributor and User Access Administrator and any assignment "
    "over other teams' resource groups (`az role assignment delete --ids <assignment id>`); "
    "`cspm-ai paths --from <resource id>` lists every path.",
    reads=(
        "identity",
        "<azure.authorization.role_assignment>",
        "assigns_role.properties.permissions",
        "<azure.keyvault.vault>.properties.accessPolicies",
        "tags",
    ),
)
def ai_identity_blast_radius(resource: Resource, ctx: CheckContext) -> Verdict:
    """Evaluates the role assignments of the resource's managed identities (system- and user-assigned) at every scope,
    with their definitions' actions and dataActions less notActions, Key Vault access policies, and what the
    identity can become (assigning user-assigned identities, submitting jobs to workspaces whose clusters run as
    other identities) (`cspm_ai.attack_paths.azure`). FAIL when a path leads to an online or batch endpoint or AI
    services account not tagged as non-production that it can write, to a storage account or key tagged with another
    team (team or owner tag; with no team of its own or of its subscription, to those of two teams), or to
    roleAssignments/write; the evidence names each assignment. A resource with no identity PASSes; a role definition
    that was not read makes a clean result MANUAL; a failed role assignment list is ERROR."""
    ctx.resources(ASSIGNMENT, account=resource.account)  # a blind assignment list makes this ERROR
    return judge_workload(ctx.attack_paths, resource, _subscription_tags(resource, ctx))


def _public(resource: Resource) -> dict[str, str] | None:
    """The settings that make an endpoint, compute or AI services account reachable from the internet."""
    if resource.type == "azure.ml.compute":
        path = "properties.properties.enableNodePublicIp"
        value = get(resource.config, path)
        if value is False:
            return None
        return {path: "true (absent: the default)" if value is ABSENT else str(value).lower()}
    access = get(resource.config, "properties.publicNetworkAccess")
    value = "Enabled" if access is ABSENT or access is None else str(access)
    if value.lower() != "enabled":
        return None
    if resource.type == "azure.cognitive.account":
        default = get(resource.config, "properties.networkAcls.defaultAction")
        if isinstance(default, str) and default.lower() == "deny":
            return None
    return {"properties.publicNetworkAccess": value}


@check(
    id="azure.authorization.exposed_ai_identity_sensitive_data",
    resource_types=EXPOSED_TYPES,
    severity=Severity.CRITICAL,
    title="No internet-reachable endpoint, compute or AI services account runs as an identity that reaches sensitive "
    "data",
    checklist=("ZT-4",),
    remediation="Close public access (`az ml online-endpoint update --name <e> --set public_network_access=disabled`, "
    "recreate computes with `--enable-node-public-ip false` in a subnet, `az cognitiveservices account update "
    "--custom-domain ... --public-network-access Disabled`), or remove the identity's data roles on storage "
    "classified as sensitive (`az role assignment delete --ids <assignment id>`); `cspm-ai paths --from <resource id>` "
    "lists the paths.",
    reads=(
        "properties.publicNetworkAccess",
        "properties.properties.enableNodePublicIp",
        "properties.networkAcls.defaultAction",
        "identity",
        "<azure.authorization.role_assignment>",
        "<azure.storage.account>.tags",
    ),
)
def exposed_ai_identity_sensitive_data(resource: Resource, ctx: CheckContext) -> Verdict:
    """Internet-reachable: an online endpoint with properties.publicNetworkAccess Enabled (absent = Enabled), a compute
    with properties.properties.enableNodePublicIp true (absent = true), an AI services account with public network
    access and a network ACL that does not deny by default. Sensitive: a storage account whose classification tag
    names anything but public data. FAIL when such a resource's identity can read or write sensitive storage (blob
    data roles, or listKeys with shared key access on), directly or through identities it can become; the path is the
    evidence. PASS when it is not reachable or reaches nothing sensitive; MANUAL when a role definition was not read;
    ERROR when the role assignments could not be listed."""
    ctx.resources(ASSIGNMENT, account=resource.account)
    return judge_exposed(ctx.attack_paths, resource, _public(resource))
