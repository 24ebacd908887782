"""Azure Policy checks: policy assignments that evaluate the subscription's compliance, and the AI built-in
definitions that watch (and where they can, remediate) each AI resource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checks.azure._common import not_an_object
from cspm_ai.doc import ABSENT, as_list, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

ASSIGNMENT = "azure.policy.assignment"
SET_DEFINITION = "azure.policy.set_definition"
SUBSCRIPTION = "azure.subscription"
WORKSPACE = "azure.ml.workspace"
ACCOUNT = "azure.cognitive.account"
SEARCH = "azure.search.service"


@check(
    id="azure.policy.assignments_monitor_compliance",
    resource_types=SUBSCRIPTION,
    severity=Severity.MEDIUM,
    title="Azure Policy assignments evaluate the subscription with enforcement on",
    checklist=("CL-12",),
    remediation="Assign an initiative such as Microsoft cloud security benchmark and the Azure Machine Learning "
    "and Azure AI services built-ins: `az policy assignment create --name mcsb --scope "
    "/subscriptions/<id> --policy-set-definition 1f3afdf9-d0c9-4c3d-847f-89da613e70a8 "
    "--enforcement-mode Default`.",
    reads=("azure.policy.assignment.properties.enforcementMode",),
)
def assignments_monitor_compliance(subscription: Resource, ctx: CheckContext) -> Verdict:
    """PASS when at least one azure.policy.assignment in the subscription has properties.enforcementMode Default
    (absent = Default); none, or only DoNotEnforce or malformed ones, FAIL. A failed assignment list makes it
    ERROR."""
    assignments = ctx.resources(ASSIGNMENT, account=subscription.account)
    modes = {}
    for assignment in assignments:
        mode = get(assignment.config, "properties.enforcementMode")
        modes[assignment.name] = shown(mode)
        if not_an_object(assignment.config, "properties.enforcementMode") is not None:
            continue  # a mangled assignment proves nothing: "absent" must not read as Default here
        if mode is ABSENT or mode is None or mode == "Default":
            return passed(
                f"{subscription.name} has policy assignment {assignment.name} with enforcementMode "
                f"{'Default' if mode == 'Default' else '<absent> (means Default)'}.",
                enforcementMode={assignment.name: shown(mode)},
                assignments=len(assignments),
            )
    if not assignments:
        return failed(
            f"{subscription.name} has no Azure Policy assignments, so nothing evaluates its compliance.",
            enforcementMode={},
        )
    return failed(
        f"{subscription.name} has {len(assignments)} policy assignment(s), none with enforcementMode Default.",
        enforcementMode=modes,
    )


# Azure Policy's built-in definitions for AI resources (categories Machine Learning, Cognitive Services, Azure AI
# Services and Search; deprecated ones left out): definition name (a GUID, the same in every tenant) -> the resource
# type it watches (a Machine Learning definition on computes or deployments watches the workspace that holds them),
# the effect it applies when an assignment does not set one, and its display name.
AI_POLICIES: dict[str, tuple[str, str, str]] = {
    "12e5dd16-d201-47ff-849b-8454061c293d": (
        WORKSPACE,
        "Audit",
        "[Preview]: Azure Machine Learning Deployments should only use approved Registry Models",
    ),
    "5853517a-63de-11ea-bc55-0242ac130003": (
        WORKSPACE,
        "enforceSetting",
        "[Preview]: Configure allowed registries for specified Azure Machine Learning computes",
    ),
    "1d413020-63de-11ea-bc55-0242ac130003": (
        WORKSPACE,
        "enforceSetting",
        "[Preview]: Configure log filter expressions and datastore to be used for full logs for specified "
        "Azure Machine Learning computes",
    ),
    "53c70b02-63dd-11ea-bc55-0242ac130003": (
        WORKSPACE,
        "enforceSetting",
        "[Preview]: Configure allowed module authors for specified Azure Machine Learning computes",
    ),
    "77eeea86-7e81-4a7d-9067-de844d096752": (
        WORKSPACE,
        "enforceSetting",
        "[Preview]: Configure allowed Python packages for specified Azure Machine Learning computes",
    ),
    "6a6f7384-63de-11ea-bc55-0242ac130003": (
        WORKSPACE,
        "enforceSetting",
        "[Preview]: Configure code signing for training code for specified Azure Machine Learning computes",
    ),
    "3948394e-63de-11ea-bc55-0242ac130003": (
        WORKSPACE,
        "enforceSetting",
        "[Preview]: Configure an approval endpoint called prior to jobs running for specified "
        "Azure Machine Learning computes",
    ),
    "afe0c3be-ba3b-4544-ba52-0c99672a8ad6": (
        WORKSPACE,
        "AuditIfNotExists",
        "Resource logs in Azure Machine Learning Workspaces should be enabled",
    ),
    "f59276f0-5740-4aaf-821d-45d185aa210e": (
        WORKSPACE,
        "DeployIfNotExists",
        "Configure diagnostic settings for Azure Machine Learning Workspaces to Log Analytics workspace",
    ),
    "f110a506-2dcb-422e-bcea-d533fc8c35e2": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning compute instances should be recreated to get the latest software updates",
    ),
    "e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning Computes should have local authentication methods disabled",
    ),
    "a6f9a2d0-cff7-4855-83ad-4cd750666512": (
        WORKSPACE,
        "Modify",
        "Configure Azure Machine Learning Computes to disable local authentication methods",
    ),
    "679ddf89-ab8f-48a5-9029-e76054077449": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning Compute Instance should have idle shutdown.",
    ),
    "6ddb1705-c8cf-450e-aa4b-19ad6703c440": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning and Ai Studio should use Allow Only Approved Outbound Managed Vnet mode",
    ),
    "19539b54-c61e-4196-9a38-67598701be90": (
        WORKSPACE,
        "Deny",
        "[Preview]: Azure Machine Learning Model Registry Deployments are restricted except for the allowed Registry",
    ),
    "7804b5c7-01dc-4723-969b-ae300cc07ff1": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning Computes should be in a virtual network",
    ),
    "ba769a63-b8cc-4b2d-abf6-ac33c7204be8": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning workspaces should be encrypted with a customer-managed key",
    ),
    "7f40cee6-e933-4d0f-a782-b96615e0f4a6": (
        WORKSPACE,
        "AuditIfNotExists",
        "Azure Machine Learning workspaces should be encrypted with the use of a customer-managed key",
    ),
    "e413671a-dd10-4cc1-a943-45b598596cb7": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning workspaces should enable V1LegacyMode to support network isolation "
        "backward compatibility",
    ),
    "ee40564d-486e-4f68-a5ca-7a621edae0fb": (
        WORKSPACE,
        "DeployIfNotExists",
        "Configure Azure Machine Learning workspace to use private DNS zones",
    ),
    "45e05259-1eb5-4f70-9574-baf73e9d219b": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning workspaces should use private link",
    ),
    "7838fd83-5cbb-4b5d-888c-bfa240972597": (
        WORKSPACE,
        "DeployIfNotExists",
        "Configure Azure Machine Learning workspaces with private endpoints",
    ),
    "438c38d2-3772-465a-a9cc-7a6666a275ce": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning Workspaces should disable public network access",
    ),
    "a10ee784-7409-4941-b091-663697637c0f": (
        WORKSPACE,
        "Modify",
        "Configure Azure Machine Learning Workspaces to disable public network access",
    ),
    "5f0c7d88-c7de-45b8-ac49-db49e72eaa78": (
        WORKSPACE,
        "Audit",
        "Azure Machine Learning workspaces should use user-assigned managed identity",
    ),
    "c1ad46c6-37f8-4af0-9c71-c208375c87dd": (
        ACCOUNT,
        "Audit",
        "[Preview]: Cognitive Services Deployments Should Only Use Allowed Control Mode",
    ),
    "aafe3651-cb78-4f68-9f81-e7e41509110f": (
        ACCOUNT,
        "Audit",
        "Cognitive Services Deployments should only use approved Registry Models",
    ),
    "af253d37-136a-42f8-a1fc-30010c083d41": (
        ACCOUNT,
        "Audit",
        "[Preview]: Cognitive Services Deployments should only use allowed completion content filtering",
    ),
    "930f48f9-f07e-427c-9494-52603581c6a9": (
        ACCOUNT,
        "Audit",
        "[Preview]: Cognitive Services Deployments should only use allowed control",
    ),
    "f3a9c2e0-7b4d-4d8f-9c3a-2e1f6b9a8d4e": (
        ACCOUNT,
        "Audit",
        "[Preview]: Cognitive Services Deployments should only use allowed prompt content filtering",
    ),
    "67121cc7-ff39-4ab8-b7e3-95b84dab487d": (
        ACCOUNT,
        "Audit",
        "Azure AI Services resources should encrypt data at rest with a customer-managed key (CMK)",
    ),
    "14de9e63-1b31-492e-a5a3-c3f7fd57f555": (
        ACCOUNT,
        "Modify",
        "Configure Cognitive Services accounts to disable local authentication methods",
    ),
    "47ba1dd7-28d9-4b07-a8d5-9813bed64e0c": (
        ACCOUNT,
        "Modify",
        "Configure Cognitive Services accounts to disable public network access",
    ),
    "db630ad5-52e9-4f4d-9c44-53912fe40053": (
        ACCOUNT,
        "DeployIfNotExists",
        "Configure Cognitive Services accounts with private endpoints",
    ),
    "fe3fd216-4f83-4fc1-8984-2bbec80a3418": (
        ACCOUNT,
        "Audit",
        "Cognitive Services accounts should use a managed identity",
    ),
    "c4bc6f10-cb41-49eb-b000-d5ab82e2a091": (
        ACCOUNT,
        "DeployIfNotExists",
        "Configure Cognitive Services accounts to use private DNS zones",
    ),
    "46aa9b05-0e60-4eae-a88b-1e9d374fa515": (
        ACCOUNT,
        "Audit",
        "Cognitive Services accounts should use customer owned storage",
    ),
    "b4330a05-a843-4bc8-bf9a-cacce50c67f4": (
        SEARCH,
        "AuditIfNotExists",
        "Resource logs in Search services should be enabled",
    ),
    "76a56461-9dc0-40f0-82f5-2453283afa2f": (
        SEARCH,
        "AuditIfNotExists",
        "Azure AI Search services should use customer-managed keys to encrypt data at rest",
    ),
    "356da939-f20a-4bb9-86f8-5db445b0e354": (
        SEARCH,
        "Deny",
        "Configure Azure AI Search services to enforce customer-managed keys to encrypt data at rest",
    ),
    "6300012e-e9a4-4649-b41f-a85f5c43be91": (
        SEARCH,
        "Audit",
        "Azure AI Search services should have local authentication methods disabled",
    ),
    "4eb216f2-9dba-4979-86e6-5d7e63ce3b75": (
        SEARCH,
        "Modify",
        "Configure Azure AI Search services to disable local authentication",
    ),
    "fbc14a67-53e4-4932-abcc-2049c6706009": (
        SEARCH,
        "DeployIfNotExists",
        "Configure Azure AI Search services to use private DNS zones",
    ),
    "b698b005-b660-4837-b833-a7aaab26ddba": (
        SEARCH,
        "DeployIfNotExists",
        "Configure Azure AI Search services with private endpoints",
    ),
    "9cee519f-d9c1-4fd9-9f79-24ec3449ed30": (
        SEARCH,
        "Modify",
        "Configure Azure AI Search services to disable public network access",
    ),
    "a049bf77-880b-470f-ba6d-9f21c530cf83": (
        SEARCH,
        "Audit",
        "Azure AI Search service should use a SKU that supports private link",
    ),
    "ee980b6d-0eca-4501-8d54-f6290fd512c3": (
        SEARCH,
        "Audit",
        "Azure AI Search services should disable public network access",
    ),
    "1b4d1c4e-934c-4703-944c-27c82c06bebb": (
        ACCOUNT,
        "AuditIfNotExists",
        "Diagnostic logs in Azure AI services resources should be enabled",
    ),
    "71ef260a-8f18-47b7-abcb-62d0673d94dc": (
        ACCOUNT,
        "Audit",
        "Azure AI Services resources should have key access disabled (disable local authentication)",
    ),
    "55eff01b-f2bd-4c32-9203-db285f709d30": (
        ACCOUNT,
        "DeployIfNotExists",
        "Configure Azure AI Services resources to disable local key access (disable local authentication)",
    ),
    "d45520cb-31ca-44ba-8da2-fcf914608544": (
        ACCOUNT,
        "DeployIfNotExists",
        "Configure Azure AI Services resources to disable local key access (disable local authentication)",
    ),
    "d6759c02-b87f-42b7-892e-71b3f471d782": (
        ACCOUNT,
        "Audit",
        "Azure AI Services resources should use Azure Private Link",
    ),
    "037eea7a-bd0a-46c5-9a66-03aea78705d3": (
        ACCOUNT,
        "Audit",
        "Azure AI Services resources should restrict network access",
    ),
}
BUILT_IN_DEFINITION = "/providers/microsoft.authorization/policydefinitions/"
BUILT_IN_SET = "/providers/microsoft.authorization/policysetdefinitions/"
# Effects that change a non-compliant resource (given the assignment's managed identity): remediation, not only
# detection. Deny prevents the drift instead.
REMEDIATING = ("modify", "deployifnotexists")
_PARAMETER = ("[parameters('", "')]")


@dataclass(frozen=True)
class _Watch:
    """One AI built-in definition an assignment applies, and the effect it applies with."""

    assignment: str
    definition: str
    effect: str

    @property
    def remediates(self) -> bool:
        return self.effect.lower() in REMEDIATING


def _scope(assignment: Resource) -> str:
    scope = get(assignment.config, "properties.scope")
    if is_set(scope):
        return scope
    return assignment.uid.rsplit("/providers/Microsoft.Authorization/policyAssignments/", 1)[0] or "/"


def _under(uid: str, scope: str) -> bool:
    scope = scope.rstrip("/").lower()
    return scope == "" or uid.lower() == scope or uid.lower().startswith(scope + "/")


def _covers(assignment: Resource, uid: str) -> bool:
    """The assignment applies to the resource: its scope holds it (a management group's assignment, listed for
    this subscription, applies to all of it) and no notScope excludes it."""
    scope = _scope(assignment)
    held = scope.lower().startswith("/providers/microsoft.management/managementgroups/") or _under(uid, scope)
    excluded = any(
        isinstance(n, str) and _under(uid, n) for n in as_list(get(assignment.config, "properties.notScopes"))
    )
    return held and not excluded


def _value(raw: Any, assignment: Resource, parameters: Any) -> Any:
    """A member's parameter value: a literal, or "[parameters('x')]" resolved from the assignment's parameters,
    else the initiative's default."""
    if isinstance(raw, str) and raw.startswith(_PARAMETER[0]) and raw.endswith(_PARAMETER[1]):
        name = raw[len(_PARAMETER[0]) : -len(_PARAMETER[1])]
        given = get(assignment.config, f"properties.parameters.{name}.value")
        return given if given is not ABSENT else get(parameters, f"{name}.defaultValue")
    return raw


