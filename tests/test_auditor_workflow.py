"""The auditor's path end to end, through the CLI: a scan with exceptions, an attestation,
per-framework reports in every format, and a signed evidence bundle verified elsewhere."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import responses
from bs4 import BeautifulSoup
from google.auth.credentials import AnonymousCredentials

import collectors.gcp as gcp
from cspm_ai.cli import main
from cspm_ai.compliance import frameworks
from cspm_ai.evidence import verify_bundle
from cspm_ai.framework_report import FrameworkReport, build_framework_report
from cspm_ai.inventory import Inventory
from cspm_ai.model import Revocation, Status
from cspm_ai.report import build_report
from moto_fixtures.gcp_estate import GcpEstateManifest, register_gcp_estate
from reports.framework_writer import render_framework_csv
from tests.report_safety import assert_no_secret_in

IDENTITY = "auditor@ml-prod-4521.iam.gserviceaccount.com"
MUTELIST = """\
exceptions:
  - id: dev-sandbox
    checks: ["gcp.vertex.*"]
    accounts: ["ml-dev-7781"]
    tags: {env: dev}
    justification: Throwaway playground with synthetic data only (RISK-142).
    owner: ml-platform@example.com
    expires: 2099-12-31
  - id: old-cmek-waiver
    checks: ["gcp.vertex.resource_cmek"]
    resources: ["*churn*"]
    justification: CMEK rollout waiver, superseded.
    owner: security@example.com
    expires: 2020-01-31
  - id: blind-project
    checks: ["*"]
    accounts: ["ml-denied-0000"]
    justification: An exception cannot accept what could not be read.
    owner: security@example.com
    expires: 2099-12-31
