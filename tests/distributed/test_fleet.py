"""Each guarantee of distributed mode, with the real broker (Redis and RabbitMQ), the real PostgreSQL and
two real `cspm-ai worker` processes; the scan is started by the CLI in this process, as a user would.

The estate is the recorded Google Cloud organization (three projects: three parts, one of them denied)
and the recorded Azure tenant (two subscriptions). The reference is the one-process scan of the same
estate, on SQLite.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cspm_ai.cli import main
from cspm_ai.errors import NotFoundError
from cspm_ai.inventory import Inventory
from tests.distributed.conftest import ORGANIZATION, REDIS, Fleet, wait_for

pytestmark = pytest.mark.postgres

GCP_SCAN = ["scan", "gcp", "--organization", ORGANIZATION]
AZURE_SCAN = ["scan", "azure"]


def run_cli(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def findings_of(url: str, scan_id: str | None = None) -> tuple[Any, set[tuple[str, str, str]]]:
    with Inventory.open(url) as inventory:
        scan = inventory.get_scan(scan_id or "latest")
        return scan, {(f.id, f.status.value, f.message) for f in inventory.findings(scan.id)}


Reference = tuple[set[tuple[str, str, str]], dict[str, int]]


@pytest.fixture(scope="session")
def references(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the one-process scans of this run are kept, shared by the pytest processes of one `-n` run (each is
    made once, under a lock)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "fleet-references"
    folder.mkdir(exist_ok=True)
    return folder


def reference(references: Path, argv: list[str]) -> Reference:
    """The one-process scan of the same estate (its own SQLite inventory, so no history differs): its findings
    and how many rows of each kind it stored."""
    stored = references / f"{argv[1]}.json"
    with (references / f"{argv[1]}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stored.is_file():
            url = f"sqlite:///{references / (argv[1] + '-reference.db')}"
            assert run_cli([*argv, "--db", url, "--output-dir", str(references / argv[1])]) == 0
            scan, found = findings_of(url)
            stored.write_text(json.dumps({"findings": sorted(found), "counts": row_counts(url, scan.id)}))
    data = json.loads(stored.read_text())
    return {(i, status, message) for i, status, message in data["findings"]}, data["counts"]


def on_fleet(fleet: Fleet, tmp_path: Path, argv: list[str], *extra: str) -> int:
    out = tmp_path / "fleet"
    return run_cli(
        [*argv, "--distributed", "--broker", fleet.broker, "--db", fleet.db, "--output-dir", str(out), *extra]
    )


def row_counts(url: str, scan_id: str) -> dict[str, int]:
    with Inventory.open(url) as inventory, inventory.engine.connect() as connection:
        counts = {}
        for table in ("resources", "relations", "collection_errors", "findings"):
            query = text(f"SELECT count(*) FROM {table} WHERE scan_id = :scan")  # noqa: S608  (fixed table names)
            counts[table] = int(connection.execute(query, {"scan": scan_id}).scalar_one())
        duplicates = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT uid FROM resources WHERE scan_id = :scan"
                " GROUP BY uid HAVING count(*) > 1) d"
            ),
            {"scan": scan_id},
        ).scalar_one()
        counts["duplicate uids"] = int(duplicates)
    return counts


@pytest.mark.usefixtures("estates")
def test_the_fleet_finds_what_one_process_finds(fleet: Fleet, tmp_path: Path, references: Path) -> None:
    # Both clouds on one broker; the other broker's worth is in delivery, not in the cloud.
    for argv in (GCP_SCAN, AZURE_SCAN) if fleet.broker == REDIS else (GCP_SCAN,):
        expected, counts = reference(references, argv)
        assert on_fleet(fleet, tmp_path, argv) == 0
        scan, found = findings_of(fleet.db)
        assert found == expected
        assert row_counts(fleet.db, scan.id) == counts
        with Inventory.open(fleet.db) as inventory:
            parts = inventory.part_states(scan.id)
        assert len(parts) == {"gcp": 3, "azure": 2}[argv[1]]
        assert {p.status for p in parts} == {"stored"} and all(p.attempts == 1 for p in parts)
        assert scan.status == "incomplete"  # the denied project or subscription, as in one process
    assert (tmp_path / "fleet" / "report.json").is_file() and (tmp_path / "fleet" / "report.html").is_file()


def _running_part(url: str, key: str) -> tuple[str, int] | None:
    with Inventory.open(url) as inventory:
        try:
            scan = inventory.get_scan("latest")
        except NotFoundError:  # the scan has not begun yet
            return None
        for part in inventory.part_states(scan.id):
            if part.key == key and part.status == "running" and part.worker:
                return scan.id, int(part.worker.rsplit(":", 1)[1])
    return None


@pytest.mark.usefixtures("estates")
def test_a_part_whose_worker_is_killed_is_redelivered_and_stored_once(
    fleet: Fleet, tmp_path: Path, references: Path
) -> None:
    expected, reference_counts = reference(references, GCP_SCAN)
    # The dev project's part waits 4 s before collecting: long enough to be killed while it runs.
    fleet.set_faults("ml-dev-7781=slow:4")
    codes: list[int] = []
    scanning = threading.Thread(target=lambda: codes.append(on_fleet(fleet, tmp_path, GCP_SCAN)))
    scanning.start()
    scan_id, pid = wait_for(lambda: _running_part(fleet.db, "gcp:ml-dev-7781"), 60, "the slow part to start")  # type: ignore[misc]
    fleet.set_faults("")  # the redelivery collects at once
    os.kill(pid, signal.SIGKILL)  # the pool process collecting it, as the out-of-memory killer would
    scanning.join(timeout=60)
    assert codes == [0]
    scan, found = findings_of(fleet.db, scan_id)
    assert found == expected
    with Inventory.open(fleet.db) as inventory:
        dev = next(p for p in inventory.part_states(scan_id) if p.key == "gcp:ml-dev-7781")
    assert dev.status == "stored" and dev.attempts == 2
    assert dev.worker is not None and not dev.worker.endswith(f":{pid}")
    assert row_counts(fleet.db, scan_id) == reference_counts


@pytest.mark.usefixtures("estates")
def test_a_part_whose_whole_worker_is_killed_is_redelivered_to_the_other_at_once_on_rabbitmq(
    rabbitmq_fleet: Fleet, tmp_path: Path, references: Path
) -> None:
    """The worker's main process and its pool die together, as when its machine dies: RabbitMQ requeues the
    part as the connection drops, the other worker stores it, and the scan is the one-process scan. (Redis
    redelivers only after its visibility timeout, minutes later: see the README.)"""
    fleet = rabbitmq_fleet
    expected, reference_counts = reference(references, GCP_SCAN)
    # The dev project's part waits 5 s before collecting: it is killed as soon as it is seen running.
    fleet.set_faults("ml-dev-7781=slow:5")
    codes: list[int] = []
    scanning = threading.Thread(target=lambda: codes.append(on_fleet(fleet, tmp_path, GCP_SCAN)))
    scanning.start()
    scan_id, pool_pid = wait_for(lambda: _running_part(fleet.db, "gcp:ml-dev-7781"), 60, "the slow part to start")  # type: ignore[misc]
    lost = fleet.worker_of(pool_pid)
    (survivor,) = [worker for worker in fleet.workers if worker is not lost]
    fleet.kill_worker(lost)
    fleet.set_faults("")  # after the kill, so the first attempt cannot finish; the redelivery collects at once
    scanning.join(timeout=60)
    assert codes == [0]
    assert not lost.alive() and survivor.alive()
    scan, found = findings_of(fleet.db, scan_id)
    assert found == expected
    assert row_counts(fleet.db, scan_id) == reference_counts
    with Inventory.open(fleet.db) as inventory:
        dev = next(p for p in inventory.part_states(scan_id) if p.key == "gcp:ml-dev-7781")
    assert dev.status == "stored" and dev.attempts == 2 and dev.worker is not None
    assert os.getpgid(int(dev.worker.rsplit(":", 1)[1])) == survivor.pid


def _parts(url: str, scan_id: str) -> dict[str, Any]:
    with Inventory.open(url) as inventory:
        return {p.key: p for p in inventory.part_states(scan_id)}


def _error_accounts(url: str, scan_id: str) -> set[str]:
    """The accounts (projects) of the scan's ERROR findings that say a part was given up."""
    with Inventory.open(url) as inventory:
        return {
            f.account
            for f in inventory.findings(scan_id)
            if f.status.value == "ERROR" and ("Gave up" in f.message or "failed 2 time(s)" in f.message)
        }


