"""Every inventory read and write: functions that take a Session and return plain model values."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, Text, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from cspm_ai.distributed.model import Claim, PartState, ScanPart, Schedule, ScheduleRun, part_key
from cspm_ai.engine import Snapshot
from cspm_ai.errors import ConfigError, NotFoundError
from cspm_ai.history import FindingState, ResourceState
from cspm_ai.inventory.database import json_text
from cspm_ai.inventory.schema import (
    SCAN_STATUSES,
    AttestationRow,
    Base,
    CollectionErrorRow,
    FindingRow,
    ReevaluationRow,
    RelationRow,
    ResourceRow,
    ScanPartRow,
    ScanRow,
    ScheduleRow,
    ScheduleRunRow,
)
from cspm_ai.model import (
    Attestation,
    CollectionError,
    CollectionResult,
    Finding,
    Reevaluation,
    Relation,
    Resource,
    Revocation,
    ScanRecord,
    Scope,
    Severity,
    Status,
)

# Rows per INSERT batch, and uids per first-seen lookup (well under every
# database's bound-parameter limit).
INSERT_BATCH = 1000
LOOKUP_BATCH = 500
MIN_PREFIX = 8
LIST_HINT = "run `cspm-ai scans` to list stored scans"

_T = TypeVar("_T")


def create_scan(
    session: Session,
    *,
    providers: Sequence[str],
    tool_version: str,
    allowed_regions: Iterable[str] | None,
    options: Mapping[str, Any],
    started_at: datetime,
) -> ScanRecord:
    """Add an "incomplete" scan row with a new uuid; the caller commits."""
    row = ScanRow(
        id=str(uuid.uuid4()),
        started_at=_utc(started_at),
        finished_at=None,
        status="incomplete",
        providers=list(providers),
        scopes=[],
        tool_version=tool_version,
        allowed_regions=None if allowed_regions is None else list(allowed_regions),
        options=dict(options),
    )
    session.add(row)
    session.flush()
    return _scan_record(row)


def store_scan_results(
    session: Session,
    scan_id: str,
    result: CollectionResult,
    findings: Sequence[Finding],
    *,
    finished_at: datetime,
    status: str,
    exceptions: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Store a scan's resources, relations, errors, findings and scopes and close the scan row.

    Run it inside one transaction: if anything fails, nothing of the scan is
    written and its row stays "incomplete". A uid listed twice keeps its first
    resource; a finding id listed twice keeps its first finding.
    """
    if status not in SCAN_STATUSES:
        raise ValueError(f"scan status must be one of {SCAN_STATUSES}, not {status!r}")
    scan = _scan_row(session, scan_id)
    if scan.finished_at is not None:
        raise ValueError(f"scan {scan_id} already has stored results")
    finished = _utc(finished_at)

    unique: dict[str, Resource] = {}
    for resource in result.resources:
        unique.setdefault(resource.uid, resource)
    resources = list(unique.values())
    earliest = _earliest_scans(session, scan_id, resources)
    started = scan.started_at
    _insert(session, ResourceRow, (_resource_row(scan_id, r, earliest, started) for r in resources))
    _insert(
        session,
        RelationRow,
        (
            {"scan_id": scan_id, "src_uid": rel.src, "kind": rel.kind, "dst_uid": rel.dst}
            for rel in dict.fromkeys(result.relations)
        ),
    )
    _insert(session, CollectionErrorRow, (_error_row(scan_id, e) for e in result.errors))
    _insert_findings(session, scan_id, findings)
    scan.scopes = [_scope_json(s) for s in result.scopes]
    scan.exceptions = [dict(e) for e in exceptions]
    scan.finished_at = finished
    scan.status = status
    session.flush()


def replace_findings(
    session: Session,
    scan_id: str,
    findings: Sequence[Finding],
    exceptions: Sequence[Mapping[str, Any]] | None = None,
    reevaluation: Reevaluation | None = None,
) -> None:
    """Swap a scan's findings (and the exceptions applied) for a re-evaluation's; the caller commits.

    With `reevaluation`, it is appended to the scan's history in the same transaction, with the
    exceptions the scan carried until now as its `replaced_exceptions` (the value's own are ignored).
    """
    scan = _scan_row(session, scan_id)
    if reevaluation is not None:
        session.add(
            ReevaluationRow(
                scan_id=scan_id,
                evaluated_at=_utc(reevaluation.evaluated_at),
                tool_version=reevaluation.tool_version,
                exceptions_from=reevaluation.exceptions_from,
                mutelist_file=reevaluation.mutelist_file,
                mutelist_sha256=reevaluation.mutelist_sha256,
                rules=reevaluation.rules,
                findings=reevaluation.findings,
                muted=reevaluation.muted,
                replaced_exceptions=[dict(e) for e in scan.exceptions or ()],
            )
        )
    session.execute(delete(FindingRow).where(FindingRow.scan_id == scan_id))
    _insert_findings(session, scan_id, findings)
    if exceptions is not None:
        scan.exceptions = [dict(e) for e in exceptions]
    session.flush()


