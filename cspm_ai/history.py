"""History: which earlier scan a scan compares with, what changed between two scans, and the posture trend.

Pure functions over values the inventory's queries load (`cspm_ai.inventory.queries`): no session,
no clock. The `ScanDiff` value is the contract of `cspm-ai diff --format json` and of report.json's
`changes`; the table and Markdown of `cspm-ai diff` are renderings of it.

Two scans are *comparable* when they cover the same providers and the same accounts (subscriptions,
projects). Regions are not part of it: Azure and Google Cloud scopes list the regions resources were
found in, which change as resources come and go.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from cspm_ai.attestation import Standing, standing_for_scan
from cspm_ai.errors import ConfigError
from cspm_ai.model import (
    GLOBAL,
    SEVERITY_ORDER,
    Attestation,
    CollectionError,
    Finding,
    ScanRecord,
    Scope,
    Severity,
    Status,
)

# Days ahead of the newer scan's start in which an exception or attestation counts as expiring.
DEFAULT_EXPIRING_DAYS: Final = 14
# Scans the report's trend covers.
DEFAULT_TREND_SCANS: Final = 12
# Changed configuration paths kept per resource; the rest are counted.
MAX_PATHS: Final = 100
# Keys whose values are observations, not configuration: they change between two reads of an unchanged
# resource (delivery and last-use times, metrics seen), so a difference there is no change.
OBSERVATION_KEYS: Final = frozenset(
    {
        "LatestDeliveryTime",
        "LatestDeliveryAttemptTime",
        "LatestDeliveryAttemptSucceeded",
        "LatestNotificationTime",
        "LatestNotificationAttemptTime",
        "LatestNotificationAttemptSucceeded",
        "LatestDigestDeliveryTime",
        "LatestDigestDeliveryAttemptTime",
        "LatestDigestDeliveryAttemptSucceeded",
        "LatestCloudWatchLogsDeliveryTime",
        "TimeLoggingStarted",
        "TimeLoggingStopped",
        "LastUsedDate",
        "PasswordLastUsed",
        "lastStartTime",
        "lastStopTime",
        "lastStatusChangeTime",
        "invocationMetrics",
    }
)

GoneReason = Literal["resource_removed", "resource_unreadable", "not_evaluated", "error_cleared"]
GONE_REASONS: Final[dict[str, str]] = {
    "resource_removed": "its resource is gone",
    "resource_unreadable": "its resource could not be read",
    "not_evaluated": "its resource is still there, but the check no longer ran on it",
    "error_cleared": "what could not be read before is readable again",
}


ScopeKey = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]


def scope_key(providers: Iterable[str], scopes: Iterable[Scope]) -> ScopeKey:
    """What makes two scans comparable: the same providers and the same accounts."""
    return tuple(sorted(set(providers))), tuple(sorted({(s.provider, s.account) for s in scopes}))


def describe_scope(providers: Iterable[str], scopes: Iterable[Scope]) -> str:
    """`aws 123456789012, azure 0000…` (or just the providers when no account was recorded)."""
    providers_, accounts = scope_key(providers, scopes)
    if not accounts:
        return ", ".join(providers_) + " (no account recorded)"
    return ", ".join(f"{p} {a}" for p, a in accounts)


def previous_comparable(
    providers: Iterable[str], scopes: Iterable[Scope], started_at: datetime, candidates: Iterable[ScanRecord]
) -> ScanRecord | None:
    """The most recent finished scan among `candidates` that started before `started_at` with the same key."""
    key = scope_key(providers, scopes)
    best: ScanRecord | None = None
    for scan in candidates:
        if scan.finished_at is None or scan.started_at >= started_at:
            continue
        if scope_key(scan.providers, scan.scopes) != key:
            continue
        if best is None or (scan.started_at, scan.id) > (best.started_at, best.id):
            best = scan
    return best


# --------------------------------------------------------------------------- what the queries load


@dataclass(frozen=True)
class FindingState:
    """The columns of a stored finding a comparison needs."""

    id: str
    check_id: str
    title: str
    status: Status
    severity: Severity
    provider: str
    account: str
    region: str
    resource_type: str
    resource_uid: str
    resource_name: str
    message: str
    muted: bool


def finding_state(f: Finding) -> FindingState:
    """The comparison's view of a finding."""
    return FindingState(
        id=f.id,
        check_id=f.check_id,
        title=f.title,
        status=f.status,
        severity=f.severity,
        provider=f.provider,
        account=f.account,
        region=f.region,
        resource_type=f.resource_type,
        resource_uid=f.resource_uid,
        resource_name=f.resource_name,
        message=f.message,
        muted=f.muted,
    )


