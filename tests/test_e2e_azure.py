"""The whole path on the recorded Azure estate: expectations hold, denials are ERRORs, nothing leaks, and the demo
has a verdict for every checklist item (PASS and FAIL wherever an API can show the item)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import responses
from jsonschema import Draft202012Validator

from collectors.azure import ArmReader, AzureEngine
from cspm_ai import __version__
from cspm_ai.checklist import checklist
from cspm_ai.demo import DEMO_ALLOWED_REGIONS, DemoCredential, _azure_estate, _Simulated
from cspm_ai.inventory import Inventory
from cspm_ai.model import Finding, ScanRecord, Status
from cspm_ai.report import build_report
from cspm_ai.scan import run_scan
from moto_fixtures.azure_estate import (
    DENIED_SUBSCRIPTION_ID,
    PROD_SUBSCRIPTION_ID,
    AzureEstateManifest,
    register_azure_estate,
)
from reports import load_schema, write_reports
from tests.report_safety import assert_hostile_text_is_inert, assert_no_secret_in


@dataclass
class ScannedAzure:
    manifest: AzureEstateManifest
    scan: ScanRecord
    findings: list[Finding]
    reports: dict[str, Path]
    db_file: Path


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannedAzure]:
    tmp = tmp_path_factory.mktemp("e2e-azure")
    inventory = Inventory.open(f"sqlite:///{tmp / 'inventory.db'}")
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
            manifest = register_azure_estate(replay, denied_subscription=True)
            engine = AzureEngine(ArmReader(DemoCredential(), manifest.arm_endpoint), identity="auditor@contoso")
            scan = run_scan(inventory, [engine], allowed_regions=["eastus2"])
        findings = inventory.findings(scan.id)
        report = build_report(scan, findings, inventory.errors(scan.id), __version__)
        paths = write_reports(report, tmp / "out", ["json", "html"])
        yield ScannedAzure(manifest, scan, findings, {p.suffix.lstrip("."): p for p in paths}, tmp / "inventory.db")
    finally:
        inventory.close()


def test_every_expectation_of_the_estate_holds(scanned: ScannedAzure) -> None:
    index: dict[tuple[str, str], set[str]] = {}
    for f in scanned.findings:
        if f.account == scanned.manifest.prod_subscription_id:
            index.setdefault((f.check_id, f.resource_name), set()).add(f.status.value)
    wrong = [
        f"{c} on {n}: expected {s}, got {sorted(index.get((c, n), set())) or 'no finding'}"
        for (c, n), s in sorted(scanned.manifest.expected.items())
        if index.get((c, n)) != {s}
    ]
    assert wrong == []


def test_no_false_fail_in_the_good_resources(scanned: ScannedAzure) -> None:
    good = {n for (_, n), s in scanned.manifest.expected.items() if s == "PASS"}
    bad = {n for (_, n), s in scanned.manifest.expected.items() if s == "FAIL"}
    only_good = good - bad
    false_fails = [
        f"{f.check_id} on {f.resource_name}"
        for f in scanned.findings
        if f.status == Status.FAIL
        and f.resource_name in only_good
        and f.check_id != "azure.ml.resource_in_allowed_region"
    ]
    assert false_fails == []


def test_the_denied_subscription_is_error_not_pass(scanned: ScannedAzure) -> None:
    assert scanned.scan.status == "incomplete"
    denied = [f for f in scanned.findings if f.account == scanned.manifest.denied_subscription_id]
    assert denied and not [f for f in denied if f.status == Status.PASS]
    errors = [f for f in denied if f.status == Status.ERROR]
    assert any("AuthorizationFailed" in f.message and "/read" in f.message for f in errors)
    document = json.loads(scanned.reports["json"].read_text())
    assert {e["code"] for e in document["errors"]} == {"AuthorizationFailed"}


def test_report_follows_the_schema(scanned: ScannedAzure) -> None:
    document = json.loads(scanned.reports["json"].read_text())
    Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER).validate(document)
    assert document["scan"]["providers"] == ["azure"]


def test_planted_secrets_appear_nowhere(scanned: ScannedAzure) -> None:
    assert_no_secret_in(
        scanned.manifest.secrets,
        {"database": scanned.db_file.read_bytes(), **{k: p.read_bytes() for k, p in scanned.reports.items()}},
    )


def test_hostile_names_and_tags_render_as_text(scanned: ScannedAzure) -> None:
    assert_hostile_text_is_inert(scanned.reports["html"], scanned.manifest.hostile_strings)


# The checklist items the Azure demo cannot show with one scan's API reads: PH-2 is judged against an earlier scan
# (the demo's drift run), and CL-11 (tested AI playbooks) only a person's attestation can answer.
FROM_HISTORY = {"PH-2"}
ATTESTED_ONLY = {"CL-11"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ScanRecord, list[Finding]]]:
    """The Azure part of `cspm-ai demo`, as the demo runs it: both subscriptions readable, the demo's regions."""
    inventory = Inventory.open(f"sqlite:///{tmp_path_factory.mktemp('demo-azure') / 'inventory.db'}")
    try:
        scan = run_scan(
            inventory,
            [_Simulated("azure", _azure_estate(False))],
            allowed_regions=DEMO_ALLOWED_REGIONS,
            options={"demo": True, "drift": False},
        )
        yield scan, inventory.findings(scan.id)
    finally:
        inventory.close()


def test_the_demo_has_a_verdict_for_every_checklist_item_and_shows_both_where_an_api_can(
    demo: tuple[ScanRecord, list[Finding]],
) -> None:
    scan, findings = demo
    assert scan.status == "complete" and not [f for f in findings if f.status == Status.ERROR]
    verdicts: dict[str, set[Status]] = {}
    for finding in findings:
        for item in finding.checklist:
            verdicts.setdefault(item, set()).add(finding.status)
    assert [item for item in checklist() if item not in FROM_HISTORY and not verdicts.get(item)] == []
    shown = [item for item in checklist() if item not in FROM_HISTORY | ATTESTED_ONLY]
    assert {item: sorted(verdicts[item]) for item in shown if not {Status.PASS, Status.FAIL} <= verdicts[item]} == {}
    assert verdicts["CL-11"] == {Status.MANUAL}


def test_the_assume_breach_review_names_the_identity_training_and_inference_share(
    demo: tuple[ScanRecord, list[Finding]],
) -> None:
    _, findings = demo
    reviews = {f.account: f for f in findings if f.check_id == "azure.subscription.assume_breach_review"}
    # The estate's subscription shows a breach path already; the empty sandbox runs no training at all.
    assert {account: f.status for account, f in reviews.items()} == {
        PROD_SUBSCRIPTION_ID: Status.FAIL,
        DENIED_SUBSCRIPTION_ID: Status.PASS,
    }
    message = reviews[PROD_SUBSCRIPTION_ID].message
    assert "uai-open-shared" in message and "compromised training job" in message