def add_attestation(session: Session, attestation: Attestation, content: bytes | None) -> None:
    revocation = attestation.revocation
    session.add(
        AttestationRow(
            id=attestation.id,
            item=attestation.item,
            attested_by=attestation.attested_by,
            attested_at=_utc(attestation.attested_at),
            expires_on=attestation.expires_on,
            evidence=attestation.evidence,
            evidence_sha256=attestation.evidence_sha256,
            evidence_content=content,
            note=attestation.note,
            valid_from=_utc(attestation.valid_from) if attestation.valid_from is not None else None,
            provider=attestation.provider,
            account=attestation.account,
            long_validity=attestation.long_validity,
            revoked_at=_utc(revocation.revoked_at) if revocation is not None else None,
            revoked_by=revocation.revoked_by if revocation is not None else None,
            revocation_reason=revocation.reason if revocation is not None else None,
        )
    )
    session.flush()


def load_attestations(session: Session) -> list[Attestation]:
    """Every attestation, revoked ones included, oldest first."""
    rows = session.scalars(select(AttestationRow).order_by(AttestationRow.attested_at, AttestationRow.id))
    return [_attestation(row) for row in rows]


def get_attestation(session: Session, ref: str) -> Attestation:
    """The attestation named by its full id or a unique id prefix of at least 8 characters."""
    wanted = ref.strip().lower()
    hint = "run `cspm-ai attestations` to list them with their ids"
    exact = session.get(AttestationRow, wanted)
    if exact is not None:
        return _attestation(exact)
    if len(wanted) < MIN_PREFIX:
        raise NotFoundError(
            f"No attestation has the id '{ref}' (an id prefix needs at least {MIN_PREFIX} characters).", hint=hint
        )
    matches = session.scalars(
        select(AttestationRow).where(AttestationRow.id.startswith(wanted, autoescape=True)).limit(2)
    ).all()
    if len(matches) > 1:
        raise NotFoundError(f"The attestation id prefix '{ref}' matches more than one.", hint=f"give more; {hint}")
    if not matches:
        raise NotFoundError(f"No attestation has the id or id prefix '{ref}'.", hint=hint)
    return _attestation(matches[0])


def revoke_attestation(session: Session, attestation_id: str, revocation: Revocation) -> None:
    """Record a revocation; refused when one is already recorded (the first one is kept, never replaced)."""
    done = session.execute(
        update(AttestationRow)
        .where(AttestationRow.id == attestation_id, AttestationRow.revoked_at.is_(None))
        .values(
            revoked_at=_utc(revocation.revoked_at),
            revoked_by=revocation.revoked_by,
            revocation_reason=revocation.reason,
        )
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]  # a DML result has rowcount
        current = session.get(AttestationRow, attestation_id)
        if current is None:
            raise NotFoundError(f"No attestation has the id '{attestation_id}'.")
        raise ConfigError(
            f"Attestation {attestation_id} was already revoked by {current.revoked_by}.",
            "A revocation is kept as recorded; `cspm-ai attestations` lists them.",
        )
    session.flush()


def load_attestation_evidence(session: Session, attestation_id: str) -> bytes | None:
    row = session.get(AttestationRow, attestation_id)
    return None if row is None else row.evidence_content


def _attestation(row: AttestationRow) -> Attestation:
    revocation = None
    if row.revoked_at is not None:
        revocation = Revocation(
            revoked_at=row.revoked_at, revoked_by=row.revoked_by or "", reason=row.revocation_reason or ""
        )
    return Attestation(
        id=row.id,
        item=row.item,
        attested_by=row.attested_by,
        attested_at=row.attested_at,
        expires_on=row.expires_on,
        evidence=row.evidence,
        note=row.note,
        evidence_sha256=row.evidence_sha256,
        valid_from=row.valid_from,
        provider=row.provider,
        account=row.account,
        long_validity=row.long_validity,
        revocation=revocation,
    )


def get_scan(session: Session, ref: str) -> ScanRecord:
    """The scan named by a full id, a unique id prefix of at least 8 characters, or "latest".

    "latest" is the most recently started scan that finished, or failing any,
    the most recently started one.
    """
    wanted = ref.strip().lower()
    if wanted == "latest":
        latest = session.scalars(
            select(ScanRow)
            .order_by(ScanRow.finished_at.is_(None), ScanRow.started_at.desc(), ScanRow.id.desc())
            .limit(1)
        ).first()
        if latest is None:
            raise NotFoundError("No scan is stored in this inventory yet.", hint="run `cspm-ai scan` to collect one")
        return _scan_record(latest)
    exact = session.get(ScanRow, wanted)
    if exact is not None:
        return _scan_record(exact)
    if len(wanted) < MIN_PREFIX:
        raise NotFoundError(
            f"No stored scan has the id '{ref}' (an id prefix needs at least {MIN_PREFIX} characters).",
            hint=LIST_HINT,
        )
    matches = session.scalars(select(ScanRow).where(ScanRow.id.startswith(wanted, autoescape=True)).limit(2)).all()
    if len(matches) > 1:
        raise NotFoundError(
            f"The scan id prefix '{ref}' matches more than one scan.",
            hint=f"give more characters of the id; {LIST_HINT}",
        )
    if not matches:
        raise NotFoundError(f"No stored scan has the id or id prefix '{ref}'.", hint=LIST_HINT)
    return _scan_record(matches[0])


def list_scans(session: Session, limit: int = 50) -> list[ScanRecord]:
    """Stored scans, newest first."""
    rows = session.scalars(select(ScanRow).order_by(ScanRow.started_at.desc(), ScanRow.id.desc()).limit(limit))
    return [_scan_record(row) for row in rows]


