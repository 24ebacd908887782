"""The shipped Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from cspm_ai.errors import InventoryError
from cspm_ai.inventory import Inventory
from cspm_ai.inventory.database import (
    SCHEMA_HEAD,
    migration_config,
    open_database,
    stamped_revisions,
    upgrade_database,
)
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


def _migrated(database_url: str) -> Engine:
    """The empty database at `database_url` migrated by running every shipped migration (`open_database`
    gives an empty database the declared schema at once instead)."""
    engine = create_engine(database_url)
    with engine.begin() as connection, migration_config(connection) as config:
        command.upgrade(config, "head")
    return engine


def _schema(engine: Engine) -> dict[str, object]:
    """Everything a database's schema declares, table by table, as the inspector reads it back."""
    insp = inspect(engine)
    return {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"), c.get("autoincrement"))
                for c in insp.get_columns(table)
            ],
            "primary key": insp.get_pk_constraint(table),
            "indexes": sorted((i["name"], tuple(i["column_names"]), i["unique"]) for i in insp.get_indexes(table)),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)),
            "foreign keys": sorted(
                (f["name"], tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                + tuple(sorted(f.get("options", {}).items()))
                for f in insp.get_foreign_keys(table)
            ),
            "checks": sorted((c["name"], c["sqltext"]) for c in insp.get_check_constraints(table)),
        }
        for table in sorted(insp.get_table_names())
    }


def test_an_empty_database_is_given_what_every_migration_builds(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        given = _schema(engine)
        with engine.connect() as connection:
            assert stamped_revisions(connection) == {SCHEMA_HEAD}
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE alembic_version"))
    finally:
        engine.dispose()
    migrated = _migrated(database_url)
    try:
        assert _schema(migrated) == given
        with migrated.connect() as connection:
            assert stamped_revisions(connection) == {SCHEMA_HEAD}
    finally:
        migrated.dispose()


def test_schema_head_is_the_latest_migration() -> None:
    with migration_config() as config:
        assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_HEAD]


def test_a_database_at_head_is_opened_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}"
    code = (
        "import sys\n"
        "from cspm_ai.inventory.database import open_database\n"
        f"open_database({url!r}).dispose()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    for _ in ("empty", "at head"):
        opened = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert opened.stdout.strip() == "[]"


def test_migrations_create_the_declared_schema(database_url: str) -> None:
    engine = _migrated(database_url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == TABLES | {"alembic_version"}
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_constraint_and_index_names_follow_the_convention(database_url: str) -> None:
    engine = _migrated(database_url)
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
