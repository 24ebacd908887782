"""Role assignment checks: no broad privileged roles over the scopes that hold AI resources."""

from __future__ import annotations

import re

from cspm_ai.doc import display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, errored, failed, passed
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