def _effect(guid: str, given: Any) -> str:
    return given if isinstance(given, str) and given else AI_POLICIES[guid][1]


def _watches(assignment: Resource, ctx: CheckContext, rtype: str) -> tuple[list[_Watch], bool]:
    """The AI built-in definitions of `rtype` the assignment applies (directly or in an initiative), each with its
    effect; and whether it assigns a custom definition or initiative, whose rules the check does not read."""
    definition = get(assignment.config, "properties.policyDefinitionId")
    if not isinstance(definition, str):
        return [], False
    lowered = definition.lower()
    if BUILT_IN_DEFINITION in lowered:
        guid = definition.rsplit("/", 1)[-1].lower()
        if lowered.startswith(BUILT_IN_DEFINITION) and guid in AI_POLICIES and AI_POLICIES[guid][0] == rtype:
            given = get(assignment.config, "properties.parameters.effect.value")
            return [_Watch(assignment.name, guid, _effect(guid, given))], False
        return [], not lowered.startswith(BUILT_IN_DEFINITION)
    found: list[_Watch] = []
    for initiative in ctx.related(assignment, "assigns_policy_set"):
        if initiative.type != SET_DEFINITION:
            continue
        parameters = get(initiative.config, "properties.parameters")
        for member in as_list(get(initiative.config, "properties.policyDefinitions")):
            member_id = get(member, "policyDefinitionId")
            guid = member_id.rsplit("/", 1)[-1].lower() if isinstance(member_id, str) else ""
            if guid in AI_POLICIES and AI_POLICIES[guid][0] == rtype:
                raw = get(member, "parameters.effect.value", get(member, "parameters.effects.value"))
                found.append(_Watch(assignment.name, guid, _effect(guid, _value(raw, assignment, parameters))))
    return found, not lowered.startswith(BUILT_IN_SET)


