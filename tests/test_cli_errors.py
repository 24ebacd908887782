"""A user's mistake gets one clear line with a fix and a non-zero exit, never a traceback."""

from __future__ import annotations

import errno
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cspm_ai", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or dict(os.environ),
        cwd=cwd,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("error: "), lines
    assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("hint: ")), lines
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def test_bad_database_url(tmp_path: Path) -> None:
    result = run_cli("scan", "aws", "--db", "notaurl://", "--output-dir", str(tmp_path))
    assert_clean_failure(result, "database URL")


def test_unreachable_database_hides_the_password(tmp_path: Path) -> None:
    result = run_cli("scan", "aws", "--db", "postgresql://u:s3cretpw@127.0.0.1:1/x", "--output-dir", str(tmp_path))
    assert_clean_failure(result)
    assert "s3cretpw" not in result.stderr


def test_missing_credentials(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    }
    result = run_cli(
        "scan",
        "aws",
        "--regions",
        "us-east-1",
        "--output-dir",
        str(tmp_path),
        "--db",
        f"sqlite:///{tmp_path / 'inv.db'}",
        env=env,
    )
    assert_clean_failure(result, "No AWS credentials")


def test_unknown_profile(tmp_path: Path) -> None:
    result = run_cli(
        "scan", "aws", "--profile", "nope", "--output-dir", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'inv.db'}"
    )
    assert_clean_failure(result, "'nope'")


def test_output_dir_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("not a directory")
    result = run_cli("scan", "aws", "--output-dir", str(blocker / "sub"))
    assert_clean_failure(result, "Cannot write reports")


def test_corrupt_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("db = [unclosed\n")
    result = run_cli("--config", str(config), "scan", "aws")
    assert_clean_failure(result, "not valid TOML")


def test_config_with_an_unknown_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('dbb = "sqlite://"\n')
    result = run_cli("--config", str(config), "checks", "list")
    assert_clean_failure(result, "dbb")


def test_unknown_report_format(tmp_path: Path) -> None:
    assert_clean_failure(run_cli("scan", "aws", "--format", "pdf", "--output-dir", str(tmp_path)), "'pdf'")


