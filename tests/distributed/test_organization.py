"""`scan aws --organization --distributed`: an AWS organization scanned by two real `cspm-ai worker` processes on
the real broker into the real PostgreSQL, one part per account, finds what the one-process organization scan
finds; and the scheduler runs a scheduled organization scan on the workers.

The organization lives in a moto server process (the management account, a member with the member role and a
member without it), so the workers, the scheduler and this process reach the same accounts; each worker signs
into a member through its role with its own (the management account's) credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import boto3
import pytest

from cspm_ai.config import DEFAULT_MEMBER_ROLE
from cspm_ai.inventory import Inventory
from moto_fixtures.organization import MemberSpec, OrganizationManifest, build_organization
from moto_fixtures.server import running_server
from tests.distributed.conftest import Fleet, run_due_schedule
from tests.distributed.test_fleet import findings_of, on_fleet, row_counts, run_cli

pytestmark = pytest.mark.postgres

MEMBERS = (MemberSpec("prod"), MemberSpec("sandbox", role=False))
SCAN = ["scan", "aws", "--organization", "--regions", "us-east-1", "--allowed-regions", "us-east-1"]


@dataclass(frozen=True)
class Organization:
    endpoint: str
    manifest: OrganizationManifest


@pytest.fixture(scope="module")
def organization() -> Iterator[Organization]:
    """The organization in a moto server of this module's own (every process reaches it by its URL)."""
    with running_server() as endpoint:
        fake = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }
        with mock.patch.dict(os.environ, fake):
            manifest = build_organization(boto3.Session(region_name="us-east-1"), MEMBERS, ai_regions=("us-east-1",))
        yield Organization(endpoint, manifest)


@pytest.fixture
def aws(organization: Organization, redis_fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> Organization:
    """This process (and whatever it starts) and the fleet's workers reach the organization's server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", organization.endpoint)
    redis_fleet.aws_endpoint_file.write_text(organization.endpoint)
    return organization


def test_the_fleet_scans_an_organization_as_one_process_does(
    aws: Organization, redis_fleet: Fleet, tmp_path: Path
) -> None:
    org = aws.manifest
    prod, sandbox = org.id_of("prod"), org.id_of("sandbox")
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    assert run_cli([*SCAN, "--db", reference, "--output-dir", str(tmp_path / "reference")]) == 0
    expected_scan, expected = findings_of(reference)
    assert on_fleet(redis_fleet, tmp_path, SCAN) == 0
    scan, found = findings_of(redis_fleet.db)
    assert found == expected
    assert row_counts(redis_fleet.db, scan.id) == row_counts(reference, expected_scan.id)
    assert scan.status == expected_scan.status == "incomplete"  # the member without the role
    assert {s.account for s in scan.scopes} == {org.management, prod, sandbox}
    with Inventory.open(redis_fleet.db) as inventory:
        parts = {p.key: p for p in inventory.part_states(scan.id)}
        findings = inventory.findings(scan.id)
    assert set(parts) == {f"aws:{a}" for a in (org.management, prod, sandbox)}
    assert {(p.status, p.attempts) for p in parts.values()} == {("stored", 1)}
    blind = [f for f in findings if f.status.value == "ERROR"]
    assert {f.account for f in blind} == {sandbox}
    assert all(f"role/{DEFAULT_MEMBER_ROLE}" in f.message for f in blind)
    # What the organization says, read once (in the management account's part): an SCP fences AI in.
    fenced = [f.status.value for f in findings if f.check_id == "aws.organizations.scp_restricts_ai_regions"]
    assert fenced == ["PASS"]


def test_the_scheduler_runs_a_scheduled_organization_scan_on_the_workers(
    aws: Organization, redis_fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scheduled without the management account itself: its part still reads the organization, once."""
    fleet = redis_fleet
    org = aws.manifest
    command = [*SCAN, "--exclude-accounts", org.management, "--output-dir", str(tmp_path / "reports")]
    assert run_cli(["schedule", "add", "nightly-org", "--every", "24h", "--db", fleet.db, "--", *command]) == 0
    assert "added schedule nightly-org: every 1d: cspm-ai scan aws --organization" in capsys.readouterr().out
    run = run_due_schedule(fleet, tmp_path, "nightly-org", 90)
    assert run.status == "done" and run.mode == "distributed" and run.scan_id, run  # type: ignore[attr-defined]
    with Inventory.open(fleet.db) as inventory:
        parts = inventory.part_states(run.scan_id)  # type: ignore[attr-defined]
        scan = inventory.get_scan(run.scan_id)  # type: ignore[attr-defined]
        fenced = [f.status.value for f in inventory.findings(scan.id) if f.check_id.startswith("aws.organizations.")]
    assert len(parts) == 3 and {p.status for p in parts} == {"stored"}
    assert scan.status == "incomplete" and scan.finished_at is not None
    assert {s.account for s in scan.scopes} == {org.id_of("prod"), org.id_of("sandbox")}
    assert sorted(fenced) == ["FAIL", "PASS"]  # no delegated administrators; the SCP
    assert (tmp_path / "reports" / "report.json").is_file()
