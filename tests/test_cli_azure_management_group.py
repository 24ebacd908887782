"""`cspm-ai scan azure --management-group`: the group's enabled subscriptions, at any depth, in one scan, with
Resource Manager replayed from recordings under the real client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses

import collectors.azure as azure
from collectors.azure import ArmReader, AzureEngine
from cspm_ai.cli import main
from cspm_ai.demo import DemoCredential
from moto_fixtures.azure_estate import (
    DENIED_SUBSCRIPTION_ID,
    FORBIDDEN_GROUP,
    HIDDEN_SUBSCRIPTION_ID,
    MANAGEMENT_GROUP,
    RESEARCH_GROUP,
    RETIRED_SUBSCRIPTION_ID,
    register_azure_estate,
    register_management_groups,
)

DESCENDANTS = "/providers/Microsoft.Management/managementGroups/{}/descendants"


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    return int(finished.value.code or 0)


@pytest.fixture()
def signed_in(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    authorities: list[str] = []

    def credential(authority: str) -> DemoCredential:
        authorities.append(authority)
        return DemoCredential()

    monkeypatch.setattr(azure, "credential_factory", credential)
    return authorities


def _storage(tmp_path: Path) -> tuple[str, ...]:
    return ("--db", f"sqlite:///{tmp_path / 'inv.db'}", "--output-dir", str(tmp_path))


def _scan(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], list[str]]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_management_groups(replay)
        manifest = register_azure_estate(replay)
        code = run(*args, *_storage(tmp_path))
        called = [c.request.url.removeprefix(manifest.arm_endpoint) for c in replay.calls]
    return code, json.loads((tmp_path / "report.json").read_text()), called


def test_a_management_group_scans_its_enabled_subscriptions_at_any_depth(signed_in: list[str], tmp_path: Path) -> None:
    code, report, called = _scan(tmp_path, "scan", "azure", "--management-group", MANAGEMENT_GROUP)
    assert code == 0
    scan = report["scan"]
    # The prod subscription sits in a nested group on the first page; the second page (followed by its nextLink)
    # holds a disabled subscription, which is skipped; the denied subscription is in another group.
    assert [s["account"] for s in scan["scopes"]] == ["11111111-2222-3333-4444-555555555555"]
    assert scan["status"] == "complete" and report["errors"] == []
    pages = [c for c in called if c.startswith(DESCENDANTS.format(MANAGEMENT_GROUP))]
    assert len(pages) == 2 and "skiptoken" in pages[1]
    assert not [c for c in called if RETIRED_SUBSCRIPTION_ID in c]  # nothing of the disabled subscription is read
    assert any(f["status"] == "FAIL" for f in report["findings"])


def test_a_subscription_of_the_group_the_identity_cannot_list_is_still_scanned() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_management_groups(replay)
        manifest = register_azure_estate(replay)
        engine = AzureEngine(ArmReader(DemoCredential(), manifest.arm_endpoint), management_group=RESEARCH_GROUP)
        # Its reads will fail as ERROR findings for it: a coverage gap shown, not hidden.
        assert engine.subscriptions() == sorted([DENIED_SUBSCRIPTION_ID, HIDDEN_SUBSCRIPTION_ID])


def test_the_config_file_key_scopes_the_scan_and_an_option_replaces_it(
    signed_in: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[azure]\nmanagement_group = "{MANAGEMENT_GROUP}"\n')
    monkeypatch.setenv("CSPM_AI_CONFIG", str(config))
    _, report, _ = _scan(tmp_path, "scan", "azure")
    assert [s["account"] for s in report["scan"]["scopes"]] == ["11111111-2222-3333-4444-555555555555"]
    # --subscriptions on the command line stands in for the file's scope, as any option does for its key.
    _, report, called = _scan(tmp_path, "scan", "azure", "--subscriptions", "99999999-8888-7777-6666-555555555555")
    assert [s["account"] for s in report["scan"]["scopes"]] == ["99999999-8888-7777-6666-555555555555"]
    assert not [c for c in called if "managementGroups" in c]


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_a_forbidden_management_group_is_one_error_naming_the_permission(
    signed_in: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_management_groups(replay)
        register_azure_estate(replay)
        assert run("scan", "azure", "--management-group", FORBIDDEN_GROUP, *_storage(tmp_path)) == 2
    err = capsys.readouterr().err
    assert _error_lines(err) == [
        line for line in err.splitlines() if "Cannot list management group mg-finance: AuthorizationFailed" in line
    ]
    hint = [line for line in err.splitlines() if line.startswith("hint:")]
    assert len(hint) == 1 and "Microsoft.Management/managementGroups/descendants/read" in hint[0]
    assert "Traceback" not in err and not (tmp_path / "report.json").exists()


@pytest.mark.parametrize(
    ("args", "config", "needle"),
    [
        (("--management-group", "mg-ai", "--subscriptions", "11111111-2222-3333-4444-555555555555"), "", "together"),
        ((), '[azure]\nmanagement_group = "mg-ai"\nsubscriptions = ["x"]\n', "together"),
        (("--management-group", "../../subscriptions"), "", "not a management group id"),
        (("--management-group", "mg-ai."), "", "not a management group id"),
    ],
)
def test_a_scope_that_cannot_be_is_one_error_before_sign_in(
    signed_in: list[str],
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
    assert run("scan", "azure", *args, *_storage(tmp_path)) == 2
    err = capsys.readouterr().err
    assert len(_error_lines(err)) == 1 and needle in _error_lines(err)[0] and "hint:" in err
    assert "Traceback" not in err and signed_in == []
