"""`cspm-ai scan gcp --folder`: every active project under a folder, at any depth, in one scan, with the Google
APIs replayed from recordings under the real clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
from google.auth.credentials import AnonymousCredentials

import collectors.gcp as gcp
from cspm_ai.cli import main
from moto_fixtures.gcp_estate import FOLDER_ID, FORBIDDEN_FOLDER_ID, PARTNER_FOLDER_ID, register_gcp_estate


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    return int(finished.value.code or 0)


@pytest.fixture()
def signed_in(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    sign_ins: list[str | None] = []

    def credentials(impersonate: str | None) -> tuple[AnonymousCredentials, str | None, str]:
        sign_ins.append(impersonate)
        return AnonymousCredentials(), "ml-dev-7781", "scanner@ml-prod-4521.iam.gserviceaccount.com"

    monkeypatch.setattr(gcp, "credential_factory", credentials)
    return sign_ins


def _storage(tmp_path: Path) -> tuple[str, ...]:
    return ("--db", f"sqlite:///{tmp_path / 'inv.db'}", "--output-dir", str(tmp_path))


def _scan(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], list[str]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_gcp_estate(replay)
        code = run("scan", "gcp", *args, *_storage(tmp_path))
        searches = [c.request.url for c in replay.calls if ":searchAllResources" in c.request.url]
    return code, json.loads((tmp_path / "report.json").read_text()), searches


def test_a_folder_scans_its_active_projects_at_any_depth(signed_in: list[str | None], tmp_path: Path) -> None:
    code, report, searches = _scan(tmp_path, "--folder", FOLDER_ID)
    assert code == 0
    # ml-prod-4521 sits in the folder, ml-denied-9001 in a folder under it; ml-dev-7781 is outside it.
    assert sorted(s["account"] for s in report["scan"]["scopes"]) == ["ml-denied-9001", "ml-prod-4521"]
    assert report["scan"]["status"] == "incomplete"
    assert {e["account"] for e in report["errors"]} == {"ml-denied-9001"}
    # Projects and AI locations both come from searches of the folder, none per project.
    assert searches and all(f"/v1/folders/{FOLDER_ID}:searchAllResources" in url for url in searches)
    vertex = {f["resource_type"] for f in report["findings"] if f["account"] == "ml-prod-4521"}
    assert "gcp.vertex.endpoint" in vertex


def test_the_config_file_key_scopes_the_scan(
    signed_in: list[str | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text(f"[gcp]\nfolder = {PARTNER_FOLDER_ID}\n")  # a number in TOML is the id
    monkeypatch.setenv("CSPM_AI_CONFIG", str(tmp_path / "config.toml"))
    _, report, searches = _scan(tmp_path)
    assert [s["account"] for s in report["scan"]["scopes"]] == ["ml-denied-9001"]
    assert all(f"/v1/folders/{PARTNER_FOLDER_ID}:" in url for url in searches)


def test_an_option_replaces_the_files_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[dict[str, Any]] = []

    def collector(**kwargs: Any) -> Any:
        received.append(kwargs)
        raise SystemExit(9)

    monkeypatch.setattr(gcp, "gcp_collector", collector)
    (tmp_path / "config.toml").write_text('[gcp]\norganization = "222233334444"\nprojects = ["ml-prod-4521"]\n')
    monkeypatch.setenv("CSPM_AI_CONFIG", str(tmp_path / "config.toml"))
    assert run("scan", "gcp", "--folder", FOLDER_ID, *_storage(tmp_path)) == 9
    (tmp_path / "config.toml").write_text(f'[gcp]\nfolder = "{FOLDER_ID}"\n')
    assert run("scan", "gcp", "--projects", "ml-dev-7781", *_storage(tmp_path)) == 9
    scopes = [(r["projects"], r["organization"], r["folder"]) for r in received]
    assert scopes == [(None, None, FOLDER_ID), (["ml-dev-7781"], None, None)]


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_a_forbidden_folder_is_one_error_naming_the_permission(
    signed_in: list[str | None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_gcp_estate(replay)
        assert run("scan", "gcp", "--folder", FORBIDDEN_FOLDER_ID, *_storage(tmp_path)) == 2
    err = capsys.readouterr().err
    errors = _error_lines(err)
    assert len(errors) == 1 and f"Cannot list the projects of folder {FORBIDDEN_FOLDER_ID}" in errors[0]
    hints = [line for line in err.splitlines() if line.startswith("hint:")]
    assert len(hints) == 1 and "cloudasset.assets.searchAllResources" in hints[0]
    assert "Traceback" not in err and not (tmp_path / "report.json").exists()


@pytest.mark.parametrize(
    ("args", "config", "needle"),
    [
        (("--folder", FOLDER_ID, "--projects", "ml-prod-4521"), "", "cannot be used with"),
        (("--folder", FOLDER_ID, "--organization", "222233334444"), "", "cannot be used with"),
        ((), f'[gcp]\nfolder = "{FOLDER_ID}"\norganization = "222233334444"\n', "cannot be used with"),
        (("--folder", "ml-platform"), "", "not a folder id"),
        (("--folder", "folders/../organizations/1"), "", "not a folder id"),
    ],
)
def test_a_scope_that_cannot_be_is_one_error_before_sign_in(
    signed_in: list[str | None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    config: str,
    needle: str,
) -> None:
    if config:
        (tmp_path / "config.toml").write_text(config)
        monkeypatch.setenv("CSPM_AI_CONFIG", str(tmp_path / "config.toml"))
    assert run("scan", "gcp", *args, *_storage(tmp_path)) == 2
    err = capsys.readouterr().err
    assert len(_error_lines(err)) == 1 and needle in _error_lines(err)[0] and "hint:" in err
    assert "Traceback" not in err and signed_in == []
