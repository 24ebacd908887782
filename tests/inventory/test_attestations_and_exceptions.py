"""Attestations and a scan's applied exceptions survive the round trip on SQLite and PostgreSQL,
and a database made by the first schema upgrades without losing a scan."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from cspm_ai.errors import ConfigError, NotFoundError
from cspm_ai.inventory import Inventory
from cspm_ai.inventory.database import migration_config
from cspm_ai.model import Attestation, Reevaluation, Revocation

from .conftest import T0, make_finding, make_result, utc


def test_attestations_round_trip_with_their_evidence(inventory: Inventory) -> None:
    content = bytes(range(256)) * 4
    first = Attestation(
        id=str(uuid.uuid4()),
        item="CL-11",
        attested_by="Zoë (CISO)",
        attested_at=T0,
        expires_on=date(2027, 6, 30),
        evidence="tabletop.pdf",
        note="«annual»",
        evidence_sha256="ab" * 32,
    )
    second = Attestation(
        id=str(uuid.uuid4()),
        item="PH-1",
        attested_by="ops",
        attested_at=datetime.now(UTC),
        expires_on=date(2027, 1, 1),
        evidence="https://wiki.example.com/iac",
    )
    inventory.add_attestation(second)
    inventory.add_attestation(first, content)
    loaded = inventory.attestations()
    assert [a.id for a in loaded] == [first.id, second.id]  # oldest first
    assert loaded[0] == Attestation(**{**first.__dict__, "attested_at": utc(T0)})
    assert inventory.attestation_evidence(first.id) == content
    assert inventory.attestation_evidence(second.id) is None


def test_a_scans_exceptions_are_stored_and_replaced(inventory: Inventory) -> None:
    outcome = {
        "id": "dev",
        "checks": ["aws.*"],
        "resources": ["*"],
        "accounts": ["*"],
        "regions": ["*"],
        "tags": {},
        "justification": "j",
        "owner": "o",
        "expires": "2027-01-01",
        "status": "active",
        "matched": 1,
    }
    scan = inventory.begin_scan(providers=["aws"], tool_version="t", started_at=T0)
    inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete", exceptions=[outcome])
    assert inventory.get_scan(scan.id).exceptions == (outcome,)
    inventory.replace_findings(scan.id, [make_finding()])  # no new exceptions given: kept
    assert inventory.get_scan(scan.id).exceptions == (outcome,)
    inventory.replace_findings(scan.id, [make_finding()], [])
    assert inventory.get_scan(scan.id).exceptions == ()


def test_each_reevaluation_is_appended_with_the_exceptions_it_replaced(inventory: Inventory) -> None:
    first = {"id": "dev", "status": "active", "matched": 1}
    second = {"id": "narrower", "status": "active", "matched": 0}
    scan = inventory.begin_scan(providers=["aws"], tool_version="t", started_at=T0)
    inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete", exceptions=[first])
    assert inventory.get_scan(scan.id).reevaluations == ()

    by_file = Reevaluation(
        evaluated_at=T0 + timedelta(days=3),
        tool_version="2.0",
        exceptions_from="mutelist",
        mutelist_file="/srv/risk/mutes-é.yaml",
        mutelist_sha256="ab" * 32,
        rules=1,
        findings=1,
        muted=0,
    )
    kept = replace(by_file, evaluated_at=T0 + timedelta(days=4), exceptions_from="scan", mutelist_file=None)
    inventory.replace_findings(scan.id, [make_finding()], [second], by_file)
    inventory.replace_findings(scan.id, [make_finding()], [second], kept)

    stored = inventory.get_scan(scan.id)
    assert stored.exceptions == (second,)
    assert stored.reevaluations == (
        replace(by_file, evaluated_at=utc(by_file.evaluated_at), replaced_exceptions=(first,)),
        replace(kept, evaluated_at=utc(kept.evaluated_at), replaced_exceptions=(second,)),
    )
    assert inventory.list_scans()[0].reevaluations == stored.reevaluations


def test_a_database_from_the_first_schema_upgrades_without_losing_data(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection, migration_config(connection) as config:
            command.upgrade(config, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO scans (id, started_at, finished_at, status, providers, scopes, tool_version, "
                    "allowed_regions, options) VALUES ('11111111-1111-1111-1111-111111111111', :t, :t, 'complete', "
                    "'[\"aws\"]', '[]', '0.0.1', NULL, '{}')"
                ),
                {"t": T0},
            )
    finally:
        engine.dispose()
    with Inventory.open(database_url) as upgraded:  # opening migrates to head
        scan = upgraded.get_scan("11111111")
        assert scan.status == "complete" and scan.tool_version == "0.0.1" and scan.exceptions == ()
        assert upgraded.attestations() == []


def _at_revision_0002_with_data(database_url: str) -> None:
    """A database as release 0002 left it: a scan with applied exceptions, and an attestation."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection, migration_config(connection) as config:
            command.upgrade(config, "0002")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO scans (id, started_at, finished_at, status, providers, scopes, tool_version, "
                    "allowed_regions, options, exceptions) VALUES ('22222222-2222-2222-2222-222222222222', :t, :t, "
                    "'complete', '[\"aws\"]', '[]', '0.1.0', NULL, '{}', :exceptions)"
                ),
                {"t": T0, "exceptions": '[{"id": "dev", "status": "active", "matched": 2}]'},
            )
            connection.execute(
                text(
                    "INSERT INTO attestations (id, item, attested_by, attested_at, expires_on, evidence, "
                    "evidence_sha256, evidence_content, note) VALUES ('33333333-3333-3333-3333-333333333333', "
                    "'CL-11', 'Dana', :t, :expires, 'tabletop.pdf', :sha, :content, 'annual')"
                ),
                {"t": T0, "expires": date(2027, 5, 31), "sha": "cd" * 32, "content": b"%PDF-1.7"},
            )
            # Recorded before validity was bounded: in force until 9999.
            connection.execute(
                text(
                    "INSERT INTO attestations (id, item, attested_by, attested_at, expires_on, evidence, "
                    "evidence_sha256, evidence_content, note) VALUES ('44444444-4444-4444-4444-444444444444', "
                    "'PH-1', 'mallory', :t, :expires, 'https://example.com/nothing', NULL, NULL, '')"
                ),
                {"t": T0 + timedelta(hours=1), "expires": date(9999, 12, 31)},
            )
    finally:
        engine.dispose()