"""


# Within the default maximum validity of a year from today.
ATTESTATION_EXPIRES = datetime.now(UTC).date() + timedelta(days=300)


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    return int(finished.value.code or 0)


@dataclass
class Audited:
    root: Path
    db: str
    manifest: GcpEstateManifest
    evidence_file: Path

    def report_json(self) -> dict:
        return json.loads((self.root / "out" / "report.json").read_text())


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audited]:
    root = tmp_path_factory.mktemp("audit")
    (root / "mutelist.yaml").write_text(MUTELIST)
    evidence = root / "ir-tabletop-2026.pdf"
    evidence.write_bytes(b"%PDF-1.7 tabletop exercise: leaked endpoint key, poisoned dataset\n")
    db = f"sqlite:///{root / 'inventory.db'}"
    # Attested before the scan starts: an attestation applies to scans started while it is in force.
    assert (
        run(
            "attest",
            "cl-11",
            "--by",
            "Dana Reyes (CISO)",
            "--evidence",
            str(evidence),
            "--expires",
            ATTESTATION_EXPIRES.isoformat(),
            "--note",
            "Tabletop of AI incident playbooks",
            "--db",
            db,
        )
        == 0
    )
    with pytest.MonkeyPatch.context() as patch, responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        patch.setattr(gcp, "credential_factory", lambda impersonate: (AnonymousCredentials(), None, IDENTITY))
        manifest = register_gcp_estate(replay)
        assert (
            run(
                "scan",
                "gcp",
                "--organization",
                manifest.organization_id,
                "--mutelist",
                str(root / "mutelist.yaml"),
                "--db",
                db,
                "--output-dir",
                str(root / "out"),
            )
            == 0
        )
    assert run("report", "--db", db, "--output-dir", str(root / "out")) == 0
    yield Audited(root, db, manifest, evidence)


# ----------------------------------------------------------------------------- exceptions


def test_exceptions_mute_matching_failures_and_keep_their_status(audited: Audited) -> None:
    report = audited.report_json()
    muted = [f for f in report["findings"] if f["muted"]]
    assert muted and all(
        f["account"] == "ml-dev-7781"
        and f["check_id"].startswith("gcp.vertex.")
        and f["resource_tags"].get("env") == "dev"
        for f in muted
    )
    assert {f["status"] for f in muted} >= {"FAIL"}
    assert all(
        f["mute_reason"].startswith("dev-sandbox: Throwaway playground")
        and "ml-platform@example.com" in f["mute_reason"]
        and "2099-12-31" in f["mute_reason"]
        for f in muted
    )
    outcomes = {e["id"]: e for e in report["exceptions"]}
    assert outcomes["dev-sandbox"]["status"] == "active" and outcomes["dev-sandbox"]["matched"] == len(muted)


def test_an_expired_exception_mutes_nothing_and_is_reported_as_expired(audited: Audited) -> None:
    report = audited.report_json()
    churn = [
        f for f in report["findings"] if f["check_id"] == "gcp.vertex.resource_cmek" and "churn" in f["resource_name"]
    ]
    assert len(churn) == 4 and all(f["status"] == "FAIL" and not f["muted"] for f in churn)
    outcome = {e["id"]: e for e in report["exceptions"]}["old-cmek-waiver"]
    assert outcome["status"] == "expired" and outcome["matched"] == 4


def test_an_exception_never_mutes_what_could_not_be_read(audited: Audited) -> None:
    report = audited.report_json()
    blind = [f for f in report["findings"] if f["account"] == audited.manifest.denied_project_id]
    assert blind and all(f["status"] == "ERROR" and not f["muted"] for f in blind)
    assert {e["id"]: e for e in report["exceptions"]}["blind-project"]["matched"] == 0


def test_reevaluating_keeps_the_scans_exceptions_and_warns_of_expired_ones(
    audited: Audited, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = {f["id"]: f["muted"] for f in audited.report_json()["findings"]}
    assert run("evaluate", "--db", audited.db, "--output-dir", str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "exception old-cmek-waiver expired on 2020-01-31" in out and "muted by exceptions" in out
    after = {f["id"]: f["muted"] for f in json.loads((tmp_path / "report.json").read_text())["findings"]}
    assert after == before


def copy_inventory(audited: Audited, tmp_path: Path) -> str:
    """A copy of the audited inventory (through SQLite's backup, which includes its write-ahead log)."""
    copy = tmp_path / "inventory-copy.db"
    with closing(sqlite3.connect(audited.root / "inventory.db")) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    return f"sqlite:///{copy}"


NARROWER_MUTELIST = """\
exceptions:
  - id: only-dev
    checks: ["gcp.vertex.*"]
    accounts: ["ml-dev-7781"]
    justification: Narrowed after review (RISK-150).
    owner: security@example.com
    expires: 2099-12-31
"""


def test_each_reevaluation_is_recorded_on_the_scan_with_its_mutelist_and_hash(audited: Audited, tmp_path: Path) -> None:
    # A copy of the inventory: replacing the exceptions must not change what the other tests see.
    db = copy_inventory(audited, tmp_path)
    earlier = len(json.loads((audited.root / "out" / "report.json").read_text())["scan"].get("reevaluations", []))
    mutes = tmp_path / "narrower.yaml"
    mutes.write_text(NARROWER_MUTELIST)
    digest = hashlib.sha256(mutes.read_bytes()).hexdigest()

    assert run("evaluate", "--db", db, "--mutelist", str(mutes), "--output-dir", str(tmp_path / "a")) == 0
    assert run("evaluate", "--db", db, "--output-dir", str(tmp_path / "b")) == 0

    report = json.loads((tmp_path / "b" / "report.json").read_text())
    *_, by_file, kept = report["scan"]["reevaluations"]
    assert len(report["scan"]["reevaluations"]) >= earlier + 2
    assert by_file["exceptions_from"] == "mutelist" and by_file["mutelist_file"] == str(mutes)
    assert by_file["mutelist_sha256"] == digest and by_file["rules"] == 1
    assert [e["id"] for e in by_file["replaced_exceptions"]] == ["dev-sandbox", "old-cmek-waiver", "blind-project"]
    assert by_file["findings"] == len(report["findings"]) and by_file["muted"] == sum(
        f["muted"] for f in report["findings"]
    )
    assert kept["exceptions_from"] == "scan" and kept["mutelist_file"] is None and kept["rules"] == 1
    assert [e["id"] for e in kept["replaced_exceptions"]] == ["only-dev"]
    assert datetime.fromisoformat(by_file["evaluated_at"]) <= datetime.fromisoformat(kept["evaluated_at"])

    soup = BeautifulSoup((tmp_path / "b" / "report.html").read_text(), "html.parser")
    history = soup.find(id="reevaluations-table").get_text(" ")
    assert str(mutes) in history and digest in history and "the scan's own, kept" in history
    assert "Re-evaluated" in soup.find(id="reevaluated").get_text()

    bundle = tmp_path / "bundle.zip"
    assert run("evidence", "export", "--db", db, "--out", str(bundle)) == 0
    with zipfile.ZipFile(bundle) as z:
        manifest = json.loads(z.read("manifest.json"))
        framework = json.loads(z.read("compliance/checklist-report.json"))
    assert manifest["scan"]["reevaluations"] == report["scan"]["reevaluations"]
    assert framework["scan"]["reevaluations"] == report["scan"]["reevaluations"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            "exceptions:\n  - id: x\n    checks: ['*']\n    justification: j\n    expires: 2099-01-01\n",
            "exceptions.0.owner: Field required",
        ),
        ("exceptions: [\n", "is not valid YAML at line"),
        ("exceptions:\n  - id: x\n    check: ['*']\n", "exceptions.0"),
        (
            "exceptions:\n  - {id: a, checks: ['*'], justification: j, owner: o, expires: 2099-01-01}\n"
            "  - {id: a, checks: ['*'], justification: j, owner: o, expires: 2099-01-01}\n",
            "appears twice",
        ),
    ],
)
def test_a_bad_mutelist_is_one_line_error_before_any_work(
    audited: Audited, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, needle: str
) -> None:
    bad = tmp_path / "mutes.yaml"
    bad.write_text(content)
    assert run("evaluate", "--db", audited.db, "--mutelist", str(bad), "--output-dir", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and "hint:" in err
    assert not (tmp_path / "report.json").exists()


# ----------------------------------------------------------------------------- attestations


def test_an_attestation_turns_the_manual_item_pass_with_who_when_and_what(audited: Audited) -> None:
    report = audited.report_json()
    playbooks = [
        f
        for f in report["findings"]
        if "CL-11" in f["checklist"] and f["account"] != audited.manifest.denied_project_id
    ]
    assert playbooks and all(f["status"] == "PASS" for f in playbooks)
    assert all(f["evidence"]["attestation.by"] == "Dana Reyes (CISO)" for f in playbooks)
    (att,) = report["attestations"]
    assert att["item"] == "CL-11" and att["status"] == "PASS" and att["expires_on"] == ATTESTATION_EXPIRES.isoformat()
    assert att["attested_at"] == att["in_force_from"] and att["revocation"] is None and not att["long_validity"]
    assert datetime.fromisoformat(att["attested_at"]) < datetime.fromisoformat(report["scan"]["started_at"])
    assert att["evidence"] == "ir-tabletop-2026.pdf" and len(att["evidence_sha256"]) == 64


def test_after_its_expiry_the_attested_item_fails(audited: Audited) -> None:
    with Inventory.open(audited.db) as inventory:
        scan = inventory.get_scan("latest")
        attestations = inventory.attestations()
        # The denied project's playbook check is ERROR whatever anyone attests: leave it out here.
        findings = [f for f in inventory.findings(scan.id) if f.account != audited.manifest.denied_project_id]
    errors: list = []
    (att,) = attestations

    later = replace(scan, started_at=datetime.combine(att.expires_on + timedelta(days=1), time(), UTC))
    on_last_day = replace(scan, started_at=datetime.combine(att.expires_on, time(23, 59), UTC))
    for record, status in ((on_last_day, "PASS"), (later, "FAIL")):
        report = build_report(record, findings, errors, "test", attestations)
        items = [f for f in report.findings if "CL-11" in f.checklist and f.status is not Status.ERROR]
        assert items and {f.status.value for f in items} == {status}
        assert report.attestations[0].status == status
        control = {
            c.id: c
            for c in build_framework_report(
                frameworks()["checklist"], record, findings, errors, "test", attestations
            ).controls
        }["CL-11"]
        assert control.status.value == status
    assert (
        f"expired on {ATTESTATION_EXPIRES.isoformat()}"
        in [
            f
            for f in build_report(later, findings, errors, "t", attestations).findings
            if "CL-11" in f.checklist and f.status is Status.FAIL
        ][0].message
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ("CL-99", "--by", "x", "--evidence", "https://x.example/e", "--expires", "2099-01-01"),
            "Unknown checklist item",
        ),
        (
            ("CL-11", "--by", "x", "--evidence", "/no/such/file.pdf", "--expires", "2099-01-01"),
            "neither an http(s) URL",
        ),
        (("CL-11", "--by", "x", "--evidence", "https://x.example/e", "--expires", "2020-01-01"), "already past"),
        (("CL-11", "--by", "x", "--evidence", "https://x.example/e", "--expires", "next year"), "is not a date"),
        (("CL-11", "--by", " ", "--evidence", "https://x.example/e", "--expires", "2099-01-01"), "--by is empty"),
        (("CL-11", "--by", "x", "--evidence", "https://x.example/e", "--expires", "9999-12-31"), "more than 365 days"),
        (
            ("CL-11", "--by", "x", "--evidence", "https://x.example/e", "--expires", "2099-01-01", "--valid-from")
            + ("2020-01-01", "--allow-long-validity"),
            "in the past, and the evidence is a URL",
        ),
        (
            ("CL-11", "--by", "x", "--evidence", "https://x.example/e", "--expires", "2099-01-01", "--account")
            + ("123456789012", "--allow-long-validity"),
            "--account needs --provider",
        ),
        (
            ("add", "CL-11", "--by", "x", "--evidence", "https://x.example/e", "--expires", "2099-01-01")
            + ("--provider", "oracle", "--allow-long-validity"),
            "Unknown provider 'oracle'",
        ),
    ],
)
def test_a_bad_attestation_is_one_line_error_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    assert run("attest", *args, "--db", db) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    with Inventory.open(db) as inventory:
        assert inventory.attestations() == []


