"""`--debug` shows SDK diagnostics and tracebacks, never credentials; without it there are neither."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cspm_ai.cli import main
from cspm_ai.logsafe import RedactingFilter, scrub
from moto_fixtures.estate import build_aws_estate
from moto_fixtures.extensions import install

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
        # Response bodies, as botocore logs them (`Response body:\n%r` of the raw bytes).
        ("Response body:\n" + repr(json.dumps({"Environment": {"DB_PASSWORD": LEAKED}}).encode()), LEAKED),
        (
            "Response body:\n" + repr(json.dumps({"Environment": {"AWS_SECRET_ACCESS_KEY": SECRET_KEY}}).encode()),
            SECRET_KEY,
        ),
        (
            "Response body:\n"
            + repr(json.dumps({"HyperParameters": {"db_config": json.dumps({"password": LEAKED})}}).encode()),
            LEAKED,
        ),
        (
            "Response body:\n"
            + repr(json.dumps({"containerSpec": {"env": [{"name": "PGPASSWORD", "value": LEAKED}]}}).encode()),
            LEAKED,
        ),
        (
            "Response body:\n"
            + repr(b"<User><PasswordLastUsed>x</PasswordLastUsed><Password>" + LEAKED.encode() + b"</Password></User>"),
            LEAKED,
        ),
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


# What STS answers to AssumeRole, as botocore logs the body before parsing it.
STS_ASSUME_ROLE_BODY = (
    b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
    b"  <AssumeRoleResult>\n"
    b"    <Credentials>\n"
    b"      <AccessKeyId>" + ACCESS_KEY.encode() + b"</AccessKeyId>\n"
    b"      <SecretAccessKey>" + SECRET_KEY.encode() + b"</SecretAccessKey>\n"
    b"      <SessionToken>" + SESSION_TOKEN.encode() + b"</SessionToken>\n"
    b"      <Expiration>2026-11-22T13:00:00Z</Expiration>\n"
    b"    </Credentials>\n"
    b"    <AssumedRoleUser>\n"
    b"      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:cspm-ai</AssumedRoleId>\n"
    b"      <Arn>arn:aws:sts::123456789012:assumed-role/auditor/cspm-ai</Arn>\n"
    b"    </AssumedRoleUser>\n"
    b"  </AssumeRoleResult>\n"
    b"</AssumeRoleResponse>"
)


def test_an_sts_answer_in_a_log_record_keeps_no_credential() -> None:
    record = logging.LogRecord(
        "botocore.parsers", logging.DEBUG, __file__, 1, "Response body:\n%r", (STS_ASSUME_ROLE_BODY,), None
    )
    assert RedactingFilter().filter(record)
    line = record.getMessage()
    for secret in (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, SESSION_TOKEN[:24]):
        assert secret not in line
    assert "<SecretAccessKey>[REDACTED:" in line and "<SessionToken>[REDACTED:" in line
    assert "assumed-role/auditor/cspm-ai" in line and "2026-11-22T13:00:00Z" in line


def test_a_debug_scan_of_a_leaky_estate_logs_response_bodies_without_its_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The estate plants credentials in a model's environment, a training job's DB_PASSWORD, lifecycle
    # scripts...: every describe answer carrying them is logged whole under --debug.
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        install()
        manifest = build_aws_estate(regions=("us-east-1",))
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
    assert "Response body" in err, "--debug should show the SDK's response bodies"
    # The bodies were logged and scrubbed, not left out.
    assert '"DB_PASSWORD": "[REDACTED:' in err and '"AWS_SECRET_ACCESS_KEY": "[REDACTED:' in err
    leaked = [s for s in manifest.secrets if s in err or s in out]
    assert leaked == []


def test_a_debug_scan_with_an_assumed_role_profile_logs_no_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto.sts.models import sts_backends

    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(
        "[profile auditor]\nrole_arn = arn:aws:iam::123456789012:role/auditor\nsource_profile = base\n"
        "region = us-east-1\n[profile base]\nregion = us-east-1\n"
    )
    credentials.write_text(f"[base]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    with mock_aws():
        # The role the profile assumes exists and trusts the account, as AWS requires.
        boto3.client(
            "iam", region_name="us-east-1", aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
        ).create_role(
            RoleName="auditor",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        code = run(
            "--debug",
            "scan",
            "aws",
            "--profile",
            "auditor",
            "--regions",
            "us-east-1",
            "--db",
            f"sqlite:///{tmp_path / 'i.db'}",
            "--output-dir",
            str(tmp_path / "out"),
        )
        sessions = [
            (role.access_key_id, role.secret_access_key, role.session_token)
            for backend in sts_backends.values()
            for partition in backend.values()
            for role in partition.assumed_roles
        ]
    out, err = capsys.readouterr()
    assert code == 0
    assert sessions, "the profile should have assumed its role through STS"
    assert "<AssumeRoleResponse" in err, "--debug should show STS's answer"
    assert "<SecretAccessKey>[REDACTED:" in err and "<SessionToken>[REDACTED:" in err
    for access_key_id, secret, token in sessions:
        for value in (access_key_id, secret, token, token[:24]):
            assert value not in err and value not in out
    for value in (ACCESS_KEY, SECRET_KEY):
        assert value not in err and value not in out
