"""Credentials planted in a Google Cloud estate appear nowhere a scan leaves anything: the database file,
the scan and framework reports in every format, the evidence bundle, the logs and the terminal."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from google.auth.credentials import AnonymousCredentials

from collectors import gcp
from cspm_ai.cli import main
from cspm_ai.inventory import Inventory
from moto_fixtures.gcp_estate import register_gcp_estate
from tests.report_safety import assert_no_secret_in

IDENTITY = "auditor@ml-prod-4521.iam.gserviceaccount.com"
# The names under which the estate's container env lists carry its planted secrets (a compound word and a plain
# KEY among them); HF_TOKEN is also set, on a good job, to a Secret Manager reference that must be kept.
SECRET_ENV_VARS = ("HF_TOKEN", "OPENAI_API_KEY", "WANDB_API_KEY", "AZURE_OPENAI_KEY", "DBPASSWORD")
SECRET_MANAGER_REFERENCE = re.compile(r"projects/[^/]+/secrets/[^/]+/versions/\w+")
# The estate plants no secret in a label, so this test adds one to every Vertex AI endpoint it replays:
# a deploy token pasted into a label (label values allow only lowercase letters, digits, "_" and "-").
LABEL_NAME = "ci_deploy_token"
LABEL_SECRET = "7c1e9a3f5b8d2e4a6c0f9b1d3e5a7c9f2b4d6e8a"
ENDPOINT = re.compile(r"projects/[^/]+/locations/[^/]+/endpoints/[^/]+")


def _label_endpoints(node: Any) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("name"), str) and ENDPOINT.fullmatch(node["name"]) and "displayName" in node:
            node["labels"] = {**node.get("labels", {}), LABEL_NAME: LABEL_SECRET}
        for value in node.values():
            _label_endpoints(value)
    elif isinstance(node, list):
        for value in node:
            _label_endpoints(value)


def plant_label_secret(replay: responses.RequestsMock) -> None:
    """Wrap the estate's callbacks so every endpoint they return carries the secret label."""
    for registered in replay.registered():
        answer = registered.callback

        def labelled(
            request: Any, answer: Callable[[Any], tuple[int, dict[str, str], str]] = answer
        ) -> tuple[int, dict[str, str], str]:
            status, headers, body = answer(request)
            document = json.loads(body)
            _label_endpoints(document)
            return status, headers, json.dumps(document)

        registered.callback = labelled


def _env_entries(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `{"name": ..., "value": ...}` environment entry in a stored config, with its path."""
    if isinstance(node, dict):
        if isinstance(node.get("name"), str) and "value" in node:
            yield path, node
        for key, value in node.items():
            yield from _env_entries(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _env_entries(value, f"{path}.{i}" if path else str(i))


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as finished:
        main(["--debug", *args])
    return int(finished.value.code or 0)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # --debug adds a stderr handler to the root logger; later tests should not inherit it.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_no_planted_secret_reaches_any_output(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("CSPM_AI_SIGNING_KEY", raising=False)
    caplog.set_level(logging.DEBUG)
    db_file = tmp_path / "inventory.db"
    db = f"sqlite:///{db_file}"
    out = tmp_path / "out"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        monkeypatch.setattr(gcp, "credential_factory", lambda impersonate: (AnonymousCredentials(), None, IDENTITY))
        manifest = register_gcp_estate(replay)
        plant_label_secret(replay)
        # The denied project makes the scan incomplete, which still writes everything (exit 0).
        assert run("scan", "gcp", "--organization", manifest.organization_id, "--db", db, "--output-dir", str(out)) == 0
    assert (
        run(
            "report",
            "--db",
            db,
            "--scan",
            "latest",
            "--framework",
            "nist-800-53-r5",
            "--format",
            "html,json,csv,ocsf",
            "--output-dir",
            str(out / "nist"),
        )
        == 0
    )
    bundle = tmp_path / "bundle.zip"
    assert run("evidence", "export", "--scan", "latest", "--db", db, "--out", str(bundle)) == 0
    terminal = capsys.readouterr()

    # The secrets were collected and redacted, not merely missed: each env var is stored, marked, and
    # recorded with where it was and what kind it was.
    inventory = Inventory.open(db)
    resources = inventory.snapshot(inventory.get_scan("latest").id).resources
    recorded = {(r.uid, red["path"], red["kind"]) for r in resources for red in r.redactions}
    for name in SECRET_ENV_VARS:
        stored = [
            (r.uid, path, entry)
            for r in resources
            for path, entry in _env_entries(r.config, "")
            if entry["name"] == name
        ]
        assert stored, f"the estate's {name} should be stored"
        for uid, path, entry in stored:
            if SECRET_MANAGER_REFERENCE.fullmatch(entry["value"]):
                assert not [r for r in recorded if r[:2] == (uid, f"{path}.value")]
                continue
            assert entry["value"] == "[REDACTED:secret_by_name]"
            assert (uid, f"{path}.value", "secret_by_name") in recorded

    # JSON inside a string keeps its shape, less the password.
    [db_config] = [e for r in resources for _, e in _env_entries(r.config, "") if e["name"] == "DB_CONFIG"]
    assert json.loads(db_config["value"])["password"] == "[REDACTED:secret_assignment]"
    # A Workbench startup script is kept readable: the key file, the bearer token and the password go.
    scripts = {r.name: r for r in resources if r.type == "gcp.notebooks.instance"}
    leaky = scripts["wb-eu-bob"]
    script = leaky.config["gceSetup"]["metadata"]["startup-script"]
    assert "<<'EOF'\n[REDACTED:private_key]\nEOF" in script and "Bearer [REDACTED:bearer_token]" in script
    assert "PGPASSWORD='[REDACTED:secret_assignment]'" in script
    assert {(red["path"], red["kind"]) for red in leaky.redactions} == {
        ("gceSetup.metadata.startup-script", kind) for kind in ("private_key", "bearer_token", "secret_assignment")
    }
    assert scripts["wb-alice"].redactions == ()

    endpoints = [r for r in resources if r.type == "gcp.vertex.endpoint"]
    assert endpoints and all(r.tags[LABEL_NAME] == "[REDACTED:secret_by_name]" for r in endpoints)
    assert all((r.uid, f"tags.{LABEL_NAME}", "secret_by_name") in recorded for r in endpoints)

    framework_files = sorted((out / "nist").iterdir())
    assert {p.suffix for p in framework_files} >= {".html", ".json", ".csv"}
    with zipfile.ZipFile(bundle) as z:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in z.infolist())
        assert any(name.startswith("inventory/") for name in z.namelist())
    assert "DEBUG" in terminal.err and caplog.records, "--debug should have logged SDK diagnostics"

    # The write-ahead log too: until a checkpoint, the scan's rows live only there.
    database_files = {p.name: p.read_bytes() for p in tmp_path.glob("inventory.db*")}
    assert db_file.name in database_files
    assert_no_secret_in(
        [*manifest.secrets, LABEL_SECRET],
        {
            **database_files,
            "report.json": (out / "report.json").read_bytes(),
            "report.html": (out / "report.html").read_bytes(),
            **{f"nist/{p.name}": p.read_bytes() for p in framework_files},
            "bundle.zip": bundle.read_bytes(),
            "captured log records": caplog.text.encode(),
            "stdout": terminal.out.encode(),
            "stderr": terminal.err.encode(),
        },
    )
