"""`cspm-ai scheduler` (Celery beat and the threads that run the schedules) firing a due schedule end to end:
the scan runs on the fleet's two workers, is stored in PostgreSQL, and the run is recorded against its scan."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from cspm_ai.inventory import Inventory
from tests.distributed.conftest import ORGANIZATION, Fleet, run_due_schedule

pytestmark = pytest.mark.postgres


def test_the_scheduler_runs_a_due_schedule_on_the_workers(redis_fleet: Fleet, tmp_path: Path) -> None:
    fleet = redis_fleet
    command = ["scan", "gcp", "--organization", ORGANIZATION, "--output-dir", str(tmp_path / "reports")]
    with Inventory.open(fleet.db) as inventory:
        inventory.add_schedule("hourly", command, interval_seconds=3600)
    run = run_due_schedule(fleet, tmp_path, "hourly", 60)
    assert run.status == "done" and run.mode == "distributed" and run.scan_id, run  # type: ignore[attr-defined]
    with Inventory.open(fleet.db) as inventory:
        parts = inventory.part_states(run.scan_id)  # type: ignore[attr-defined]
        scan = inventory.get_scan(run.scan_id)  # type: ignore[attr-defined]
        runs = inventory.schedule_runs("hourly")
    assert {p.status for p in parts} == {"stored"} and len(parts) == 3
    assert scan.finished_at is not None
    assert len(runs) == 1  # fired once: the next run is an hour away
    assert (tmp_path / "reports" / "report.json").is_file()


@pytest.mark.usefixtures("estates")
def test_schedule_run_scans_in_one_process_and_skips_while_the_previous_run_holds_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What cron, a systemd timer or a CronJob calls: the scan in this process, under the schedule's lock."""
    from cspm_ai.cli import main

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, capsys.readouterr().out

    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    command = ["scan", "gcp", "--organization", ORGANIZATION, "--output-dir", str(tmp_path / "reports")]
    assert run("schedule", "add", "nightly", "--cron", "0 3 * * *", "--db", db, "--", *command)[0] == 0
    code, out = run("schedule", "run", "nightly", "--db", db)
    assert code == 0 and "schedule nightly: done, scan " in out
    with Inventory.open(db) as inventory:
        (done,) = inventory.schedule_runs("nightly")
        assert done.status == "done" and done.mode == "process" and done.scan_id
        assert inventory.get_scan(done.scan_id).finished_at is not None
        # Another runner holds the lock (a run still going elsewhere): this one is skipped, and says so.
        inventory.start_run("nightly", mode="process", runner="elsewhere:1", lease=timedelta(hours=1))
    code, out = run("schedule", "run", "nightly", "--db", db)
    assert code == 3 and "skipped schedule nightly" in out and "is still going" in out
    with Inventory.open(db) as inventory:
        assert [r.status for r in inventory.schedule_runs("nightly")] == ["skipped", "running", "done"]
    assert (tmp_path / "reports" / "report.json").is_file()
