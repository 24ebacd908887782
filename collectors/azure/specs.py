"""What the Azure collector reads: one declaration per resource kind, and one table of relations.

Paths are ARM paths with "{subscription}" or, for kinds listed under another,
"{parent}" (the parent's ARM id), or "{group}" for a kind listed in each resource
group that holds a resource of its `groups_of` types. A kind fetched only because
another resource names it declares its ARM id template instead. API versions are
pinned to ones that return every field the checks read (see docs/architecture.md).

A relation's value may start with "{parent}/": it names a sibling under the source's
parent (a deployment's RAI policy by name under its account), which the engine
resolves against the source's ARM id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from collectors.kernel import Link, link

ML = "/providers/Microsoft.MachineLearningServices"
ML_API = "2025-06-01"
DIAGNOSTICS_PATH = "{id}/providers/Microsoft.Insights/diagnosticSettings"
DIAGNOSTICS_API = "2021-05-01-preview"
SUBSCRIPTIONS_PATH = "/subscriptions"
SUBSCRIPTIONS_API = "2022-12-01"
# Every management group and subscription under a management group, at any depth (`--management-group`).
DESCENDANTS_PATH = "/providers/Microsoft.Management/managementGroups/{group}/descendants"
DESCENDANTS_API = "2020-05-01"
COGNITIVE = "/providers/Microsoft.CognitiveServices/accounts"
# Projects and connections of AI services accounts (AI Foundry) are in the API from 2025-06-01; every kind of the
# family reads at it, so an account, its deployments, RAI policies, projects and connections agree.
COGNITIVE_API = "2025-06-01"
AUTHORIZATION = "/providers/Microsoft.Authorization"
# Prefix of a relation value naming a sibling under the source's parent (resolved by the engine).
PARENT = "{parent}"


@dataclass(frozen=True)
class ArmKind:
    type: str
    path: str
    api_version: str
    parent: str | None = None  # the kind whose items this one is listed under
    parent_relation: str | None = None  # the relation from an item to that parent
    diagnostics: bool = False  # also read the resource's diagnostic settings
    # "referenced": fetched one by one because another resource names it (GET on its id);
    # its `path` is then the template of such an id.
    # "group": listed in every resource group that holds a listed resource of a `groups_of` type
    # (deployment history is kept per resource group); its `path` has "{subscription}" and "{group}".
    fetch: Literal["list", "referenced", "group"] = "list"
    groups_of: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.parent is None) != (self.parent_relation is None):
            raise ValueError(f"{self.type}: a child kind declares both its parent and the relation to it")
        if (self.fetch == "group") != bool(self.groups_of):
            raise ValueError(f"{self.type}: a kind listed per resource group names the types whose groups it reads")


def _child(rtype: str, segment: str, parent: str, relation: str, api: str = ML_API) -> ArmKind:
    return ArmKind(rtype, "{parent}/" + segment, api, parent=parent, parent_relation=relation)


ML_WORKSPACE = "azure.ml.workspace"
COGNITIVE_ACCOUNT = "azure.cognitive.account"
COGNITIVE_PROJECT = "azure.cognitive.project"
SEARCH_SERVICE = "azure.search.service"
ML_REGISTRY = "azure.ml.registry"
# The AI resources whose resource groups' deployment history is read (infrastructure as code, PH-1).
DEPLOYED_TYPES = (ML_WORKSPACE, ML_REGISTRY, COGNITIVE_ACCOUNT, SEARCH_SERVICE)


KINDS: tuple[ArmKind, ...] = (
    ArmKind("azure.ml.workspace", "/subscriptions/{subscription}" + ML + "/workspaces", ML_API, diagnostics=True),
    _child("azure.ml.online_endpoint", "onlineEndpoints", "azure.ml.workspace", "in_workspace"),
    _child("azure.ml.online_deployment", "deployments", "azure.ml.online_endpoint", "in_endpoint"),
    _child("azure.ml.batch_endpoint", "batchEndpoints", "azure.ml.workspace", "in_workspace"),
    _child("azure.ml.batch_deployment", "deployments", "azure.ml.batch_endpoint", "in_endpoint"),
    _child("azure.ml.compute", "computes", "azure.ml.workspace", "in_workspace"),
    _child("azure.ml.connection", "connections", "azure.ml.workspace", "in_workspace"),
    # The list's default view holds enabled schedules only; model monitors are schedules with a CreateMonitor action.
    _child("azure.ml.schedule", "schedules", "azure.ml.workspace", "in_workspace"),
    ArmKind(ML_REGISTRY, "/subscriptions/{subscription}" + ML + "/registries", ML_API),
    ArmKind(COGNITIVE_ACCOUNT, "/subscriptions/{subscription}" + COGNITIVE, COGNITIVE_API, diagnostics=True),
    _child("azure.cognitive.deployment", "deployments", COGNITIVE_ACCOUNT, "in_account", COGNITIVE_API),
    _child("azure.cognitive.rai_policy", "raiPolicies", COGNITIVE_ACCOUNT, "in_account", COGNITIVE_API),
    _child(COGNITIVE_PROJECT, "projects", COGNITIVE_ACCOUNT, "in_account", COGNITIVE_API),
    _child("azure.cognitive.connection", "connections", COGNITIVE_ACCOUNT, "in_account", COGNITIVE_API),
    _child("azure.cognitive.project_connection", "connections", COGNITIVE_PROJECT, "in_project", COGNITIVE_API),
    ArmKind(SEARCH_SERVICE, "/subscriptions/{subscription}/providers/Microsoft.Search/searchServices", "2025-05-01"),
    ArmKind("azure.keyvault.vault", "/subscriptions/{subscription}/providers/Microsoft.KeyVault/vaults", "2023-07-01"),
    ArmKind(
        "azure.keyvault.key",
        "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{vault}/keys/{key}",
        "2023-07-01",
        fetch="referenced",
    ),
    ArmKind(
        "azure.storage.account",
        "/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts",
        "2023-05-01",
    ),
    # Microsoft Purview, the data classification service: whose identity can read which storage (DP-1).
    ArmKind(
        "azure.purview.account", "/subscriptions/{subscription}/providers/Microsoft.Purview/accounts", "2021-07-01"
    ),
    ArmKind(
        "azure.containerregistry.registry",
        "/subscriptions/{subscription}/providers/Microsoft.ContainerRegistry/registries",
        "2023-07-01",
    ),
    ArmKind(
        "azure.authorization.role_assignment",
        "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments",
        "2022-04-01",
    ),
    # Privileged Identity Management: every active role assignment as a schedule instance, with its assignment type
    # (Assigned, or Activated from an eligibility) and end time (none: standing).
    ArmKind(
        "azure.authorization.role_assignment_schedule_instance",
        "/subscriptions/{subscription}" + AUTHORIZATION + "/roleAssignmentScheduleInstances",
        "2020-10-01",
    ),
    ArmKind(
        "azure.authorization.role_definition",
        "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{definition}",
        "2022-04-01",
        fetch="referenced",
    ),
    ArmKind(
        "azure.security.pricing", "/subscriptions/{subscription}/providers/Microsoft.Security/pricings", "2024-01-01"
    ),
    ArmKind(
        "azure.policy.assignment",
        "/subscriptions/{subscription}/providers/Microsoft.Authorization/policyAssignments",
        "2023-04-01",
    ),
    # Deployment history (ARM and Bicep deployments) of the resource groups that hold AI resources: what a template
    # created or last changed is in each deployment's outputResources. ARM keeps the latest 800 per group.
    ArmKind(
        "azure.resources.deployment",
        "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Resources/deployments",
        "2025-04-01",
        fetch="group",
        groups_of=DEPLOYED_TYPES,
    ),
    # The initiatives policy assignments assign (built-in ones live at the tenant root), read to see their members.
    ArmKind(
        "azure.policy.set_definition",
        "/providers/Microsoft.Authorization/policySetDefinitions/{set}",
        "2023-04-01",
        fetch="referenced",
    ),
    ArmKind(
        "azure.consumption.budget",
        "/subscriptions/{subscription}/providers/Microsoft.Consumption/budgets",
        "2023-05-01",
    ),
)

BY_TYPE = {kind.type: kind for kind in KINDS}
ALL_TYPES = frozenset(BY_TYPE)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def sample_path(kind: ArmKind) -> str:
    """A path of the shape the kind is read at (placeholders filled), to name the RBAC action it needs."""
    if kind.parent is not None:
        parent_id = sample_path(BY_TYPE[kind.parent]) + "/p"
        return kind.path.replace("{parent}", parent_id)
    return _PLACEHOLDER.sub(lambda m: "s" if m.group(1) == "subscription" else "x", kind.path)


def _key_id(encryption: Any) -> str | None:
    """ARM id of a workspace's Key Vault key: its vault's ARM id and the key's name from its URL
    (".../keys/<name>/<version>")."""
    if not isinstance(encryption, dict):
        return None
    vault_id, key_url = encryption.get("keyVaultArmId"), encryption.get("keyIdentifier")
    if not isinstance(vault_id, str) or not isinstance(key_url, str):
        return None
    parts = [p for p in urlsplit(key_url).path.split("/") if p]
    if len(parts) < 2 or parts[0] != "keys":
        return None
    return f"{vault_id.rstrip('/')}/keys/{parts[1]}"


def _key_url(encryption: Any) -> str | None:
    """AI services accounts name their key by vault URI and key name: "<vault URI>/keys/<name>",
    which the engine resolves to the key's ARM id through the vault it knows by that URI."""
    if not isinstance(encryption, dict):
        return None
    uri, name = encryption.get("keyVaultUri"), encryption.get("keyName")
    if not isinstance(uri, str) or not isinstance(name, str) or not name:
        return None
    return f"{uri.rstrip('/')}/keys/{name}"


