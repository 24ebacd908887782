"""The report value: pydantic models that are the report.json contract, and `build_report`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from cspm_ai.attestation import Standing, apply_attestations, standing_for_scan
from cspm_ai.checklist import checklist
from cspm_ai.history import ScanDiff, TrendPoint
from cspm_ai.model import (
    SEVERITY_ORDER,
    Attestation,
    CollectionError,
    Finding,
    Reevaluation,
    ScanRecord,
    Scope,
    Severity,
    Status,
)

if TYPE_CHECKING:
    from cspm_ai.lineage import Lineage

SCHEMA_VERSION: Final = "1"
TOOL_NAME: Final = "cspm-ai"

# Report order: what needs action first. Distinct from the enum's declaration order.
STATUS_ORDER: dict[Status, int] = {Status.FAIL: 0, Status.ERROR: 1, Status.MANUAL: 2, Status.PASS: 3}

CHECKLIST_ID_PATTERN = r"^(CL|ZT|PH|MS|DP)-[0-9]+$"

Provider = Literal["aws", "azure", "gcp"]
ScanStatus = Literal["complete", "incomplete"]
ChecklistId = Annotated[str, StringConstraints(pattern=CHECKLIST_ID_PATTERN)]


def _as_utc(value: datetime) -> datetime:
    # Inventory backends such as SQLite drop the offset; the project stores UTC throughout.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def rfc3339(value: datetime) -> str:
    """RFC 3339 text in UTC with a "Z" suffix, as the report writes every time."""
    return _as_utc(value).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
]


class _Model(BaseModel):
    # extra="allow": the contract lets later versions add fields, and a report.json
    # written by one must still load here and write back unchanged.
    model_config = ConfigDict(frozen=True, extra="allow")


class ToolInfo(_Model):
    name: Literal["cspm-ai"] = TOOL_NAME
    version: str


class ScopeInfo(_Model):
    provider: Provider
    account: str
    regions: list[str]
    identity: str


class ExceptionOut(_Model):
    id: str
    checks: list[str]
    resources: list[str]
    accounts: list[str]
    regions: list[str]
    tags: dict[str, str]
    justification: str
    owner: str
    expires: date
    status: Literal["active", "expired"]
    matched: NonNegativeInt


class ReevaluationOut(_Model):
    """One `cspm-ai evaluate` of the stored scan, with the mutelist it applied and the exceptions it replaced."""

    evaluated_at: UtcDatetime
    tool_version: str
    # "mutelist": a mutelist given to `evaluate` replaced the exceptions; "scan": the scan's own were kept.
    exceptions_from: Literal["mutelist", "scan"]
    mutelist_file: str | None = None
    mutelist_sha256: str | None = None
    rules: NonNegativeInt
    findings: NonNegativeInt
    muted: NonNegativeInt
    replaced_exceptions: list[ExceptionOut] = Field(default_factory=list)


class ScanInfo(_Model):
    id: str
    started_at: UtcDatetime
    finished_at: UtcDatetime | None
    status: ScanStatus
    providers: list[Provider]
    scopes: list[ScopeInfo]
    # Added beside the contract: the configured region allow-list, and the version that collected.
    allowed_regions: list[str] | None = None
    tool_version: str | None = None
    # Added beside the contract: each later re-evaluation of the stored scan, oldest first.
    reevaluations: list[ReevaluationOut] = Field(default_factory=list)

    @model_validator(mode="after")
    def _finished_unless_incomplete(self) -> ScanInfo:
        if self.finished_at is None and self.status != "incomplete":
            raise ValueError("finished_at may be null only for an incomplete scan")
        return self


class StatusCounts(_Model):
    PASS: NonNegativeInt
    FAIL: NonNegativeInt
    MANUAL: NonNegativeInt
    ERROR: NonNegativeInt


class SeverityCounts(_Model):
    critical: NonNegativeInt
    high: NonNegativeInt
    medium: NonNegativeInt
    low: NonNegativeInt
    info: NonNegativeInt


class Summary(_Model):
    by_status: StatusCounts
    by_severity: SeverityCounts
    by_checklist: dict[ChecklistId, StatusCounts]


class AffectedOut(_Model):
    """An AI resource a finding on a supporting resource bears on (it uses the resource, or its lineage does)."""

    uid: str
    type: str
    name: str


class FindingOut(_Model):
    id: str
    check_id: str
    title: str
    status: Status
    severity: Severity
    provider: Provider
    account: str
    region: str
    resource_type: str
    resource_uid: str
    resource_name: str
    message: str
    checklist: list[ChecklistId]
    compliance: dict[str, list[str]]
    remediation: str
    evidence: dict[str, Any]
    muted: bool = False
    mute_reason: str | None = None
    resource_tags: dict[str, str] = Field(default_factory=dict)
    # Added beside the contract: for a finding on a supporting resource (role, key, bucket, network...), the AI
    # resources it affects, serving ones first.
    affects: list[AffectedOut] = Field(default_factory=list)


class ErrorOut(_Model):
    provider: Provider
    account: str
    region: str
    service: str
    operation: str
    code: str
    message: str
    resource_type: str | None = None
    resource_uid: str | None = None


class RevocationOut(_Model):
    revoked_at: UtcDatetime  # cspm-ai's clock when it was recorded
    revoked_by: str
    reason: str


class AttestationRecordOut(_Model):
    """An attestation as recorded, whatever it stood at when a scan started."""

    id: str
    item: ChecklistId
    item_title: str
    attested_by: str
    # When cspm-ai recorded it: its own clock, never a time the user typed.
    attested_at: UtcDatetime
    expires_on: date
    evidence: str
    evidence_sha256: str | None = None
    note: str = ""
    # Added: when it comes into force (attested_at, or an earlier valid_from backed by an evidence
    # file), the earlier start asked for if any, its scope (null: every), whether its validity
    # exceeds the default maximum, and its revocation, if any.
    in_force_from: UtcDatetime | None = None
    valid_from: UtcDatetime | None = None
    provider: Provider | None = None
    account: str | None = None
    long_validity: bool = False
    revocation: RevocationOut | None = None


class AttestationOut(AttestationRecordOut):
    """An attestation that bore on the scan: in force at its start (PASS) or expired by then (FAIL).

    One in force then but revoked since keeps PASS (the scan's historical view) with its revocation shown.
    """

    status: Literal["PASS", "FAIL"]


class UnappliedAttestationOut(AttestationRecordOut):
    """An attestation that did not bear on the scan, and why: recorded or valid only after its start,
    revoked before it, or scoped to nothing it covered."""

    reason: Literal["not_yet_in_force", "revoked", "out_of_scope"]


LineageStage = Literal[
    "serving", "deployment", "model", "package", "producer", "data", "platform", "control", "key", "identity", "network"
]


class LineageNodeOut(_Model):
    uid: str
    type: str  # empty for a resource a relation names that the scan did not collect
    name: str
    provider: Provider
    account: str
    region: str
    stage: LineageStage
    collected: bool = True


class LineageEdgeOut(_Model):
    src: str
    kind: str
    dst: str


class LineageOut(_Model):
    """One serving resource and what it is made of (`cspm_ai.lineage`): nodes in stage order, the root first."""

    root: str
    provider: Provider
    account: str
    region: str
    type: str
    name: str
    nodes: list[LineageNodeOut]
    edges: list[LineageEdgeOut]


class Report(_Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    tool: ToolInfo
    scan: ScanInfo
    summary: Summary
    findings: list[FindingOut]
    errors: list[ErrorOut]
    # Added beside the contract: every checklist item's title, in checklist order, so a
    # reader can name items (including those no finding covers) without the checklist file.
    checklist_titles: dict[str, str] = Field(default_factory=dict)
    # Added beside the contract: the attestations in the inventory that bore on the scan, judged
    # as of its start, those that did not (and why), and the exceptions (mutes) its evaluation applied.
    attestations: list[AttestationOut] = Field(default_factory=list)
    attestations_not_applied: list[UnappliedAttestationOut] = Field(default_factory=list)
    exceptions: list[ExceptionOut] = Field(default_factory=list)
    # Added beside the contract: what changed since the previous comparable scan (null when the report was
    # built without history), and the FAIL counts of this scan and the comparable ones before it.
    changes: ScanDiff | None = None
    trend: list[TrendPoint] = Field(default_factory=list)
    # Added beside the contract: the lineage of every AI serving resource (empty when built without the inventory).
    lineage: list[LineageOut] = Field(default_factory=list)


def build_report(
    scan: ScanRecord,
    findings: Sequence[Finding],
    errors: Sequence[CollectionError],
    tool_version: str,
    attestations: Sequence[Attestation] = (),
    changes: ScanDiff | None = None,
    trend: Sequence[TrendPoint] = (),
    lineage: Sequence[Lineage] = (),
) -> Report:
    """Build the report value for one scan: summary counts, findings in report order, errors.

    Attestations turn MANUAL findings of their items PASS or FAIL as of the scan's start. `changes` and
    `trend` (from `cspm_ai.history`) and `lineage` (from `cspm_ai.lineage`) are carried as they are.
    """
    attested = apply_attestations(findings, attestations, scan.started_at)
    applied, not_applied = attestations_out(attestations, scan)
    ordered = sorted(attested, key=_finding_order)
    return Report(
        tool=ToolInfo(version=tool_version),
        scan=_scan_info(scan),
        summary=summarise(ordered),
        findings=[_finding_out(f) for f in ordered],
        errors=[_error_out(e) for e in sorted(errors, key=_error_order)],
        checklist_titles={item.id: item.title for item in checklist().values()},
        attestations=applied,
        attestations_not_applied=not_applied,
        exceptions=[ExceptionOut.model_validate(e) for e in scan.exceptions],
        changes=changes,
        trend=list(trend),
        lineage=[LineageOut.model_validate(item.as_json()) for item in lineage],
    )


def attestations_out(
    attestations: Sequence[Attestation], scan: ScanRecord
) -> tuple[list[AttestationOut], list[UnappliedAttestationOut]]:
    """The attestations that bore on the scan (judged as of its start), and those that did not."""
    applied: list[AttestationOut] = []
    not_applied: list[UnappliedAttestationOut] = []
    for a in sorted(attestations, key=lambda a: (a.item, a.attested_at, a.id)):
        fields = attestation_fields(a)
        at_scan = standing_for_scan(a, scan)
        if at_scan in (Standing.IN_FORCE, Standing.EXPIRED):
            applied.append(AttestationOut(**fields, status="PASS" if at_scan is Standing.IN_FORCE else "FAIL"))
        else:
            not_applied.append(UnappliedAttestationOut.model_validate({**fields, "reason": at_scan.value}))
    return applied, not_applied


def attestation_fields(a: Attestation) -> dict[str, Any]:
    """An attestation's fields as the report shows them, whatever it stood at."""
    titles = checklist()
    return {
        "id": a.id,
        "item": a.item,
        "item_title": titles[a.item].title if a.item in titles else a.item,
        "attested_by": a.attested_by,
        "attested_at": a.attested_at,
        "expires_on": a.expires_on,
        "evidence": a.evidence,
        "evidence_sha256": a.evidence_sha256,
        "note": a.note,
        "in_force_from": a.in_force_from,
        "valid_from": a.valid_from,
        "provider": a.provider,
        "account": a.account,
        "long_validity": a.long_validity,
        "revocation": (
            RevocationOut(
                revoked_at=a.revocation.revoked_at, revoked_by=a.revocation.revoked_by, reason=a.revocation.reason
            )
            if a.revocation is not None
            else None
        ),
    }


def summarise(findings: Iterable[Finding | FindingOut]) -> Summary:
    """Counts by status, by severity (every key always present) and by checklist item."""
    by_status: Counter[Status] = Counter()
    by_severity: Counter[Severity] = Counter()
    by_item: dict[str, Counter[Status]] = {}
    for f in findings:
        by_status[f.status] += 1
        by_severity[f.severity] += 1
        for item in f.checklist:
            by_item.setdefault(item, Counter())[f.status] += 1
    known = list(checklist())
    # Checklist order for known items; an id the checklist lacks (a newer check on an
    # older checklist) still gets counted, after the known ones.
    order = [i for i in known if i in by_item] + sorted(i for i in by_item if i not in known)
    return Summary(
        by_status=_status_counts(by_status),
        by_severity=SeverityCounts(**{s.value: by_severity[s] for s in Severity}),
        by_checklist={i: _status_counts(by_item[i]) for i in order},
    )


def _status_counts(counts: Counter[Status]) -> StatusCounts:
    return StatusCounts(**{s.value: counts[s] for s in Status})


def _finding_order(f: Finding) -> tuple[int, int, str, str, str]:
    return (STATUS_ORDER[f.status], SEVERITY_ORDER[f.severity], f.check_id, f.resource_uid, f.id)


def _error_order(e: CollectionError) -> tuple[str, ...]:
    return (
        e.provider,
        e.account,
        e.region,
        e.service,
        e.operation,
        e.resource_type or "",
        e.resource_uid or "",
        e.code,
        e.message,
    )


def _scan_info(scan: ScanRecord) -> ScanInfo:
    return ScanInfo(
        id=scan.id,
        started_at=scan.started_at,
        finished_at=scan.finished_at,
        status=scan.status,  # type: ignore[arg-type]  # validated against ScanStatus here
        providers=list(scan.providers),  # type: ignore[arg-type]  # validated against Provider
        scopes=[_scope_info(s) for s in scan.scopes],
        allowed_regions=list(scan.allowed_regions) if scan.allowed_regions is not None else None,
        tool_version=scan.tool_version,
        reevaluations=[_reevaluation_out(r) for r in scan.reevaluations],
    )


def _reevaluation_out(r: Reevaluation) -> ReevaluationOut:
    return ReevaluationOut(
        evaluated_at=r.evaluated_at,
        tool_version=r.tool_version,
        exceptions_from=r.exceptions_from,  # type: ignore[arg-type]  # validated against the Literal
        mutelist_file=r.mutelist_file,
        mutelist_sha256=r.mutelist_sha256,
        rules=r.rules,
        findings=r.findings,
        muted=r.muted,
        replaced_exceptions=[ExceptionOut.model_validate(e) for e in r.replaced_exceptions],
    )


def _scope_info(scope: Scope) -> ScopeInfo:
    return ScopeInfo(
        provider=scope.provider,  # type: ignore[arg-type]  # validated against Provider
        account=scope.account,
        regions=list(scope.regions),
        identity=scope.identity,
    )


def _finding_out(f: Finding) -> FindingOut:
    return FindingOut(
        id=f.id,
        check_id=f.check_id,
        title=f.title,
        status=f.status,
        severity=f.severity,
        provider=f.provider,  # type: ignore[arg-type]  # validated against Provider
        account=f.account,
        region=f.region,
        resource_type=f.resource_type,
        resource_uid=f.resource_uid,
        resource_name=f.resource_name,
        message=f.message,
        checklist=list(f.checklist),
        # Sorted so two scans of the same estate serialise identically.
        compliance={k: list(f.compliance[k]) for k in sorted(f.compliance)},
        remediation=f.remediation,
        evidence=dict(f.evidence),
        muted=f.muted,
        mute_reason=f.mute_reason,
        resource_tags={k: f.resource_tags[k] for k in sorted(f.resource_tags)},
        affects=[AffectedOut(uid=a.uid, type=a.type, name=a.name) for a in f.affects],
    )


def _error_out(e: CollectionError) -> ErrorOut:
    return ErrorOut(
        provider=e.provider,  # type: ignore[arg-type]  # validated against Provider
        account=e.account,
        region=e.region,
        service=e.service,
        operation=e.operation,
        code=e.code,
        message=e.message,
        resource_type=e.resource_type,
        resource_uid=e.resource_uid,
    )