def scan_counts(session: Session, scan_id: str) -> dict[str, int]:
    """How many of a scan's findings have each status, every status listed (zero included)."""
    _scan_row(session, scan_id)
    counts = {status.value: 0 for status in Status}
    rows = session.execute(
        select(FindingRow.status, func.count()).where(FindingRow.scan_id == scan_id).group_by(FindingRow.status)
    )
    for status, count in rows:
        counts[status] = count
    return counts


def load_snapshot(session: Session, scan_id: str) -> Snapshot:
    """The resources, relations and collection errors one scan stored, ready for evaluation."""
    _scan_row(session, scan_id)
    resources = [
        Resource(
            provider=row.provider,
            account=row.account,
            region=row.region,
            type=row.resource_type,
            uid=row.uid,
            name=row.name,
            config=row.config,
            tags=row.tags,
            redactions=tuple(row.redactions),
        )
        for row in session.execute(
            select(
                ResourceRow.provider,
                ResourceRow.account,
                ResourceRow.region,
                ResourceRow.resource_type,
                ResourceRow.uid,
                ResourceRow.name,
                ResourceRow.config,
                ResourceRow.tags,
                ResourceRow.redactions,
            )
            .where(ResourceRow.scan_id == scan_id)
            .order_by(ResourceRow.id)
        )
    ]
    relations = [
        Relation(src=src, kind=kind, dst=dst)
        for src, kind, dst in session.execute(
            select(RelationRow.src_uid, RelationRow.kind, RelationRow.dst_uid)
            .where(RelationRow.scan_id == scan_id)
            .order_by(RelationRow.id)
        )
    ]
    return Snapshot(resources=resources, relations=relations, errors=_errors(session, scan_id))


# The columns every read of findings needs, and the fields they make (a Finding's and a FindingState's alike).
_FINDING_HEAD = (
    FindingRow.finding_id,
    FindingRow.check_id,
    FindingRow.title,
    FindingRow.status,
    FindingRow.severity,
    FindingRow.provider,
    FindingRow.account,
    FindingRow.region,
    FindingRow.resource_type,
    FindingRow.resource_uid,
    FindingRow.resource_name,
    FindingRow.message,
)


def _finding_head(row: Any) -> dict[str, Any]:
    return {
        "id": row.finding_id,
        "check_id": row.check_id,
        "title": row.title,
        "status": Status(row.status),
        "severity": Severity(row.severity),
        "provider": row.provider,
        "account": row.account,
        "region": row.region,
        "resource_type": row.resource_type,
        "resource_uid": row.resource_uid,
        "resource_name": row.resource_name,
        "message": row.message,
    }


def load_findings(session: Session, scan_id: str) -> list[Finding]:
    """A scan's findings in the order they were stored."""
    _scan_row(session, scan_id)
    rows = session.execute(
        select(
            *_FINDING_HEAD,
            FindingRow.checklist,
            FindingRow.compliance,
            FindingRow.remediation,
            FindingRow.evidence,
            FindingRow.muted,
            FindingRow.mute_reason,
            FindingRow.resource_tags,
        )
        .where(FindingRow.scan_id == scan_id)
        .order_by(FindingRow.id)
    )
    return [
        Finding(
            **_finding_head(row),
            checklist=tuple(row.checklist),
            compliance={framework: list(ids) for framework, ids in row.compliance.items()},
            remediation=row.remediation,
            evidence=row.evidence,
            muted=row.muted,
            mute_reason=row.mute_reason,
            resource_tags=dict(row.resource_tags or {}),
        )
        for row in rows
    ]


def load_errors(session: Session, scan_id: str) -> list[CollectionError]:
    """The list and describe calls that failed during a scan."""
    _scan_row(session, scan_id)
    return _errors(session, scan_id)


def _errors(session: Session, scan_id: str) -> list[CollectionError]:
    rows = session.execute(
        select(
            CollectionErrorRow.provider,
            CollectionErrorRow.account,
            CollectionErrorRow.region,
            CollectionErrorRow.service,
            CollectionErrorRow.operation,
            CollectionErrorRow.code,
            CollectionErrorRow.message,
            CollectionErrorRow.resource_type,
            CollectionErrorRow.resource_uid,
        )
        .where(CollectionErrorRow.scan_id == scan_id)
        .order_by(CollectionErrorRow.id)
    )
    return [
        CollectionError(
            provider=row.provider,
            account=row.account,
            region=row.region,
            service=row.service,
            operation=row.operation,
            code=row.code,
            message=row.message,
            resource_type=row.resource_type,
            resource_uid=row.resource_uid,
        )
        for row in rows
    ]


# --------------------------------------------------------------------------- history


def scan_heads(session: Session, *, finished_before: datetime | None = None) -> list[ScanRecord]:
    """Every stored scan's id, times, status, providers and scopes (no exceptions or re-evaluations),
    newest first; with `finished_before`, only finished scans that started before it."""
    query = select(
        ScanRow.id, ScanRow.started_at, ScanRow.finished_at, ScanRow.status, ScanRow.providers, ScanRow.scopes
    ).order_by(ScanRow.started_at.desc(), ScanRow.id.desc())
    if finished_before is not None:
        query = query.where(ScanRow.finished_at.is_not(None), ScanRow.started_at < _utc(finished_before))
    return [
        ScanRecord(
            id=row.id,
            started_at=row.started_at,
            finished_at=row.finished_at,
            status=row.status,
            providers=tuple(row.providers),
            scopes=_scopes(row.scopes),
            tool_version="",
        )
        for row in session.execute(query)
    ]


