"""Two demo runs, the second with `--drift`: `cspm-ai diff`, report.json, report.html, the `--fail-on-new` gate
and a notification to a local webhook all tell the same story, and every kind of change shows."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from moto_fixtures import drift
from tests.test_notify import Hook


@dataclass
class Runs:
    db: str
    first: Path
    second: Path
    codes: tuple[int, int]
    outputs: tuple[str, str]
    hook: Hook


def _cli(*args: str) -> tuple[int, str]:
    from cspm_ai.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as done:
            return int(done.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    tmp = tmp_path_factory.mktemp("drift")
    db = f"sqlite:///{tmp / 'demo.db'}"
    hook = Hook()
    try:
        first, second = tmp / "first", tmp / "second"
        code1, out1 = _cli("demo", "--db", db, "--output-dir", str(first), "--fail-on-new", "critical")
        code2, out2 = _cli(
            "demo",
            "--drift",
            "--db",
            db,
            "--output-dir",
            str(second),
            "--fail-on-new",
            "high",
            "--notify",
            f"json://127.0.0.1:{hook.port}/cspm",
        )
        yield Runs(db, first, second, (code1, code2), (out1, out2), hook)
    finally:
        hook.close()


@pytest.fixture(scope="module")
def diff(runs: Runs) -> dict[str, Any]:
    code, out = _cli("diff", "--db", runs.db, "--format", "json")
    assert code == 0
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def _names(items: list[dict[str, Any]], key: str = "resource_name") -> set[str]:
    return {item[key] for item in items}


def _sandbox(runs: Runs) -> str:
    """The demo organization's badly configured member, where the drift happens: the account of bad-notebook."""
    findings = json.loads((runs.first / "report.json").read_text())["findings"]
    (account,) = {f["account"] for f in findings if f["resource_name"] == "bad-notebook"}
    return str(account)


def test_the_gate_fails_only_on_what_is_new(runs: Runs, diff: dict[str, Any]) -> None:
    # The first run has nothing to compare with: every critical failure is new, so the gate trips.
    assert runs.codes[0] == 1, runs.outputs[0][-2000:]
    assert runs.codes[1] == 1, runs.outputs[1][-2000:]
    new_high = [
        f
        for f in diff["findings"]["new_failures"] + diff["findings"]["regressed"]
        if f["severity"] in ("critical", "high") and not f["muted"]
    ]
    assert new_high, "the drift adds high failures"
    # At critical, only what is new counts: the drifted notebook, open to the internet and running as a role that
    # reads sensitive data, trips the gate; the critical failures both scans share do not.
    new_critical = {(f["check_id"], f["resource_name"]) for f in new_high if f["severity"] == "critical"}
    assert new_critical == {("aws.iam.exposed_ai_identity_sensitive_data", drift.DRIFT_NOTEBOOK)}
    still = {
        (f["check_id"], f["resource_name"]) for f in diff["findings"]["still_failing"] if f["severity"] == "critical"
    }
    assert still and not still & new_critical
    code, out = _cli("evaluate", "--db", runs.db, "--output-dir", str(runs.second), "--fail-on-new", "critical")
    assert code == 1, out[-2000:]


def test_every_kind_of_change_shows(runs: Runs, diff: dict[str, Any]) -> None:
    f, r = diff["findings"], diff["resources"]
    sandbox = _sandbox(runs)
    bucket = f"good-ai-artifacts-{sandbox}"
    assert drift.DRIFT_NOTEBOOK in _names(f["new_failures"])
    assert bucket in _names(f["regressed"])
    # Every AWS change is in the sandbox: the organization's well configured accounts did not drift.
    changed_aws = [
        x
        for kind in ("new_failures", "regressed", "resolved", "no_longer_seen")
        for x in f[kind]
        if x["provider"] == "aws"
    ] + [x for kind in ("added", "removed", "changed") for x in r[kind] if x["provider"] == "aws"]
    assert {x["account"] for x in changed_aws} == {sandbox}
    assert "aws.kms.key_rotation_enabled" in _names(f["resolved"], "check_id")
    assert f["still_failing"]
    assert {x["check_id"] for x in f["newly_error"]} >= {"azure.ml.compute_no_public_ip"}
    reasons = {x["reason"] for x in f["no_longer_seen"]}
    assert {"resource_removed", "resource_unreadable"} <= reasons
    assert drift.DELETED_MODEL in {x["resource_name"] for x in f["no_longer_seen"] if x["reason"] == "resource_removed"}
    assert {drift.DRIFT_NOTEBOOK, drift.NEW_VERSION_MODEL, drift.NEW_VERSION_ENDPOINT_CONFIG, "green"} <= _names(
        r["added"], "name"
    )
    assert _names(r["removed"], "name") == {drift.DELETED_MODEL}
    assert _names(r["unreadable"], "name") == {"aml-open-cluster", "ci-open-scripts"}
    changed = {x["name"]: [p["path"] for p in x["paths"]] for x in r["changed"]}
    # Two demo runs of the same day build the same estate: only what the drift changed differs (the bad
    # KMS key is named by its id).
    expected = {bucket, drift.SWAPPED_MODEL, "good-endpoint", "chat-secure-blue"}
    gcp = {x["uid"].rsplit("/", 1)[1]: x["name"] for x in r["changed"] if x["provider"] == "gcp"}
    assert set(gcp) == {drift.GCP_SWAPPED_ENDPOINT, drift.GCP_NEW_VERSION_ENDPOINT}
    assert changed[gcp[drift.GCP_SWAPPED_ENDPOINT]] == ["deployedModels[0].modelVersionId"]
    assert changed[gcp[drift.GCP_NEW_VERSION_ENDPOINT]] == ["deployedModels[1]"]
    expected |= set(gcp.values())
    assert expected <= set(changed)
    assert [paths for name, paths in changed.items() if name not in expected] == [["KeyRotationEnabled"]]
    assert changed[drift.SWAPPED_MODEL] == ["PrimaryContainer.ModelDataUrl"]
    assert changed["chat-secure-blue"] == ["properties.model"]
    assert changed["good-endpoint"] == ["EndpointConfigName"]


