"""The per-framework report value: a stored scan read control by control.

For each control of a framework it gathers the findings of the checks mapped to
it (attestations applied as of the scan's start) and decides the control:

- FAIL   when any unmuted finding fails (an expired attestation included);
- ERROR  when none fails but some finding could not be judged;
- MANUAL when a person must still judge part of it, or nothing in the scan
         speaks to it (no mapped check ran and no attestation covers its items);
- PASS   when every finding passes (muted failures are accepted risks) or an
         attestation in force covers it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Final, Literal

from pydantic import Field, NonNegativeInt

from cspm_ai.attestation import apply_attestations, covers_scan, in_force, later_revocation, stamp
from cspm_ai.compliance import Control, Framework
from cspm_ai.model import Attestation, CollectionError, Finding, ScanRecord, Status
from cspm_ai.registry import CheckSpec, all_checks
from cspm_ai.report import (
    STATUS_ORDER,
    AttestationOut,
    ErrorOut,
    ExceptionOut,
    FindingOut,
    ScanInfo,
    StatusCounts,
    ToolInfo,
    UnappliedAttestationOut,
    _error_out,
    _finding_order,
    _finding_out,
    _Model,
    _scan_info,
    _status_counts,
    attestations_out,
)

FRAMEWORK_SCHEMA_VERSION: Final = "1"

# How a control's status follows from its findings: the worst one decides.
_PRECEDENCE = (Status.FAIL, Status.ERROR, Status.MANUAL, Status.PASS)


class FrameworkInfo(_Model):
    id: str
    name: str
    version: str
    publisher: str
    url: str | None
    description: str


class ControlCheck(_Model):
    check_id: str
    title: str
    counts: StatusCounts


class ControlResult(_Model):
    id: str
    title: str
    section: str
    description: str
    status: Status
    # Why the control has that status, in one sentence.
    rationale: str
    automated: bool
    checklist: list[str]
    checks: list[ControlCheck]
    counts: StatusCounts
    muted: NonNegativeInt
    findings: list[str]  # finding ids, in report order
    attestations: list[str]  # attestation ids


class FrameworkSummary(_Model):
    controls: StatusCounts
    findings: StatusCounts


class FrameworkReport(_Model):
    schema_version: Literal["1"] = FRAMEWORK_SCHEMA_VERSION
    kind: Literal["framework"] = "framework"
    tool: ToolInfo
    framework: FrameworkInfo
    scan: ScanInfo
    summary: FrameworkSummary
    controls: list[ControlResult]
    findings: list[FindingOut]
    attestations: list[AttestationOut] = Field(default_factory=list)
    exceptions: list[ExceptionOut] = Field(default_factory=list)
    errors: list[ErrorOut] = Field(default_factory=list)
    attestations_not_applied: list[UnappliedAttestationOut] = Field(default_factory=list)


def build_framework_report(
    framework: Framework,
    scan: ScanRecord,
    findings: Sequence[Finding],
    errors: Sequence[CollectionError],
    tool_version: str,
    attestations: Sequence[Attestation] = (),
) -> FrameworkReport:
    attested = sorted(apply_attestations(findings, attestations, scan.started_at), key=_finding_order)
    specs = {c.id: c for c in all_checks()}
    # A control with no finding rests on an attestation only when its scope covers the whole scan.
    covering = [a for a in attestations if covers_scan(a, scan)]
    controls: list[ControlResult] = []
    used: dict[str, Finding] = {}
    checks_of = framework.checks_by_control((cid, spec.checklist) for cid, spec in specs.items())
    by_check: dict[str, list[Finding]] = {}
    for f in attested:
        by_check.setdefault(f.check_id, []).append(f)
    for control in framework.controls:
        mapped = checks_of[control.id]
        mine = sorted((f for cid in mapped for f in by_check.get(cid, ())), key=_finding_order)
        used.update((f.id, f) for f in mine)
        relevant = [a for a in covering if a.item in control.checklist]
        controls.append(_control_result(control, mapped, mine, relevant, specs, scan.started_at))
    control_counts = Counter(c.status for c in controls)
    applied, not_applied = attestations_out(
        [a for a in attestations if any(a.item in c.checklist for c in framework.controls)], scan
    )
    kept = sorted(used.values(), key=_finding_order)
    return FrameworkReport(
        tool=ToolInfo(version=tool_version),
        framework=FrameworkInfo(
            id=framework.id,
            name=framework.name,
            version=framework.version,
            publisher=framework.publisher,
            url=framework.url,
            description=framework.description,
        ),
        scan=_scan_info(scan),
        summary=FrameworkSummary(
            controls=_status_counts(control_counts), findings=_status_counts(Counter(f.status for f in kept))
        ),
        controls=controls,
        findings=[_finding_out(f) for f in kept],
        attestations=applied,
        exceptions=[ExceptionOut.model_validate(e) for e in scan.exceptions],
        errors=[_error_out(e) for e in errors],
        attestations_not_applied=not_applied,
    )


def _control_result(
    control: Control,
    mapped: list[str],
    findings: list[Finding],
    attestations: list[Attestation],
    specs: dict[str, CheckSpec],
    as_of: datetime,
) -> ControlResult:
    counts = Counter(f.status for f in findings)
    muted = sum(1 for f in findings if f.muted)
    # A muted failure is an accepted risk: it does not fail the control, and is counted apart.
    effective = Counter(Status.PASS if f.muted and f.status is Status.FAIL else f.status for f in findings)
    by_check = Counter((f.check_id, f.status) for f in findings)
    checks = [
        ControlCheck(
            check_id=cid,
            title=specs[cid].title,
            counts=_status_counts(Counter({s: by_check[(cid, s)] for s in Status})),
        )
        for cid in mapped
    ]
    attested = _attested_items(control, attestations, as_of)
    status, rationale = _decide(effective, muted, attested, bool(mapped))
    return ControlResult(
        id=control.id,
        title=control.title,
        section=control.section,
        description=control.description,
        status=status,
        rationale=rationale,
        automated=bool(mapped),
        checklist=list(control.checklist),
        checks=checks,
        counts=_status_counts(counts),
        muted=muted,
        findings=[f.id for f in sorted(findings, key=lambda f: (STATUS_ORDER[f.status], f.check_id, f.id))],
        attestations=[a.id for _, _, a in attested],
    )


def _attested_items(
    control: Control, attestations: list[Attestation], as_of: datetime
) -> list[tuple[str, Status, Attestation]]:
    """(item, PASS or FAIL, the deciding attestation) for each checklist item of the control that is attested."""
    attested: list[tuple[str, Status, Attestation]] = []
    for item in control.checklist:
        status, attestation = in_force(attestations, item, as_of)
        if status is not None and attestation is not None:
            attested.append((item, status, attestation))
    return attested


def _decide(
    effective: Counter[Status], muted: int, attested: list[tuple[str, Status, Attestation]], automated: bool
) -> tuple[Status, str]:
    expired = [(item, a) for item, s, a in attested if s is Status.FAIL]
    if effective[Status.FAIL]:
        return Status.FAIL, f"{effective[Status.FAIL]} finding(s) fail."
    if expired and not effective:
        item, a = expired[0]
        return Status.FAIL, f"The attestation of {item} expired on {a.expires_on.isoformat()}."
    if effective[Status.ERROR]:
        return Status.ERROR, f"{effective[Status.ERROR]} finding(s) could not be judged; nothing fails."
    if effective[Status.MANUAL]:
        return Status.MANUAL, f"{effective[Status.MANUAL]} finding(s) need a person's judgement (attest the item)."
    if effective[Status.PASS]:
        note = f" ({muted} muted as accepted risk)" if muted else ""
        return Status.PASS, f"All {sum(effective.values())} finding(s) pass{note}."
    in_effect = [(item, a) for item, s, a in attested if s is Status.PASS]
    if in_effect:
        item, a = in_effect[0]
        return Status.PASS, (
            f"{item} is attested by {a.attested_by}, in force from {stamp(a.in_force_from)} "
            f"until {a.expires_on.isoformat()}{later_revocation(a)}."
        )
    if automated:
        return Status.MANUAL, "No mapped check had a resource to judge in this scan; assess it by hand."
    return Status.MANUAL, "No automated evidence: assess it by hand or attest its checklist items."