def test_an_attestation_made_after_a_scan_started_does_not_apply_to_its_report_or_bundle(
    audited: Audited, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = copy_inventory(audited, tmp_path)  # the scan, and Dana's attestation made before it
    with Inventory.open(db) as inventory:
        ((dana,), scan) = inventory.attestations(), inventory.get_scan("latest")
        inventory.revoke_attestation(dana.id, Revocation(scan.started_at - timedelta(seconds=1), "Ana", "redo"))
    # The command: an attestation for ever, typed in after the scan started.
    forever = ("CL-11", "--by", "mallory", "--evidence", "https://example.com/nothing", "--expires", "9999-12-31")
    assert run("attest", *forever, "--db", db) == 2
    assert "more than 365 days" in capsys.readouterr().err
    assert run("attest", *forever[:-1], ATTESTATION_EXPIRES.isoformat(), "--db", db) == 0
    assert run("report", "--scan", "latest", "--db", db, "--output-dir", str(tmp_path / "out")) == 0

    report = json.loads((tmp_path / "out" / "report.json").read_text())
    playbooks = [f for f in report["findings"] if "CL-11" in f["checklist"]]
    assert (
        playbooks
        and {f["status"] for f in playbooks} <= {"MANUAL", "ERROR"}
        and "MANUAL" in {f["status"] for f in playbooks}
    )
    assert report["attestations"] == []
    not_applied = {a["attested_by"]: a for a in report["attestations_not_applied"]}
    assert not_applied["mallory"]["reason"] == "not_yet_in_force"
    assert datetime.fromisoformat(not_applied["mallory"]["attested_at"]) > datetime.fromisoformat(
        report["scan"]["started_at"]
    )
    assert not_applied["Dana Reyes (CISO)"]["reason"] == "revoked"
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(), "html.parser")
    rows = soup.find(id="unapplied-attestations-table").get_text(" ")
    assert "Not yet in force when the scan started" in rows and "mallory" in rows and "Revoked before" in rows

    bundle = tmp_path / "bundle.zip"
    assert run("evidence", "export", "--db", db, "--out", str(bundle)) == 0
    with zipfile.ZipFile(bundle) as z:
        listed = {a["attested_by"]: a for a in json.loads(z.read("attestations.json"))}
    mallory = listed["mallory"]
    assert mallory["in_force_at_scan"] is False and mallory["at_scan"] == "not_yet_in_force"
    assert mallory["scan_started_at"] == report["scan"]["started_at"]
    assert mallory["attested_at"] == not_applied["mallory"]["attested_at"]
    assert listed["Dana Reyes (CISO)"]["at_scan"] == "revoked"


