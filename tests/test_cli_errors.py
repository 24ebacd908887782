"""A user's mistake gets one clear line with a fix and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
