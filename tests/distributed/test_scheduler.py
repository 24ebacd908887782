"""`cspm-ai scheduler` (Celery beat and the threads that run the schedules) firing a due schedule end to end:
the scan runs on the fleet's two workers, is stored in PostgreSQL, and the run is recorded against its scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from cspm_ai.inventory import Inventory
from cspm_ai.inventory.schema import ScheduleRow
from tests.distributed.conftest import ORGANIZATION, Fleet, wait_for

pytestmark = pytest.mark.postgres


def test_the_scheduler_runs_a_due_schedule_on_the_workers(redis_fleet: Fleet, tmp_path: Path) -> None:
    fleet = redis_fleet
    command = ["scan", "gcp", "--organization", ORGANIZATION, "--output-dir", str(tmp_path / "reports")]
    with Inventory.open(fleet.db) as inventory:
        inventory.add_schedule("hourly", command, interval_seconds=3600)
        # Added two hours ago and never run: due the moment the scheduler starts.
        with inventory.engine.begin() as connection:
            connection.execute(update(ScheduleRow).values(created_at=datetime.now(UTC) - timedelta(hours=2)))
    config = tmp_path / "scheduler.toml"
    config.write_text(fleet.config(deadline="60s"))
    scheduler = fleet.start("scheduler", config=config)
    try:

        def finished_run() -> object:
            with Inventory.open(fleet.db) as inventory:
                runs = inventory.schedule_runs("hourly")
            return runs[0] if runs and runs[0].status != "running" else None

        run = wait_for(finished_run, 60, "the scheduled run to finish")
    except AssertionError:
        raise AssertionError("\n".join(scheduler.lines[-60:])) from None
    finally:
        scheduler.stop()
    assert run.status == "done" and run.mode == "distributed" and run.scan_id, run  # type: ignore[attr-defined]
    with Inventory.open(fleet.db) as inventory:
        parts = inventory.part_states(run.scan_id)  # type: ignore[attr-defined]
        scan = inventory.get_scan(run.scan_id)  # type: ignore[attr-defined]
        runs = inventory.schedule_runs("hourly")
    assert {p.status for p in parts} == {"stored"} and len(parts) == 3
    assert scan.finished_at is not None
    assert len(runs) == 1  # fired once: the next run is an hour away
    assert (tmp_path / "reports" / "report.json").is_file()
