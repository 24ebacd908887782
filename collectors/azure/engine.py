"""The one Azure collection engine: subscriptions x kinds x resources on a bounded pool.

Lists every declared kind per subscription (children under their parents),
reads diagnostic settings of AI resources, then fetches what they reference
(Key Vault keys, role definitions). ARM ids are case-insensitive, so
references resolve to stored ids without regard to case. Every failed read
becomes a `CollectionError` naming the RBAC action it needed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from collectors import ProgressCallback
from collectors.azure.arm import ArmFailure, ArmReader
from collectors.azure.specs import (
    BY_TYPE,
    DIAGNOSTICS_API,
    DIAGNOSTICS_PATH,
    KINDS,
    SUBSCRIPTIONS_API,
    ArmKind,
)
from collectors.pool import TaskGroup
from cspm_ai import redact
from cspm_ai.doc import get
from cspm_ai.errors import ConfigError
from cspm_ai.model import CollectionError, CollectionResult, Relation, Resource, Scope

GLOBAL = "global"
_PARENT_RELATION = {
    "azure.ml.workspace": "in_workspace",
    "azure.ml.online_endpoint": "in_endpoint",
    "azure.ml.batch_endpoint": "in_endpoint",
}
# Workspace properties naming the resources it depends on.
_LINKS = (
    ("properties.storageAccount", "uses_storage"),
    ("properties.keyVault", "uses_key_vault"),
    ("properties.containerRegistry", "uses_container_registry"),
)


def location_of(item: dict[str, Any]) -> str:
    location = item.get("location")
    return location.replace(" ", "").lower() if isinstance(location, str) and location else GLOBAL


def _key_id(vault_id: Any, key_identifier: Any) -> str | None:
    """ARM id of a Key Vault key from its vault's ARM id and its key URL (".../keys/<name>/<version>")."""
    if not isinstance(vault_id, str) or not isinstance(key_identifier, str):
        return None
    parts = [p for p in urlsplit(key_identifier).path.split("/") if p]
    if len(parts) < 2 or parts[0] != "keys":
        return None
    return f"{vault_id.rstrip('/')}/keys/{parts[1]}"