def _enforced(assignment: Resource) -> bool:
    mode = get(assignment.config, "properties.enforcementMode")
    return not_an_object(assignment.config, "properties.enforcementMode") is None and mode in (ABSENT, None, "Default")


@check(
    id="azure.policy.ai_resources_watched",
    resource_types=(WORKSPACE, ACCOUNT, SEARCH),
    severity=Severity.MEDIUM,
    title="AI resources are watched by enforced Azure Policy assignments of AI built-in definitions",
    checklist=("PH-3",),
    remediation="Assign the Azure AI built-ins at a scope that holds the resource, with remediation where they "
    "offer it: `az policy assignment create --name ai-guardrails --scope <subscription or resource group id> "
    "--policy a10ee784-7409-4941-b091-663697637c0f --mi-system-assigned --location <region>` (Machine Learning "
    "public network access, Modify; likewise 47ba1dd7-28d9-4b07-a8d5-9813bed64e0c for AI services and "
    "9cee519f-d9c1-4fd9-9f79-24ec3449ed30 for AI Search), or the Microsoft cloud security benchmark initiative "
    "without excluding the resource's group, then `az policy remediation create --name ai-fix "
    "--policy-assignment ai-guardrails`.",
    reads=(
        "azure.policy.assignment.properties.policyDefinitionId",
        "azure.policy.assignment.properties.scope",
        "azure.policy.assignment.properties.notScopes",
        "azure.policy.assignment.properties.enforcementMode",
        "azure.policy.assignment.properties.parameters",
        "assigns_policy_set.properties.policyDefinitions",
    ),
)
def ai_resources_watched(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when an assignment with enforcementMode Default (absent = Default) whose scope holds the resource
    (not excluded by notScopes) applies an Azure AI built-in definition for its type (Machine Learning for
    workspaces, Cognitive Services and Azure AI Services for AI services accounts, Search for search services),
    directly or through an initiative, with an effect other than Disabled; the message says whether one
    remediates (Modify or DeployIfNotExists). None FAILs; only custom definitions or initiatives (rules not read)
    are MANUAL. A failed assignment list or initiative read makes it ERROR. DoNotEnforce assignments do not count:
    they neither deny nor remediate."""
    covering = [a for a in ctx.resources(ASSIGNMENT, account=resource.account) if _covers(a, resource.uid)]
    watches: list[_Watch] = []
    custom: list[str] = []
    for assignment in covering:
        if not _enforced(assignment):
            continue
        found, is_custom = _watches(assignment, ctx, resource.type)
        watches.extend(w for w in found if w.effect.lower() != "disabled")
        if is_custom:
            custom.append(assignment.name)
    evidence: dict[str, Any] = {
        "covering_assignments": [a.name for a in covering],
        "ai_definitions": sorted({f"{w.assignment}: {AI_POLICIES[w.definition][2]} ({w.effect})" for w in watches}),
    }
    if watches:
        remediating = sorted({w.assignment for w in watches if w.remediates})
        how = f"; {', '.join(remediating)} also remediate(s)" if remediating else "; none remediates automatically"
        return passed(
            f"{resource.name} is watched by {len({w.definition for w in watches})} AI policy definition(s) through "
            f"{', '.join(sorted({w.assignment for w in watches}))}{how}.",
            **evidence,
        )
    if custom:
        return manual(
            f"{resource.name} is covered only by custom policy assignment(s) {', '.join(custom)}; attest that they "
            "watch its AI settings.",
            **evidence,
        )
    return failed(
        f"{resource.name} is covered by {len(covering)} policy assignment(s), none applying an enforced AI "
        "built-in definition for it, so drift in its settings goes undetected.",
        **evidence,
    )