def test_a_database_at_0002_upgrades_with_an_empty_reevaluation_history(database_url: str) -> None:
    _at_revision_0002_with_data(database_url)
    with Inventory.open(database_url) as upgraded:  # opening migrates to head
        scan = upgraded.get_scan("22222222")
        assert scan.exceptions == ({"id": "dev", "status": "active", "matched": 2},)
        assert scan.reevaluations == ()
        attestation, _ = upgraded.attestations()
        assert (attestation.item, attestation.attested_at) == ("CL-11", utc(T0))
        assert upgraded.attestation_evidence(attestation.id) == b"%PDF-1.7"
        record = Reevaluation(utc(T0), "2.0", "scan", None, None, 1, 0, 0)
        upgraded.replace_findings(scan.id, [], scan.exceptions, record)
        assert upgraded.get_scan(scan.id).reevaluations == (replace(record, replaced_exceptions=scan.exceptions),)


def test_existing_attestations_upgrade_in_force_from_their_recorded_time_unscoped_and_unrevoked(
    database_url: str,
) -> None:
    _at_revision_0002_with_data(database_url)
    with Inventory.open(database_url) as upgraded:  # opening migrates to head
        tabletop, legacy = upgraded.attestations()
    assert tabletop == Attestation(
        id="33333333-3333-3333-3333-333333333333",
        item="CL-11",
        attested_by="Dana",
        attested_at=utc(T0),
        expires_on=date(2027, 5, 31),
        evidence="tabletop.pdf",
        note="annual",
        evidence_sha256="cd" * 32,
    )
    assert tabletop.in_force_from == tabletop.attested_at
    assert (tabletop.valid_from, tabletop.provider, tabletop.account, tabletop.revocation) == (None, None, None, None)
    # Longer than a year, from before the bound: flagged so every report shows it.
    assert legacy.item == "PH-1" and legacy.long_validity and not tabletop.long_validity


def test_scope_backdating_and_revocation_round_trip(inventory: Inventory) -> None:
    scoped = Attestation(
        id=str(uuid.uuid4()),
        item="CL-11",
        attested_by="Dana",
        attested_at=T0,
        expires_on=date(2027, 5, 1),
        evidence="tabletop.pdf",
        evidence_sha256="ab" * 32,
        valid_from=datetime(2026, 5, 1, tzinfo=UTC),
        provider="aws",
        account="123456789012",
        long_validity=True,
    )
    inventory.add_attestation(scoped, b"%PDF")
    assert inventory.attestations() == [replace(scoped, attested_at=utc(T0))]
    assert inventory.attestation(scoped.id[:8]).id == scoped.id

    revocation = Revocation(T0 + timedelta(days=2), "Ana (CISO)", "the tabletop never happened")
    inventory.revoke_attestation(scoped.id, revocation)
    (revoked,) = inventory.attestations()
    assert revoked.revocation == replace(revocation, revoked_at=utc(revocation.revoked_at))
    # The first revocation is kept: a second is refused, whatever it says.
    with pytest.raises(ConfigError, match="already revoked by Ana"):
        inventory.revoke_attestation(scoped.id, Revocation(T0 + timedelta(days=3), "mallory", "undo"))
    assert inventory.attestations()[0].revocation == revoked.revocation


def test_an_attestation_is_found_by_a_unique_prefix_only(inventory: Inventory) -> None:
    base = Attestation(
        id="aaaaaaaa-0000-0000-0000-000000000001",
        item="CL-11",
        attested_by="x",
        attested_at=T0,
        expires_on=date(2027, 1, 1),
        evidence="https://x.example/e",
    )
    inventory.add_attestation(base)
    inventory.add_attestation(replace(base, id="aaaaaaaa-0000-0000-0000-000000000002"))
    assert inventory.attestation("AAAAAAAA-0000-0000-0000-000000000002").id.endswith("2")
    for ref, needle in (("aaaaaaaa", "matches more than one"), ("aaaa", "at least 8"), ("bbbbbbbb", "No attestation")):
        with pytest.raises(NotFoundError, match=needle):
            inventory.attestation(ref)
