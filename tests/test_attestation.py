"""Attestations as of a scan's start: recorded by the tool's clock, backdated only on a kept file, bounded in
validity, scoped to a provider and account, and revocable without rewriting what a stored scan saw."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cspm_ai.attestation import (
    MAX_VALIDITY,
    Standing,
    apply_attestations,
    new_attestation,
    new_revocation,
    standing,
)
from cspm_ai.compliance import frameworks
from cspm_ai.errors import ConfigError
from cspm_ai.framework_report import build_framework_report
from cspm_ai.model import Attestation, Finding, Revocation, ScanRecord, Scope, Severity, Status
from cspm_ai.report import build_report

# The timeline: a scan started at 20:55, an attestation typed in at 21:00.
SCAN_START = datetime(2026, 12, 1, 20, 55, tzinfo=UTC)
AFTER_SCAN = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
BEFORE_SCAN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
AWS_A, AWS_B, GCP_P = "111122223333", "444455556666", "ml-prod-4521"


def playbook_finding(provider: str = "aws", account: str = AWS_A) -> Finding:
    kind = {"aws": "account", "azure": "subscription", "gcp": "project"}[provider]
    return Finding(
        id=f"{provider}.{kind}.incident_response_playbooks|{account}",
        check_id=f"{provider}.{kind}.incident_response_playbooks",
        title="AI incident response playbooks exist and are exercised",
        status=Status.MANUAL,
        severity=Severity.INFO,
        provider=provider,
        account=account,
        region="global",
        resource_type=f"{provider}.{kind}",
        resource_uid=f"{provider}:{account}",
        resource_name=account,
        message=f"{account} needs an attestation that AI incident response playbooks exist and were exercised.",
        checklist=("CL-11",),
        compliance={"checklist": ["CL-11"]},
        remediation="Write and rehearse the playbooks.",
        evidence={},
    )


FINDINGS = [playbook_finding("aws", AWS_A), playbook_finding("aws", AWS_B), playbook_finding("gcp", GCP_P)]


def scan(started_at: datetime = SCAN_START, accounts: tuple[tuple[str, str], ...] = ()) -> ScanRecord:
    scopes = accounts or (("aws", AWS_A), ("aws", AWS_B), ("gcp", GCP_P))
    return ScanRecord(
        id="scan-1",
        started_at=started_at,
        finished_at=started_at + timedelta(minutes=4),
        status="complete",
        providers=tuple(sorted({p for p, _ in scopes})),
        scopes=tuple(Scope(p, a, ("global",), "auditor") for p, a in scopes),
        tool_version="1.0.0",
    )


def attestation(**changes: object) -> Attestation:
    values: dict[str, object] = dict(
        id="att-1",
        item="CL-11",
        attested_by="Dana Reyes (CISO)",
        attested_at=BEFORE_SCAN,
        expires_on=date(2027, 6, 30),
        evidence="https://wiki.example.com/ir-tabletop",
    )
    values.update(changes)
    return Attestation(**values)  # type: ignore[arg-type]


def statuses(findings: list[Finding]) -> dict[str, Status]:
    return {f.account: f.status for f in findings}


@pytest.fixture
def evidence_file(tmp_path: Path) -> Path:
    path = tmp_path / "ir-tabletop-2026.pdf"
    path.write_bytes(b"%PDF-1.7 tabletop exercise\n")
    return path


# ----------------------------------------------------------------------------- retroactivity


def test_an_attestation_recorded_after_the_scan_started_does_not_apply_to_it() -> None:
    mallory, _ = new_attestation(
        "CL-11", by="mallory", evidence="https://example.com/nothing", expires="2027-06-30", now=AFTER_SCAN
    )
    assert mallory.attested_at == AFTER_SCAN and mallory.in_force_from == AFTER_SCAN
    report = build_report(scan(), FINDINGS, [], "1.0.0", [mallory])
    assert {f.status for f in report.findings} == {Status.MANUAL}
    assert report.attestations == []
    (shown,) = report.attestations_not_applied
    assert shown.reason == "not_yet_in_force" and shown.attested_at == AFTER_SCAN > report.scan.started_at
    # A scan started after it was recorded is covered.
    later = build_report(scan(AFTER_SCAN + timedelta(seconds=1)), FINDINGS, [], "1.0.0", [mallory])
    assert {f.status for f in later.findings} == {Status.PASS}
    assert later.attestations[0].status == "PASS" and later.attestations_not_applied == []


def test_the_framework_report_does_not_apply_it_either() -> None:
    mallory = attestation(attested_at=AFTER_SCAN)
    checklist = frameworks()["checklist"]
    report = build_framework_report(checklist, scan(), FINDINGS, [], "1.0.0", [mallory])
    (cl11,) = [c for c in report.controls if c.id == "CL-11"]
    assert cl11.status is Status.MANUAL and cl11.attestations == []
    assert [a.reason for a in report.attestations_not_applied] == ["not_yet_in_force"]


@pytest.mark.parametrize(
    ("started", "expected"),
    [
        (BEFORE_SCAN - timedelta(microseconds=1), Standing.NOT_YET_IN_FORCE),
        (BEFORE_SCAN, Standing.IN_FORCE),
        (datetime(2027, 6, 30, 23, 59, 59, 999999, tzinfo=UTC), Standing.IN_FORCE),
        (datetime(2027, 7, 1, tzinfo=UTC), Standing.EXPIRED),
    ],
)
def test_it_is_in_force_from_its_recorded_moment_through_its_expiry_day(started: datetime, expected: Standing) -> None:
    assert standing(attestation(), started) is expected


def test_the_recorded_moment_is_the_tools_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import cspm_ai.attestation as module

    monkeypatch.setattr(module, "_now", lambda: AFTER_SCAN)
    made, _ = new_attestation("CL-11", by="x", evidence="https://x.example/e", expires="2027-01-01")
    assert made.attested_at == AFTER_SCAN and made.valid_from is None


# ----------------------------------------------------------------------------- backdating


def test_backdating_needs_an_evidence_file_whose_hash_is_kept(evidence_file: Path) -> None:
    with pytest.raises(ConfigError, match="is in the past, and the evidence is a URL") as refused:
        new_attestation(
            "CL-11", by="x", evidence="https://x.example/e", expires="2027-06-30", valid_from="2026-11-01",
            now=AFTER_SCAN,
        )  # fmt: skip
    assert "pass it as a file" in refused.value.hint
    backdated, content = new_attestation(
        "CL-11", by="x", evidence=str(evidence_file), expires="2027-06-30", valid_from="2026-11-01", now=AFTER_SCAN
    )
    assert content == evidence_file.read_bytes()
    assert backdated.evidence_sha256 == hashlib.sha256(content).hexdigest()
    assert backdated.attested_at == AFTER_SCAN
    assert backdated.valid_from == backdated.in_force_from == datetime(2026, 11, 1, tzinfo=UTC)
    # So it covers the scan that started before it was recorded, and the report shows both times.
    report = build_report(scan(), FINDINGS, [], "1.0.0", [backdated])
    assert {f.status for f in report.findings} == {Status.PASS}
    (shown,) = report.attestations
    assert shown.attested_at == AFTER_SCAN and shown.in_force_from == shown.valid_from == backdated.valid_from
    assert report.findings[0].evidence["attestation.in_force_from"] == "2026-11-01T00:00:00Z"


def test_a_future_start_needs_no_file_and_a_start_after_expiry_is_refused() -> None:
    future, _ = new_attestation(
        "CL-11", by="x", evidence="https://x.example/e", expires="2027-06-30", valid_from="2027-01-01", now=AFTER_SCAN
    )
    assert future.in_force_from == datetime(2027, 1, 1, tzinfo=UTC)
    assert standing(future, datetime(2026, 12, 31, tzinfo=UTC)) is Standing.NOT_YET_IN_FORCE
    with pytest.raises(ConfigError, match="is after --expires"):
        new_attestation(
            "CL-11", by="x", evidence="https://x.example/e", expires="2027-01-01", valid_from="2027-02-01",
            now=AFTER_SCAN,
        )  # fmt: skip


# ----------------------------------------------------------------------------- bounded validity


def test_validity_is_at_most_a_year_unless_allowed_and_recorded() -> None:
    last_day = (AFTER_SCAN.date() + MAX_VALIDITY).isoformat()
    within, _ = new_attestation("CL-11", by="x", evidence="https://x.example/e", expires=last_day, now=AFTER_SCAN)
    assert not within.long_validity
    with pytest.raises(ConfigError, match="more than 365 days after") as refused:
        new_attestation("CL-11", by="mallory", evidence="https://x.example/e", expires="9999-12-31", now=AFTER_SCAN)
    assert "--allow-long-validity" in refused.value.hint
    long, _ = new_attestation(
        "CL-11", by="x", evidence="https://x.example/e", expires="2030-01-01", allow_long_validity=True, now=AFTER_SCAN
    )
    assert long.long_validity
    report = build_report(scan(AFTER_SCAN + timedelta(hours=1)), FINDINGS, [], "1.0.0", [long])
    assert report.attestations[0].long_validity
    assert report.findings[0].evidence["attestation.long_validity"] is True


# ----------------------------------------------------------------------------- scope


def test_an_attestation_scoped_to_an_account_covers_only_its_findings() -> None:
    scoped = attestation(provider="aws", account=AWS_A)
    judged = statuses(apply_attestations(FINDINGS, [scoped], SCAN_START))
    assert judged == {AWS_A: Status.PASS, AWS_B: Status.MANUAL, GCP_P: Status.MANUAL}
    provider_wide = attestation(provider="aws")
    judged = statuses(apply_attestations(FINDINGS, [provider_wide], SCAN_START))
    assert judged == {AWS_A: Status.PASS, AWS_B: Status.PASS, GCP_P: Status.MANUAL}
    # An expired attestation of one account fails only that account's finding.
    expired = attestation(provider="aws", account=AWS_B, expires_on=date(2026, 11, 30))
    judged = statuses(apply_attestations(FINDINGS, [scoped, expired], SCAN_START))
    assert judged == {AWS_A: Status.PASS, AWS_B: Status.FAIL, GCP_P: Status.MANUAL}


def test_a_control_with_no_finding_rests_only_on_an_attestation_covering_the_whole_scan() -> None:
    checklist = frameworks()["checklist"]
    control = next(c for c in checklist.controls if c.id == "CL-11")
    for covering, passes in ((attestation(provider="aws", account=AWS_A), False), (attestation(), True)):
        report = build_framework_report(checklist, scan(), [], [], "1.0.0", [covering])
        (result,) = [c for c in report.controls if c.id == control.id]
        assert (result.status is Status.PASS) is passes


def test_an_attestation_scoped_to_what_the_scan_did_not_read_is_listed_as_out_of_scope() -> None:
    elsewhere = attestation(provider="azure", account="sub-1")
    report = build_report(scan(), FINDINGS, [], "1.0.0", [elsewhere])
    assert report.attestations == [] and [a.reason for a in report.attestations_not_applied] == ["out_of_scope"]
    assert report.attestations_not_applied[0].provider == "azure"


@pytest.mark.parametrize(
    ("provider", "account", "needle"),
    [("oracle", None, "Unknown provider"), (None, AWS_A, "--account needs --provider"), ("aws", " ", "is empty")],
)
def test_a_bad_scope_is_refused(provider: str | None, account: str | None, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        new_attestation(
            "CL-11", by="x", evidence="https://x.example/e", expires="2027-01-01", provider=provider, account=account,
            now=AFTER_SCAN,
        )  # fmt: skip


# ----------------------------------------------------------------------------- revocation


def test_a_revocation_ends_it_for_later_scans_and_an_earlier_scan_says_it_was_revoked_later() -> None:
    revoked = replace(attestation(), revocation=Revocation(AFTER_SCAN, "Ana (CISO)", "the tabletop never took place"))
    earlier = build_report(scan(), FINDINGS, [], "1.0.0", [revoked])
    assert {f.status for f in earlier.findings} == {Status.PASS}
    assert all("revoked on 2026-12-01 21:00 UTC by Ana (CISO)" in f.message for f in earlier.findings)
    assert all(f.evidence["attestation.revocation_reason"] == "the tabletop never took place" for f in earlier.findings)
    (shown,) = earlier.attestations
    assert shown.status == "PASS" and shown.revocation is not None and shown.revocation.revoked_at == AFTER_SCAN

    later = build_report(scan(AFTER_SCAN), FINDINGS, [], "1.0.0", [revoked])
    assert {f.status for f in later.findings} == {Status.MANUAL}
    assert [a.reason for a in later.attestations_not_applied] == ["revoked"]


def test_a_revocation_is_timed_by_the_tool_validated_and_made_once() -> None:
    made = new_revocation(attestation(), by=" Ana ", reason=" wrong evidence ", now=AFTER_SCAN)
    assert made == Revocation(AFTER_SCAN, "Ana", "wrong evidence")
    with pytest.raises(ConfigError, match="already revoked"):
        new_revocation(replace(attestation(), revocation=made), by="Ana", reason="again")
    with pytest.raises(ConfigError, match="--reason is empty"):
        new_revocation(attestation(), by="Ana", reason=" ")
    with pytest.raises(ConfigError, match="--by is empty"):
        new_revocation(attestation(), by="", reason="r")