def load_finding_states(session: Session, scan_id: str) -> list[FindingState]:
    """A scan's findings, only the columns a comparison reads."""
    rows = session.execute(
        select(
            *_FINDING_HEAD,
            FindingRow.muted,
        ).where(FindingRow.scan_id == scan_id)
    )
    return [
        FindingState(
            **_finding_head(row),
            muted=bool(row.muted),
        )
        for row in rows
    ]


def load_resource_states(session: Session, scan_id: str) -> list[ResourceState]:
    """A scan's resources with their configuration as stored JSON text: equal text, equal configuration,
    so a comparison parses only the documents that differ."""
    rows = session.execute(
        select(
            ResourceRow.provider,
            ResourceRow.account,
            ResourceRow.region,
            ResourceRow.resource_type,
            ResourceRow.uid,
            ResourceRow.name,
            cast(ResourceRow.config, Text),
        ).where(ResourceRow.scan_id == scan_id)
    )
    return [ResourceState(*row) for row in rows]


def load_resources(session: Session, scan_id: str, types: Iterable[str]) -> list[Resource]:
    """A scan's resources of the given types, whole (what a check may read of an earlier scan)."""
    wanted = sorted(set(types))
    if not wanted:
        return []
    rows = session.execute(
        select(
            ResourceRow.provider,
            ResourceRow.account,
            ResourceRow.region,
            ResourceRow.resource_type,
            ResourceRow.uid,
            ResourceRow.name,
            ResourceRow.config,
            ResourceRow.tags,
            ResourceRow.redactions,
        ).where(ResourceRow.scan_id == scan_id, ResourceRow.resource_type.in_(wanted))
    )
    return [
        Resource(
            provider=r.provider,
            account=r.account,
            region=r.region,
            type=r.resource_type,
            uid=r.uid,
            name=r.name,
            config=r.config,
            tags=r.tags,
            redactions=tuple(r.redactions),
        )
        for r in rows
    ]


def fail_counts(session: Session, scan_ids: Sequence[str]) -> dict[str, dict[tuple[str, tuple[str, ...]], int]]:
    """Per scan, how many FAIL findings have each (severity, checklist ids): one grouped query."""
    out: dict[str, dict[tuple[str, tuple[str, ...]], int]] = {scan_id: {} for scan_id in scan_ids}
    for ids in _batches(list(scan_ids), LOOKUP_BATCH):
        items = cast(FindingRow.checklist, Text)
        rows = session.execute(
            select(FindingRow.scan_id, FindingRow.severity, items, func.count())
            .where(FindingRow.scan_id.in_(ids), FindingRow.status == Status.FAIL.value)
            .group_by(FindingRow.scan_id, FindingRow.severity, items)
        )
        for scan_id, severity, checklist_text, count in rows:
            key = (severity, tuple(json.loads(checklist_text)))
            out[scan_id][key] = out[scan_id].get(key, 0) + count
    return out


def delete_scans(session: Session, scan_ids: Sequence[str]) -> dict[str, int]:
    """Delete scans and everything stored with them (the caller commits); how many rows of each went."""
    removed = {"scans": 0, "resources": 0, "findings": 0, "relations": 0, "collection_errors": 0, "reevaluations": 0}
    children: tuple[tuple[str, Any], ...] = (
        ("resources", ResourceRow),
        ("findings", FindingRow),
        ("relations", RelationRow),
        ("collection_errors", CollectionErrorRow),
        ("reevaluations", ReevaluationRow),
    )
    for ids in _batches(list(scan_ids), LOOKUP_BATCH):
        # Children first, explicitly: the counts are reported, and no database is relied on to cascade.
        for name, model in children:
            result = session.execute(delete(model).where(model.scan_id.in_(ids)))
            removed[name] += result.rowcount  # type: ignore[attr-defined]  # a DML result has rowcount
        result = session.execute(delete(ScanRow).where(ScanRow.id.in_(ids)))
        removed["scans"] += result.rowcount  # type: ignore[attr-defined]
    session.flush()
    return removed


def _scopes(raw: Sequence[Mapping[str, Any]]) -> tuple[Scope, ...]:
    return tuple(
        Scope(provider=s["provider"], account=s["account"], regions=tuple(s["regions"]), identity=s["identity"])
        for s in raw
    )


def _scan_row(session: Session, scan_id: str) -> ScanRow:
    row = session.get(ScanRow, scan_id)
    if row is None:
        raise NotFoundError(f"No stored scan has the id '{scan_id}'.", hint=LIST_HINT)
    return row