@pytest.mark.usefixtures("estates")
def test_a_part_that_keeps_failing_is_error_for_its_project_after_bounded_attempts(
    redis_fleet: Fleet, tmp_path: Path, config_file: Any
) -> None:
    """One project's collection raises every time; another's kills its worker every time (a poisoned
    account): after two attempts each is ERROR for its project, and the third project is stored."""
    config_file(redis_fleet.config(deadline="120s", attempts=2))
    redis_fleet.set_faults("ml-dev-7781=fail,ml-prod-4521=crash")
    assert on_fleet(redis_fleet, tmp_path, GCP_SCAN) == 0
    scan, _found = findings_of(redis_fleet.db)
    assert scan.status == "incomplete"
    parts = _parts(redis_fleet.db, scan.id)
    assert parts["gcp:ml-denied-9001"].status == "stored"
    dev, prod = parts["gcp:ml-dev-7781"], parts["gcp:ml-prod-4521"]
    assert (dev.status, dev.attempts) == ("error", 2) and "the test made ml-dev-7781 fail" in (dev.error or "")
    assert (prod.status, prod.attempts) == ("error", 2) and "Gave up" in (prod.error or "")
    assert _error_accounts(redis_fleet.db, scan.id) == {"ml-dev-7781", "ml-prod-4521"}


