"""`cspm-ai scan gcp` in-process, with the Google APIs replayed from recordings under the real clients."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from google.auth.credentials import AnonymousCredentials

import collectors.gcp as gcp
from cspm_ai.cli import main
from moto_fixtures.gcp_estate import register_gcp_estate


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    return int(finished.value.code or 0)


@pytest.fixture()
def signed_in(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    impersonated: list[str | None] = []

    def credentials(impersonate: str | None) -> tuple[AnonymousCredentials, str | None, str]:
        impersonated.append(impersonate)
        return AnonymousCredentials(), "ml-dev-7781", impersonate or "scanner@ml-prod-4521.iam.gserviceaccount.com"

    monkeypatch.setattr(gcp, "credential_factory", credentials)
    return impersonated


def test_scan_gcp_of_an_organization_writes_reports_and_marks_the_denied_project(
    signed_in: list[str | None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_gcp_estate(replay)
        code = run(
            "scan",
            "gcp",
            "--organization",
            manifest.organization_id,
            "--allowed-regions",
            "us-central1",
            "--impersonate-service-account",
            "cspm@ml-prod-4521.iam.gserviceaccount.com",
            "--db",
            f"sqlite:///{tmp_path / 'inv.db'}",
            "--output-dir",
            str(tmp_path),
        )
    assert code == 0
    assert signed_in == ["cspm@ml-prod-4521.iam.gserviceaccount.com"]
    out = capsys.readouterr().out
    assert "(incomplete)" in out and "wrote" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scan"]["providers"] == ["gcp"] and report["scan"]["status"] == "incomplete"
    assert {s["account"] for s in report["scan"]["scopes"]} == set(manifest.project_ids)
    assert {s["identity"] for s in report["scan"]["scopes"]} == {"cspm@ml-prod-4521.iam.gserviceaccount.com"}
    assert {e["account"] for e in report["errors"]} == {manifest.denied_project_id}
    statuses = {f["status"] for f in report["findings"]}
    assert {"PASS", "FAIL", "ERROR", "MANUAL"} <= statuses


def test_scan_gcp_defaults_to_the_credentials_project_and_gates_on_severity(
    signed_in: list[str | None], tmp_path: Path
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_gcp_estate(replay)
        code = run(
            "scan",
            "gcp",
            "--fail-on",
            "high",
            "--db",
            f"sqlite:///{tmp_path / 'inv.db'}",
            "--output-dir",
            str(tmp_path),
        )
    report = json.loads((tmp_path / "report.json").read_text())
    assert [s["account"] for s in report["scan"]["scopes"]] == ["ml-dev-7781"]
    assert report["scan"]["status"] == "complete" and report["errors"] == []
    assert code == 1  # the dev project has a public endpoint: a high-severity FAIL


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--projects", "Not_A_Project"), "not a Google Cloud project id"),
        (("--organization", "acme-corp"), "not an organization id"),
        (("--projects", "ml-prod-4521", "--locations", "us central1"), "not a Google Cloud location"),
        (("--projects", "ml-prod-4521", "--api-endpoint", "vertex=example.com"), "not API=HOST"),
        (("--projects", "ml-prod-4521", "--allowed-regions", "us central1"), "not a Google Cloud region"),
        (("--projects", "ml-prod-4521", "--universe-domain", "example-sovereign.goog"), "issued in universe"),
    ],
)
def test_bad_gcp_options_are_one_line_errors(
    signed_in: list[str | None], tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    assert run("scan", "gcp", *args, "--db", f"sqlite:///{tmp_path / 'inv.db'}", "--output-dir", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    if "universe" not in needle:
        assert signed_in == []  # a typo is reported before any sign-in


def test_missing_google_credentials_is_one_line_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    assert (
        run(
            "scan",
            "gcp",
            "--projects",
            "ml-prod-4521",
            "--db",
            f"sqlite:///{tmp_path / 'inv.db'}",
            "--output-dir",
            str(tmp_path),
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "No usable Google Cloud credentials" in err and "gcloud auth application-default login" in err
    assert "Traceback" not in err