def test_a_revocation_after_the_scan_keeps_its_view_and_says_so(
    audited: Audited, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = copy_inventory(audited, tmp_path)
    with Inventory.open(db) as inventory:
        (dana,) = inventory.attestations()
    revoke = ("attest", "revoke", dana.id[:8], "--by", "Ana Silva (CISO)", "--reason", "playbook owner left")
    assert run(*revoke, "--db", db) == 0
    assert f"revoked CL-11 attestation {dana.id}" in capsys.readouterr().out
    assert run(*revoke, "--db", db) == 2
    assert "already revoked" in capsys.readouterr().err
    assert run("attestations", "--db", db) == 0
    listing = capsys.readouterr().out
    assert f"CL-11  REVOKED  id {dana.id}" in listing and "by Ana Silva (CISO): playbook owner left" in listing
    with Inventory.open(db) as inventory:
        (kept,) = inventory.attestations()
    assert kept.revocation is not None and kept.revocation.reason == "playbook owner left"

    assert run("report", "--db", db, "--output-dir", str(tmp_path / "out")) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    (att,) = report["attestations"]
    assert att["status"] == "PASS" and att["revocation"]["revoked_by"] == "Ana Silva (CISO)"
    playbooks = [f for f in report["findings"] if "CL-11" in f["checklist"] and f["status"] == "PASS"]
    assert playbooks and all("after this scan started" in f["message"] for f in playbooks)
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(), "html.parser")
    assert "revoked later" in soup.find(id="attestations-table").get_text(" ")


