"""A database made by the first schema (the committed tests/fixtures/inventory-v0001.sqlite, revision
0001) upgrades to the latest schema on opening, and every stored row stays readable through the API."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from cspm_ai.inventory import Inventory
from cspm_ai.inventory.database import migration_config
from cspm_ai.model import (
    Attestation,
    CollectionError,
    Finding,
    Relation,
    Resource,
    Scope,
    Severity,
    Status,
)
from cspm_ai.scan import run_scan

from .scan_worker import estate

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "inventory-v0001.sqlite"
SCAN_TABLES = ("scans", "resources", "relations", "findings", "collection_errors")


def fixture_rows(table: str, scan_id: str | None = None) -> list[dict[str, Any]]:
    """Rows of the committed fixture as the first release stored them, read with plain sqlite3."""
    with sqlite3.connect(f"{FIXTURE.as_uri()}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        where = "" if scan_id is None else " WHERE scan_id = ?"
        rows = connection.execute(
            f"SELECT * FROM {table}{where} ORDER BY rowid", () if scan_id is None else (scan_id,)
        ).fetchall()
    return [dict(row) for row in rows]


def utc(stored: str | None) -> datetime | None:
    return None if stored is None else datetime.fromisoformat(stored).replace(tzinfo=UTC)


@pytest.fixture
def upgraded(tmp_path: Path) -> Iterator[Inventory]:
    copy = tmp_path / "inventory.db"
    shutil.copyfile(FIXTURE, copy)
    with Inventory.open(f"sqlite:///{copy.as_posix()}") as inventory:  # opening migrates to head
        yield inventory


def test_the_fixture_is_a_first_schema_database() -> None:
    assert fixture_rows("alembic_version") == [{"version_num": "0001"}]
    assert "exceptions" not in fixture_rows("scans")[0]
    scans = fixture_rows("scans")
    assert {s["status"] for s in scans} == {"complete", "incomplete"}
    for table in SCAN_TABLES[1:]:
        assert fixture_rows(table), f"the fixture has no {table}"


def test_every_row_survives_the_upgrade(upgraded: Inventory) -> None:
    with migration_config() as config:
        heads = ScriptDirectory.from_config(config).get_heads()
    with upgraded.engine.connect() as connection:
        assert [connection.scalar(text("SELECT version_num FROM alembic_version"))] == heads
        for table in SCAN_TABLES:
            assert connection.scalar(text(f"SELECT count(*) FROM {table}")) == len(fixture_rows(table)), table

    for raw in fixture_rows("scans"):
        scan = upgraded.get_scan(raw["id"])
        assert (scan.started_at, scan.finished_at) == (utc(raw["started_at"]), utc(raw["finished_at"]))
        assert scan.status == raw["status"] and scan.tool_version == raw["tool_version"]
        assert scan.providers == tuple(json.loads(raw["providers"]))
        assert scan.scopes == tuple(
            Scope(s["provider"], s["account"], tuple(s["regions"]), s["identity"]) for s in json.loads(raw["scopes"])
        )
        allowed = None if raw["allowed_regions"] is None else tuple(json.loads(raw["allowed_regions"]))
        assert scan.allowed_regions == allowed
        assert scan.exceptions == ()  # added by revision 0002: old scans applied none

        snapshot = upgraded.snapshot(scan.id)
        assert snapshot.resources == [
            Resource(
                provider=r["provider"],
                account=r["account"],
                region=r["region"],
                type=r["resource_type"],
                uid=r["uid"],
                name=r["name"],
                config=json.loads(r["config"]),
                tags=json.loads(r["tags"]),
                redactions=tuple(json.loads(r["redactions"])),
            )
            for r in fixture_rows("resources", scan.id)
        ]
        assert snapshot.relations == [
            Relation(r["src_uid"], r["kind"], r["dst_uid"]) for r in fixture_rows("relations", scan.id)
        ]
        errors = [
            CollectionError(
                e["provider"],
                e["account"],
                e["region"],
                e["service"],
                e["operation"],
                e["code"],
                e["message"],
                resource_type=e["resource_type"],
                resource_uid=e["resource_uid"],
            )
            for e in fixture_rows("collection_errors", scan.id)
        ]
        assert upgraded.errors(scan.id) == snapshot.errors == errors
        assert upgraded.findings(scan.id) == [
            Finding(
                id=f["finding_id"],
                check_id=f["check_id"],
                title=f["title"],
                status=Status(f["status"]),
                severity=Severity(f["severity"]),
                provider=f["provider"],
                account=f["account"],
                region=f["region"],
                resource_type=f["resource_type"],
                resource_uid=f["resource_uid"],
                resource_name=f["resource_name"],
                message=f["message"],
                checklist=tuple(json.loads(f["checklist"])),
                compliance=json.loads(f["compliance"]),
                remediation=f["remediation"],
                evidence=json.loads(f["evidence"]),
                muted=bool(f["muted"]),
                mute_reason=f["mute_reason"],
                resource_tags=json.loads(f["resource_tags"]),
            )
            for f in fixture_rows("findings", scan.id)
        ]

    # Spot checks by hand, so a fixture emptied of its data cannot pass the loops above.
    complete = upgraded.get_scan("0d6f5c1e-0001")
    assert complete.started_at == datetime(2026, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert [r.name for r in upgraded.snapshot(complete.id).resources] == ["研究-nb", "ml-exécution"]
    assert [(f.status, f.muted, f.mute_reason) for f in upgraded.findings(complete.id)] == [
        (Status.FAIL, False, None),
        (Status.FAIL, True, "lab account «accepted»"),
    ]
    incomplete = upgraded.get_scan("0d6f5c1e-0002")
    assert incomplete.status == "incomplete" and incomplete.allowed_regions is None
    assert [e.code for e in upgraded.errors(incomplete.id)] == ["AccessDenied", "Throttling"]
    assert upgraded.get_scan("latest").id == incomplete.id


def test_new_features_work_on_an_upgraded_database(upgraded: Inventory) -> None:
    assert upgraded.attestations() == []
    attestation = Attestation(
        id=str(uuid.uuid4()),
        item="CL-11",
        attested_by="Zoë",
        attested_at=datetime.now(UTC),
        expires_on=date(2027, 6, 30),
        evidence="tabletop.pdf",
        evidence_sha256="ab" * 32,
    )
    upgraded.add_attestation(attestation, b"%PDF-1.7")
    assert [a.id for a in upgraded.attestations()] == [attestation.id]
    assert upgraded.attestation_evidence(attestation.id) == b"%PDF-1.7"

    old = upgraded.get_scan("0d6f5c1e-0001")
    outcome = {"id": "lab", "status": "active", "matched": 1}
    upgraded.replace_findings(old.id, upgraded.findings(old.id), [outcome])
    assert upgraded.get_scan(old.id).exceptions == (outcome,)

    new = run_scan(upgraded, [_Collector()])
    assert new.status == "complete" and upgraded.get_scan("latest").id == new.id
    assert upgraded.findings(new.id)
    with upgraded.engine.connect() as connection:
        # The shared role was first seen by a scan stored under the first schema.
        first_seen = connection.scalar(
            text("SELECT first_seen FROM resources WHERE scan_id = :id AND uid = :uid"),
            {"id": new.id, "uid": "arn:aws:iam::123456789012:role/ml-exécution"},
        )
    assert first_seen is not None and utc(str(first_seen)) == old.started_at


class _Collector:
    """Today's collection of the same account, with the role the old scan also saw."""

    provider = "aws"

    def collect(self, progress: object = None) -> Any:
        result = estate("after-upgrade")
        role = Resource(
            provider="aws",
            account="123456789012",
            region="global",
            type="aws.iam.role",
            uid="arn:aws:iam::123456789012:role/ml-exécution",
            name="ml-exécution",
            config={"RoleName": "ml-exécution"},
        )
        result.resources.append(role)
        return result