def test_report_json_changes_are_the_diff(runs: Runs, diff: dict[str, Any]) -> None:
    report = json.loads((runs.second / "report.json").read_text())
    # evaluate (above) may have rewritten it; either way the scan and its previous one are the same.
    assert report["changes"] == diff
    first = json.loads((runs.first / "report.json").read_text())
    assert first["changes"]["from_scan"] is None and first["changes"]["note"]
    assert [p["scan_id"] for p in report["trend"]] == [first["scan"]["id"], report["scan"]["id"]]


def test_the_page_shows_the_same_counts(runs: Runs, diff: dict[str, Any]) -> None:
    soup = BeautifulSoup((runs.second / "report.html").read_text(), "html.parser")
    cards = {c["data-change"]: int(c.select_one(".count").get_text()) for c in soup.select("#change-counts .card")}
    assert cards == {k: diff["counts"][k] for k in cards}
    assert len(soup.select("#trend-chart rect.bar")) > 0


def test_the_notification_lists_the_new_failures_and_regressions(runs: Runs, diff: dict[str, Any]) -> None:
    assert "notified json://127.0.0.1:" in runs.outputs[1]
    ((path, body),) = runs.hook.requests
    assert path == "/cspm"
    listed = [line for line in body["message"].splitlines() if line.startswith("- [")]
    expected = [f for f in diff["findings"]["new_failures"] + diff["findings"]["regressed"] if not f["muted"]]
    assert len(listed) == min(len(expected), 20)
    assert f"{diff['counts']['regressed']} regression(s)" in body["title"]
    for f in expected[:20]:
        assert any(f["check_id"] in line and f["resource_name"] in line for line in listed), f["check_id"]


def test_ph2_from_history_manual_first_then_fail_in_place_and_pass_for_a_new_deployment(runs: Runs) -> None:
    check = "azure.ml.online_deployment_immutable"

    def verdicts(report: Path) -> dict[str, str]:
        findings = json.loads((report / "report.json").read_text())["findings"]
        return {f["resource_name"]: f["status"] for f in findings if f["check_id"] == check}

    assert set(verdicts(runs.first).values()) == {"MANUAL"}
    second = verdicts(runs.second)
    assert second["chat-secure-blue"] == "FAIL" and second[drift.AZURE_NEW_DEPLOYMENT] == "PASS"
    assert {v for k, v in second.items() if k not in ("chat-secure-blue", drift.AZURE_NEW_DEPLOYMENT)} == {"PASS"}


def test_ph2_on_google_cloud_fails_a_swapped_deployed_model_and_passes_a_new_one(runs: Runs) -> None:
    check = "gcp.vertex.endpoint_deployed_models_immutable"

    def verdicts(report: Path) -> dict[str, str]:
        findings = json.loads((report / "report.json").read_text())["findings"]
        return {f["resource_uid"].rsplit("/", 1)[1]: f["status"] for f in findings if f["check_id"] == check}

    assert set(verdicts(runs.first).values()) == {"MANUAL"}
    second = verdicts(runs.second)
    assert second[drift.GCP_SWAPPED_ENDPOINT] == "FAIL" and second[drift.GCP_NEW_VERSION_ENDPOINT] == "PASS"
    assert {v for k, v in second.items() if k != drift.GCP_SWAPPED_ENDPOINT} == {"PASS"}


def test_ph2_on_aws_fails_a_model_replaced_in_place_and_passes_a_new_endpoint_config(runs: Runs) -> None:
    check = "aws.sagemaker.endpoint_config_models_immutable"

    def verdicts(report: Path) -> dict[str, str]:
        findings = json.loads((report / "report.json").read_text())["findings"]
        return {f["resource_name"]: f["status"] for f in findings if f["check_id"] == check}

    assert set(verdicts(runs.first).values()) == {"MANUAL"}
    second = verdicts(runs.second)
    assert second[drift.SWAPPED_ENDPOINT_CONFIG] == "FAIL" and second[drift.NEW_VERSION_ENDPOINT_CONFIG] == "PASS"
    assert second["good-endpoint-config"] == "PASS"
