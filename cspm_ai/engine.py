"""Evaluates registered checks over one scan's inventory snapshot.

The engine decides ERROR, once: a check never runs on a resource whose
collection failed, nor PASSes when something it consults could not be read
(the context raises `Unseen`, and the engine turns that into an ERROR).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from cspm_ai.model import (
    GLOBAL,
    CollectionError,
    Finding,
    Relation,
    Resource,
    Status,
    Verdict,
)
from cspm_ai.registry import CheckSpec

if TYPE_CHECKING:
    from cspm_ai.attack_paths import AttackGraph


class Unseen(Exception):
    """Something a check needs was not collected; carries the collection error."""

    def __init__(self, error: CollectionError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class PreviousScan:
    """A read-only view of the previous comparable scan: its start and the resources history checks read."""

    scan_id: str
    started_at: datetime
    resources: dict[str, Resource] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationSettings:
    scan_started_at: datetime
    allowed_regions: frozenset[str] | None = None
    # None: no earlier comparable scan is stored (checks that need history report MANUAL).
    previous: PreviousScan | None = None


@dataclass
class Snapshot:
    """One scan's resources, relations and collection errors, indexed for lookups."""

    resources: list[Resource]
    relations: list[Relation]
    errors: list[CollectionError]
    by_uid: dict[str, Resource] = field(init=False)
    by_type: dict[str, list[Resource]] = field(init=False)
    outgoing: dict[tuple[str, str], list[str]] = field(init=False)
    incoming: dict[tuple[str, str], list[str]] = field(init=False)
    uid_errors: dict[str, CollectionError] = field(init=False)
    scope_errors: dict[str, list[CollectionError]] = field(init=False)
    _attack_graph: AttackGraph | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.by_uid = {r.uid: r for r in self.resources}
        self.by_type = defaultdict(list)
        for r in self.resources:
            self.by_type[r.type].append(r)
        self.outgoing = defaultdict(list)
        self.incoming = defaultdict(list)
        for rel in self.relations:
            self.outgoing[(rel.src, rel.kind)].append(rel.dst)
            self.incoming[(rel.dst, rel.kind)].append(rel.src)
        self.uid_errors = {}
        self.scope_errors = defaultdict(list)
        for err in self.errors:
            if err.resource_uid:
                self.uid_errors.setdefault(err.resource_uid, err)
            elif err.resource_type:
                self.scope_errors[err.resource_type].append(err)

    @property
    def attack_graph(self) -> AttackGraph:
        """The attack graph of the snapshot, built the first time it is asked for and kept."""
        if self._attack_graph is None:
            from cspm_ai.attack_paths import build

            self._attack_graph = build(self)
        return self._attack_graph

    def scope_error(self, resource_type: str, account: str | None, region: str | None) -> CollectionError | None:
        """The list failure (if any) that blinds `resource_type` in this account and region."""
        for err in self.scope_errors.get(resource_type, ()):
            if account is not None and err.account != account:
                continue
            if region is not None and err.region not in (region, GLOBAL):
                continue
            return err
        return None


class _Context:
    """The `CheckContext` a check sees: read-only lookups that raise `Unseen` on blind spots."""

    def __init__(self, snapshot: Snapshot, settings: EvaluationSettings) -> None:
        self._snap = snapshot
        self._settings = settings

    @property
    def scan_started_at(self) -> datetime:
        return self._settings.scan_started_at

    @property
    def allowed_regions(self) -> frozenset[str] | None:
        return self._settings.allowed_regions

    @property
    def previous_scan_started_at(self) -> datetime | None:
        previous = self._settings.previous
        return previous.started_at if previous is not None else None

    def previous(self, uid: str) -> Resource | None:
        previous = self._settings.previous
        return previous.resources.get(uid) if previous is not None else None

    @property
    def attack_paths(self) -> AttackGraph:
        return self._snap.attack_graph

    def get(self, uid: str) -> Resource | None:
        if uid in self._snap.uid_errors:
            raise Unseen(self._snap.uid_errors[uid])
        return self._snap.by_uid.get(uid)

    def related_uids(self, resource: Resource, kind: str) -> list[str]:
        return list(self._snap.outgoing.get((resource.uid, kind), ()))

    def related(self, resource: Resource, kind: str) -> list[Resource]:
        found = (self.get(uid) for uid in self.related_uids(resource, kind))
        return [r for r in found if r is not None]

    def referrers(self, resource: Resource, kind: str) -> list[Resource]:
        # Sorted: a check naming "the first" referrer must say the same thing every scan.
        uids = sorted(self._snap.incoming.get((resource.uid, kind), ()))
        return [self._snap.by_uid[u] for u in uids if u in self._snap.by_uid]

    def resources(self, resource_type: str, *, account: str | None = None, region: str | None = None) -> list[Resource]:
        err = self._snap.scope_error(resource_type, account, region)
        if err is not None:
            raise Unseen(err)
        return [
            r
            for r in self._snap.by_type.get(resource_type, ())
            if (account is None or r.account == account) and (region is None or r.region == region)
        ]


