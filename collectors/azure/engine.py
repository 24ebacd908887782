"""The Azure collection engine: subscriptions x kinds x resources on a bounded pool.

Its discovery: every declared kind is listed per subscription (children under
their parents), AI resources' diagnostic settings are read, then what they
reference (Key Vault keys, role definitions) is fetched by id. ARM ids are
case-insensitive, so the store keys them without regard to case. Every failed
read becomes a `CollectionError` naming the RBAC action it needed.

Every path read is built from an id the estate gave (an item's `id`, a key or
role an item names), so an id that is not an ARM id is malformed data, an
error on the resource that holds it, never a path or URL to read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from collectors import ProgressCallback
from collectors.azure.arm import ArmFailure, ArmReader, is_arm_id, rbac_action
from collectors.azure.specs import (
    BY_TYPE,
    DESCENDANTS_API,
    DESCENDANTS_PATH,
    DIAGNOSTICS_API,
    DIAGNOSTICS_PATH,
    KINDS,
    PARENT,
    RELATIONS,
    SUBSCRIPTIONS_API,
    SUBSCRIPTIONS_PATH,
    ArmKind,
    sample_path,
)
from collectors.kernel import GLOBAL, Record, Reference, Store, Target, references, scopes_of
from collectors.pool import TaskGroup
from cspm_ai.doc import get
from cspm_ai.errors import ConfigError
from cspm_ai.model import CollectionResult

_FETCHED = tuple(kind.type for kind in KINDS if kind.fetch == "referenced")
# AI services accounts name their key by vault URI and key name (the RELATIONS rule that builds it); every other
# reference to a fetched kind is the ARM id it is fetched by.
_KEY_BY_VAULT_URI = frozenset({"azure.cognitive.account"})
# A management group id: up to 90 letters, digits, hyphens, underscores, periods and parentheses, not ending in a
# period (Azure's own rule); it becomes a segment of the path read, so nothing else may pass.
_MANAGEMENT_GROUP = re.compile(r"^[A-Za-z0-9_().-]{0,89}[A-Za-z0-9_()-]$")
_GROUP_ID_PREFIX = "/providers/microsoft.management/managementgroups/"
# Subscription states whose resources are gone or frozen (a `--management-group` scan skips them); Warned and
# PastDue subscriptions still run their resources and are scanned.
_RETIRED_STATES = frozenset({"disabled", "deleted"})
_DESCENDANTS_ACTION = rbac_action(DESCENDANTS_PATH.format(group="x"))


def check_management_group(group: str) -> str:
    """The management group's id (its full ARM id is accepted too), or a ConfigError before any sign-in."""
    bare = group[len(_GROUP_ID_PREFIX) :] if group.lower().startswith(_GROUP_ID_PREFIX) else group
    if not _MANAGEMENT_GROUP.match(bare):
        raise ConfigError(
            f"{group!r} is not a management group id.",
            "Pass the group's ID (not its display name) as `az account management-group list` shows it, e.g. mg-ai.",
        )
    return bare


def location_of(item: dict[str, Any]) -> str:
    location = item.get("location")
    return location.replace(" ", "").lower() if isinstance(location, str) and location else GLOBAL


def _record(kind: ArmKind, subscription: str, item: dict[str, Any], where: str = GLOBAL) -> Record:
    """A listed or fetched item as a record; an item without a location of its own (a model deployment, a
    connection) is recorded where its parent is (`where`)."""
    tags = item.get("tags") if isinstance(item.get("tags"), dict) else {}
    region = location_of(item)
    return Record(
        type=kind.type,
        account=subscription,
        region=where if region == GLOBAL else region,
        uid=str(item["id"]),
        name=str(item.get("name") or item["id"]),
        config=item,
        tags={str(k): str(v) for k, v in (tags or {}).items()},
    )


