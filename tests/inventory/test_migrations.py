"""The shipped Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from cspm_ai.errors import InventoryError
from cspm_ai.inventory import Inventory
from cspm_ai.inventory.database import migration_config, open_database, upgrade_database
from cspm_ai.inventory.schema import Base

from .conftest import T0, make_finding, make_result

TABLES = {
    "scans",
    "resources",
    "relations",
    "findings",
    "collection_errors",
    "attestations",
    "scan_reevaluations",
    "scan_parts",
    "schedules",
    "schedule_runs",
}


def test_upgrade_creates_the_declared_schema(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == TABLES | {"alembic_version"}
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_constraint_and_index_names_follow_the_convention(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        insp = inspect(engine)
        assert insp.get_pk_constraint("scans")["name"] == "pk_scans"
        assert {uq["name"] for uq in insp.get_unique_constraints("resources")} == {"uq_resources_scan_id_uid"}
        assert {uq["name"] for uq in insp.get_unique_constraints("findings")} == {"uq_findings_scan_id_finding_id"}
        assert {fk["name"] for fk in insp.get_foreign_keys("relations")} == {"fk_relations_scan_id_scans"}
        assert all(
            fk["options"].get("ondelete") == "CASCADE"
            for table in TABLES - {"scans"}
            for fk in insp.get_foreign_keys(table)
        )
        assert {ix["name"] for ix in insp.get_indexes("resources")} >= {
            "ix_resources_scan_id_resource_type",
            "ix_resources_uid",
        }
        assert {ix["name"] for ix in insp.get_indexes("relations")} == {
            "ix_relations_scan_id_src_uid",
            "ix_relations_scan_id_dst_uid",
        }
    finally:
        engine.dispose()


def test_upgrading_again_keeps_stored_data(open_inventory: Callable[[], Inventory]) -> None:
    first = open_inventory()
    scan = first.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    first.finish_scan(scan.id, make_result(), [make_finding()], status="complete")
    first.close()

    second = open_inventory()  # runs the upgrade again on a populated database
    upgrade_database(second.engine)
    assert second.get_scan(scan.id).status == "complete"
    assert len(second.snapshot(scan.id).resources) == 2
    assert second.findings(scan.id) == [make_finding()]


def test_downgrade_to_base_then_upgrade(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        with engine.begin() as connection, migration_config(connection) as config:
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_database_from_a_newer_release_is_refused(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    finally:
        engine.dispose()
    with pytest.raises(InventoryError) as caught:
        open_database(database_url)
    assert caught.value.message.startswith("Cannot migrate database")
    assert "ffff_future" in caught.value.message
    assert "\n" not in caught.value.message
    assert "newer cspm-ai" in caught.value.hint


def test_migration_files_are_date_prefixed() -> None:
    from importlib.resources import files

    versions = [p.name for p in files("cspm_ai").joinpath("migrations", "versions").iterdir() if p.name.endswith(".py")]
    assert versions
    for name in versions:
        year, month, day, *_ = name.split("_")
        assert (len(year), len(month), len(day)) == (4, 2, 2) and (year + month + day).isdigit(), name