def finding_id(check_id: str, resource_uid: str) -> str:
    """Stable across scans: the same check on the same resource gets the same id."""
    return hashlib.sha256(f"{check_id}\x00{resource_uid}".encode()).hexdigest()[:32]


def describe_error(err: CollectionError) -> str:
    where = f"{err.account}/{err.region}" if err.account else err.region
    return f"{err.service}:{err.operation} failed in {where} ({err.code}): {err.message}"


def _finding(
    check: CheckSpec,
    verdict: Verdict,
    *,
    provider: str,
    account: str,
    region: str,
    resource_type: str,
    uid: str,
    name: str,
    tags: dict[str, str] | None = None,
) -> Finding:
    return Finding(
        id=finding_id(check.id, uid),
        check_id=check.id,
        title=check.title,
        status=verdict.status,
        severity=check.severity,
        provider=provider,
        account=account,
        region=region,
        resource_type=resource_type,
        resource_uid=uid,
        resource_name=name,
        message=verdict.message,
        checklist=check.checklist,
        compliance={k: list(v) for k, v in check.compliance.items()},
        remediation=check.remediation,
        evidence=verdict.evidence,
        resource_tags=dict(tags or {}),
    )


def _error_verdict(err: CollectionError, what: str) -> Verdict:
    return Verdict(
        Status.ERROR,
        f"Could not evaluate {what}: {describe_error(err)}.",
        {"error.operation": f"{err.service}:{err.operation}", "error.code": err.code, "error.message": err.message},
    )


def evaluate(snapshot: Snapshot, checks: Iterable[CheckSpec], settings: EvaluationSettings) -> list[Finding]:
    """Run every check on every resource of its types; one finding per (check, resource)."""
    ctx = _Context(snapshot, settings)
    findings: list[Finding] = []
    for check in checks:
        for rtype in check.resource_types:
            # A failed list call hides every resource of this type in its scope:
            # report the blind spot itself rather than evaluating nothing.
            blind_scopes: dict[str, CollectionError] = {}
            for err in snapshot.scope_errors.get(rtype, ()):
                blind_scopes.setdefault(f"{err.provider}:{err.account}:{err.region}:{rtype}", err)
            for scope_uid, err in blind_scopes.items():
                findings.append(
                    _finding(
                        check,
                        _error_verdict(err, f"any {rtype} in {err.region}"),
                        provider=err.provider,
                        account=err.account,
                        region=err.region,
                        resource_type=rtype,
                        uid=scope_uid,
                        name=f"all {rtype} in {err.region}",
                    )
                )
            # A resource whose own read failed before anything of it was stored (a key or role
            # definition fetched because an AI resource names it) still gets its findings: ERROR.
            for uid, err in snapshot.uid_errors.items():
                if err.resource_type == rtype and uid not in snapshot.by_uid:
                    findings.append(
                        _finding(
                            check,
                            _error_verdict(err, f"{rtype} {uid}"),
                            provider=err.provider,
                            account=err.account,
                            region=err.region,
                            resource_type=rtype,
                            uid=uid,
                            name=uid.rstrip("/").rsplit("/", 1)[-1],
                        )
                    )
            for resource in snapshot.by_type.get(rtype, ()):
                findings.append(
                    _finding(
                        check,
                        _judge(check, resource, ctx, snapshot),
                        provider=resource.provider,
                        account=resource.account,
                        region=resource.region,
                        resource_type=resource.type,
                        uid=resource.uid,
                        name=resource.name,
                        tags=resource.tags,
                    )
                )
    return findings


def _judge(check: CheckSpec, resource: Resource, ctx: _Context, snapshot: Snapshot) -> Verdict:
    own_error = snapshot.uid_errors.get(resource.uid)
    if own_error is not None:
        return _error_verdict(own_error, f"{resource.type} {resource.name}")
    try:
        verdict = check.run(resource, ctx)
    except Unseen as blind:
        return _error_verdict(blind.error, f"{resource.type} {resource.name}")
    except Exception as exc:  # a malformed document must never become a PASS
        return Verdict(
            Status.ERROR,
            f"Check {check.id} could not judge {resource.name}: {type(exc).__name__}: {exc}.",
            {"exception": type(exc).__name__},
        )
    # isinstance, not `in Status`: a plain string status must become ERROR, not a TypeError.
    if (
        not isinstance(verdict, Verdict)
        or not isinstance(verdict.status, Status)
        or not isinstance(verdict.message, str)
    ):
        return Verdict(Status.ERROR, f"Check {check.id} returned no valid verdict.", {})
    return verdict
