"""The whole path on a mixed moto estate: every planted misconfiguration found, no false FAIL.

One scan per database backend (module scope, it is the expensive part); the
tests then read the stored scan, its reports and the calls it made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore
import pytest
from jsonschema import Draft202012Validator
from moto import mock_aws

from collectors.aws import AwsSession, aws_collector
from collectors.aws.permissions import iam_action
from cspm_ai import __version__
from cspm_ai.inventory import Inventory
from cspm_ai.model import Finding, ScanRecord, Status
from cspm_ai.report import build_report
from cspm_ai.scan import reevaluate, run_scan
from moto_fixtures.estate import EstateManifest, build_aws_estate
from moto_fixtures.extensions import install
from reports import load_schema, write_reports
from tests.report_safety import assert_hostile_text_is_inert, assert_no_secret_in


@dataclass
class ScannedEstate:
    manifest: EstateManifest
    inventory: Inventory
    scan: ScanRecord
    findings: list[Finding]
    calls: set[tuple[str, str]]
    reports: dict[str, Path]
    db_file: Path | None


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def scanned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannedEstate]:
    tmp = tmp_path_factory.mktemp(f"e2e-{request.param}")
    db_file: Path | None = None
    if request.param == "sqlite":
        db_file = tmp / "inventory.db"
        url = f"sqlite:///{db_file}"
    else:
        from tests.conftest import PG_HOST, PG_PORT, PG_USER, _reset_postgres

        name = request.getfixturevalue("postgres_database")
        _reset_postgres(name)
        url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    monkeypatch = pytest.MonkeyPatch()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    calls: set[tuple[str, str]] = set()

    def record(model: Any, **_: Any) -> None:
        calls.add((model.service_model.service_name, botocore.xform_name(model.name)))

    inventory = Inventory.open(url)
    try:
        with mock_aws():
            install()
            manifest = build_aws_estate(regions=("us-east-1", "eu-west-1"))
            session = boto3.Session()
            session.events.register("before-call.*.*", record)
            collector = aws_collector(session=AwsSession(boto_session=session), regions=manifest.regions)
            scan = run_scan(inventory, [collector], allowed_regions=list(manifest.regions))
        findings = inventory.findings(scan.id)
        report = build_report(scan, findings, inventory.errors(scan.id), __version__)
        paths = write_reports(report, tmp / "out", ["json", "html"])
        yield ScannedEstate(
            manifest, inventory, scan, findings, calls, {p.suffix.lstrip("."): p for p in paths}, db_file
        )
    finally:
        inventory.close()
        monkeypatch.undo()


def _by_check_and_name(findings: list[Finding]) -> dict[tuple[str, str], list[Finding]]:
    index: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        index.setdefault((finding.check_id, finding.resource_name), []).append(finding)
    return index


def test_scan_is_complete_and_clean(scanned: ScannedEstate) -> None:
    assert scanned.scan.status == "complete"
    assert scanned.inventory.errors(scanned.scan.id) == []
    assert not [f for f in scanned.findings if f.status == Status.ERROR]


def test_every_expectation_of_the_estate_holds(scanned: ScannedEstate) -> None:
    index = _by_check_and_name(scanned.findings)
    wrong = []
    for (check_id, name), expected in sorted(scanned.manifest.expected.items()):
        statuses = sorted({f.status.value for f in index.get((check_id, name), [])})
        if statuses != [expected]:
            wrong.append(f"{check_id} on {name}: expected {expected}, got {statuses or 'no finding'}")
    assert wrong == []


# The estate is one account outside an organization: the organization's checks are planted in
# tests/collectors/aws/test_organization.py's organizations instead.
ORGANIZATION_CHECKS = frozenset(
    {"aws.organizations.scp_restricts_ai_regions", "aws.organizations.security_services_delegated"}
)


def test_every_planted_misconfiguration_kind_is_found(scanned: ScannedEstate) -> None:
    expected_fail_checks = {c for (c, _), s in scanned.manifest.expected.items() if s == "FAIL"}
    found_fail_checks = {f.check_id for f in scanned.findings if f.status == Status.FAIL}
    assert expected_fail_checks <= found_fail_checks
    # The estate plants a misconfiguration for every AWS check except the manual one, the
    # residency one (scanned here with every region allowed) and the two account-wide
    # controls it configures well (test_a_bare_account_fails_the_account_controls).
    from cspm_ai.registry import all_checks

    # Checks that need history are MANUAL in a first scan (tests/test_history_e2e.py judges them on a drift).
    automatic = (
        {c.id for c in all_checks("aws") if not c.needs_history}
        - {
            "aws.account.incident_response_playbooks",
            "aws.sagemaker.resource_in_allowed_region",
            "aws.cloudtrail.multi_region_trail",
            "aws.budgets.cost_alerts",
        }
        - ORGANIZATION_CHECKS
    )
    assert automatic - expected_fail_checks == set()


def test_no_false_fail_on_good_resources(scanned: ScannedEstate) -> None:
    false_fails = [
        f"{f.check_id} on {f.resource_name}: {f.message}"
        for f in scanned.findings
        if f.status == Status.FAIL and f.resource_name.startswith("good")
    ]
    assert false_fails == []


def test_reevaluating_the_stored_scan_gives_the_same_findings(scanned: ScannedEstate) -> None:
    again = reevaluate(scanned.inventory, scanned.scan)
    assert sorted((f.id, f.status, f.message) for f in again) == sorted(
        (f.id, f.status, f.message) for f in scanned.findings
    )


def test_report_json_follows_the_schema(scanned: ScannedEstate) -> None:
    document = json.loads(scanned.reports["json"].read_text())
    Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER).validate(document)
    assert len(document["findings"]) == len(scanned.findings)
    assert document["scan"]["scopes"][0]["account"] == scanned.manifest.account_id


def test_planted_secrets_appear_nowhere(scanned: ScannedEstate) -> None:
    assert scanned.manifest.secrets
    haystacks = {name: path.read_bytes() for name, path in scanned.reports.items()}
    if scanned.db_file is not None:
        haystacks["database"] = scanned.db_file.read_bytes()
    stored = [json.dumps(r.config) + json.dumps(r.tags) for r in scanned.inventory.snapshot(scanned.scan.id).resources]
    haystacks["inventory rows"] = "\n".join(stored).encode()
    assert_no_secret_in(scanned.manifest.secrets, haystacks)
    secret_findings = [
        f
        for f in scanned.findings
        if f.check_id == "aws.sagemaker.no_secrets_in_configuration" and f.status == Status.FAIL
    ]
    assert secret_findings and all(f.evidence for f in secret_findings)


def test_hostile_cloud_values_render_as_text(scanned: ScannedEstate) -> None:
    assert_hostile_text_is_inert(scanned.reports["html"], scanned.manifest.hostile_strings)


def test_every_api_call_is_allowed_by_the_shipped_policy(scanned: ScannedEstate) -> None:
    from importlib.resources import files

    policy = json.loads(files("cspm_ai").joinpath("permissions/aws-readonly-policy.json").read_text())
    allowed = set(policy["Statement"][0]["Action"])
    needed = {iam_action(service, method) for service, method in scanned.calls}
    assert needed - allowed == set()
    assert all(a.split(":")[1].startswith(("Describe", "Get", "List", "View", "Search")) for a in needed)


# Checklist items one account cannot show both ways, and why (the demo's organization shows the account-wide checks
# both ways too: tests/test_demo_organization.py).
ONE_SIDED = {
    # No API shows incident response playbooks or their exercises: MANUAL until someone attests them.
    "CL-11": {Status.MANUAL},
}
# Judged from scan history (the history checks): one scan has no earlier one to compare with.
FROM_HISTORY = {"PH-2"}


def test_one_account_judges_every_checklist_item_and_shows_both_verdicts_wherever_an_api_can(
    scanned: ScannedEstate,
) -> None:
    """This one-account estate's verdicts, judged with the demo's allowed regions, cover every checklist item but
    the history one, with a PASS and a FAIL for every item an API can show in one account."""
    from cspm_ai.checklist import checklist
    from cspm_ai.demo import DEMO_ALLOWED_REGIONS
    from cspm_ai.engine import EvaluationSettings, evaluate
    from cspm_ai.registry import all_checks

    settings = EvaluationSettings(
        scan_started_at=scanned.scan.started_at, allowed_regions=frozenset(DEMO_ALLOWED_REGIONS)
    )
    findings = evaluate(scanned.inventory.snapshot(scanned.scan.id), all_checks("aws"), settings)
    verdicts: dict[str, set[Status]] = {item: set() for item in checklist()}
    for finding in findings:
        for item in finding.checklist:
            verdicts[item].add(finding.status)
    assert not [f for f in findings if f.status is Status.ERROR]
    unjudged = sorted(item for item, seen in verdicts.items() if not seen and item not in FROM_HISTORY)
    assert unjudged == []
    one_sided = sorted(
        item
        for item, seen in verdicts.items()
        if item not in FROM_HISTORY | set(ONE_SIDED) and not {Status.PASS, Status.FAIL} <= seen
    )
    assert one_sided == []
    assert {item: verdicts[item] for item in ONE_SIDED} == ONE_SIDED


def test_a_bare_account_fails_the_account_controls(tmp_path: Path) -> None:
    inventory = Inventory.open(f"sqlite:///{tmp_path / 'bare.db'}")
    with mock_aws():
        install()
        collector = aws_collector(session=AwsSession(boto_session=boto3.Session()), regions=["eu-west-1"])
        scan = run_scan(inventory, [collector])
    statuses = {(f.check_id, f.resource_name): f.status for f in inventory.findings(scan.id)}
    inventory.close()
    assert statuses == {
        ("aws.cloudtrail.multi_region_trail", "123456789012"): Status.FAIL,
        ("aws.budgets.cost_alerts", "123456789012"): Status.FAIL,
        ("aws.account.incident_response_playbooks", "123456789012"): Status.MANUAL,
        ("aws.guardduty.enabled", "eu-west-1"): Status.FAIL,
        ("aws.securityhub.enabled", "eu-west-1"): Status.FAIL,
        ("aws.config.recorder_all_resources", "eu-west-1"): Status.FAIL,
        # No AI service is used there, so no AWS Config rule needs to evaluate one.
        ("aws.config.rules_cover_ai_services", "eu-west-1"): Status.PASS,
        # Nothing uses Bedrock here: its region-wide settings and its data events are not required, so they pass.
        ("aws.bedrock.model_invocation_logging", "eu-west-1"): Status.PASS,
        ("aws.bedrock.invocation_logs_protected", "eu-west-1"): Status.PASS,
        ("aws.bedrock.guardrail_in_region", "eu-west-1"): Status.PASS,
        ("aws.bedrock.enforced_guardrail", "eu-west-1"): Status.PASS,
        ("aws.cloudtrail.bedrock_data_events", "123456789012"): Status.PASS,
    }
