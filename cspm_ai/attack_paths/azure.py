"""Azure attack paths: managed identities and the principals of role assignments, through every scope.

What is evaluated:

- identities: the system-assigned and user-assigned managed identities of every collected resource (workspaces,
  computes, online and batch endpoints, AI services accounts, ...), and every principal a role assignment names
  (users, groups, service principals);
- role assignments at every scope the subscription's list returns (management group, subscription, resource group,
  resource), with the actions and notActions, dataActions and notDataActions of the role definitions they assign
  (Owner, Contributor and User Access Administrator by their well-known ids when the definition was not read); a
  condition on an assignment narrows it, but it still counts;
- Key Vault access policies (a vault not using RBAC authorization): an access policy naming the principal with
  decrypt, unwrapKey or all key permissions, or the right to write the vault's access policies;
- storage: blob data read and write, and listKeys where shared key access is not disabled (the account keys read and
  write everything);
- can become: assigning a user-assigned identity (userAssignedIdentities/assign/action), and submitting jobs to a
  workspace (workspaces/jobs/write), which run as the identities of its compute clusters;
- can raise its own permissions: Microsoft.Authorization/roleAssignments/write anywhere it holds it.

Not evaluated: deny assignments, group memberships of managed identities (Microsoft Entra ID is not read),
eligible Privileged Identity Management roles before activation, and data-plane access policies of services other
than Key Vault (storage ACLs, SAS tokens already handed out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cspm_ai.attack_paths.graph import (
    BECOME,
    BECOMES,
    CHANGE,
    ENDPOINT,
    ESCALATE,
    ESCALATION,
    IDENTITY,
    KEY,
    REACHES,
    READ,
    RUN,
    RUNS_AS,
    STORE,
    USE,
    WORKLOAD,
    WRITE,
    AttackGraph,
    Grant,
)
from cspm_ai.doc import as_list, get, is_set
from cspm_ai.model import Resource

if TYPE_CHECKING:
    from cspm_ai.engine import Snapshot

ASSIGNMENT = "azure.authorization.role_assignment"
DEFINITION = "azure.authorization.role_definition"
STORAGE = "azure.storage.account"
KEY_TYPE = "azure.keyvault.key"
VAULT = "azure.keyvault.vault"
COMPUTE = "azure.ml.compute"
ML = "Microsoft.MachineLearningServices/workspaces"
ENDPOINT_ACTIONS: dict[str, tuple[str, ...]] = {
    "azure.ml.online_endpoint": (f"{ML}/onlineEndpoints/write", f"{ML}/onlineEndpoints/deployments/write"),
    "azure.ml.batch_endpoint": (f"{ML}/batchEndpoints/write", f"{ML}/batchEndpoints/deployments/write"),
    "azure.cognitive.account": ("Microsoft.CognitiveServices/accounts/deployments/write",),
}
BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
LIST_KEYS = "Microsoft.Storage/storageAccounts/listKeys/action"
KEY_DATA_ACTIONS = ("Microsoft.KeyVault/vaults/keys/unwrap/action", "Microsoft.KeyVault/vaults/keys/decrypt/action")
VAULT_WRITES = ("Microsoft.KeyVault/vaults/accessPolicies/write", "Microsoft.KeyVault/vaults/write")
KEY_PERMISSIONS = frozenset({"decrypt", "unwrapkey", "all"})
ASSIGN_IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
SUBMIT_JOBS = f"{ML}/jobs/write"
ROLE_ASSIGNMENTS_WRITE = "Microsoft.Authorization/roleAssignments/write"
UAI_SEGMENT = "/providers/microsoft.managedidentity/userassignedidentities/"
# Built-in roles by their tenant-wide ids, for an assignment whose definition was not read.
BUILT_IN: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", [{"actions": ["*"]}]),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor",
        [
            {
                "actions": ["*"],
                "notActions": [
                    "Microsoft.Authorization/*/Delete",
                    "Microsoft.Authorization/*/Write",
                    "Microsoft.Authorization/elevateAccess/Action",
                ],
            }
        ],
    ),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": (
        "User Access Administrator",
        [{"actions": ["*/read", "Microsoft.Authorization/*"]}],
    ),
}


LABELS = {
    "azure.cognitive.account": "AI services account",
    "azure.storage.account": "storage account",
    "azure.keyvault.key": "key",
    "azure.ml.compute": "compute",
    "azure.search.service": "search service",
}


def label_of(rtype: str) -> str:
    """How a kind is named in a path: "online endpoint", "AI services account"."""
    return LABELS.get(rtype, rtype.rsplit(".", 1)[-1].replace("_", " "))


def _pattern(pattern: Any, action: str) -> bool:
    """An RBAC action pattern ("*" matches any run of characters) against an action, ignoring case."""
    if not isinstance(pattern, str) or not pattern:
        return False
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def permits(permissions: Iterable[Any], action: str, *, data: bool = False) -> bool:
    """Whether a role definition's permissions grant `action` (a data action with `data`)."""
    allow, deny = ("dataActions", "notDataActions") if data else ("actions", "notActions")
    return any(
        any(_pattern(a, action) for a in as_list(get(p, allow)))
        and not any(_pattern(n, action) for n in as_list(get(p, deny)))
        for p in permissions
    )