def references(
    rtype: str, config: dict[str, Any], vaults_by_uri: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """(kind, target ARM id) edges one resource's config declares.

    `vaults_by_uri` maps a vault's URI (lower-cased, no trailing slash) to its ARM id: AI
    services accounts name their key by vault URI and key name, not by ARM id.
    """
    edges: list[tuple[str, str]] = []
    if rtype == "azure.ml.workspace":
        edges += [(kind, v) for path, kind in _LINKS if isinstance(v := get(config, path), str) and v]
        key = _key_id(
            get(config, "properties.encryption.keyVaultProperties.keyVaultArmId"),
            get(config, "properties.encryption.keyVaultProperties.keyIdentifier"),
        )
        if key:
            edges.append(("encrypted_by", key))
    if rtype == "azure.cognitive.account":
        uri = get(config, "properties.encryption.keyVaultProperties.keyVaultUri")
        name = get(config, "properties.encryption.keyVaultProperties.keyName")
        vault = (vaults_by_uri or {}).get(uri.rstrip("/").lower()) if isinstance(uri, str) else None
        if vault and isinstance(name, str) and name:
            edges.append(("encrypted_by", f"{vault}/keys/{name}"))
    if rtype == "azure.authorization.role_assignment":
        definition = get(config, "properties.roleDefinitionId")
        if isinstance(definition, str) and definition:
            edges.append(("assigns_role", definition))
    identities = get(config, "identity.userAssignedIdentities")
    if isinstance(identities, dict):
        edges += [("uses_identity", str(uid)) for uid in identities]
    return edges


@dataclass
class _Record:
    kind: ArmKind
    subscription: str
    item: dict[str, Any]
    parent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AzureEngine:
    """Collects the given subscriptions (all readable ones when None), `workers` reads at a time."""

    provider = "azure"

    def __init__(
        self, reader: ArmReader, subscriptions: Sequence[str] | None = None, *, identity: str = "", workers: int = 16
    ) -> None:
        self.reader = reader
        self.requested = list(subscriptions) if subscriptions else None
        self.identity = identity
        self.workers = workers
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}
        self._subscriptions: dict[str, dict[str, Any]] = {}
        self._errors: list[CollectionError] = []

    # -- failures ---------------------------------------------------------------------

    def _fail(self, subscription: str, region: str, failure: ArmFailure, rtype: str, uid: str | None = None) -> None:
        with self._lock:
            self._errors.append(
                CollectionError(
                    provider="azure",
                    account=subscription,
                    region=region,
                    service=failure.action.split("/", 1)[0],
                    operation=failure.action,
                    code=failure.code,
                    message=failure.message,
                    resource_type=rtype,
                    resource_uid=uid,
                )
            )

    # -- discovery ----------------------------------------------------------------------

    def subscriptions(self) -> list[str]:
        """The subscriptions to scan: those asked for (each must be readable), else every readable one."""
        try:
            listed = self.reader.list("/subscriptions", SUBSCRIPTIONS_API)
        except ArmFailure as failure:
            raise ConfigError(
                f"Cannot list Azure subscriptions: {failure.code}: {failure.message}",
                "Check the identity's sign-in (`az login`) and its Reader role.",
            ) from failure
        readable = {str(s.get("subscriptionId")): s for s in listed if s.get("subscriptionId")}
        if self.requested is None:
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

    # -- collection tasks ---------------------------------------------------------------

    def _list(
        self, tasks: TaskGroup, kind: ArmKind, subscription: str, path: str, region: str, parent: str | None
    ) -> None:
        try:
            items = self.reader.list(path, kind.api_version)
        except ArmFailure as failure:
            self._fail(subscription, region, failure, kind.type)
            return
        for item in items:
            uid = item.get("id")
            if not isinstance(uid, str) or not uid:
                continue
            with self._lock:
                self._records[uid.lower()] = _Record(kind, subscription, item, parent)
            if kind.diagnostics:
                tasks.submit(self._diagnostics, subscription, uid, kind.type, location_of(item))
            for child in KINDS:
                if child.parent == kind.type:
                    tasks.submit(
                        self._list, tasks, child, subscription, child.path.format(parent=uid), location_of(item), uid
                    )

    def _diagnostics(self, subscription: str, uid: str, rtype: str, region: str) -> None:
        try:
            settings = self.reader.list(DIAGNOSTICS_PATH.format(id=uid), DIAGNOSTICS_API)
        except ArmFailure as failure:
            self._fail(subscription, region, failure, rtype, uid)
            return
        with self._lock:
            self._records[uid.lower()].extra["diagnosticSettings"] = settings

    def _fetch(self, kind: ArmKind, subscription: str, uid: str) -> None:
        try:
            item = self.reader.get(kind.path.format(id=uid), kind.api_version)
        except ArmFailure as failure:
            if failure.status == 404:
                return  # a dangling reference: the check sees the target is missing
            self._fail(subscription, GLOBAL, failure, kind.type, uid)
            return
        with self._lock:
            self._records[str(item.get("id") or uid).lower()] = _Record(kind, subscription, item)

    def _subscription_scope(self, subscription: str) -> None:
        try:
            answer = self.reader.get(f"/subscriptions/{subscription}", SUBSCRIPTIONS_API)
        except ArmFailure:
            answer = self._subscriptions.get(subscription, {"subscriptionId": subscription})
        with self._lock:
            self._subscriptions[subscription] = answer

    # -- assembling ---------------------------------------------------------------------

    def _vaults_by_uri(self) -> dict[str, str]:
        return {
            uri.rstrip("/").lower(): str(r.item["id"])
            for r in list(self._records.values())
            if r.kind.type == "azure.keyvault.vault" and isinstance(uri := get(r.item, "properties.vaultUri"), str)
        }

    def _referenced(self, tasks: TaskGroup) -> None:
        wanted: dict[str, tuple[ArmKind, str]] = {}
        vaults = self._vaults_by_uri()
        for record in list(self._records.values()):
            for kind_name, target in references(record.kind.type, record.item, vaults):
                target_type = {
                    "encrypted_by": "azure.keyvault.key",
                    "assigns_role": "azure.authorization.role_definition",
                }.get(kind_name)
                if target_type and target.lower() not in self._records:
                    wanted.setdefault(target.lower(), (BY_TYPE[target_type], target))
        for kind, target in wanted.values():
            subscription = target.split("/")[2] if target.lower().startswith("/subscriptions/") else ""
            tasks.submit(self._fetch, kind, subscription or next(iter(self._subscriptions), ""), target)
        tasks.wait()

    def _resource(self, record: _Record) -> Resource:
        item = {**record.item, **record.extra}
        config, found = redact.redact(item)
        tags_raw = item.get("tags") if isinstance(item.get("tags"), dict) else {}
        tags, tag_found = redact.redact({str(k): str(v) for k, v in tags_raw.items()}, prefix="tags")
        return Resource(
            provider="azure",
            account=record.subscription,
            region=location_of(item),
            type=record.kind.type,
            uid=str(item["id"]),
            name=str(item.get("name") or item["id"]),
            config=config,
            tags=tags,
            redactions=tuple(r.as_dict() for r in [*found, *tag_found]),
        )

    def _relations(self, resources: Iterable[Resource]) -> list[Relation]:
        stored = {r.uid.lower(): r.uid for r in resources}
        vaults = self._vaults_by_uri()
        relations: list[Relation] = []
        for record in sorted(self._records.values(), key=lambda r: str(r.item["id"]).lower()):
            src = str(record.item["id"])
            if record.parent:
                relations.append(
                    Relation(
                        src,
                        _PARENT_RELATION[BY_TYPE[record.kind.type].parent or ""],
                        stored.get(record.parent.lower(), record.parent),
                    )
                )
            for kind_name, target in references(record.kind.type, record.item, vaults):
                relations.append(Relation(src, kind_name, stored.get(target.lower(), target)))
        return list(dict.fromkeys(relations))

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult:
        chosen = list(self._subscriptions) or self.subscriptions()
        with TaskGroup(self.workers, progress) as tasks:
            for subscription in chosen:
                tasks.submit(self._subscription_scope, subscription)
                for kind in KINDS:
                    if kind.parent is None and kind.fetch == "list":
                        tasks.submit(
                            self._list,
                            tasks,
                            kind,
                            subscription,
                            kind.path.format(subscription=subscription),
                            GLOBAL,
                            None,
                        )
            tasks.wait()
            self._referenced(tasks)
        resources = [
            Resource(
                provider="azure",
                account=sub,
                region=GLOBAL,
                type="azure.subscription",
                uid=f"/subscriptions/{sub}",
                name=sub,
                config=answer,
            )
            for sub, answer in sorted(self._subscriptions.items())
        ]
        resources += [self._resource(r) for _, r in sorted(self._records.items())]
        scopes = [
            Scope(
                provider="azure",
                account=sub,
                identity=self.identity,
                regions=tuple(sorted({r.region for r in resources if r.account == sub} - {GLOBAL})),
            )
            for sub in chosen
        ]
        return CollectionResult(
            resources=resources, relations=self._relations(resources), errors=list(self._errors), scopes=scopes
        )
