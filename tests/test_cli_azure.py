"""`cspm-ai scan azure` and `cspm-ai demo` in-process, with Resource Manager replayed from recordings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

import collectors.azure as azure
from cspm_ai.cli import main
from cspm_ai.demo import DemoCredential
from moto_fixtures.azure_estate import register_azure_estate


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(list(args))
    return int(finished.value.code or 0)


@pytest.fixture()
def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azure, "credential_factory", lambda authority: DemoCredential())


def test_scan_azure_writes_reports_and_marks_the_denied_subscription(
    signed_in: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_azure_estate(replay)
        code = run(
            "scan",
            "azure",
            "--allowed-regions",
            "eastus2",
            "--db",
            f"sqlite:///{tmp_path / 'inv.db'}",
            "--output-dir",
            str(tmp_path),
        )
    assert code == 0
    out = capsys.readouterr().out
    assert "(incomplete)" in out and "wrote" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scan"]["providers"] == ["azure"] and report["scan"]["status"] == "incomplete"
    assert {s["account"] for s in report["scan"]["scopes"]} == set(manifest.subscription_ids)
    assert {e["account"] for e in report["errors"]} == {manifest.denied_subscription_id}
    assert any(f["status"] == "FAIL" for f in report["findings"])


def test_scan_azure_for_one_subscription_is_complete(signed_in: None, tmp_path: Path) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        manifest = register_azure_estate(replay)
        code = run(
            "scan",
            "azure",
            "--subscriptions",
            manifest.prod_subscription_id,
            "--fail-on",
            "high",
            "--db",
            f"sqlite:///{tmp_path / 'inv.db'}",
            "--output-dir",
            str(tmp_path),
        )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scan"]["status"] == "complete" and report["errors"] == []
    assert code == 1  # the estate has high-severity failures and --fail-on high gates on them


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--cloud", "mars"), "Unknown Azure cloud"),
        (("--arm-endpoint", "http://127.0.0.1:1"), "not https"),
    ],
)
def test_bad_azure_options_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    assert run("scan", "azure", *args, "--db", f"sqlite:///{tmp_path / 'inv.db'}", "--output-dir", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_demo_scans_all_three_clouds(tmp_path: Path) -> None:
    assert run("demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}", "--output-dir", str(tmp_path)) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scan"]["providers"] == ["aws", "azure", "gcp"]
    assert report["scan"]["status"] == "complete" and report["errors"] == []
    assert {f["provider"] for f in report["findings"] if f["status"] == "FAIL"} == {"aws", "azure", "gcp"}
    assert (tmp_path / "report.html").stat().st_size > 0
