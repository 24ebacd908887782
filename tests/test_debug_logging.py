"""`--debug` shows SDK diagnostics and tracebacks, never credentials; without it there are neither."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from moto import mock_aws

from cspm_ai.cli import main
from cspm_ai.logsafe import scrub

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6exampleSessionTokenValue0123456789"
ACCESS_KEY = "ASIAQEXAMPLE7FAKEKEY"
LEAKED = "a8F3kP0zQ9xW2mN7vB4cT6yH1jL5sD0eR7uV"


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    return int(finished.value.code or 0)


@pytest.fixture(autouse=True)
def _restore_logging() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("x-amz-security-token:" + SESSION_TOKEN, SESSION_TOKEN),
        (
            "{'X-Amz-Security-Token': b'"
            + SESSION_TOKEN
            + "', 'Authorization': b'AWS4-HMAC-SHA256 Credential="
            + ACCESS_KEY
            + "/20261122/us-east-1/sagemaker/aws4_request, SignedHeaders=host, Signature="
            + "ab12" * 16
            + "'}",
            "ab12" * 16,
        ),
        ("Signature:\n" + "9f" * 32, "9f" * 32),
        (
            "headers={'Authorization': 'Bearer "
            "eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQ.sig123456789'}",
            "eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQ",
        ),
        ("access_token=ya29.a0AfB_byC-exampleGoogleAccessToken1234567890", "ya29.a0AfB_byC"),
        ("aws_secret_access_key = " + SECRET_KEY, SECRET_KEY),
        ("Credential=" + ACCESS_KEY + "/20261122", ACCESS_KEY),
    ],
)
def test_scrub_takes_credentials_out_of_sdk_log_lines(line: str, secret: str) -> None:
    assert secret not in scrub(line) and "[REDACTED:" in scrub(line)


def test_scrub_leaves_ordinary_diagnostics_alone() -> None:
    line = "Making request for OperationModel(name=ListNotebookInstances) with params: {'MaxResults': 100}"
    assert scrub(line) == line


def test_a_debug_scan_logs_sdk_diagnostics_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    with mock_aws():
        code = run(
            "--debug",
            "scan",
            "aws",
            "--regions",
            "us-east-1",
            "--db",
            f"sqlite:///{tmp_path / 'i.db'}",
            "--output-dir",
            str(tmp_path),
        )
    out, err = capsys.readouterr()
    assert code == 0
    assert "botocore" in err and "DEBUG" in err, "--debug should show the SDK's diagnostics"
    assert "[REDACTED:" in err, "the SDK logged something secret that had to be scrubbed"
    for secret in (SECRET_KEY, SESSION_TOKEN, ACCESS_KEY):
        assert secret not in err and secret not in out
    assert not re.search(r"Signature[=:]\s*[0-9a-f]{64}", err)


def test_without_debug_a_scan_logs_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        assert (
            run(
                "scan",
                "aws",
                "--regions",
                "us-east-1",
                "--db",
                f"sqlite:///{tmp_path / 'i.db'}",
                "--output-dir",
                str(tmp_path),
            )
            == 0
        )
    assert capsys.readouterr().err == ""


def test_an_internal_error_is_one_line_and_a_traceback_only_under_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import cspm_ai.catalogue as catalogue

    def broken(checks: object) -> str:
        raise RuntimeError("boom with token=" + LEAKED)

    monkeypatch.setattr(catalogue, "catalogue_json", broken)
    assert run("checks", "list", "--format", "json") == 70
    err = capsys.readouterr().err
    assert "internal error: RuntimeError" in err and "--debug" in err and "Traceback" not in err
    assert LEAKED not in err
    with pytest.raises(RuntimeError):
        main(["--debug", "checks", "list", "--format", "json"])
