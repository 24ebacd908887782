"""A scan process killed midway (SIGKILL: no cleanup runs) leaves the database consistent.

The killed scan stays listed as "incomplete" with nothing stored under it, earlier scans are
untouched, and the next scan stores normally, on SQLite (a temp file) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult
from cspm_ai.scan import run_scan

from .scan_worker import NOTEBOOKS_PER_SCAN, ScanProcess, Timeline, estate

SCAN_TABLES = ("resources", "relations", "findings", "collection_errors")


class EstateCollector:
    provider = "aws"

    def __init__(self, label: str) -> None:
        self.label = label

    def collect(self, progress: Callable[[int, int], None] | None = None) -> CollectionResult:
        return estate(self.label)


def stored_state(inventory: Inventory, scan_id: str) -> tuple[Any, ...]:
    snapshot = inventory.snapshot(scan_id)
    return (
        inventory.get_scan(scan_id),
        snapshot.resources,
        snapshot.relations,
        inventory.findings(scan_id),
        inventory.errors(scan_id),
    )


@pytest.fixture
def earlier_scan(database_url: str) -> tuple[str, tuple[Any, ...]]:
    """A complete scan stored before the one that gets killed, and everything it holds."""
    with Inventory.open(database_url) as inventory:
        scan = run_scan(inventory, [EstateCollector("earlier")])
        state = stored_state(inventory, scan.id)
    assert scan.status == "complete" and state[3]
    return scan.id, state


def assert_consistent_after_kill(database_url: str, killed_id: str, earlier: tuple[str, tuple[Any, ...]]) -> None:
    earlier_id, earlier_state = earlier
    with Inventory.open(database_url) as inventory:
        with inventory.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                assert connection.scalar(text("PRAGMA integrity_check")) == "ok"
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
            for table in SCAN_TABLES:
                assert (
                    connection.scalar(text(f"SELECT count(*) FROM {table} WHERE scan_id = :id"), {"id": killed_id}) == 0
                ), table

        killed = inventory.get_scan(killed_id)
        assert killed.status == "incomplete" and killed.finished_at is None and killed.scopes == ()
        assert killed_id in {scan.id for scan in inventory.list_scans()}
        snapshot = inventory.snapshot(killed_id)
        assert (snapshot.resources, snapshot.relations, inventory.findings(killed_id)) == ([], [], [])
        assert set(inventory.scan_counts(killed_id).values()) == {0}
        assert stored_state(inventory, earlier_id) == earlier_state
        # A killed scan never passes for the latest finished one.
        assert inventory.get_scan("latest").id == earlier_id

        after = run_scan(inventory, [EstateCollector("after")])
        assert after.status == "complete"
        assert len(inventory.snapshot(after.id).resources) == NOTEBOOKS_PER_SCAN + 1
        assert inventory.findings(after.id)
        assert inventory.get_scan("latest").id == after.id


def test_scan_killed_while_collecting(database_url: str, earlier_scan: tuple[str, tuple[Any, ...]]) -> None:
    timeline = Timeline()
    worker = ScanProcess(database_url, "killed", timeline)
    timeline.wait(["killed"], "collected")  # its scan row is committed; collection never returns
    killed_id = timeline.seen("killed", "begun")
    assert killed_id
    worker.kill()
    assert_consistent_after_kill(database_url, killed_id, earlier_scan)


def test_scan_killed_inside_its_final_transaction(database_url: str, earlier_scan: tuple[str, tuple[Any, ...]]) -> None:
    timeline = Timeline()
    worker = ScanProcess(database_url, "killed", timeline)
    timeline.wait(["killed"], "collected")
    worker.send("go")
    timeline.wait(["killed"], "writing")  # resources, relations and scopes written, not committed
    killed_id = timeline.seen("killed", "begun")
    assert killed_id
    with Inventory.open(database_url) as reader:
        # Another process reading meanwhile sees none of the uncommitted scan, and is not blocked.
        assert reader.get_scan(killed_id).status == "incomplete"
        assert reader.snapshot(killed_id).resources == []
    worker.kill()
    assert_consistent_after_kill(database_url, killed_id, earlier_scan)