def test_the_readme_attestation_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import cspm_ai.attestation

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### Attestations", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    commands = [shlex.split(c) for b in blocks for c in b.replace("\\\n", " ").splitlines() if c.strip()]
    assert [c[:3] for c in commands if c[1] == "attest"] == [
        ["cspm-ai", "attest", "CL-11"],
        ["cspm-ai", "attest", "CL-11"],
        ["cspm-ai", "attest", "revoke"],
    ]
    # As on the day the examples were written, so their dates stay valid.
    monkeypatch.setattr(cspm_ai.attestation, "_now", lambda: datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    monkeypatch.chdir(tmp_path)
    for name in {arg for c in commands for arg in c if arg.endswith(".pdf")}:
        (tmp_path / name).write_bytes(b"%PDF-1.7 evidence\n")
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    for command in commands:
        if command[1:3] == ["attest", "revoke"]:  # the example's id stands for the unscoped one's
            with Inventory.open(db) as inventory:
                command[3] = next(a for a in inventory.attestations() if a.provider is None).id[:8]
        assert run(*command[1:], "--db", db) == 0, capsys.readouterr().err
    with Inventory.open(db) as inventory:
        by_scope = {a.provider: a for a in inventory.attestations()}
    assert by_scope[None].revocation is not None and by_scope["aws"].revocation is None
    assert by_scope["aws"].account and by_scope["aws"].valid_from is not None


# ----------------------------------------------------------------------------- framework reports


def test_every_failing_finding_carries_its_framework_mapping(audited: Audited) -> None:
    failing = [f for f in audited.report_json()["findings"] if f["status"] == "FAIL"]
    assert failing
    for f in failing:
        assert len(f["compliance"]) >= 3 and set(f["checklist"]) <= set(f["compliance"]["checklist"])


@pytest.fixture(scope="module")
def nist(audited: Audited) -> Path:
    out = audited.root / "nist"
    assert (
        run(
            "report",
            "--db",
            audited.db,
            "--scan",
            "latest",
            "--framework",
            "NIST-800-53-r5",
            "--format",
            "html,json,csv,ocsf",
            "--output-dir",
            str(out),
        )
        == 0
    )
    return out


def test_the_framework_report_goes_control_by_control(nist: Path) -> None:
    report = json.loads((nist / "nist-800-53-r5-report.json").read_text())
    fw = frameworks()["nist-800-53-r5"]
    assert report["framework"]["id"] == fw.id and [c["id"] for c in report["controls"]] == [c.id for c in fw.controls]
    by_id = {c["id"]: c for c in report["controls"]}
    findings = {f["id"]: f for f in report["findings"]}
    # Boundary protection fails on the public endpoints, citing them with their evidence.
    sc7 = by_id["SC-7"]
    assert sc7["status"] == "FAIL" and sc7["automated"]
    assert any(findings[i]["status"] == "FAIL" and findings[i]["evidence"] for i in sc7["findings"])
    # A control no finding of this scan speaks to (no check maps it, or its checks judge another cloud's
    # resources, as the Bedrock ones map SC-5 and SI-10), whose items nobody attested, is MANUAL.
    manual = [c for c in report["controls"] if not c["findings"] and not c["attestations"]]
    assert manual and all(c["status"] == "MANUAL" for c in manual)
    # The incident-response plan is attested, but the denied project could not be read at all:
    # the blind spot outranks the attestation.
    ir8 = by_id["IR-8"]
    assert ir8["attestations"] and ir8["status"] == "ERROR" and "could not be judged" in ir8["rationale"]
    assert {findings[i]["status"] for i in ir8["findings"]} == {"PASS", "ERROR"}
    # Muted failures do not fail a control but are counted.
    assert any(c["muted"] for c in report["controls"])
    counts = report["summary"]["controls"]
    assert sum(counts.values()) == len(report["controls"])


def test_the_framework_html_loads_nothing_runs_nothing_and_shows_hostile_text_as_text(
    nist: Path, audited: Audited
) -> None:
    soup = BeautifulSoup((nist / "nist-800-53-r5-report.html").read_text(), "html.parser")
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert not soup.find_all("script") and not soup.find_all("img") and not soup.find_all("link")
    assert not [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)]
    assert all(a["href"].startswith("#") for a in soup.find_all("a", href=True))
    assert audited.manifest.hostile_strings[0] in soup.get_text()
    assert "IR-8" in soup.get_text() and "Dana Reyes (CISO)" in soup.get_text()


def test_the_framework_csv_is_safe_to_open_in_a_spreadsheet(nist: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((nist / "nist-800-53-r5-report.csv").read_text())))
    assert rows and {r["control_id"] for r in rows} == {c.id for c in frameworks()["nist-800-53-r5"].controls}
    assert not [cell for r in rows for cell in r.values() if cell[:1] in ("=", "+", "-", "@")]
    # A resource named like a formula is kept, quoted so no spreadsheet runs it.
    value = FrameworkReport.model_validate_json((nist / "nist-800-53-r5-report.json").read_text())
    formula = "=cmd|' /C calc'!A0"
    renamed = [f.model_copy(update={"resource_name": formula, "message": "@SUM(1)"}) for f in value.findings]
    hostile = value.model_copy(update={"findings": renamed})
    cells = [c for r in csv.reader(io.StringIO(render_framework_csv(hostile))) for c in r]
    assert "'" + formula in cells and "'@SUM(1)" in cells and formula not in cells


