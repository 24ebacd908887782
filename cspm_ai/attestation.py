"""Attestations: how a checklist item no API can show (playbooks, reviews, IaC) gets a result.

A check that can only say MANUAL for an item (`aws.account.incident_response_playbooks`
for CL-11) turns PASS while an attestation of that item is in force, and FAIL once
the latest one has expired. Attestations are judged as of the scan's start, when a
report is built, so a stored scan's findings stay what its checks said.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

from cspm_ai.checklist import checklist
from cspm_ai.errors import ConfigError
from cspm_ai.model import Attestation, Finding, Status

# Evidence files are kept in the inventory so an evidence bundle can carry them.
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


def new_attestation(
    item: str, *, by: str, evidence: str, expires: str, note: str = "", now: datetime | None = None
) -> tuple[Attestation, bytes | None]:
    """Validate what the user typed and build the attestation (with the evidence file's bytes)."""
    now = now or datetime.now(UTC)
    item = item.strip().upper()
    if item not in checklist():
        raise ConfigError(f"Unknown checklist item {item!r}.", "Choose one of: " + ", ".join(checklist()) + ".")
    if not by.strip():
        raise ConfigError("--by is empty.", "Name the person who attests, e.g. --by 'Dana Reyes (CISO)'.")
    try:
        expires_on = date.fromisoformat(expires)
    except ValueError as exc:
        raise ConfigError(f"--expires {expires!r} is not a date.", "Give it as YYYY-MM-DD.") from exc
    if expires_on < now.date():
        raise ConfigError(
            f"--expires {expires_on.isoformat()} is already past.",
            "An attestation must be in force today; give a future date.",
        )
    content, digest, label = _evidence(evidence)
    attestation = Attestation(
        id=str(uuid.uuid4()),
        item=item,
        attested_by=by.strip(),
        attested_at=now,
        expires_on=expires_on,
        evidence=label,
        note=note.strip(),
        evidence_sha256=digest,
    )
    return attestation, content


def _evidence(evidence: str) -> tuple[bytes | None, str | None, str]:
    parsed = urlparse(evidence)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return None, None, evidence
    path = Path(evidence).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"Evidence {evidence!r} is neither an http(s) URL nor a readable file.",
            "Pass the file that proves the item (a report, a signed PDF) or a link to it.",
        )
    size = path.stat().st_size
    if size > MAX_EVIDENCE_BYTES:
        raise ConfigError(
            f"Evidence file {path} is {size} bytes; the limit is {MAX_EVIDENCE_BYTES}.",
            "Store large evidence elsewhere and pass its URL.",
        )
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"Cannot read evidence file {path}: {exc.strerror or exc}.", "Check its permissions."
        ) from exc
    return content, hashlib.sha256(content).hexdigest(), path.name


def in_force(attestations: Iterable[Attestation], item: str, day: date) -> tuple[Status | None, Attestation | None]:
    """PASS with the attestation in force that lasts longest, else FAIL with the last expired one."""
    mine = [a for a in attestations if a.item == item]
    if not mine:
        return None, None
    valid = [a for a in mine if a.valid_on(day)]
    if valid:
        return Status.PASS, max(valid, key=lambda a: (a.expires_on, a.attested_at))
    return Status.FAIL, max(mine, key=lambda a: (a.expires_on, a.attested_at))


def describe(attestation: Attestation) -> str:
    return (
        f"attested by {attestation.attested_by} on {attestation.attested_at.date().isoformat()} "
        f"with evidence {attestation.evidence}"
    )


def apply_attestations(
    findings: Sequence[Finding], attestations: Sequence[Attestation], as_of: datetime
) -> list[Finding]:
    """Turn MANUAL findings PASS (every item attested and in force) or FAIL (an attestation expired)."""
    if not attestations:
        return list(findings)
    day = as_of.date()
    out: list[Finding] = []
    for finding in findings:
        if finding.status is not Status.MANUAL:
            out.append(finding)
            continue
        verdicts = {item: in_force(attestations, item, day) for item in finding.checklist}
        expired = [(i, a) for i, (s, a) in verdicts.items() if s is Status.FAIL and a is not None]
        in_effect = [(i, a) for i, (s, a) in verdicts.items() if s is Status.PASS and a is not None]
        if expired:
            item, att = expired[0]
            out.append(
                _judged(
                    finding,
                    Status.FAIL,
                    att,
                    f"The attestation of {item} for {finding.resource_name} expired on "
                    f"{att.expires_on.isoformat()} ({describe(att)}); attest it again.",
                )
            )
        elif in_effect and len(in_effect) == len(verdicts):
            item, att = in_effect[0]
            out.append(
                _judged(
                    finding,
                    Status.PASS,
                    att,
                    f"{item} for {finding.resource_name} is {describe(att)}, "
                    f"in force until {att.expires_on.isoformat()}.",
                )
            )
        else:
            out.append(finding)
    return out


def _judged(finding: Finding, status: Status, att: Attestation, message: str) -> Finding:
    return replace(finding, status=status, message=message, evidence={**finding.evidence, **_evidence_of(att)})


def _evidence_of(att: Attestation) -> dict[str, str]:
    evidence = {
        "attestation.id": att.id,
        "attestation.by": att.attested_by,
        "attestation.attested_at": att.attested_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "attestation.expires_on": att.expires_on.isoformat(),
        "attestation.evidence": att.evidence,
    }
    if att.evidence_sha256:
        evidence["attestation.evidence_sha256"] = att.evidence_sha256
    return evidence