@pytest.mark.usefixtures("estates")
def test_a_stuck_part_blocks_no_other_and_its_scan_is_incomplete_at_the_deadline(
    redis_fleet: Fleet, tmp_path: Path, config_file: Any
) -> None:
    config_file(redis_fleet.config(deadline="12s"))
    redis_fleet.set_faults("ml-dev-7781=hang")
    stuck: list[int] = []

    def note_stuck() -> bool:
        found = _running_part(redis_fleet.db, "gcp:ml-dev-7781")
        if found:
            stuck.append(found[1])
        return bool(found)

    watcher = threading.Thread(target=lambda: wait_for(note_stuck, 30, "the stuck part to start"))
    watcher.start()
    try:
        assert on_fleet(redis_fleet, tmp_path, GCP_SCAN) == 0
    finally:
        watcher.join()
        for pid in stuck[-1:]:
            os.kill(pid, signal.SIGKILL)  # free the worker for the next test
    scan, _found = findings_of(redis_fleet.db)
    assert scan.status == "incomplete" and scan.finished_at is not None
    parts = _parts(redis_fleet.db, scan.id)
    assert {k: p.status for k, p in parts.items()} == {
        "gcp:ml-prod-4521": "stored",
        "gcp:ml-denied-9001": "stored",
        "gcp:ml-dev-7781": "error",
    }
    assert "deadline" in (parts["gcp:ml-dev-7781"].error or "")


def test_a_worker_imports_the_cloud_client_libraries_before_it_forks_its_pool() -> None:
    import sys

    from collectors.gcp.api import _MODULES
    from cspm_ai.distributed.parts import preload_clients

    assert preload_clients() == []
    assert all(module in sys.modules for module in _MODULES.values())