def test_unknown_scan_id(tmp_path: Path) -> None:
    result = run_cli(
        "report",
        "--scan",
        "deadbeefdeadbeef",
        "--db",
        f"sqlite:///{tmp_path / 'inv.db'}",
        "--output-dir",
        str(tmp_path),
    )
    assert_clean_failure(result, "deadbeef")


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["scan", "aws", "--help"], ["checks", "list"]])
def test_informational_commands_succeed(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_an_unknown_region_is_reported_before_any_network_call(tmp_path: Path) -> None:
    # Fake keys and an unroutable endpoint: were STS tried first, this would be a connection error.
    env = dict(os.environ, AWS_ENDPOINT_URL="https://127.0.0.1:9")
    result = run_cli(
        "scan",
        "aws",
        "--regions",
        "mars-1",
        "--db",
        f"sqlite:///{tmp_path / 'inv.db'}",
        "--output-dir",
        str(tmp_path),
        env=env,
    )
    assert_clean_failure(result, "Unknown AWS region 'mars-1'")


def test_missing_azure_credentials_are_one_error_and_one_hint(tmp_path: Path) -> None:
    # Only the environment credential, unconfigured: no metadata address is probed.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env["AZURE_TOKEN_CREDENTIALS"] = "EnvironmentCredential"
    result = run_cli(
        "scan", "azure", "--db", f"sqlite:///{tmp_path / 'inv.db'}", "--output-dir", str(tmp_path), env=env
    )
    assert_clean_failure(result, "No usable Azure credentials")


# ----------------------------------------------------------------------------- in process
# What the CLI prints goes through one console that scrubs credentials and replaces whatever could
# steer a terminal; a full disk is an environment problem (one line, a hint, exit 2), never a bug.

# An OSC window title, clear screen, colour, a bidi override, an 8-bit CSI, and a password in a URL.
HOSTILE = (
    "\x1b]0;owned\x07\x1b[2J\x1b[31mred\x1b[0m \u202eevil\u202c \x9b31m via http://admin:hunter2@proxy.example:8080/"
)
SHOWN = (
    "\ufffd]0;owned\ufffd\ufffd[2J\ufffd[31mred\ufffd[0m \ufffdevil\ufffd \ufffd31m "
    "via http://admin:[REDACTED:url_password]@proxy.example:8080/"
)
TERMINAL_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NOTEBOOK = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb"


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from cspm_ai.cli import main

    with pytest.raises(SystemExit) as finished:
        main(list(args))
    out, err = capsys.readouterr()
    return int(finished.value.code or 0), out, err


def _store_scan(db: str, name: str = "nb") -> str:
    """A stored AWS scan of one notebook open to the internet (a HIGH failure); its id."""
    from cspm_ai.inventory import Inventory
    from cspm_ai.model import CollectionResult, Resource, Scope

    notebook = Resource(
        provider="aws",
        account="123456789012",
        region="us-east-1",
        type="aws.sagemaker.notebook_instance",
        uid=NOTEBOOK,
        name=name,
        config={"NotebookInstanceName": "nb", "DirectInternetAccess": "Enabled", "RootAccess": "Enabled"},
    )
    scope = Scope("aws", "123456789012", ("us-east-1",), "arn:aws:sts::123456789012:assumed-role/audit/me")
    with Inventory.open(db) as inventory:
        scan = inventory.begin_scan(providers=["aws"], tool_version="0.0.0")
        inventory.finish_scan(scan.id, CollectionResult(resources=[notebook], scopes=[scope]), [], status="complete")
    return scan.id


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_hostile_arm_error_is_printed_inert_and_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import responses

    import collectors.azure as azure
    from cspm_ai.demo import DemoCredential

    monkeypatch.setattr(azure, "credential_factory", lambda authority: DemoCredential())
    with responses.RequestsMock() as replay:
        replay.add(
            responses.GET,
            re.compile(r"https://management\.azure\.com/subscriptions\?api-version=.*"),
            json={"error": {"code": "BadRequest", "message": HOSTILE}},
            status=400,
        )
        code, out, err = run_main(
            capsys, "scan", "azure", "--db", f"sqlite:///{tmp_path / 'inv.db'}", "--output-dir", str(tmp_path)
        )
    assert (code, out) == (2, "")
    [error, hint] = err.splitlines()
    assert error == f"error: Cannot list Azure subscriptions: BadRequest: {SHOWN}"
    assert hint.startswith("hint: ") and not TERMINAL_UNSAFE.search(err.replace("\n", ""))


def test_a_password_in_aws_endpoint_url_is_not_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import collectors.aws.session as session

    monkeypatch.setattr(session, "RETRY_ATTEMPTS", 1)  # a refused connection, reported at once
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://admin:hunter2@127.0.0.1:9")
    code, out, err = run_main(
        capsys,
        "scan",
        "aws",
        "--regions",
        "us-east-1",
        "--db",
        f"sqlite:///{tmp_path / 'inv.db'}",
        "--output-dir",
        str(tmp_path),
    )
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        'error: Cannot reach AWS STS: Could not connect to the endpoint URL: "http://admin:[REDACTED:url_password]'
        '@127.0.0.1:9/".',
        "hint: Check the network, a proxy, or AWS_ENDPOINT_URL.",
    ]


def test_a_hostile_scan_summary_is_printed_inert_and_scrubbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no cell cut short, whatever runs the tests
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    token = "sk-proj-" + "A1b2" * 6
    _store_scan(db, name=f"nb-\x1b]0;owned\x07\u202e-{token}")
    output = tmp_path / "out\x1b[2J\u2066"
    code, out, err = run_main(capsys, "evaluate", "--db", db, "--output-dir", str(output))
    assert (code, err) == (0, "")
    assert not TERMINAL_UNSAFE.search(out.replace("\n", ""))
    assert token not in out and "nb-\ufffd]0;owned\ufffd\ufffd-[REDACTED:openai_api_key]" in out
    shown = str(tmp_path / "out\ufffd[2J\ufffd")
    assert f"wrote {shown}/report.json" in out.splitlines() and f"wrote {shown}/report.html" in out.splitlines()


def test_progress_descriptions_are_printed_inert_and_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    from cspm_ai.cli.output import _console, _progress

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "500")
    console = _console()
    with _progress(console, f"Scanning AWS [bold]{HOSTILE}") as update:
        assert update is not None
        update(1, 2)
    shown = terminal.getvalue()
    assert f"Scanning AWS [bold]{SHOWN}" in shown
    assert "hunter2" not in shown and "\x1b]0;" not in shown and "\x1b[2J" not in shown and "\u202e" not in shown


def test_every_print_goes_through_the_sanitiser_and_scrubber(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.table import Table
    from rich.text import Text

    from cspm_ai.cli.output import _console

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "500")
    table = Table(title=f"title {HOSTILE}")
    table.add_column(f"column {HOSTILE}")
    table.add_row(f"cell {HOSTILE}")
    table.add_row(Text(f"text cell {HOSTILE}", style="bold"))
    console = _console()
    console.print(f"plain {HOSTILE} [red]markup[/red] :smile:")
    console.print(Text(f"styled {HOSTILE}", style="yellow"))
    console.print(table)
    console.print("a", HOSTILE, sep="|")
    shown = terminal.getvalue()
    assert "hunter2" not in shown and "\u202e" not in shown and "\x9b" not in shown
    assert "\x1b]0;" not in shown and "\x1b[2J" not in shown and "\x1b[31mred" not in shown
    assert f"plain {SHOWN} [red]markup[/red] :smile:" in shown  # no markup, no emoji codes
    assert shown.count("[REDACTED:url_password]") == 7  # each print, the title, the column and both cells


