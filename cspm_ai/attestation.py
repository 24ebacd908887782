"""Attestations: how a checklist item no API can show (playbooks, reviews, IaC) gets a result.

A check that can only say MANUAL for an item (`aws.account.incident_response_playbooks`
for CL-11) turns PASS while an attestation of that item is in force, and FAIL once
the latest one has expired. Attestations are judged as of the scan's start, when a
report is built, so a stored scan's findings stay what its checks said, and a stored
scan's report never changes because of an attestation made after it started:

- cspm-ai records when an attestation was made (`attested_at`, its own clock). It is in
  force from that moment, or from an earlier `--valid-from` day only when the evidence is
  a file, whose bytes and SHA-256 are kept: a URL can change after the fact.
- It lasts through its `--expires` day (UTC), at most MAX_VALIDITY after it comes into
  force unless recorded with `--allow-long-validity` (then flagged on every report).
- It covers the findings of its scope: a provider, and an account of it, when given.
- A revocation (also timed by cspm-ai) ends it for scans started from that moment; a scan
  started before keeps its view, and its report says the attestation was revoked later.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlparse

from cspm_ai.checklist import checklist
from cspm_ai.errors import ConfigError
from cspm_ai.model import Attestation, Finding, Revocation, ScanRecord, Status

# Evidence files are kept in the inventory so an evidence bundle can carry them.
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
# How long an attestation may stay in force without --allow-long-validity: a yearly review.
MAX_VALIDITY = timedelta(days=365)
PROVIDERS = ("aws", "azure", "gcp")


class Standing(StrEnum):
    """Where an attestation stands at one moment (a scan's start), or against one scan."""

    IN_FORCE = "in_force"
    EXPIRED = "expired"
    NOT_YET_IN_FORCE = "not_yet_in_force"  # recorded (or valid from) after that moment
    REVOKED = "revoked"  # revoked at or before that moment
    OUT_OF_SCOPE = "out_of_scope"  # scoped to a provider or account the scan did not cover


def _now() -> datetime:
    # The one clock attestations and revocations are timed by; tests set it to replay a date.
    return datetime.now(UTC)


def new_attestation(
    item: str,
    *,
    by: str,
    evidence: str,
    expires: str,
    note: str = "",
    valid_from: str | None = None,
    provider: str | None = None,
    account: str | None = None,
    allow_long_validity: bool = False,
    now: datetime | None = None,
) -> tuple[Attestation, bytes | None]:
    """Validate what the user typed and build the attestation (with the evidence file's bytes)."""
    now = now or _now()
    item = item.strip().upper()
    if item not in checklist():
        raise ConfigError(f"Unknown checklist item {item!r}.", "Choose one of: " + ", ".join(checklist()) + ".")
    if not by.strip():
        raise ConfigError("--by is empty.", "Name the person who attests, e.g. --by 'Dana Reyes (CISO)'.")
    expires_on = _date(expires, "--expires")
    if expires_on < now.date():
        raise ConfigError(
            f"--expires {expires_on.isoformat()} is already past.",
            "An attestation must be in force today; give a future date.",
        )
    scope_provider, scope_account = _scope(provider, account)
    content, digest, label = _evidence(evidence)
    start = _start(valid_from, now, expires_on, content is not None)
    long_validity = expires_on - (start or now).date() > MAX_VALIDITY
    if long_validity and not allow_long_validity:
        raise ConfigError(
            f"--expires {expires_on.isoformat()} is more than {MAX_VALIDITY.days} days after the attestation "
            f"comes into force ({(start or now).date().isoformat()}).",
            "Attest again at least yearly, or pass --allow-long-validity to record a longer one (reports flag it).",
        )
    attestation = Attestation(
        id=str(uuid.uuid4()),
        item=item,
        attested_by=by.strip(),
        attested_at=now,
        expires_on=expires_on,
        evidence=label,
        note=note.strip(),
        evidence_sha256=digest,
        valid_from=start,
        provider=scope_provider,
        account=scope_account,
        long_validity=long_validity,
    )
    return attestation, content


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ConfigError(f"{option} {value!r} is not a date.", "Give it as YYYY-MM-DD.") from exc


def _scope(provider: str | None, account: str | None) -> tuple[str | None, str | None]:
    chosen = provider.strip().lower() if provider is not None else None
    if chosen is not None and chosen not in PROVIDERS:
        raise ConfigError(f"Unknown provider {provider!r}.", f"Choose one of: {', '.join(PROVIDERS)}.")
    if account is None:
        return chosen, None
    if chosen is None:
        raise ConfigError(
            "--account needs --provider.", "Name the cloud the account is in, e.g. --provider aws --account 1234…."
        )
    if not account.strip():
        raise ConfigError("--account is empty.", "Give the account, subscription or project id, or leave it out.")
    return chosen, account.strip()


def _start(valid_from: str | None, now: datetime, expires_on: date, evidence_is_file: bool) -> datetime | None:
    """The start of force the user asked for (00:00 UTC of the day), or None for "from now"."""
    if valid_from is None:
        return None
    day = _date(valid_from, "--valid-from")
    if day > expires_on:
        raise ConfigError(
            f"--valid-from {day.isoformat()} is after --expires {expires_on.isoformat()}.",
            "An attestation comes into force before it expires.",
        )
    start = datetime.combine(day, time(), UTC)
    if start < now and not evidence_is_file:
        raise ConfigError(
            f"--valid-from {day.isoformat()} is in the past, and the evidence is a URL.",
            "Backdating needs evidence that cannot change afterwards: pass it as a file (its SHA-256 is kept), "
            "or leave out --valid-from so the attestation is in force from now.",
        )
    return start


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


def new_revocation(attestation: Attestation, *, by: str, reason: str, now: datetime | None = None) -> Revocation:
    """Validate a revocation of `attestation`, timed by cspm-ai's clock."""
    if attestation.revocation is not None:
        raise ConfigError(
            f"Attestation {attestation.id} was already revoked on {stamp(attestation.revocation.revoked_at)} "
            f"by {attestation.revocation.revoked_by}.",
            "A revocation is kept as recorded; `cspm-ai attestations` lists them.",
        )
    if not by.strip():
        raise ConfigError("--by is empty.", "Name the person who revokes it, e.g. --by 'Dana Reyes (CISO)'.")
    if not reason.strip():
        raise ConfigError("--reason is empty.", "Say why the attestation no longer holds.")
    return Revocation(revoked_at=now or _now(), revoked_by=by.strip(), reason=reason.strip())


# ----------------------------------------------------------------------------- judging


def standing(attestation: Attestation, at: datetime) -> Standing:
    """Where the attestation stands at the moment `at` (a scan's start)."""
    revocation = attestation.revocation
    if revocation is not None and revocation.revoked_at <= at:
        return Standing.REVOKED
    if at < attestation.in_force_from:
        return Standing.NOT_YET_IN_FORCE
    if at >= attestation.in_force_until:
        return Standing.EXPIRED
    return Standing.IN_FORCE


def standing_for_scan(attestation: Attestation, scan: ScanRecord) -> Standing:
    """Its standing at the scan's start, or OUT_OF_SCOPE when it is scoped to nothing the scan covered."""
    if attestation.provider is not None and not any(attestation.covers(s.provider, s.account) for s in scan.scopes):
        return Standing.OUT_OF_SCOPE
    return standing(attestation, scan.started_at)


def covers_scan(attestation: Attestation, scan: ScanRecord) -> bool:
    """Whether it covers everything the scan read: what a control with no finding needs to rest on it."""
    if attestation.provider is None:
        return True
    return bool(scan.scopes) and all(attestation.covers(s.provider, s.account) for s in scan.scopes)


def in_force(attestations: Iterable[Attestation], item: str, at: datetime) -> tuple[Status | None, Attestation | None]:
    """PASS with the attestation in force that lasts longest, else FAIL with the last expired one.

    Attestations not yet in force or revoked at `at` do not count: as far as that moment
    knows, nobody attested. Scope is the caller's: pass only the attestations that cover it.
    """
    judged = [(a, standing(a, at)) for a in attestations if a.item == item]
    valid = [a for a, s in judged if s is Standing.IN_FORCE]
    if valid:
        return Status.PASS, max(valid, key=lambda a: (a.expires_on, a.attested_at))
    expired = [a for a, s in judged if s is Standing.EXPIRED]
    if expired:
        return Status.FAIL, max(expired, key=lambda a: (a.expires_on, a.attested_at))
    return None, None


def stamp(moment: datetime) -> str:
    """A moment as reports write it in sentences: minutes, UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def scope_text(attestation: Attestation) -> str:
    """ "every provider and account", "aws", or "aws account 123456789012"."""
    if attestation.provider is None:
        return "every provider and account"
    if attestation.account is None:
        return attestation.provider
    return f"{attestation.provider} account {attestation.account}"


def describe(attestation: Attestation) -> str:
    scoped = f" for {scope_text(attestation)}" if attestation.provider is not None else ""
    return (
        f"attested{scoped} by {attestation.attested_by} (recorded {stamp(attestation.attested_at)}) "
        f"with evidence {attestation.evidence}"
    )


def apply_attestations(
    findings: Sequence[Finding], attestations: Sequence[Attestation], as_of: datetime
) -> list[Finding]:
    """Turn MANUAL findings PASS (every item attested and in force) or FAIL (an attestation expired).

    Each finding is judged with the attestations whose scope covers its provider and account,
    as they stood at `as_of`, the scan's start.
    """
    if not attestations:
        return list(findings)
    out: list[Finding] = []
    for finding in findings:
        if finding.status is not Status.MANUAL:
            out.append(finding)
            continue
        mine = [a for a in attestations if a.covers(finding.provider, finding.account)]
        verdicts = {item: in_force(mine, item, as_of) for item in finding.checklist}
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
                    f"{item} for {finding.resource_name} is {describe(att)}, in force from "
                    f"{stamp(att.in_force_from)} until {att.expires_on.isoformat()}{later_revocation(att)}.",
                )
            )
        else:
            out.append(finding)
    return out


def later_revocation(attestation: Attestation) -> str:
    """The clause a report adds for an attestation in force at a scan's start but revoked since."""
    revocation = attestation.revocation
    if revocation is None:
        return ""
    return (
        f"; it was revoked on {stamp(revocation.revoked_at)} by {revocation.revoked_by} "
        f"({revocation.reason}), after this scan started"
    )


def _judged(finding: Finding, status: Status, att: Attestation, message: str) -> Finding:
    return replace(finding, status=status, message=message, evidence={**finding.evidence, **_evidence_of(att)})


def _evidence_of(att: Attestation) -> dict[str, str | bool]:
    evidence: dict[str, str | bool] = {
        "attestation.id": att.id,
        "attestation.by": att.attested_by,
        "attestation.attested_at": _rfc3339(att.attested_at),
        "attestation.in_force_from": _rfc3339(att.in_force_from),
        "attestation.expires_on": att.expires_on.isoformat(),
        "attestation.evidence": att.evidence,
    }
    if att.evidence_sha256:
        evidence["attestation.evidence_sha256"] = att.evidence_sha256
    if att.provider is not None:
        evidence["attestation.scope"] = scope_text(att)
    if att.long_validity:
        evidence["attestation.long_validity"] = True
    if att.revocation is not None:
        evidence["attestation.revoked_at"] = _rfc3339(att.revocation.revoked_at)
        evidence["attestation.revoked_by"] = att.revocation.revoked_by
        evidence["attestation.revocation_reason"] = att.revocation.reason
    return evidence


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