@dataclass(frozen=True)
class ResourceState:
    """A stored resource with its configuration as stored JSON text (parsed only when it differs)."""

    provider: str
    account: str
    region: str
    type: str
    uid: str
    name: str
    config_text: str


@dataclass(frozen=True)
class ScanContents:
    """One scan's findings, resources and collection errors, as loaded for a comparison."""

    scan: ScanRecord
    findings: Sequence[FindingState]
    resources: Sequence[ResourceState]
    errors: Sequence[CollectionError]


# --------------------------------------------------------------------------- the diff value (the contract)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class ScanRef(_Model):
    id: str
    started_at: datetime
    finished_at: datetime | None
    status: Literal["complete", "incomplete"]


class FindingChange(_Model):
    """A finding whose status changed (or that appeared or went away) between the two scans."""

    id: str
    check_id: str
    title: str
    severity: Severity
    provider: str
    account: str
    region: str
    resource_type: str
    resource_uid: str
    resource_name: str
    # null: not in the newer scan (no_longer_seen) / not in the older one (new).
    status: Status | None
    previous_status: Status | None
    message: str
    muted: bool
    # no_longer_seen only: why it is gone.
    reason: GoneReason | None = None


class FindingChanges(_Model):
    new_failures: list[FindingChange] = Field(default_factory=list)
    regressed: list[FindingChange] = Field(default_factory=list)
    resolved: list[FindingChange] = Field(default_factory=list)
    still_failing: list[FindingChange] = Field(default_factory=list)
    newly_error: list[FindingChange] = Field(default_factory=list)
    no_longer_seen: list[FindingChange] = Field(default_factory=list)


class ResourceRef(_Model):
    provider: str
    account: str
    region: str
    resource_type: str
    uid: str
    name: str


class PathChange(_Model):
    """One configuration path that differs; values as stored (secrets already redacted)."""

    path: str
    change: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None


class ResourceChange(ResourceRef):
    paths: list[PathChange]
    more_paths: NonNegativeInt = 0


class ResourceChanges(_Model):
    added: list[ResourceRef] = Field(default_factory=list)
    removed: list[ResourceRef] = Field(default_factory=list)
    unreadable: list[ResourceRef] = Field(default_factory=list)
    changed: list[ResourceChange] = Field(default_factory=list)


class ExpiringException(_Model):
    id: str
    owner: str
    expires: date
    checks: list[str]
    justification: str


class ExpiringAttestation(_Model):
    id: str
    item: str
    attested_by: str
    expires_on: date
    provider: str | None = None
    account: str | None = None


class Expiring(_Model):
    within_days: NonNegativeInt
    # The newer scan's start day: what "expires within" is counted from.
    as_of: date
    exceptions: list[ExpiringException] = Field(default_factory=list)
    attestations: list[ExpiringAttestation] = Field(default_factory=list)


class DiffCounts(_Model):
    new_failures: NonNegativeInt = 0
    regressed: NonNegativeInt = 0
    resolved: NonNegativeInt = 0
    still_failing: NonNegativeInt = 0
    newly_error: NonNegativeInt = 0
    no_longer_seen: NonNegativeInt = 0
    # Findings in both scans whose status did not change, or changed in no way listed above.
    unchanged: NonNegativeInt = 0
    resources_added: NonNegativeInt = 0
    resources_removed: NonNegativeInt = 0
    resources_unreadable: NonNegativeInt = 0
    resources_changed: NonNegativeInt = 0
    expiring_exceptions: NonNegativeInt = 0
    expiring_attestations: NonNegativeInt = 0


class ScanDiff(_Model):
    """What changed from one scan (`from_scan`, null when there is none to compare with) to another."""

    from_scan: ScanRef | None
    to_scan: ScanRef
    # Whether the two scans cover the same providers and accounts (a chosen --from may not).
    comparable: bool
    # Why there is no earlier scan, when there is none.
    note: str | None = None
    counts: DiffCounts
    findings: FindingChanges
    resources: ResourceChanges
    expiring: Expiring

    def new_or_regressed(self) -> list[FindingChange]:
        """Failures that were not failing before: new failures and regressions, most severe first."""
        return sorted([*self.findings.new_failures, *self.findings.regressed], key=_change_order)