def _map_keys(node: Any) -> list[str] | None:
    return [str(k) for k in node] if isinstance(node, dict) else None


def _sibling(collection: str) -> Callable[[Any], str | None]:
    """A name that stands for a sibling under the source's parent: "{parent}/<collection>/<name>"."""

    def build(name: Any) -> str | None:
        return f"{PARENT}/{collection}/{name}" if isinstance(name, str) and name and "/" not in name else None

    return build


def _arm_type(namespace_type: str) -> str:
    """A pattern keeping whole ARM ids of one resource type (no child resource under it)."""
    return rf"(?i)^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/{namespace_type}/[^/]+)/?$"


_CONNECTIONS = {"azure.cognitive.connection", "azure.cognitive.project_connection", "azure.ml.connection"}
_ONLINE_DEPLOYMENT_ID = re.compile(
    r"(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
    r"/onlineEndpoints/[^/]+/deployments/[^/]+$"
)


def _monitored_deployment(target: Any) -> str | None:
    """The online deployment a model monitor watches: its ARM id, or "azureml:<endpoint>:<deployment>" (how the
    CLI and SDK name one in the monitor's workspace)."""
    if not isinstance(target, str):
        return None
    if _ONLINE_DEPLOYMENT_ID.match(target):
        return target
    parts = target.split(":")
    if len(parts) == 3 and parts[0] == "azureml" and all(p and "/" not in p for p in parts[1:]):
        return f"{PARENT}/onlineEndpoints/{parts[1]}/deployments/{parts[2]}"
    return None


