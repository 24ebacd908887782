"""The whole path on the recorded Google Cloud estate: an organization scan finds its projects through Cloud
Asset Inventory, every expectation holds item by item, the denied project is ERROR, nothing leaks."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import responses
from google.auth.credentials import AnonymousCredentials
from jsonschema import Draft202012Validator

from collectors.gcp import GcpEngine, GoogleApis
from cspm_ai import __version__
from cspm_ai.checklist import checklist
from cspm_ai.inventory import Inventory
from cspm_ai.model import Finding, ScanRecord, Status
from cspm_ai.report import build_report
from cspm_ai.scan import run_scan
from moto_fixtures.gcp_estate import GcpEstateManifest, register_gcp_estate
from reports import load_schema, write_reports
from tests.report_safety import assert_hostile_text_is_inert, assert_no_secret_in


@dataclass
class ScannedGcp:
    manifest: GcpEstateManifest
    scan: ScanRecord
    findings: list[Finding]
    reports: dict[str, Path]
    db_file: Path
    requests: list[tuple[str, str]]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannedGcp]:
    tmp = tmp_path_factory.mktemp("e2e-gcp")
    inventory = Inventory.open(f"sqlite:///{tmp / 'inventory.db'}")
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
            manifest = register_gcp_estate(replay, denied_project=True)
            engine = GcpEngine(
                GoogleApis(AnonymousCredentials()),
                organization=manifest.organization_id,
                identity="auditor@ml-prod-4521.iam.gserviceaccount.com",
            )
            scan = run_scan(inventory, [engine], allowed_regions=list(manifest.allowed_regions))
            requests = [(c.request.method, c.request.url) for c in replay.calls]
        findings = inventory.findings(scan.id)
        report = build_report(scan, findings, inventory.errors(scan.id), __version__)
        paths = write_reports(report, tmp / "out", ["json", "html"])
        yield ScannedGcp(
            manifest, scan, findings, {p.suffix.lstrip("."): p for p in paths}, tmp / "inventory.db", requests
        )
    finally:
        inventory.close()


def test_the_organization_scan_finds_every_active_project(scanned: ScannedGcp) -> None:
    document = json.loads(scanned.reports["json"].read_text())
    accounts = {s["account"] for s in document["scan"]["scopes"]}
    assert accounts == set(scanned.manifest.project_ids)


def test_every_expectation_of_the_estate_holds(scanned: ScannedGcp) -> None:
    own = {scanned.manifest.prod_project_id, scanned.manifest.dev_project_id}
    index: dict[tuple[str, str], set[str]] = {}
    for f in scanned.findings:
        if f.account in own or f.resource_type != "gcp.project":
            index.setdefault((f.check_id, f.resource_name), set()).add(f.status.value)
    wrong = [
        f"{c} on {n}: expected {s}, got {sorted(index.get((c, n), set())) or 'no finding'}"
        for (c, n), s in sorted(scanned.manifest.expected.items())
        if index.get((c, n)) != {s}
    ]
    assert wrong == []


def test_every_check_id_of_the_estate_reached_a_verdict(scanned: ScannedGcp) -> None:
    checked = {f.check_id for f in scanned.findings if f.status != Status.ERROR}
    assert {c for c, _ in scanned.manifest.expected} <= checked


def test_the_denied_project_is_error_not_pass(scanned: ScannedGcp) -> None:
    assert scanned.scan.status == "incomplete"
    denied = [f for f in scanned.findings if f.account == scanned.manifest.denied_project_id]
    assert denied and not [f for f in denied if f.status in (Status.PASS, Status.FAIL)]
    assert any("PERMISSION_DENIED" in f.message and "aiplatform.endpoints.list" in f.message for f in denied)
    document = json.loads(scanned.reports["json"].read_text())
    assert {e["code"] for e in document["errors"]} == {"PERMISSION_DENIED"}
    assert {e["account"] for e in document["errors"]} == {scanned.manifest.denied_project_id}


def test_no_request_is_made_twice(scanned: ScannedGcp) -> None:
    repeated = [call for call, n in Counter(scanned.requests).items() if n > 1]
    assert repeated == []


def test_lists_ask_for_the_largest_page(scanned: ScannedGcp) -> None:
    searches = [u for _, u in scanned.requests if ":searchAllResources" in u]
    assert searches and all("pageSize=500" in u for u in searches)
    vertex = [u for _, u in scanned.requests if "-aiplatform." in u]
    assert vertex and all("pageSize=100" in u for u in vertex)


def test_report_follows_the_schema(scanned: ScannedGcp) -> None:
    document = json.loads(scanned.reports["json"].read_text())
    Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER).validate(document)
    assert document["scan"]["providers"] == ["gcp"]


def test_planted_secrets_appear_nowhere(scanned: ScannedGcp) -> None:
    assert_no_secret_in(
        scanned.manifest.secrets,
        {"database": scanned.db_file.read_bytes(), **{k: p.read_bytes() for k, p in scanned.reports.items()}},
    )


def test_hostile_names_and_labels_render_as_text(scanned: ScannedGcp) -> None:
    assert_hostile_text_is_inert(scanned.reports["html"], scanned.manifest.hostile_strings)


# Items no Google Cloud API shows: MANUAL by design (incident-response playbooks).
MANUAL_ON_GCP = {"CL-11"}
# Judged from scan history on every cloud, by its own issue.
NOT_A_GCP_CHECK = {"PH-2"}


def test_every_checklist_item_has_a_verdict_and_both_outcomes_where_an_api_shows_it(scanned: ScannedGcp) -> None:
    own = {scanned.manifest.prod_project_id, scanned.manifest.dev_project_id}
    seen: dict[str, set[str]] = {}
    for f in scanned.findings:
        if f.account in own:
            for item in f.checklist:
                seen.setdefault(item, set()).add(f.status.value)
    items = [item for item in checklist() if item not in NOT_A_GCP_CHECK]
    assert [item for item in items if item not in seen] == []
    wanted = {item: {"MANUAL"} if item in MANUAL_ON_GCP else {"PASS", "FAIL"} for item in items}
    assert {item: sorted(seen[item]) for item in items if not wanted[item] <= seen[item]} == {}
