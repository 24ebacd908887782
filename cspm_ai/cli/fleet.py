"""Distributed mode: `cspm-ai worker`, `cspm-ai scheduler`, and what `scan ... --distributed` does.

Celery is imported only here, inside the commands (the `distributed` extra); without it these commands
stop with one line naming the extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.text import Text

from cspm_ai.cli.app import DbOpt, app
from cspm_ai.cli.output import _progress
from cspm_ai.cli.runs import _open_inventory, _settings
from cspm_ai.config import Settings

if TYPE_CHECKING:
    from cspm_ai.cli.runs import _Run
    from cspm_ai.distributed.fleet import CeleryExecutor
    from cspm_ai.inventory import Inventory
    from cspm_ai.model import ScanRecord

BrokerOpt = Annotated[
    Optional[str],
    typer.Option(
        "--broker", help="Broker URL: redis://host:6379/0 or amqp://user@host:5672// (or [distributed] broker)."
    ),
]
DistributedOpt = Annotated[
    bool,
    typer.Option(
        "--distributed",
        help="Run one task per account on the workers (needs --broker and a PostgreSQL --db; see the README).",
    ),
]


@dataclass
class Fleet:
    """What a distributed scan needs, checked before any cloud is called."""

    executor: CeleryExecutor
    deadline: timedelta
    attempts: int


def _durations(settings: Settings) -> tuple[timedelta, int]:
    from cspm_ai.distributed.model import parse_duration

    deadline = timedelta(seconds=parse_duration(settings.distributed.deadline, "[distributed] deadline"))
    limit = parse_duration(settings.distributed.part_time_limit, "[distributed] part_time_limit")
    return deadline, limit


def _app(settings: Settings, broker: str | None, inventory: Inventory) -> Any:
    from cspm_ai.distributed import fleet

    fleet.require_celery()
    url = fleet.check_broker_url(broker or settings.distributed.broker)
    database = fleet.check_fleet_inventory(inventory)
    _, limit = _durations(settings)
    celery = fleet.make_app(url, database, part_time_limit_s=limit, queues=settings.distributed.queues)
    fleet.check_broker(celery)
    return celery


def fleet_for(run: _Run, distributed: bool, broker: str | None) -> Fleet | None:
    """The fleet a scan runs on, when asked (`--distributed` or `[distributed] enabled`), else None: the broker
    reachable and the inventory PostgreSQL, or one error line before anything else happens."""
    settings = run.settings
    if not (distributed or settings.distributed.enabled):
        return None
    from cspm_ai.distributed import fleet

    celery = _app(settings, broker, run.inventory)
    fleet.prepare_results(celery)
    deadline, _ = _durations(settings)
    return Fleet(fleet.CeleryExecutor(celery, deadline.total_seconds()), deadline, settings.distributed.attempts)


def scan_on_fleet(
    run: _Run,
    fleet: Fleet,
    provider: str,
    accounts: Sequence[str],
    part_settings: dict[str, Any],
    *,
    allowed_regions: Sequence[str] | None,
    options: dict[str, object],
) -> ScanRecord:
    """One scan, one part per account, on the fleet; prints a line per part that did not store cleanly."""
    from cspm_ai.distributed.parts import plan_parts
    from cspm_ai.scan import run_partitioned_scan

    label = f"Scanning {len(accounts)} {provider} account(s) on the workers"
    with _progress(run.console, label):
        scan = run_partitioned_scan(
            run.inventory,
            [provider],
            lambda scan_id: plan_parts(scan_id, provider, accounts, part_settings),
            fleet.executor,
            allowed_regions=allowed_regions,
            options=options,
            mutelist=run.mutelist,
            deadline=fleet.deadline,
            attempts=fleet.attempts,
        )
    states = run.inventory.part_states(scan.id)
    stored = sum(1 for s in states if s.status == "stored")
    run.console.print(Text(f"Parts: {stored} of {len(states)} stored by the workers."))
    for state in states:
        if state.status != "stored":
            run.console.print(Text(f"  {state.key}: ERROR after {state.attempts} attempt(s): {state.error or ''}"))
    return scan


@app.command(rich_help_panel="Distributed")
def worker(
    broker: BrokerOpt = None,
    db: DbOpt = None,
    concurrency: Annotated[
        Optional[int],
        typer.Option(
            "--concurrency", min=1, max=256, help="Parts collected at once, one per process (default: usable cores)."
        ),
    ] = None,
) -> None:
    """Start a worker that collects scan parts (accounts) into the shared PostgreSQL inventory.

    It reads each account with this machine's own credentials; credentials never travel in tasks.
    """
    from cspm_ai.distributed import fleet
    from cspm_ai.executor import usable_cores

    settings = _settings()
    inventory = _open_inventory(db, settings)
    try:
        celery = _app(settings, broker, inventory)
    finally:
        inventory.close()
    fleet.run_worker(celery, concurrency=concurrency or settings.distributed.concurrency or usable_cores())


@app.command(rich_help_panel="Distributed")
def scheduler(
    broker: BrokerOpt = None,
    db: DbOpt = None,
) -> None:
    """Start the scheduler (Celery beat) that runs the stored schedules' scans on the workers.

    Never two runs of one schedule at once; it also finishes scans whose deadline passed. Run one.
    """
    from cspm_ai.distributed import fleet

    settings = _settings()
    inventory = _open_inventory(db, settings)
    try:
        celery = _app(settings, broker, inventory)
    finally:
        inventory.close()
    deadline, _ = _durations(settings)
    celery.conf.cspm_ai_lease_s = deadline.total_seconds()
    fleet.run_scheduler(celery)
