"""The AWS part of the demo: an organization of a management account and two members, one well configured and one
not, scanned as `scan aws --organization` scans one (the demo's own builder, collector and allowed regions). Every
account's planted verdicts hold, and across the organization every checklist item and every check shows a PASS and
a FAIL wherever an API can show one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cspm_ai.checklist import checklist
from cspm_ai.config import DEFAULT_MEMBER_ROLE
from cspm_ai.demo import DEMO_ALLOWED_REGIONS, DEMO_REGIONS, aws_demo_organization
from cspm_ai.inventory import Inventory
from cspm_ai.model import Finding, ScanRecord, Status
from cspm_ai.registry import all_checks
from cspm_ai.scan import run_scan
from moto_fixtures.demo_organization import ORGANIZATION_EXPECTED, PRODUCTION, SANDBOX, DemoOrganization

# A person attests incident response playbooks: no API shows them, so they are MANUAL in every account.
MANUAL_BY_NATURE = {"aws.account.incident_response_playbooks"}
MANUAL_ITEMS = {"CL-11"}
# Judged against an earlier scan (tests/test_history_e2e.py shows them both ways after a drift).
FROM_HISTORY_ITEMS = {"PH-2"}


@dataclass
class ScannedDemo:
    organization: DemoOrganization
    scan: ScanRecord
    findings: list[Finding]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannedDemo]:
    db: Path = tmp_path_factory.mktemp("demo-organization") / "inventory.db"
    inventory = Inventory.open(f"sqlite:///{db}")
    try:
        with aws_demo_organization() as (organization, collector):
            scan = run_scan(inventory, [collector], allowed_regions=DEMO_ALLOWED_REGIONS)
        yield ScannedDemo(organization, scan, inventory.findings(scan.id))
    finally:
        inventory.close()


def test_every_account_is_scanned_through_the_organization(demo: ScannedDemo) -> None:
    accounts = demo.organization.accounts
    assert demo.scan.status == "complete"
    assert not [f for f in demo.findings if f.status is Status.ERROR]
    scopes = {s.account: s for s in demo.scan.scopes if s.provider == "aws"}
    assert set(scopes) == set(accounts.values()) and len(scopes) == 3
    management = accounts["management"]
    assert scopes[management].identity.startswith(f"arn:aws:sts::{management}:")
    for name in (PRODUCTION, SANDBOX):
        assert scopes[accounts[name]].identity == (
            f"arn:aws:sts::{accounts[name]}:assumed-role/{DEFAULT_MEMBER_ROLE}/cspm-ai"
        )
        assert scopes[accounts[name]].regions == DEMO_REGIONS


def test_every_account_holds_what_its_estate_planted(demo: ScannedDemo) -> None:
    statuses: dict[tuple[str, str, str], set[str]] = {}
    for f in demo.findings:
        statuses.setdefault((f.account, f.check_id, f.resource_name), set()).add(f.status.value)
    org = demo.organization
    wrong = []
    for manifest in (org.management, org.production, org.sandbox):
        for (check_id, name), expected in sorted(manifest.expected.items()):
            seen = statuses.get((manifest.account_id, check_id, name), set())
            if seen != {expected}:
                wrong.append(f"{manifest.account_id} {check_id} on {name}: expected {expected}, got {seen or 'none'}")
    assert wrong == []
    assert {
        check_id: statuses[(org.management.account_id, check_id, org.organization_id)]
        for check_id in ORGANIZATION_EXPECTED
    } == {check_id: {status} for check_id, status in ORGANIZATION_EXPECTED.items()}


def test_production_passes_everything_and_the_management_account_fails_only_the_organizations_gaps(
    demo: ScannedDemo,
) -> None:
    accounts = demo.organization.accounts
    by_account: dict[str, list[Finding]] = {}
    for f in demo.findings:
        by_account.setdefault(f.account, []).append(f)
    production = by_account[accounts[PRODUCTION]]
    assert len(production) > 150
    not_passed = {(f.check_id, f.status) for f in production if f.status is not Status.PASS}
    assert not_passed == {(c, Status.MANUAL) for c in MANUAL_BY_NATURE | _history_checks()}
    management_fails = {
        (f.check_id, f.resource_name) for f in by_account[accounts["management"]] if f.status is Status.FAIL
    }
    assert management_fails == {
        ("aws.ce.anomaly_monitor_alerts", "bad-ml-team-spend"),
        ("aws.organizations.security_services_delegated", demo.organization.organization_id),
    }
    sandbox = {(f.check_id, f.resource_name): f.status for f in by_account[accounts[SANDBOX]]}
    account = accounts[SANDBOX]
    # The lax account's own controls: a trail of one region and nothing alerting on spend.
    assert sandbox[("aws.cloudtrail.multi_region_trail", account)] is Status.FAIL
    assert sandbox[("aws.budgets.cost_alerts", account)] is Status.FAIL
    assert sandbox[("aws.cloudtrail.bedrock_data_events", account)] is Status.FAIL


def _history_checks() -> set[str]:
    return {c.id for c in all_checks("aws") if c.needs_history}


def test_every_checklist_item_and_check_shows_pass_and_fail_across_the_organization(demo: ScannedDemo) -> None:
    by_item: dict[str, set[Status]] = {item: set() for item in checklist()}
    by_check: dict[str, set[Status]] = {c.id: set() for c in all_checks("aws")}
    for f in demo.findings:
        by_check[f.check_id].add(f.status)
        for item in f.checklist:
            by_item[item].add(f.status)
    both = {Status.PASS, Status.FAIL}
    one_sided_items = sorted(
        item for item, seen in by_item.items() if item not in MANUAL_ITEMS | FROM_HISTORY_ITEMS and not both <= seen
    )
    assert one_sided_items == []
    assert {item: by_item[item] for item in MANUAL_ITEMS | FROM_HISTORY_ITEMS} == {
        item: {Status.MANUAL} for item in MANUAL_ITEMS | FROM_HISTORY_ITEMS
    }
    # CL-05 and CL-06 by their account-wide checks too: one account's trail and budget pass, another's fail.
    for check_id in (
        "aws.cloudtrail.multi_region_trail",
        "aws.cloudtrail.bedrock_data_events",
        "aws.budgets.cost_alerts",
    ):
        assert by_check[check_id] == both, check_id
    # One organization, so its own checks have one verdict each: the SCP fences AI in (CL-09), and Security Hub
    # has no delegated administrator (CL-10).
    organization_checks = set(ORGANIZATION_EXPECTED)
    assert {c: by_check[c] for c in organization_checks} == {c: {Status(s)} for c, s in ORGANIZATION_EXPECTED.items()}
    manual = MANUAL_BY_NATURE | _history_checks()
    assert {c: by_check[c] for c in manual} == {c: {Status.MANUAL} for c in manual}
    one_sided_checks = sorted(
        c for c, seen in by_check.items() if c not in organization_checks | manual and seen != both
    )
    assert one_sided_checks == []