def _scan_record(row: ScanRow) -> ScanRecord:
    return ScanRecord(
        id=row.id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        providers=tuple(row.providers),
        scopes=tuple(
            Scope(
                provider=scope["provider"],
                account=scope["account"],
                regions=tuple(scope["regions"]),
                identity=scope["identity"],
            )
            for scope in row.scopes
        ),
        tool_version=row.tool_version,
        allowed_regions=None if row.allowed_regions is None else tuple(row.allowed_regions),
        exceptions=tuple(row.exceptions or ()),
        reevaluations=tuple(
            Reevaluation(
                evaluated_at=r.evaluated_at,
                tool_version=r.tool_version,
                exceptions_from=r.exceptions_from,
                mutelist_file=r.mutelist_file,
                mutelist_sha256=r.mutelist_sha256,
                rules=r.rules,
                findings=r.findings,
                muted=r.muted,
                replaced_exceptions=tuple(r.replaced_exceptions),
            )
            for r in row.reevaluations
        ),
    )


def _earliest_scans(session: Session, scan_id: str, resources: Sequence[Resource]) -> dict[tuple[str, str], datetime]:
    """For each (provider, uid) an earlier scan stored, the start of the earliest such scan."""
    wanted = {(r.provider, r.uid) for r in resources}
    earliest: dict[tuple[str, str], datetime] = {}
    for uids in _batches(sorted({uid for _, uid in wanted}), LOOKUP_BATCH):
        rows = session.execute(
            select(ResourceRow.provider, ResourceRow.uid, func.min(ScanRow.started_at))
            .join(ScanRow, ScanRow.id == ResourceRow.scan_id)
            .where(ResourceRow.uid.in_(uids), ResourceRow.scan_id != scan_id)
            .group_by(ResourceRow.provider, ResourceRow.uid)
        )
        for provider, uid, first in rows:
            if (provider, uid) in wanted:
                earliest[(provider, uid)] = first
    return earliest


def _first_of_each_id(findings: Iterable[Finding]) -> list[Finding]:
    """The findings a scan stores: the first of each id, in order."""
    unique: dict[str, Finding] = {}
    for finding in findings:
        unique.setdefault(finding.id, finding)
    return list(unique.values())


def _insert_findings(session: Session, scan_id: str, findings: Iterable[Finding]) -> None:
    _insert(
        session,
        FindingRow,
        (
            {
                "scan_id": scan_id,
                "finding_id": f.id,
                "check_id": f.check_id,
                "title": f.title,
                "status": Status(f.status).value,
                "severity": Severity(f.severity).value,
                "provider": f.provider,
                "account": f.account,
                "region": f.region,
                "resource_type": f.resource_type,
                "resource_uid": f.resource_uid,
                "resource_name": f.resource_name,
                "message": f.message,
                "checklist": list(f.checklist),
                "compliance": {framework: list(ids) for framework, ids in f.compliance.items()},
                "remediation": f.remediation,
                "evidence": f.evidence,
                "muted": f.muted,
                "mute_reason": f.mute_reason,
                "resource_tags": dict(f.resource_tags),
            }
            for f in _first_of_each_id(findings)
        ),
    )


def findings_as_stored(findings: Iterable[Finding]) -> list[Finding]:
    """What `load_findings` reads back once `_insert_findings` has stored `findings`, without reading it: the
    first finding of each id, in order, every JSON column as its stored text decodes."""
    return [
        replace(
            f,
            status=Status(f.status),
            severity=Severity(f.severity),
            checklist=tuple(f.checklist),
            compliance={framework: list(ids) for framework, ids in f.compliance.items()},
            evidence=json.loads(json_text(f.evidence)),
            resource_tags=dict(f.resource_tags or {}),
            affects=(),  # not stored
        )
        for f in _first_of_each_id(findings)
    ]


def _insert(session: Session, model: type[Base], rows: Iterable[dict[str, Any]]) -> None:
    # A Core INSERT of the mapped table (executemany), not the ORM's bulk insert of the class: the same rows,
    # without the ORM's per-row bookkeeping (the store of a 1,500-resource scan took 0.9 s, now 0.6 s).
    table = model.__table__
    assert isinstance(table, Table)
    for batch in _batches(rows, INSERT_BATCH):
        session.execute(insert(table), batch)


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; pass an aware datetime")
    return value.astimezone(UTC)


# --------------------------------------------------------------------------- distributed scans