def test_the_ocsf_output_is_compliance_findings_a_siem_can_ingest(nist: Path) -> None:
    events = json.loads((nist / "nist-800-53-r5-ocsf.json").read_text())
    assert events
    for event in events:
        assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
        assert event["metadata"]["version"].startswith("1.") and event["metadata"]["product"]["name"] == "cspm-ai"
        assert isinstance(event["time"], int) and event["severity_id"] in range(1, 6)
        comp = event["compliance"]
        assert comp["standards"] == ["NIST SP 800-53 Rev. 5 5.1.1"] and comp["status_id"] in (0, 1, 3, 99)
        assert event["finding_info"]["uid"] and event["finding_info"]["title"]
    muted = [e for e in events if e.get("unmapped", {}).get("muted")]
    assert muted and all(e["status_id"] == 3 and e["status"] == "Suppressed" for e in muted)
    assert any(e["compliance"]["status"] == "Fail" and e["resources"][0]["uid"] for e in events)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--framework", "sox"), "unknown framework 'sox'"),
        (("--framework", "gdpr", "--format", "pdf"), "Unknown framework report format 'pdf'"),
        (("--framework", "gdpr", "--scan", "deadbeefdeadbeef"), "No stored scan"),
    ],
)
def test_bad_framework_report_requests_are_one_line_errors(
    audited: Audited, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    assert run("report", "--db", audited.db, "--output-dir", str(tmp_path), *args) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_frameworks_list_names_every_framework(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("frameworks", "list") == 0
    out = capsys.readouterr().out
    assert all(fid in out for fid in frameworks())


# ----------------------------------------------------------------------------- evidence bundles


@dataclass
class Exported:
    bundle: Path
    public_key: Path
    private_key: Path


@pytest.fixture(scope="module")
def exported(audited: Audited) -> Exported:
    keys = audited.root / "keys"
    assert (
        run("evidence", "keygen", "--private-key", str(keys / "signing.key"), "--public-key", str(keys / "signing.pub"))
        == 0
    )
    bundle = audited.root / "bundle.zip"
    assert (
        run(
            "evidence",
            "export",
            "--scan",
            "latest",
            "--db",
            audited.db,
            "--out",
            str(bundle),
            "--sign-key",
            str(keys / "signing.key"),
        )
        == 0
    )
    return Exported(bundle, keys / "signing.pub", keys / "signing.key")


def test_keygen_keeps_the_private_key_private_and_never_overwrites(
    exported: Exported, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exported.private_key.stat().st_mode & 0o077 == 0
    assert (
        run(
            "evidence",
            "keygen",
            "--private-key",
            str(exported.private_key),
            "--public-key",
            str(exported.private_key.with_suffix(".other")),
        )
        == 2
    )
    assert "already exists" in capsys.readouterr().err


def test_the_bundle_verifies_on_another_machine(exported: Exported, tmp_path: Path) -> None:
    # Another machine: a fresh directory and home, no inventory, no cloud credentials.
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    copy = elsewhere / "bundle.zip"
    copy.write_bytes(exported.bundle.read_bytes())
    (elsewhere / "signer.pub").write_bytes(exported.public_key.read_bytes())
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(elsewhere),
        "XDG_DATA_HOME": str(elsewhere / "data"),
        "XDG_CONFIG_HOME": str(elsewhere / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "cspm_ai", "evidence", "verify", "bundle.zip", "--public-key", "signer.pub"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "OK:" in done.stdout and "signature holds under the given public key SHA256:" in done.stdout
    assert not (elsewhere / "data").exists(), "verifying must not create an inventory"


def test_the_bundle_holds_what_an_auditor_needs(exported: Exported, audited: Audited) -> None:
    with zipfile.ZipFile(exported.bundle) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        listed = {f["path"] for f in manifest["files"]}
        assert names == listed | {"manifest.json", "manifest.sig", "signer.pub"}
        for fid in frameworks():
            assert {f"compliance/{fid}-report.html", f"compliance/{fid}-report.json", f"frameworks/{fid}.json"} <= names
        assert {
            "report/report.json",
            "report/report.html",
            "inventory/resources.json",
            "checks.json",
            "attestations.json",
            "exceptions.json",
            "README.txt",
        } <= names
        report = json.loads(z.read("report/report.json"))
        resources = json.loads(z.read("inventory/resources.json"))
        # Every judged resource's configuration is in the bundle; only blind spots (ERROR) may lack one.
        judged = {f["resource_uid"] for f in report["findings"] if f["status"] != "ERROR"}
        assert judged and judged <= {r["uid"] for r in resources}
        assert all(r["evaluated"] for r in resources if r["uid"] in judged)
        assert all("config" in r and "redactions" in r for r in resources)
        assert any(r["redactions"] for r in resources), "the estate plants secrets the collector redacted"
        checks = json.loads(z.read("checks.json"))
        assert checks and all(len(c["version"]) == 16 for c in checks)
        (att,) = json.loads(z.read("attestations.json"))
        assert z.read(att["evidence_file"]) == audited.evidence_file.read_bytes()
        assert {e["id"]: e["status"] for e in json.loads(z.read("exceptions.json"))} == {
            "dev-sandbox": "active",
            "old-cmek-waiver": "expired",
            "blind-project": "active",
        }
    scan = manifest["scan"]
    assert scan["status"] == "incomplete" and scan["started_at"] and scan["finished_at"]
    assert {s["identity"] for s in scan["scopes"]} == {IDENTITY}
    assert manifest["scanner"]["name"] == "cspm-ai" and scan["collected_by"]["version"]
    assert manifest["signature"]["algorithm"] == "Ed25519"


def test_a_stored_scans_report_names_what_each_supporting_resource_affects(audited: Audited) -> None:
    # report.json here was rewritten by `cspm-ai report` from the stored scan: the context is worked out from
    # the stored relations, not carried in memory from the scan.
    findings = audited.report_json()["findings"]
    supporting = [f for f in findings if f["resource_type"] in {"gcp.iam.service_account", "gcp.kms.crypto_key"}]
    affected = [f for f in supporting if f["affects"]]
    assert affected, "no finding on a service account or key names the AI resources it affects"
    from cspm_ai.lineage import is_ai

    assert all(is_ai(a["type"]) and a["name"] for f in affected for a in f["affects"])
    # AI resources themselves name nothing they affect.
    assert not [f for f in findings if f["resource_type"].startswith("gcp.vertex.") and f["affects"]]


def test_the_bundle_carries_the_ai_bill_of_materials(exported: Exported, audited: Audited) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    with zipfile.ZipFile(exported.bundle) as z:
        text = z.read("bom/bom.cdx.json").decode("utf-8")
        report = json.loads(z.read("report/report.json"))
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    # Every serving resource the report draws is a service of the BOM, and the models are ML components.
    assert {s["bom-ref"] for s in bom["services"]} == {item["root"] for item in report["lineage"]}
    models = {c["name"]: c for c in bom["components"] if c["type"] == "machine-learning-model"}
    fraud = models["fraud-classifier"]["modelCard"]
    # Trained by fraud-pipeline on the transactions dataset (a join on its bare datasetId), version 1.
    assert models["fraud-classifier"]["version"] == "1"
    datasets = {c["bom-ref"]: c["name"] for c in bom["components"] if c["type"] == "data"}
    assert "transactions" in {datasets[d["ref"]] for d in fraud["modelParameters"]["datasets"]}
    assert {p["name"]: p["value"] for p in fraud["properties"]}["cspm-ai:produced_by"] == "fraud-pipeline"


@pytest.mark.parametrize(
    ("fmt", "file", "marker"),
    [
        ("cyclonedx-json", "bom.cdx.json", '"specVersion": "1.6"'),
        ("json", "lineage.json", '"cspm-ai-lineage/1"'),
        ("html", "lineage.html", '<figure class="lineage"'),
    ],
)
def test_the_bom_command_writes_each_format(
    audited: Audited, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, file: str, marker: str
) -> None:
    assert run("bom", "--db", audited.db, "--output-dir", str(tmp_path), "--format", fmt) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / file}" in out and "AI serving resource(s)" in out
    assert marker in (tmp_path / file).read_text()
    assert_no_secret_in(audited.manifest.secrets, {file: (tmp_path / file).read_bytes()})


def test_a_bad_bom_request_is_one_line_error(
    audited: Audited, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("bom", "--db", audited.db, "--output-dir", str(tmp_path), "--format", "spdx") == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: Unknown BOM format 'spdx'.", "hint: Choose from: cyclonedx-json, json, html."]
    assert run("bom", "--db", audited.db, "--output-dir", str(tmp_path), "--scan", "deadbeefdeadbeef") == 2
    assert "No stored scan" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_no_planted_secret_reaches_the_bundle(exported: Exported, audited: Audited) -> None:
    # Members are stored uncompressed, so the raw archive bytes are the files' bytes.
    with zipfile.ZipFile(exported.bundle) as z:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
    assert_no_secret_in(audited.manifest.secrets, {"bundle.zip": exported.bundle.read_bytes()})


def _probes(data: bytes) -> list[int]:
    """Offsets to change: in each member's zip header and content, and in the zip directory.

    tests/test_evidence.py changes every single byte of a small bundle; this samples a real one.
    """
    probes: list[int] = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            start = info.header_offset
            content = start + 30 + len(info.filename)
            probes += [start + 10, start + 30]  # the header's time field, the first byte of the name
            if info.file_size:
                probes += [content, content + info.file_size // 2, content + info.file_size - 1]
        probes += [z.start_dir, z.start_dir + 12, len(data) - 12, len(data) - 1]
    return probes


def test_changing_a_byte_anywhere_in_the_bundle_fails_verification(exported: Exported, tmp_path: Path) -> None:
    data = exported.bundle.read_bytes()
    target = tmp_path / "tampered.zip"
    for offset in _probes(data):
        changed = bytearray(data)
        changed[offset] ^= 0x20
        target.write_bytes(bytes(changed))
        result = verify_bundle(target, exported.public_key)
        assert not result.ok and result.failed_file, f"a change at byte {offset} went unnoticed"


def test_verify_names_the_file_that_was_changed(
    exported: Exported, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = exported.bundle.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("compliance/gdpr-report.html")
    at = info.header_offset + 30 + len(info.filename) + 100
    changed = bytearray(data)
    changed[at] = ord("X") if changed[at] != ord("X") else ord("Y")
    (tmp_path / "b.zip").write_bytes(bytes(changed))
    assert run("evidence", "verify", str(tmp_path / "b.zip"), "--public-key", str(exported.public_key)) == 1
    err = capsys.readouterr().err
    assert "verification FAILED at 'compliance/gdpr-report.html'" in err and "Traceback" not in err


def test_a_bundle_resigned_by_someone_else_fails_under_the_trusted_key(
    exported: Exported, audited: Audited, tmp_path: Path
) -> None:
    assert (
        run(
            "evidence",
            "keygen",
            "--private-key",
            str(tmp_path / "mallory.key"),
            "--public-key",
            str(tmp_path / "mallory.pub"),
        )
        == 0
    )
    forged = tmp_path / "forged.zip"
    assert (
        run("evidence", "export", "--db", audited.db, "--out", str(forged), "--sign-key", str(tmp_path / "mallory.key"))
        == 0
    )
    assert verify_bundle(forged).ok  # self-consistent under its own key...
    result = verify_bundle(forged, exported.public_key)  # ...but not made by the trusted signer
    assert not result.ok and result.failed_file == "manifest.json"


def test_an_unsigned_bundle_still_carries_hashes(
    audited: Audited, exported: Exported, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unsigned = tmp_path / "unsigned.zip"
    assert run("evidence", "export", "--db", audited.db, "--out", str(unsigned)) == 0
    assert run("evidence", "verify", str(unsigned)) == 3
    assert "UNSIGNED" in capsys.readouterr().err
    with zipfile.ZipFile(unsigned) as z:
        assert "manifest.sig" not in z.namelist() and json.loads(z.read("manifest.json"))["files"]
    assert run("evidence", "verify", str(unsigned), "--public-key", str(exported.public_key)) == 1
    assert "not signed" in capsys.readouterr().err


def test_verify_fails_with_exit_3_unless_a_key_the_auditor_trusts_vouches_for_the_signer(
    audited: Audited, exported: Exported, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unsigned = tmp_path / "unsigned.zip"
    assert run("evidence", "export", "--db", audited.db, "--out", str(unsigned)) == 0
    capsys.readouterr()
    for bundle, why in ((exported.bundle, "holds only under the bundle's own key SHA256:"), (unsigned, "UNSIGNED")):
        assert run("evidence", "verify", str(bundle)) == 3
        out, err = capsys.readouterr()
        assert out.startswith("intact: ") and "OK" not in out
        (line, hint) = err.splitlines()
        assert line.startswith("error: signer NOT VERIFIED: ") and why in line and hint.startswith("hint: ")
    assert run("evidence", "verify", str(exported.bundle), "--public-key", str(exported.public_key)) == 0
    assert capsys.readouterr().out.startswith("OK: ")


@pytest.mark.parametrize("case", ["not-a-zip", "missing-key", "out-is-dir"])
def test_evidence_bad_input_is_one_line(
    audited: Audited, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    if case == "not-a-zip":
        (tmp_path / "x.zip").write_text("hello")
        assert run("evidence", "verify", str(tmp_path / "x.zip")) == 1
    elif case == "missing-key":
        assert (
            run(
                "evidence",
                "export",
                "--db",
                audited.db,
                "--out",
                str(tmp_path / "b.zip"),
                "--sign-key",
                str(tmp_path / "nope.key"),
            )
            == 2
        )
        assert not (tmp_path / "b.zip").exists()
    else:
        assert run("evidence", "export", "--db", audited.db, "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_the_scan_report_shows_attestations_and_exceptions(audited: Audited) -> None:
    soup = BeautifulSoup((audited.root / "out" / "report.html").read_text(), "html.parser")
    attestations = soup.find(id="attestations-table").get_text(" ")
    assert "CL-11" in attestations and "Dana Reyes (CISO)" in attestations and "IN FORCE" in attestations
    rows = {r.th.get_text(): r.get_text(" ") for r in soup.find(id="exceptions-table").tbody.find_all("tr")}
    assert "EXPIRED" in rows["old-cmek-waiver"] and "4 findings" in rows["old-cmek-waiver"]
    assert "ACTIVE" in rows["dev-sandbox"]