def test_a_full_disk_while_writing_reports_is_one_line_and_keeps_the_old_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    _store_scan(db)
    output = tmp_path / "out"
    output.mkdir()
    (output / "report.json").write_text("last week's json")
    (output / "report.html").write_text("last week's html")
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the second report: the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    code, out, err = run_main(capsys, "report", "--db", db, "--output-dir", str(output))
    assert (code, out) == (2, "")
    [error, hint] = err.splitlines()
    assert error == f"error: cannot write {output / 'report.html'}: No space left on device"
    assert hint.startswith("hint: the disk is full")
    assert (output / "report.json").read_text() == "last week's json"
    assert (output / "report.html").read_text() == "last week's html"
    assert sorted(p.name for p in output.iterdir()) == ["report.html", "report.json"]


def test_a_full_disk_under_the_inventory_is_one_line_exit_2_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import responses
    from sqlalchemy import event

    import collectors.azure as azure
    from cspm_ai.demo import DemoCredential
    from cspm_ai.inventory import Inventory
    from cspm_ai.inventory.database import SQLITE_FULL_HINT
    from moto_fixtures.azure_estate import register_azure_estate

    monkeypatch.setattr(azure, "credential_factory", lambda authority: DemoCredential())
    db = f"sqlite:///{(tmp_path / 'inv.db').as_posix()}"

    def scan_azure() -> tuple[int, str, str]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
            manifest = register_azure_estate(replay)
            return run_main(
                capsys,
                "scan",
                "azure",
                "--subscriptions",
                manifest.prod_subscription_id,
                "--db",
                db,
                "--output-dir",
                str(tmp_path),
            )

    assert scan_azure()[0] == 0
    with Inventory.open(db) as inventory:
        [earlier] = inventory.list_scans()
        earlier_findings = inventory.findings(earlier.id)

    def cap(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # SQLite's "database or disk is full" (SQLITE_FULL) on the first write that needs a new page.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    begin_scan = Inventory.begin_scan

    def begin_then_fill_up(self: Inventory, **kwargs: Any) -> Any:
        record = begin_scan(self, **kwargs)  # the scan row is committed: then the disk fills up
        event.listen(self.engine, "checkout", cap)
        return record

    monkeypatch.setattr(Inventory, "begin_scan", begin_then_fill_up)
    code, out, err = scan_azure()
    assert (code, out) == (2, "")
    with Inventory.open(db) as inventory:
        latest, again = inventory.list_scans()
        assert again.id == earlier.id and again.status == "complete"
        assert inventory.findings(earlier.id) == earlier_findings
        assert latest.status == "incomplete" and inventory.findings(latest.id) == []
    assert err.splitlines() == [
        f"error: Cannot write to the inventory {db}: database or disk is full",
        f"hint: {SQLITE_FULL_HINT} Scan {latest.id} stays marked incomplete; scan again once there is room.",
    ]


def _run_script(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"HOSTILE = {HOSTILE!r}\n{script}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def test_a_librarys_warning_is_one_line_through_the_console() -> None:
    result = _run_script(
        "import logging\n"
        "import cspm_ai.catalogue as catalogue\n"
        "def noisy(checks):\n"
        "    logging.getLogger('some.library').warning('%s\\nsecond line', HOSTILE)\n"
        "    return '[]\\n'\n"
        "catalogue.catalogue_json = noisy\n"
        "from cspm_ai.cli import main\n"
        "main(['checks', 'list', '--format', 'json'])\n"
    )
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr
    assert result.stderr.splitlines() == [f"warning: {SHOWN}\ufffdsecond line"]


def test_a_debug_traceback_is_scrubbed_and_inert() -> None:
    result = _run_script(
        "import cspm_ai.catalogue as catalogue\n"
        "def broken(checks):\n"
        "    raise RuntimeError(HOSTILE)\n"
        "catalogue.catalogue_json = broken\n"
        "from cspm_ai.cli import main\n"
        "main(['--debug', 'checks', 'list', '--format', 'json'])\n"
    )
    assert result.returncode == 1
    assert "Traceback (most recent call last):" in result.stderr
    assert f"RuntimeError: {SHOWN}" in result.stderr.splitlines()
    assert "hunter2" not in result.stderr and not TERMINAL_UNSAFE.search(result.stderr.replace("\n", ""))