def create_parts(
    session: Session,
    scan_id: str,
    parts: Sequence[ScanPart],
    *,
    max_attempts: int,
    deadline: datetime,
    exceptions: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Record a distributed scan's parts (queued), its deadline and the exceptions its evaluation will apply."""
    scan = _scan_row(session, scan_id)
    scan.deadline = _utc(deadline)
    scan.exceptions = [dict(e) for e in exceptions]
    for part in parts:
        session.add(
            ScanPartRow(
                scan_id=scan_id,
                key=part.key,
                provider=part.provider,
                account=part.account,
                spec=part.to_message(),
                status="queued",
                attempts=0,
                max_attempts=max_attempts,
                scopes=[],
            )
        )
    session.flush()


def _lock_scan(session: Session, scan_id: str) -> ScanRow:
    """The scan row, locked until the transaction ends: the writes of one scan's parts and its final step
    happen one at a time (SQLite's write transactions already do)."""
    row = session.scalars(select(ScanRow).where(ScanRow.id == scan_id).with_for_update()).first()
    if row is None:
        raise NotFoundError(f"No stored scan has the id '{scan_id}'.", hint=LIST_HINT)
    return row


def _part_row(session: Session, scan_id: str, key: str) -> ScanPartRow:
    row = session.scalars(select(ScanPartRow).where(ScanPartRow.scan_id == scan_id, ScanPartRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"Scan {scan_id} has no part {key!r}.", hint=LIST_HINT)
    return row


def claim_part(session: Session, scan_id: str, key: str, worker: str, now: datetime) -> Claim:
    """Count a delivery of a part and say whether to collect it (see `Claim`); the caller commits."""
    scan = _lock_scan(session, scan_id)
    part = _part_row(session, scan_id, key)
    if scan.finished_at is not None:
        return Claim("late", part.attempts, part.max_attempts)
    if part.status in ("stored", "error"):
        return Claim("already", part.attempts, part.max_attempts)
    if part.attempts >= part.max_attempts:
        return Claim("exhausted", part.attempts, part.max_attempts)
    part.attempts += 1
    part.status = "running"
    part.worker = worker
    part.started_at = _utc(now)
    session.flush()
    return Claim("run", part.attempts, part.max_attempts)


def release_part(session: Session, scan_id: str, key: str, error: str) -> None:
    """An attempt failed and another will follow: the part is queued again, with why."""
    _lock_scan(session, scan_id)
    part = _part_row(session, scan_id, key)
    if part.status == "running":
        part.status = "queued"
        part.error = error
    session.flush()


def store_part_results(session: Session, scan_id: str, key: str, result: CollectionResult, now: datetime) -> bool:
    """Store one part's collection under the scan, replacing whatever an earlier delivery of it stored.

    False (nothing written) when the part was already given up or its scan finished. A resource another
    part stored too (a shared budget, a key in another account) is kept once: the copy of the part that
    owns its account wins, else the first stored. Relations and errors already stored are not repeated.
    """
    scan = _lock_scan(session, scan_id)
    part = _part_row(session, scan_id, key)
    if scan.finished_at is not None or part.status not in ("running", "queued"):
        return False
    for model in (ResourceRow, RelationRow, CollectionErrorRow):
        session.execute(delete(model).where(model.scan_id == scan_id, model.part == key))
    resources = _resources_to_store(session, scan_id, key, result.resources)
    earliest = _earliest_scans(session, scan_id, resources)
    _insert(
        session,
        ResourceRow,
        ({**_resource_row(scan_id, r, earliest, scan.started_at), "part": key} for r in resources),
    )
    relations = _new_relations(session, scan_id, list(dict.fromkeys(result.relations)))
    _insert(
        session,
        RelationRow,
        ({"scan_id": scan_id, "src_uid": r.src, "kind": r.kind, "dst_uid": r.dst, "part": key} for r in relations),
    )
    errors = _new_errors(session, scan_id, list(dict.fromkeys(result.errors)))
    _insert(session, CollectionErrorRow, ({**_error_row(scan_id, e), "part": key} for e in errors))
    part.status = "stored"
    part.finished_at = _utc(now)
    part.error = None
    part.scopes = [_scope_json(s) for s in result.scopes]
    part.resources = len(result.resources)
    part.errors = len(result.errors)
    session.flush()
    return True


def fail_part(
    session: Session, scan_id: str, key: str, errors: Sequence[CollectionError], scope: Scope, message: str
) -> bool:
    """Give a part up: its `errors` (its scope blind, kind by kind) replace whatever it stored. False when the
    part was already stored or given up, or its scan finished."""
    scan = _lock_scan(session, scan_id)
    part = _part_row(session, scan_id, key)
    if scan.finished_at is not None or part.status in ("stored", "error"):
        return False
    _give_up(session, scan_id, part, errors, scope, message)
    return True


def _give_up(
    session: Session,
    scan_id: str,
    part: ScanPartRow,
    errors: Sequence[CollectionError],
    scope: Scope,
    message: str,
) -> None:
    for model in (ResourceRow, RelationRow, CollectionErrorRow):
        session.execute(delete(model).where(model.scan_id == scan_id, model.part == part.key))
    _insert(session, CollectionErrorRow, ({**_error_row(scan_id, e), "part": part.key} for e in errors))
    part.status = "error"
    part.error = message
    part.finished_at = datetime.now(UTC)
    part.scopes = [_scope_json(scope)]
    part.resources = 0
    part.errors = len(errors)
    session.flush()


def give_up_unfinished(
    session: Session, scan_id: str, errors_for: Callable[[PartState], tuple[list[CollectionError], Scope, str]]
) -> list[str]:
    """Give up every part of the scan not yet stored or given up (its deadline passed, or its executor gave
    up on it); `errors_for` says what each one records. The keys given up."""
    scan = _lock_scan(session, scan_id)
    if scan.finished_at is not None:
        return []
    given: list[str] = []
    for part in session.scalars(
        select(ScanPartRow).where(ScanPartRow.scan_id == scan_id, ScanPartRow.status.in_(("queued", "running")))
    ):
        errors, scope, message = errors_for(_part_state(part))
        _give_up(session, scan_id, part, errors, scope, message)
        given.append(part.key)
    return given


def part_states(session: Session, scan_id: str) -> list[PartState]:
    """A scan's parts, in the order they were planned (none for a one-process scan)."""
    rows = session.scalars(select(ScanPartRow).where(ScanPartRow.scan_id == scan_id).order_by(ScanPartRow.id))
    return [_part_state(row) for row in rows]


def part_scopes(session: Session, scan_id: str) -> list[Scope]:
    """The scopes a distributed scan's parts covered, in plan order."""
    rows = session.scalars(select(ScanPartRow.scopes).where(ScanPartRow.scan_id == scan_id).order_by(ScanPartRow.id))
    return [scope for raw in rows for scope in _scopes(raw)]


def close_scan(
    session: Session,
    scan_id: str,
    findings: Sequence[Finding],
    *,
    scopes: Sequence[Scope],
    exceptions: Sequence[Mapping[str, Any]],
    status: str,
    finished_at: datetime,
) -> bool:
    """A distributed scan's final step: its findings, scopes and exceptions stored and its row closed.
    False (nothing written) when another process closed it first."""
    if status not in SCAN_STATUSES:
        raise ValueError(f"scan status must be one of {SCAN_STATUSES}, not {status!r}")
    scan = _lock_scan(session, scan_id)
    if scan.finished_at is not None:
        return False
    session.execute(delete(FindingRow).where(FindingRow.scan_id == scan_id))
    _insert_findings(session, scan_id, findings)
    scan.scopes = [_scope_json(s) for s in scopes]
    scan.exceptions = [dict(e) for e in exceptions]
    scan.status = status
    scan.finished_at = _utc(finished_at)
    session.flush()
    return True


def unfinished_distributed_scans(session: Session, *, overdue_at: datetime | None = None) -> list[str]:
    """Distributed scans not finished yet (with `overdue_at`, only those whose deadline is before it)."""
    query = select(ScanRow.id).where(ScanRow.finished_at.is_(None), ScanRow.deadline.is_not(None))
    if overdue_at is not None:
        query = query.where(ScanRow.deadline < _utc(overdue_at))
    return list(session.scalars(query.order_by(ScanRow.started_at)))


def _resources_to_store(session: Session, scan_id: str, key: str, resources: Sequence[Resource]) -> list[Resource]:
    """A part's resources less those another part of the scan already stored and keeps (see
    `store_part_results`); the other part's copy is deleted where this part's wins."""
    unique: dict[str, Resource] = {}
    for resource in resources:
        unique.setdefault(resource.uid, resource)
    chosen: list[Resource] = []
    existing: dict[str, tuple[int, str, str, str | None]] = {}
    for uids in _batches(list(unique), LOOKUP_BATCH):
        for row in session.execute(
            select(ResourceRow.uid, ResourceRow.id, ResourceRow.provider, ResourceRow.account, ResourceRow.part).where(
                ResourceRow.scan_id == scan_id, ResourceRow.uid.in_(uids)
            )
        ):
            existing[row.uid] = (row.id, row.provider, row.account, row.part)
    replaced: list[int] = []
    for uid, resource in unique.items():
        found = existing.get(uid)
        if found is None:
            chosen.append(resource)
            continue
        row_id, provider, account, other = found
        theirs = other == part_key(provider, account)
        mine = key == part_key(resource.provider, resource.account)
        if mine and not theirs:
            replaced.append(row_id)
            chosen.append(resource)
    for ids in _batches(replaced, LOOKUP_BATCH):
        session.execute(delete(ResourceRow).where(ResourceRow.id.in_(ids)))
    return chosen


def _new_relations(session: Session, scan_id: str, relations: Sequence[Relation]) -> list[Relation]:
    stored: set[tuple[str, str, str]] = set()
    for sources in _batches(sorted({r.src for r in relations}), LOOKUP_BATCH):
        stored.update(
            session.execute(
                select(RelationRow.src_uid, RelationRow.kind, RelationRow.dst_uid).where(
                    RelationRow.scan_id == scan_id, RelationRow.src_uid.in_(sources)
                )
            ).tuples()
        )
    return [r for r in relations if (r.src, r.kind, r.dst) not in stored]


def _new_errors(session: Session, scan_id: str, errors: Sequence[CollectionError]) -> list[CollectionError]:
    stored = set(_errors(session, scan_id)) if errors else set()
    return [e for e in errors if e not in stored]


def _resource_row(
    scan_id: str, r: Resource, earliest: Mapping[tuple[str, str], datetime], started: datetime
) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "provider": r.provider,
        "account": r.account,
        "region": r.region,
        "resource_type": r.type,
        "uid": r.uid,
        "name": r.name,
        "tags": dict(r.tags),
        "config": r.config,
        "redactions": [dict(item) for item in r.redactions],
        "first_seen": min(earliest.get((r.provider, r.uid), started), started),
        "last_seen": started,
    }


def _error_row(scan_id: str, e: CollectionError) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "provider": e.provider,
        "account": e.account,
        "region": e.region,
        "service": e.service,
        "operation": e.operation,
        "code": e.code,
        "message": e.message,
        "resource_type": e.resource_type,
        "resource_uid": e.resource_uid,
    }