class AzureEngine:
    """Collects the given subscriptions (all readable ones when None), `workers` reads at a time."""

    provider = "azure"

    def __init__(
        self,
        reader: ArmReader,
        subscriptions: Sequence[str] | None = None,
        *,
        management_group: str | None = None,
        identity: str = "",
        workers: int = 16,
    ) -> None:
        self.reader = reader
        self.requested = list(subscriptions) if subscriptions else None
        self.management_group = check_management_group(management_group) if management_group else None
        self.identity = identity
        self.workers = workers
        self._store = Store("azure", case_insensitive=True)
        self._subscriptions: dict[str, dict[str, Any]] = {}
        self._vaults_by_uri: dict[str, str] = {}

    # -- discovery -------------------------------------------------------------------------

    def subscriptions(self) -> list[str]:
        """The subscriptions to scan: those asked for (each must be readable), those under the management group,
        else every readable one. Resolved once."""
        if self._subscriptions:
            return list(self._subscriptions)
        members = self._group_members() if self.management_group else None
        try:
            listed = self.reader.list(SUBSCRIPTIONS_PATH, SUBSCRIPTIONS_API)
        except ArmFailure as failure:
            raise ConfigError(
                f"Cannot list Azure subscriptions: {failure.code}: {failure.message}",
                "Check the identity's sign-in (`az login`) and its Reader role.",
            ) from failure
        readable = {str(s.get("subscriptionId")): s for s in listed if s.get("subscriptionId")}
        if members is not None:
            # One the identity cannot list is still scanned: its reads fail as ERROR findings, never a silent gap.
            states = {sid.lower(): str(s.get("state") or "").lower() for sid, s in readable.items()}
            as_listed = {sid.lower(): sid for sid in readable}
            kept = [m for m in members if states.get(m.lower()) not in _RETIRED_STATES]
            chosen = sorted(as_listed.get(m.lower(), m) for m in kept)
            if not chosen:
                raise ConfigError(
                    f"Management group {self.management_group} holds no enabled subscription.",
                    "Check the group id; disabled and deleted subscriptions are not scanned.",
                )
        elif self.requested is None:
            chosen = sorted(readable)
        else:
            unknown = [s for s in self.requested if s.lower() not in {r.lower() for r in readable}]
            if unknown:
                raise ConfigError(
                    f"Subscription {', '.join(unknown)} is not visible to this identity.",
                    "Check the id, or grant the identity Reader on it.",
                )
            chosen = self.requested
        self._subscriptions = {s: readable.get(s, {"subscriptionId": s}) for s in chosen}
        return chosen

    def _group_members(self) -> list[str]:
        """Every subscription under the management group, at any depth (ARM lists descendants flat)."""
        group = str(self.management_group)
        try:
            descendants = self.reader.list(DESCENDANTS_PATH.format(group=group), DESCENDANTS_API)
        except ArmFailure as failure:
            raise ConfigError(
                f"Cannot list management group {group}: {failure.code}: {' '.join(failure.message.split())}",
                f"Check the group id, and grant the identity {_DESCENDANTS_ACTION} on the group "
                "(Reader there covers it).",
            ) from failure
        members: dict[str, str] = {}
        for item in descendants:
            uid = item.get("id")
            # A subscription reads "/subscriptions/<id>", a nested group "/providers/Microsoft.Management/...".
            parts = uid.split("/") if is_arm_id(uid) else []
            if len(parts) == 3 and parts[1].lower() == "subscriptions":
                members.setdefault(parts[2].lower(), parts[2])
        return list(members.values())

    def _list(
        self, tasks: TaskGroup, kind: ArmKind, subscription: str, path: str, region: str, parent: str | None
    ) -> None:
        try:
            items = self.reader.list(path, kind.api_version)
        except ArmFailure as failure:
            self._store.fail(failure, account=subscription, region=region, resource_type=kind.type)
            return
        unnamed = [item.get("id") for item in items if not is_arm_id(item.get("id"))]
        if unnamed:
            # Its children and settings would be read under its id; skipped quietly, it would be unseen.
            message = f"{len(unnamed)} listed item(s) without an ARM resource id, such as {unnamed[0]!r}"
            malformed = ArmFailure(rbac_action(path), None, "MalformedResponse", message)
            self._store.fail(malformed, account=subscription, region=region, resource_type=kind.type)
        for item in items:
            if is_arm_id(item.get("id")):
                self._listed(tasks, kind, subscription, item, parent, region)

    def _listed(
        self,
        tasks: TaskGroup,
        kind: ArmKind,
        subscription: str,
        item: dict[str, Any],
        parent: str | None,
        where: str = GLOBAL,
    ) -> None:
        """Store a listed item (where its parent is, when it has no location) and read what lives under it."""
        record = _record(kind, subscription, item, where if parent is not None else GLOBAL)
        uid = record.uid
        if parent is not None and kind.parent_relation is not None:
            record.links.append((kind.parent_relation, parent))
        self._store.put(record)
        if kind.diagnostics:
            tasks.submit(self._diagnostics, subscription, uid, kind.type, record.region)
        for child in KINDS:
            if child.parent == kind.type:
                path = child.path.format(parent=uid)
                tasks.submit(self._list, tasks, child, subscription, path, record.region, uid)

    def _diagnostics(self, subscription: str, uid: str, rtype: str, region: str) -> None:
        try:
            settings = self.reader.list(DIAGNOSTICS_PATH.format(id=uid), DIAGNOSTICS_API)
        except ArmFailure as failure:
            self._store.fail(failure, account=subscription, region=region, resource_type=rtype, uid=uid)
            return
        self._store.merge(uid, "diagnosticSettings", settings)

    def _group_lists(self, tasks: TaskGroup) -> None:
        """List each kind kept per resource group in every group that holds a listed resource of its `groups_of`
        types (a resource id reads /subscriptions/<id>/resourceGroups/<name>/...)."""
        for kind in KINDS:
            if kind.fetch != "group":
                continue
            groups: dict[tuple[str, str], tuple[str, str]] = {}
            for record in self._store.records():
                parts = record.uid.split("/")
                if record.type in kind.groups_of and len(parts) > 4 and parts[3].lower() == "resourcegroups":
                    groups.setdefault((record.account.lower(), parts[4].lower()), (record.account, parts[4]))
            for subscription, group in sorted(groups.values()):
                path = kind.path.format(subscription=subscription, group=group)
                tasks.submit(self._list, tasks, kind, subscription, path, GLOBAL, None)

    def _subscription_scope(self, subscription: str) -> None:
        try:
            answer = self.reader.get(f"/subscriptions/{subscription}", SUBSCRIPTIONS_API)
        except ArmFailure:
            answer = self._subscriptions.get(subscription, {"subscriptionId": subscription})
        self._subscriptions[subscription] = answer

    # -- what the resources reference ---------------------------------------------------------

    def _target_id(self, source: Record, ref: Reference) -> str | None:
        """The id a reference names: the value itself, except an AI services account's key, named by its vault's
        URI and found under the vault stored with that URI (None when no stored vault has it), and a sibling named
        under the source's parent ("{parent}/raiPolicies/<name>": the parent is the source's id less its last
        type and name)."""
        if source.type in _KEY_BY_VAULT_URI and ref.target == "azure.keyvault.key":
            uri, _, name = ref.value.rpartition("/keys/")
            vault = self._vaults_by_uri.get(uri.rstrip("/").lower())
            return f"{vault}/keys/{name}" if vault else None
        if ref.value.startswith(PARENT + "/"):
            parent = source.uid.rstrip("/").rsplit("/", 2)[0]
            return parent + ref.value[len(PARENT) :] if is_arm_id(parent) else None
        return ref.value

    def _resolve(self, source: Record, ref: Reference) -> Target | None:
        uid = self._target_id(source, ref)
        return Target(uid, GLOBAL, uid) if is_arm_id(uid) else None

    def _fail_malformed(self) -> None:
        """Each reference to a fetched kind that is not an ARM id, once: an error on the resource holding it (so
        no check of it passes on a key or role that was never read), and nothing is requested for it."""
        for record in self._store.records():
            for ref in references(RELATIONS, record.type, record.config):
                uid = self._target_id(record, ref) if ref.target in _FETCHED else None
                if uid is None or is_arm_id(uid) or not self._store.claim(f"malformed:{record.uid}:{uid}"):
                    continue
                message = (
                    f"its {ref.kind} reference {ref.value!r} is not an ARM resource id, "
                    f"so the {ref.target} it names is not read"
                )
                failure = ArmFailure(rbac_action(sample_path(BY_TYPE[ref.target])), None, "MalformedReference", message)
                self._store.fail(
                    failure, account=record.account, region=record.region, resource_type=record.type, uid=record.uid
                )

    def _index_vaults(self) -> None:
        self._vaults_by_uri = {
            uri.rstrip("/").lower(): r.uid
            for r in self._store.records()
            if r.type == "azure.keyvault.vault" and isinstance(uri := get(r.config, "properties.vaultUri"), str)
        }

    def _fetch(self, kind: ArmKind, target: Target) -> None:
        parts = target.uid.split("/")
        is_scoped = target.uid.lower().startswith("/subscriptions/") and len(parts) > 2
        subscription = parts[2] if is_scoped else next(iter(self._subscriptions), "")
        try:
            item = self.reader.get(target.uid, kind.api_version)
        except ArmFailure as failure:
            self._store.fail_referenced(
                failure, account=subscription, region=GLOBAL, resource_type=kind.type, uid=target.uid
            )
            return
        uid = item.get("id") or target.uid
        if not is_arm_id(uid):
            message = f"the answer's id {uid!r} is not an ARM resource id"
            malformed = ArmFailure(rbac_action(target.uid), None, "MalformedResponse", message)
            self._store.fail(malformed, account=subscription, region=GLOBAL, resource_type=kind.type, uid=target.uid)
            return
        self._store.put(_record(kind, subscription, {**item, "id": uid}))

    def _fetch_round(self, tasks: TaskGroup) -> bool:
        self._index_vaults()
        self._fail_malformed()
        wanted = self._store.referenced(RELATIONS, self._resolve, _FETCHED)
        for rtype, targets in wanted.items():
            for target in targets:
                tasks.submit(self._fetch, BY_TYPE[rtype], target)
        tasks.wait()
        return bool(wanted)

    # -- the result ------------------------------------------------------------------------

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult:
        chosen = list(self._subscriptions) or self.subscriptions()
        with TaskGroup(self.workers, progress) as tasks:
            for subscription in chosen:
                tasks.submit(self._subscription_scope, subscription)
                for kind in KINDS:
                    if kind.parent is None and kind.fetch == "list":
                        path = kind.path.format(subscription=subscription)
                        tasks.submit(self._list, tasks, kind, subscription, path, GLOBAL, None)
            tasks.wait()
            self._group_lists(tasks)
            tasks.wait()
            while self._fetch_round(tasks):
                pass
        self._index_vaults()
        subscriptions = [
            Record(
                type="azure.subscription",
                account=sub,
                region=GLOBAL,
                uid=f"/subscriptions/{sub}",
                name=sub,
                config=answer,
            )
            for sub, answer in sorted(self._subscriptions.items())
        ]
        result = self._store.result(RELATIONS, self._resolve, [], subscriptions)
        result.scopes = scopes_of("azure", chosen, self.identity, result.resources)
        return result
