"""`cspm-ai diff` and `cspm-ai prune` through the CLI, on stored scans (no cloud, no demo)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from cspm_ai.engine import finding_id
from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, Finding, Resource, ScanRecord, Scope, Severity, Status

ACCOUNT = "123456789012"
NB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:notebook-instance/nb"
HOSTILE = "evil\x1b]8;;http://x\x07<b>|*pwn*|</b>\u202e"
NEW_NB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:notebook-instance/{HOSTILE}"
CHECK = "aws.sagemaker.notebook_direct_internet_access"
TERMINAL_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from cspm_ai.cli import main

    with pytest.raises(SystemExit) as finished:
        main(list(args))
    out, err = capsys.readouterr()
    return int(finished.value.code or 0), out, err


def notebook(uid: str, access: str) -> Resource:
    name = uid.rsplit("/", 1)[-1]
    return Resource("aws", ACCOUNT, "us-east-1", "aws.sagemaker.notebook_instance", uid, name, {"Access": access})


def verdict(uid: str, status: Status) -> Finding:
    return Finding(
        id=finding_id(CHECK, uid),
        check_id=CHECK,
        title="Notebook instances have no direct internet access",
        status=status,
        severity=Severity.HIGH,
        provider="aws",
        account=ACCOUNT,
        region="us-east-1",
        resource_type="aws.sagemaker.notebook_instance",
        resource_uid=uid,
        resource_name=uid.rsplit("/", 1)[-1],
        message=f"Notebook is {status}.",
        checklist=("CL-01",),
        compliance={},
        remediation="Disable it.",
        evidence={},
    )


def store(db: str, day: int, resources: list[Resource], findings: list[Finding], **scan: object) -> ScanRecord:
    with Inventory.open(db) as inventory:
        started = datetime(2026, 5, 1, tzinfo=UTC) + timedelta(days=day)
        record = inventory.begin_scan(providers=["aws"], tool_version="1", started_at=started)
        result = CollectionResult(resources=resources, scopes=[Scope("aws", ACCOUNT, ("us-east-1",), "me")])
        return inventory.finish_scan(record.id, result, findings, status="complete", **scan)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "200")  # tables are compared whole, whatever the terminal running the tests
    return f"sqlite:///{tmp_path / 'inventory.db'}"


@pytest.fixture
def two_scans(db: str) -> tuple[ScanRecord, ScanRecord]:
    first = store(db, 0, [notebook(NB, "Disabled")], [verdict(NB, Status.PASS)])
    rule = {
        "id": "sandbox",
        "checks": ["*"],
        "owner": "ml@example.com",
        "justification": "sandbox",
        "expires": (date(2026, 5, 2) + timedelta(days=10)).isoformat(),
        "status": "active",
        "matched": 0,
    }
    second = store(
        db,
        1,
        [notebook(NB, "Enabled"), notebook(NEW_NB, "Enabled")],
        [verdict(NB, Status.FAIL), verdict(NEW_NB, Status.FAIL)],
        exceptions=[rule],
    )
    return first, second


def test_diff_json_is_the_diff_value(
    capsys: pytest.CaptureFixture[str], db: str, two_scans: tuple[ScanRecord, ScanRecord]
) -> None:
    first, second = two_scans
    code, out, err = run_main(capsys, "diff", "--db", db, "--format", "json")
    assert code == 0 and err == ""
    assert out.isascii()
    doc = json.loads(out)
    assert doc["from_scan"]["id"] == first.id and doc["to_scan"]["id"] == second.id and doc["comparable"]
    assert [f["resource_uid"] for f in doc["findings"]["regressed"]] == [NB]
    assert [f["resource_uid"] for f in doc["findings"]["new_failures"]] == [NEW_NB]
    assert doc["resources"]["changed"][0]["paths"] == [
        {"path": "Access", "change": "changed", "before": "Disabled", "after": "Enabled"}
    ]
    assert [e["id"] for e in doc["expiring"]["exceptions"]] == ["sandbox"]
    # The same value is report.json's `changes`: it validates against that part of the schema.
    from reports import load_schema

    schema = load_schema()
    Draft202012Validator({**schema["$defs"]["changes"], "$defs": schema["$defs"]}).validate(doc)


def test_diff_with_a_short_window_lists_no_expiry(
    capsys: pytest.CaptureFixture[str], db: str, two_scans: tuple[ScanRecord, ScanRecord]
) -> None:
    code, out, _ = run_main(capsys, "diff", "--db", db, "--format", "json", "--expiring", "1w")
    assert code == 0 and json.loads(out)["expiring"]["exceptions"] == []


def test_diff_markdown_and_table_are_inert_renderings(
    capsys: pytest.CaptureFixture[str], db: str, two_scans: tuple[ScanRecord, ScanRecord]
) -> None:
    code, out, _ = run_main(capsys, "diff", "--db", db, "--format", "markdown")
    assert code == 0
    assert "### Regressed (PASS to FAIL) (1)" in out and "### New failures (1)" in out
    assert "| Disabled | Enabled |" not in out and '\\"Disabled\\" → \\"Enabled\\"' not in out
    assert '"Disabled" → "Enabled"' in out
    assert "<b>" not in out and "\\<b\\>" in out and "\\|\\*pwn\\*\\|" in out
    assert not TERMINAL_UNSAFE.search(out)
    code, out, _ = run_main(capsys, "diff", "--db", db)
    assert code == 0
    assert "Regressed (PASS to FAIL) (1)" in out and "PASS → FAIL" in out and "new → FAIL" in out
    assert "exception" in out and "sandbox" in out
    assert not TERMINAL_UNSAFE.search(out)


def test_diff_of_explicit_scans_and_against_another_account(
    capsys: pytest.CaptureFixture[str], db: str, two_scans: tuple[ScanRecord, ScanRecord]
) -> None:
    first, second = two_scans
    code, out, _ = run_main(capsys, "diff", "--db", db, "--from", first.id[:8], "--to", second.id, "--format", "json")
    assert code == 0 and json.loads(out)["from_scan"]["id"] == first.id
    other = store(db, 2, [], [])
    with Inventory.open(db) as inventory:  # rewrite the scope of `other` to another account
        from sqlalchemy import update

        from cspm_ai.inventory.schema import ScanRow

        with inventory.engine.begin() as conn:
            scopes = [{"provider": "aws", "account": "999999999999", "regions": [], "identity": "me"}]
            conn.execute(update(ScanRow).where(ScanRow.id == other.id).values(scopes=scopes))
    code, out, err = run_main(capsys, "diff", "--db", db, "--from", second.id, "--to", other.id, "--format", "json")
    assert code == 0 and json.loads(out)["comparable"] is False
    assert err.startswith("warning: scan") and "aws 999999999999" in err


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (
            ["--to", "deadbeefdeadbeef"],
            "error: No stored scan has the id or id prefix 'deadbeefdeadbeef'.",
            "cspm-ai scans",
        ),
        (["--expiring", "soon"], "error: --expiring 'soon' is not a number of days.", "--expiring 14d"),
        ([], "error: No earlier finished scan covers the same providers and accounts", "pass --from SCAN"),
    ],
)
def test_diff_usage_problems_are_one_error_and_one_hint(
    capsys: pytest.CaptureFixture[str], db: str, args: list[str], error: str, hint: str
) -> None:
    store(db, 0, [notebook(NB, "Disabled")], [verdict(NB, Status.PASS)])
    code, out, err = run_main(capsys, "diff", "--db", db, *args)
    lines = err.strip().splitlines()
    assert code == 2 and out == ""
    assert len(lines) == 2 and lines[0].startswith(error) and lines[1].startswith("hint:") and hint in lines[1]


def test_diff_from_a_later_scan_is_refused(
    capsys: pytest.CaptureFixture[str], db: str, two_scans: tuple[ScanRecord, ScanRecord]
) -> None:
    first, second = two_scans
    code, _, err = run_main(capsys, "diff", "--db", db, "--from", second.id, "--to", first.id)
    assert code == 2 and "did not start before" in err and "hint:" in err


def test_prune_keep_and_older_than(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the listed ids are compared whole
    scans = [store(db, day, [notebook(NB, "Disabled")], [verdict(NB, Status.PASS)]) for day in range(4)]
    code, out, _ = run_main(capsys, "prune", "--db", db, "--keep", "2", "--dry-run")
    assert code == 0 and "Would delete 2 scan(s)" in out and scans[0].id in out and scans[1].id in out
    code, out, _ = run_main(capsys, "prune", "--db", db, "--keep", "2")
    assert code == 0 and "Deleted 2 scan(s) with 2 resources, 2 findings" in out
    with Inventory.open(db) as inventory:
        assert {s.id for s in inventory.list_scans()} == {scans[2].id, scans[3].id}
    # Everything is older than a day, but the latest complete scan of the account stays.
    code, out, _ = run_main(capsys, "prune", "--db", db, "--older-than", "1d")
    assert code == 0 and "Deleted 1 scan(s)" in out and scans[2].id in out
    code, out, _ = run_main(capsys, "prune", "--db", db, "--older-than", "1d")
    assert code == 0 and out.startswith("Nothing to prune")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ([], "error: Give exactly one of --keep N and --older-than DAYS."),
        (["--keep", "1", "--older-than", "9d"], "error: Give exactly one of --keep N and --older-than DAYS."),
        (["--older-than", "ninety"], "error: --older-than 'ninety' is not a number of days."),
    ],
)
def test_prune_usage_problems(capsys: pytest.CaptureFixture[str], db: str, args: list[str], error: str) -> None:
    code, out, err = run_main(capsys, "prune", "--db", db, *args)
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and lines[0] == error and lines[1].startswith("hint:")