# Where a connection names the Azure resource it reaches (AzureOpenAI, AIServices, CognitiveSearch, storage...).
_CONNECTION_TARGET = ("properties.metadata.ResourceId", "properties.metadata.resourceId")


_WORKSPACE = {"azure.ml.workspace"}
_KEY_PROPERTIES = "properties.encryption.keyVaultProperties"

RELATIONS: tuple[Link, ...] = (
    link("uses_storage", "azure.storage.account", _WORKSPACE, paths=("properties.storageAccount",)),
    # An AI services account's own storage (speech and language data, batch files).
    link(
        "uses_storage",
        "azure.storage.account",
        {COGNITIVE_ACCOUNT},
        paths=("properties.userOwnedStorage.resourceId",),
    ),
    link("uses_key_vault", "azure.keyvault.vault", _WORKSPACE, paths=("properties.keyVault",)),
    link(
        "uses_container_registry",
        "azure.containerregistry.registry",
        _WORKSPACE,
        paths=("properties.containerRegistry",),
    ),
    link("encrypted_by", "azure.keyvault.key", _WORKSPACE, paths=(_KEY_PROPERTIES,), value=_key_id),
    link("encrypted_by", "azure.keyvault.key", {"azure.cognitive.account"}, paths=(_KEY_PROPERTIES,), value=_key_url),
    link(
        "assigns_role",
        "azure.authorization.role_definition",
        {"azure.authorization.role_assignment"},
        paths=("properties.roleDefinitionId",),
    ),
    # An AI Foundry hub-based project names its hub (a workspace of kind Hub).
    link("in_hub", ML_WORKSPACE, _WORKSPACE, paths=("properties.hubResourceId",)),
    link(
        "monitors",
        "azure.ml.online_deployment",
        {"azure.ml.schedule"},
        paths=("properties.action.monitorDefinition.monitoringTarget.deploymentId",),
        value=_monitored_deployment,
    ),
    # A deployment names its content filter (RAI policy) by name, under its own account.
    link(
        "uses_rai_policy",
        "azure.cognitive.rai_policy",
        {"azure.cognitive.deployment"},
        paths=("properties.raiPolicyName",),
        value=_sibling("raiPolicies"),
    ),
    link(
        "connects_to",
        COGNITIVE_ACCOUNT,
        _CONNECTIONS,
        paths=_CONNECTION_TARGET,
        pattern=_arm_type(r"Microsoft\.CognitiveServices/accounts"),
    ),
    link(
        "connects_to",
        SEARCH_SERVICE,
        _CONNECTIONS,
        paths=_CONNECTION_TARGET,
        pattern=_arm_type(r"Microsoft\.Search/searchServices"),
    ),
    link(
        "connects_to",
        "azure.storage.account",
        _CONNECTIONS,
        paths=_CONNECTION_TARGET,
        pattern=_arm_type(r"Microsoft\.Storage/storageAccounts"),
    ),
    *(
        link(
            "deploys",
            target,
            {"azure.resources.deployment"},
            paths=("properties.outputResources.id",),
            pattern=_arm_type(namespace_type),
        )
        for target, namespace_type in (
            (ML_WORKSPACE, r"Microsoft\.MachineLearningServices/workspaces"),
            (ML_REGISTRY, r"Microsoft\.MachineLearningServices/registries"),
            (COGNITIVE_ACCOUNT, r"Microsoft\.CognitiveServices/accounts"),
            (SEARCH_SERVICE, r"Microsoft\.Search/searchServices"),
        )
    ),
    link(
        "assigns_policy_set",
        "azure.policy.set_definition",
        {"azure.policy.assignment"},
        paths=("properties.policyDefinitionId",),
        pattern=r"(?i)^(.*/providers/Microsoft\.Authorization/policySetDefinitions/[^/]+)$",
    ),
    link(
        "schedules",
        "azure.authorization.role_assignment",
        {"azure.authorization.role_assignment_schedule_instance"},
        paths=("properties.originRoleAssignmentId",),
    ),
    # User-assigned managed identities are keys of this map, on any resource that may have one.
    link(
        "uses_identity",
        "azure.managedidentity.identity",
        ALL_TYPES,
        paths=("identity.userAssignedIdentities",),
        value=_map_keys,
    ),
)