def _scope_label(scope: str) -> str:
    parts = [p for p in scope.split("/") if p]
    if len(parts) == 2 and parts[0].lower() == "subscriptions":
        return f"subscription {parts[1]}"
    if len(parts) == 4 and parts[2].lower() == "resourcegroups":
        return f"resource group {parts[3]}"
    if not parts:
        return "the tenant root"
    return "/".join(parts[-2:])


@dataclass(frozen=True)
class _Assignment:
    resource: Resource
    principal: str  # the identity node uid
    scope: str  # lower-cased, for matching
    role: str
    permissions: list[Any]
    conditional: bool
    written_scope: str  # as ARM spells it, for evidence

    def via(self) -> str:
        condition = " with a condition" if self.conditional else ""
        return f"role assignment {self.resource.name} ({self.role}) at {_scope_label(self.written_scope)}{condition}"

    def covers(self, uid: str) -> bool:
        target = uid.lower()
        return (
            self.scope in ("", "/")
            or self.scope.startswith("/providers/microsoft.management/managementgroups/")
            or target == self.scope
            or target.startswith(self.scope + "/")
        )


class _Builder:
    def __init__(self, snapshot: Snapshot, graph: AttackGraph) -> None:
        self.snap = snapshot
        self.graph = graph
        self.principals: dict[str, str] = {}  # principalId (lower) -> identity node uid
        self.vaults = {v.uid.lower(): v for v in snapshot.by_type.get(VAULT, ())}
        self.assignments: list[_Assignment] = []
        self.uais: list[str] = []

    def build(self) -> None:
        for resource in self.snap.resources:
            if resource.provider == "azure":
                self.identities(resource)
        self.uais = sorted({uid for uid in self.principals.values() if UAI_SEGMENT in uid.lower()})
        for assignment in self.snap.by_type.get(ASSIGNMENT, ()):
            found = self.assignment(assignment)
            if found is not None:
                self.assignments.append(found)
        by_principal: dict[str, list[_Assignment]] = {}
        for found in self.assignments:
            by_principal.setdefault(found.principal, []).append(found)
        for principal, assignments in by_principal.items():
            self.endpoints(principal, assignments)
            self.stores(principal, assignments)
            self.become(principal, assignments)
            self.escalation(principal, assignments)
        self.keys()

    # -- identities ------------------------------------------------------------------------------------------

    def _identity(self, uid: str, label: str, principal: Any, account: str) -> str:
        known = self.principals.get(str(principal).lower()) if is_set(principal) else None
        uid = known or uid
        self.graph.add_node(uid, label, IDENTITY, provider="azure", account=account)
        if is_set(principal):
            self.principals.setdefault(str(principal).lower(), uid)
        return uid

    def identities(self, resource: Resource) -> None:
        found: list[tuple[str, str]] = []
        system = get(resource.config, "identity.principalId")
        kind = label_of(resource.type)
        if is_set(system):
            label = f"system-assigned identity of {kind} {resource.name}"
            found.append((self._identity(f"{resource.uid}#identity", label, system, resource.account), "system"))
        assigned = get(resource.config, "identity.userAssignedIdentities")
        for uai, detail in assigned.items() if isinstance(assigned, dict) else ():
            name = str(uai).rstrip("/").rsplit("/", 1)[-1]
            found.append(
                (self._identity(uai, f"managed identity {name}", get(detail, "principalId"), resource.account), "user")
            )
        if not found:
            return
        self.graph.add_node(
            resource.uid,
            f"{kind} {resource.name}",
            WORKLOAD,
            provider="azure",
            account=resource.account,
            resource=resource,
        )
        for uid, how in found:
            why = "its system-assigned identity" if how == "system" else "its user-assigned identity"
            self.graph.add_edge(resource.uid, uid, RUNS_AS, Grant(RUN, "identity", why))

    def assignment(self, assignment: Resource) -> _Assignment | None:
        props = assignment.config.get("properties") if isinstance(assignment.config, dict) else None
        principal = get(props, "principalId")
        if not is_set(principal):
            return None
        node = self.principals.get(str(principal).lower())
        if node is None:
            kind = get(props, "principalType")
            label = f"{kind if is_set(kind) else 'principal'} {principal}"
            node = self._identity(f"principal:{principal}", label, principal, assignment.account)
        scope = get(props, "scope")
        if not is_set(scope):
            scope = assignment.uid.split("/providers/Microsoft.Authorization/")[0]
        role, permissions = self.definition(assignment, node)
        if role is None:
            return None
        written = str(scope).rstrip("/")
        conditional = is_set(get(props, "condition"))
        return _Assignment(assignment, node, written.lower(), role, permissions, conditional, written)

    def definition(self, assignment: Resource, node: str) -> tuple[str | None, list[Any]]:
        for uid in self.snap.outgoing.get((assignment.uid, "assigns_role"), ()):
            definition = self.snap.by_uid.get(uid)
            if definition is not None and definition.type == DEFINITION:
                name = get(definition.config, "properties.roleName", definition.name)
                return str(name), as_list(get(definition.config, "properties.permissions"))
        definition_id = get(assignment.config, "properties.roleDefinitionId")
        guid = str(definition_id).rstrip("/").rsplit("/", 1)[-1].lower() if is_set(definition_id) else ""
        if guid in BUILT_IN:
            name, permissions = BUILT_IN[guid]
            return name, permissions
        self.graph.unknown(
            node, f"the role definition {definition_id} of role assignment {assignment.name} was not read"
        )
        return None, []

    # -- targets ---------------------------------------------------------------------------------------------

    def _target(self, resource: Resource, kind: str) -> None:
        label = f"{label_of(resource.type)} {resource.name}"
        self.graph.add_node(resource.uid, label, kind, provider="azure", account=resource.account, resource=resource)

    def endpoints(self, principal: str, assignments: list[_Assignment]) -> None:
        for rtype, actions in ENDPOINT_ACTIONS.items():
            for endpoint in self.snap.by_type.get(rtype, ()):
                grant = next(
                    (
                        (a, act)
                        for a in assignments
                        if a.covers(endpoint.uid)
                        for act in actions
                        if permits(a.permissions, act)
                    ),
                    None,
                )
                if grant is not None:
                    self._target(endpoint, ENDPOINT)
                    self.graph.add_edge(principal, endpoint.uid, REACHES, Grant(CHANGE, grant[1], grant[0].via()))

    def stores(self, principal: str, assignments: list[_Assignment]) -> None:
        for account in self.snap.by_type.get(STORAGE, ()):
            shared_keys = get(account.config, "properties.allowSharedKeyAccess") is not False
            for assignment in (a for a in assignments if a.covers(account.uid)):
                for access, action in ((READ, f"{BLOBS}/read"), (WRITE, f"{BLOBS}/write")):
                    if permits(assignment.permissions, action, data=True):
                        self._target(account, STORE)
                        self.graph.add_edge(principal, account.uid, REACHES, Grant(access, action, assignment.via()))
                if shared_keys and permits(assignment.permissions, LIST_KEYS):
                    via = f"{assignment.via()}, with shared key access enabled"
                    self._target(account, STORE)
                    for access in (READ, WRITE):
                        self.graph.add_edge(principal, account.uid, REACHES, Grant(access, LIST_KEYS, via))

    def keys(self) -> None:
        for key in self.snap.by_type.get(KEY_TYPE, ()):
            vault = self.vaults.get(key.uid.lower().split("/keys/", 1)[0])
            rbac = vault is not None and get(vault.config, "properties.enableRbacAuthorization") is True
            for assignment in (a for a in self.assignments if a.covers(key.uid)):
                actions = KEY_DATA_ACTIONS if rbac else ()
                action = next((a for a in actions if permits(assignment.permissions, a, data=True)), None)
                if action is None and vault is not None and not rbac:
                    action = next((a for a in VAULT_WRITES if permits(assignment.permissions, a)), None)
                if action is not None:
                    self._target(key, KEY)
                    self.graph.add_edge(assignment.principal, key.uid, REACHES, Grant(USE, action, assignment.via()))
            if vault is not None and not rbac:
                self.access_policies(key, vault)

    def access_policies(self, key: Resource, vault: Resource) -> None:
        for i, policy in enumerate(as_list(get(vault.config, "properties.accessPolicies"))):
            granted = {str(p).lower() for p in as_list(get(policy, "permissions.keys"))}
            node = self.principals.get(str(get(policy, "objectId")).lower())
            if node is not None and granted & KEY_PERMISSIONS:
                action = sorted(granted & KEY_PERMISSIONS)[0]
                self._target(key, KEY)
                via = f"access policy {i} of vault {vault.name}"
                self.graph.add_edge(node, key.uid, REACHES, Grant(USE, f"keys/{action}", via))

    # -- can become, can raise its own permissions -------------------------------------------------------------

    def become(self, principal: str, assignments: list[_Assignment]) -> None:
        assigning = [a for a in assignments if permits(a.permissions, ASSIGN_IDENTITY)]
        for uai in self.uais if assigning else ():
            grant = next((a for a in assigning if a.covers(uai)), None)
            if grant is not None and uai != principal:
                self.graph.add_edge(principal, uai, BECOMES, Grant(BECOME, ASSIGN_IDENTITY, grant.via()))
        for compute in self.snap.by_type.get(COMPUTE, ()):
            if get(compute.config, "properties.computeType") != "AmlCompute":
                continue
            for workspace in self.snap.outgoing.get((compute.uid, "in_workspace"), ()):
                grant = next(
                    (a for a in assignments if a.covers(workspace) and permits(a.permissions, SUBMIT_JOBS)), None
                )
                if grant is None:
                    continue
                for identity in self.graph.identities_of(compute.uid):
                    if identity != principal:
                        via = f"{grant.via()}, submitting jobs to compute cluster {compute.name}"
                        self.graph.add_edge(principal, identity, BECOMES, Grant(BECOME, SUBMIT_JOBS, via))

    def escalation(self, principal: str, assignments: list[_Assignment]) -> None:
        for assignment in assignments:
            if permits(assignment.permissions, ROLE_ASSIGNMENTS_WRITE):
                account = assignment.resource.account
                uid = f"escalation:azure:{account}"
                self.graph.add_node(
                    uid, f"more permissions in subscription {account}", ESCALATION, provider="azure", account=account
                )
                self.graph.add_edge(principal, uid, REACHES, Grant(ESCALATE, ROLE_ASSIGNMENTS_WRITE, assignment.via()))


def build(snapshot: Snapshot, graph: AttackGraph) -> None:
    """Add the Azure part of the snapshot to the graph."""
    _Builder(snapshot, graph).build()