def _scope_json(s: Scope) -> dict[str, Any]:
    return {"provider": s.provider, "account": s.account, "regions": list(s.regions), "identity": s.identity}


def _part_state(row: ScanPartRow) -> PartState:
    return PartState(
        key=row.key,
        provider=row.provider,
        account=row.account,
        status=row.status,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        worker=row.worker,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        resources=row.resources,
        errors=row.errors,
    )


# --------------------------------------------------------------------------- schedules


def add_schedule(
    session: Session,
    name: str,
    command: Sequence[str],
    *,
    interval_seconds: int | None,
    cron: str | None,
    now: datetime,
) -> Schedule:
    if session.scalars(select(ScheduleRow.id).where(ScheduleRow.name == name)).first() is not None:
        raise ConfigError(
            f"A schedule named {name!r} already exists.",
            f"Pick another name, or `cspm-ai schedule remove {name}` first.",
        )
    row = ScheduleRow(
        id=str(uuid.uuid4()),
        name=name,
        interval_seconds=interval_seconds,
        cron=cron,
        command=list(command),
        created_at=_utc(now),
    )
    session.add(row)
    session.flush()
    return _schedule(row, None)


def list_schedules(session: Session) -> list[Schedule]:
    """Every schedule, by name, each with its latest run."""
    rows = session.scalars(select(ScheduleRow).order_by(ScheduleRow.name)).all()
    return [_schedule(row, _latest_run(session, row)) for row in rows]