class TrendPoint(_Model):
    """One scan of the trend: its FAIL counts by severity and by checklist item."""

    scan_id: str
    started_at: datetime
    status: Literal["complete", "incomplete"]
    fail_by_severity: dict[Severity, NonNegativeInt]
    fail_by_checklist: dict[str, NonNegativeInt]


# --------------------------------------------------------------------------- computing it


def scan_ref(scan: ScanRecord) -> ScanRef:
    return ScanRef(
        id=scan.id,
        started_at=scan.started_at,
        finished_at=scan.finished_at,
        status=scan.status,  # type: ignore[arg-type]  # validated against the Literal
    )


def diff_scans(
    older: ScanContents | None,
    newer: ScanContents,
    *,
    attestations: Sequence[Attestation] = (),
    expiring_days: int = DEFAULT_EXPIRING_DAYS,
    note: str | None = None,
) -> ScanDiff:
    """Compare two scans' findings and resources; `older` None gives only what is expiring."""
    findings = FindingChanges()
    resources = ResourceChanges()
    unchanged = 0
    if older is not None:
        findings, unchanged = _finding_changes(older, newer)
        resources = _resource_changes(older, newer)
    expiring = _expiring(newer.scan, attestations, expiring_days)
    counts = DiffCounts(
        **{name: len(getattr(findings, name)) for name in FindingChanges.model_fields},
        unchanged=unchanged,
        resources_added=len(resources.added),
        resources_removed=len(resources.removed),
        resources_unreadable=len(resources.unreadable),
        resources_changed=len(resources.changed),
        expiring_exceptions=len(expiring.exceptions),
        expiring_attestations=len(expiring.attestations),
    )
    comparable = older is not None and scope_key(older.scan.providers, older.scan.scopes) == scope_key(
        newer.scan.providers, newer.scan.scopes
    )
    return ScanDiff(
        from_scan=scan_ref(older.scan) if older is not None else None,
        to_scan=scan_ref(newer.scan),
        comparable=comparable,
        note=note,
        counts=counts,
        findings=findings,
        resources=resources,
        expiring=expiring,
    )


def _change(f: FindingState, status: Status | None, previous: Status | None, **extra: Any) -> FindingChange:
    return FindingChange(
        id=f.id,
        check_id=f.check_id,
        title=f.title,
        severity=f.severity,
        provider=f.provider,
        account=f.account,
        region=f.region,
        resource_type=f.resource_type,
        resource_uid=f.resource_uid,
        resource_name=f.resource_name,
        status=status,
        previous_status=previous,
        message=f.message,
        muted=f.muted,
        **extra,
    )


def _category(now: Status, before: Status | None) -> str | None:
    """Which list a finding present in the newer scan belongs to (None: unchanged or unlisted)."""
    if now == Status.FAIL:
        if before == Status.FAIL:
            return "still_failing"
        return "regressed" if before == Status.PASS else "new_failures"
    if now == Status.ERROR:
        return None if before == Status.ERROR else "newly_error"
    if before == Status.FAIL:
        return "resolved"  # now PASS or MANUAL
    return None


def _finding_changes(older: ScanContents, newer: ScanContents) -> tuple[FindingChanges, int]:
    before = {f.id: f for f in older.findings}
    lists: dict[str, list[FindingChange]] = {name: [] for name in FindingChanges.model_fields}
    unchanged = 0
    seen: set[str] = set()
    for f in newer.findings:
        seen.add(f.id)
        old = before.get(f.id)
        category = _category(f.status, old.status if old is not None else None)
        if category is None:
            unchanged += old is not None
            continue
        lists[category].append(_change(f, f.status, old.status if old is not None else None))
    gone = [f for f in older.findings if f.id not in seen]
    if gone:
        why = _GoneReasons(older, newer)
        for f in gone:
            lists["no_longer_seen"].append(_change(f, None, f.status, reason=why.of(f)))
    return FindingChanges(**{k: sorted(v, key=_change_order) for k, v in lists.items()}), unchanged


