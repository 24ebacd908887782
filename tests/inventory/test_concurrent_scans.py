"""Two scans writing to one database at the same time both complete, each with exactly its own data.

Threads run on SQLite (a temp file) and PostgreSQL. Processes run on SQLite, whose locks are held per
process on the file, so threads alone would not prove the file locking (for PostgreSQL a thread's
connection is already a separate server session).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from cspm_ai.engine import Snapshot
from cspm_ai.inventory import Inventory
from cspm_ai.scan import evaluate_snapshot

from .scan_worker import (
    NOTEBOOKS_PER_SCAN,
    ScanProcess,
    ScanThread,
    Timeline,
    estate,
    overlap_final_transactions,
)


def assert_scan_holds_exactly(inventory: Inventory, scan_id: str, label: str) -> None:
    """The stored scan is complete and holds `estate(label)` and its findings: no more, no less."""
    scan = inventory.get_scan(scan_id)
    expected = estate(label)
    assert scan.status == "complete" and scan.finished_at is not None
    assert scan.scopes == tuple(expected.scopes)
    snapshot = inventory.snapshot(scan_id)
    assert snapshot.resources == expected.resources
    assert snapshot.relations == expected.relations
    assert inventory.errors(scan_id) == []
    findings = evaluate_snapshot(Snapshot(expected.resources, expected.relations, []), ["aws"], scan.started_at, None)
    assert {f.status for f in findings} >= {"PASS", "FAIL"}  # the estate exercises real verdicts
    assert inventory.findings(scan_id) == findings


def test_two_overlapping_scans_in_threads_both_complete_unmixed(database_url: str) -> None:
    timeline = Timeline()
    # Both open a fresh database, so their first-run migrations race as well.
    workers = [ScanThread(database_url, label, timeline) for label in ("alpha", "bravo")]
    done = overlap_final_transactions(workers, timeline, serialised=database_url.startswith("sqlite"))
    assert_both_scans_stored_unmixed(database_url, done)


def test_two_overlapping_scans_in_processes_both_complete_unmixed(tmp_path: Path) -> None:
    database_url = f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}"
    timeline = Timeline()
    workers = [ScanProcess(database_url, label, timeline) for label in ("alpha", "bravo")]
    done = overlap_final_transactions(workers, timeline, serialised=True)
    assert_both_scans_stored_unmixed(database_url, done)


def assert_both_scans_stored_unmixed(database_url: str, done: dict[str, str]) -> None:
    scan_ids = {label: detail.split()[0] for label, detail in done.items()}
    assert {detail.split()[1] for detail in done.values()} == {"complete"}
    assert len(set(scan_ids.values())) == 2
    with Inventory.open(database_url) as inventory:
        assert {scan.id for scan in inventory.list_scans()} == set(scan_ids.values())
        for label, scan_id in scan_ids.items():
            assert_scan_holds_exactly(inventory, scan_id, label)
        with inventory.engine.connect() as connection:
            # Every row belongs to one of the two scans; none was written twice or orphaned.
            per_scan = dict(connection.execute(text("SELECT scan_id, count(*) FROM resources GROUP BY scan_id")).all())
            assert per_scan == {scan_id: NOTEBOOKS_PER_SCAN + 1 for scan_id in scan_ids.values()}
            assert connection.scalar(
                text(
                    "SELECT count(*) FROM findings f JOIN resources r "
                    "ON r.scan_id = f.scan_id AND r.uid = f.resource_uid"
                )
            ) == connection.scalar(text("SELECT count(*) FROM findings"))