def get_schedule(session: Session, name: str) -> Schedule:
    row = _schedule_row(session, name)
    return _schedule(row, _latest_run(session, row))


def remove_schedule(session: Session, name: str) -> Schedule:
    """Delete a schedule and the record of its runs (the scans they stored stay)."""
    row = _schedule_row(session, name)
    removed = _schedule(row, _latest_run(session, row))
    session.execute(delete(ScheduleRunRow).where(ScheduleRunRow.schedule_id == row.id))
    session.delete(row)
    session.flush()
    return removed


def start_run(session: Session, name: str, *, mode: str, runner: str, now: datetime, lease: timedelta) -> ScheduleRun:
    """Take the schedule's lock for a run, or record that the run was skipped because the previous one still
    holds it. A held lock past its lease (its runner died) is recorded as abandoned and taken over."""
    schedule = session.scalars(select(ScheduleRow).where(ScheduleRow.name == name).with_for_update()).first()
    if schedule is None:
        raise _no_schedule(name)
    held = session.scalars(
        select(ScheduleRunRow).where(ScheduleRunRow.schedule_id == schedule.id, ScheduleRunRow.status == "running")
    ).first()
    started = _utc(now)
    if held is not None and held.expires_at > started:
        skipped = ScheduleRunRow(
            schedule_id=schedule.id,
            started_at=started,
            finished_at=started,
            expires_at=started,
            status="skipped",
            mode=mode,
            runner=runner,
            scan_id=None,
            message=f"run {held.id} (started {held.started_at:%Y-%m-%d %H:%M:%S} UTC by {held.runner}) is still going",
        )
        session.add(skipped)
        session.flush()
        return _run(skipped, name)
    if held is not None:
        held.status = "abandoned"
        held.finished_at = started
        held.message = f"its runner did not finish before {held.expires_at:%Y-%m-%d %H:%M:%S} UTC"
        session.flush()
    run = ScheduleRunRow(
        schedule_id=schedule.id,
        started_at=started,
        expires_at=started + lease,
        status="running",
        mode=mode,
        runner=runner,
    )
    session.add(run)
    session.flush()
    return _run(run, name)


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    now: datetime,
    scan_id: str | None = None,
    exit_code: int | None = None,
    message: str | None = None,
) -> None:
    """Record how a run ended and release the schedule's lock (unless the run was already taken over)."""
    run = session.get(ScheduleRunRow, run_id, with_for_update=True)
    if run is None or run.status != "running":
        return
    run.status = status
    run.finished_at = _utc(now)
    run.scan_id = scan_id
    run.exit_code = exit_code
    run.message = message
    session.flush()


def schedule_runs(session: Session, name: str, limit: int = 20) -> list[ScheduleRun]:
    """A schedule's runs, newest first."""
    row = _schedule_row(session, name)
    runs = session.scalars(
        select(ScheduleRunRow)
        .where(ScheduleRunRow.schedule_id == row.id)
        .order_by(ScheduleRunRow.started_at.desc(), ScheduleRunRow.id.desc())
        .limit(limit)
    )
    return [_run(run, name) for run in runs]


def _no_schedule(name: str) -> NotFoundError:
    return NotFoundError(f"No schedule is named {name!r}.", hint="run `cspm-ai schedule list` to see them")


def _schedule_row(session: Session, name: str) -> ScheduleRow:
    row = session.scalars(select(ScheduleRow).where(ScheduleRow.name == name)).first()
    if row is None:
        raise _no_schedule(name)
    return row


def _latest_run(session: Session, row: ScheduleRow) -> ScheduleRun | None:
    run = session.scalars(
        select(ScheduleRunRow)
        .where(ScheduleRunRow.schedule_id == row.id)
        .order_by(ScheduleRunRow.started_at.desc(), ScheduleRunRow.id.desc())
        .limit(1)
    ).first()
    return None if run is None else _run(run, row.name)


def _schedule(row: ScheduleRow, last: ScheduleRun | None) -> Schedule:
    return Schedule(
        id=row.id,
        name=row.name,
        command=tuple(row.command),
        created_at=row.created_at,
        interval_seconds=row.interval_seconds,
        cron=row.cron,
        last_run=last,
    )


def _run(row: ScheduleRunRow, name: str) -> ScheduleRun:
    return ScheduleRun(
        id=row.id,
        schedule=name,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        mode=row.mode,
        runner=row.runner,
        scan_id=row.scan_id,
        exit_code=row.exit_code,
        message=row.message,
    )