class _Blindness:
    """Whether a scan could not read a resource: its own read failed, its kind's list failed where it
    lives, or its whole account could not be read."""

    def __init__(self, errors: Sequence[CollectionError]) -> None:
        self._uids = {e.resource_uid for e in errors if e.resource_uid}
        self._scopes = {
            (e.resource_type, e.account, e.region) for e in errors if e.resource_type and not e.resource_uid
        }
        self._accounts = {(e.provider, e.account) for e in errors if not e.resource_type and not e.resource_uid}

    def hides(self, provider: str, account: str, region: str, resource_type: str, uid: str) -> bool:
        if uid in self._uids or (provider, account) in self._accounts:
            return True
        return any((resource_type, account, r) in self._scopes for r in (region, GLOBAL))


class _GoneReasons:
    def __init__(self, older: ScanContents, newer: ScanContents) -> None:
        self._old_uids = {r.uid for r in older.resources}
        self._new_uids = {r.uid for r in newer.resources}
        self._blind = _Blindness(newer.errors)

    def of(self, f: FindingState) -> GoneReason:
        if f.resource_uid in self._new_uids:
            return "not_evaluated"
        if self._blind.hides(f.provider, f.account, f.region, f.resource_type, f.resource_uid):
            return "resource_unreadable"
        if f.status == Status.ERROR and f.resource_uid not in self._old_uids:
            return "error_cleared"  # a blind scope's finding: the scope is readable again
        return "resource_removed"


def _ref(r: ResourceState) -> ResourceRef:
    return ResourceRef(
        provider=r.provider, account=r.account, region=r.region, resource_type=r.type, uid=r.uid, name=r.name
    )


def _resource_order(r: ResourceRef) -> tuple[str, ...]:
    return (r.provider, r.account, r.resource_type, r.uid)


def _resource_changes(older: ScanContents, newer: ScanContents) -> ResourceChanges:
    before = {r.uid: r for r in older.resources}
    after = {r.uid: r for r in newer.resources}
    added = [_ref(r) for uid, r in after.items() if uid not in before]
    blind = _Blindness(newer.errors)
    removed: list[ResourceRef] = []
    unreadable: list[ResourceRef] = []
    for uid, r in before.items():
        if uid in after:
            continue
        target = unreadable if blind.hides(r.provider, r.account, r.region, r.type, uid) else removed
        target.append(_ref(r))
    changed: list[ResourceChange] = []
    for uid, new in after.items():
        old = before.get(uid)
        if old is None or old.config_text == new.config_text:
            continue
        paths = config_changes(json.loads(old.config_text), json.loads(new.config_text))
        if paths:
            more = max(0, len(paths) - MAX_PATHS)
            changed.append(ResourceChange(**_ref(new).model_dump(), paths=paths[:MAX_PATHS], more_paths=more))
    return ResourceChanges(
        added=sorted(added, key=_resource_order),
        removed=sorted(removed, key=_resource_order),
        unreadable=sorted(unreadable, key=_resource_order),
        changed=sorted(changed, key=_resource_order),
    )


def config_changes(before: Any, after: Any) -> list[PathChange]:
    """Every configuration path whose value differs, in document order; observation keys are skipped."""
    out: list[PathChange] = []
    _walk(before, after, "", out)
    return out


def _key_path(prefix: str, key: str) -> str:
    plain = key and all(c.isalnum() or c in "_-:@/$" for c in key)
    if plain:
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key, ensure_ascii=False)}]"


def _walk(before: Any, after: Any, path: str, out: list[PathChange]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*before, *(k for k in after if k not in before)]:
            if key in OBSERVATION_KEYS:
                continue
            child = _key_path(path, str(key))
            if key not in after:
                out.append(PathChange(path=child, change="removed", before=before[key]))
            elif key not in before:
                out.append(PathChange(path=child, change="added", after=after[key]))
            else:
                _walk(before[key], after[key], child, out)
        return
    if isinstance(before, list) and isinstance(after, list):
        for i in range(max(len(before), len(after))):
            child = f"{path}[{i}]"
            if i >= len(after):
                out.append(PathChange(path=child, change="removed", before=before[i]))
            elif i >= len(before):
                out.append(PathChange(path=child, change="added", after=after[i]))
            else:
                _walk(before[i], after[i], child, out)
        return
    if before != after or type(before) is not type(after):
        out.append(PathChange(path=path or "(document)", change="changed", before=before, after=after))


def _expiring(scan: ScanRecord, attestations: Sequence[Attestation], days: int) -> Expiring:
    as_of = scan.started_at.date()
    until = as_of + timedelta(days=days)
    exceptions = []
    for rule in scan.exceptions:
        expires = _as_date(rule.get("expires"))
        if expires is not None and rule.get("status") == "active" and expires <= until:
            exceptions.append(
                ExpiringException(
                    id=str(rule.get("id", "")),
                    owner=str(rule.get("owner", "")),
                    expires=expires,
                    checks=[str(c) for c in rule.get("checks", ())],
                    justification=str(rule.get("justification", "")),
                )
            )
    held = [a for a in attestations if standing_for_scan(a, scan) is Standing.IN_FORCE and a.expires_on <= until]
    return Expiring(
        within_days=days,
        as_of=as_of,
        exceptions=sorted(exceptions, key=lambda e: (e.expires, e.id)),
        attestations=[
            ExpiringAttestation(
                id=a.id,
                item=a.item,
                attested_by=a.attested_by,
                expires_on=a.expires_on,
                provider=a.provider,
                account=a.account,
            )
            for a in sorted(held, key=lambda a: (a.expires_on, a.item, a.id))
        ],
    )


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _change_order(c: FindingChange) -> tuple[int, str, str, str]:
    return (SEVERITY_ORDER[c.severity], c.check_id, c.resource_uid, c.id)


# --------------------------------------------------------------------------- trend


def trend_points(
    scans: Sequence[ScanRecord], counts: Mapping[str, Mapping[tuple[str, tuple[str, ...]], int]]
) -> list[TrendPoint]:
    """Trend points, oldest first, from each scan's FAIL counts keyed by (severity, checklist ids)."""
    points = []
    for scan in sorted(scans, key=lambda s: (s.started_at, s.id)):
        by_severity = {s: 0 for s in Severity}
        by_item: dict[str, int] = {}
        for (severity, items), n in counts.get(scan.id, {}).items():
            by_severity[Severity(severity)] += n
            for item in items:
                by_item[item] = by_item.get(item, 0) + n
        points.append(
            TrendPoint(
                scan_id=scan.id,
                started_at=scan.started_at,
                status=scan.status,  # type: ignore[arg-type]  # validated against the Literal
                fail_by_severity=by_severity,
                fail_by_checklist=dict(sorted(by_item.items())),
            )
        )
    return points


# --------------------------------------------------------------------------- retention


def prune_selection(
    scans: Sequence[ScanRecord], *, keep: int | None = None, older_than: datetime | None = None
) -> list[ScanRecord]:
    """The scans `cspm-ai prune` deletes, newest first.

    `keep`: all but the `keep` newest scans of each series of comparable scans. `older_than`: the scans
    that started before it. Never the latest complete scan of any account (provider and account).
    """
    protected: dict[tuple[str, str], ScanRecord] = {}
    for scan in scans:
        if scan.status != "complete":
            continue
        for scope in scan.scopes:
            key = (scope.provider, scope.account)
            if key not in protected or (scan.started_at, scan.id) > (protected[key].started_at, protected[key].id):
                protected[key] = scan
    kept_ids = {s.id for s in protected.values()}
    newest_first = sorted(scans, key=lambda s: (s.started_at, s.id), reverse=True)
    chosen: list[ScanRecord] = []
    if keep is not None:
        seen: dict[ScopeKey, int] = {}
        for scan in newest_first:
            series = scope_key(scan.providers, scan.scopes)
            seen[series] = seen.get(series, 0) + 1
            if seen[series] > keep:
                chosen.append(scan)
    elif older_than is not None:
        chosen = [s for s in newest_first if s.started_at < older_than]
    return [s for s in chosen if s.id not in kept_ids]


# --------------------------------------------------------------------------- durations


def parse_days(text: str, option: str) -> int:
    """`14d`, `2w` or `14` (days) as a number of days; anything else is a ConfigError naming `option`."""
    raw = text.strip().lower()
    unit = 1
    if raw.endswith("w"):
        raw, unit = raw[:-1], 7
    elif raw.endswith("d"):
        raw = raw[:-1]
    if not raw.isdigit() or len(raw) > 6:
        raise ConfigError(
            f"{option} {text!r} is not a number of days.", f"Write it as days or weeks, e.g. {option} 14d or 2w."
        )
    return int(raw) * unit
