"""`cspm-ai schedule`: scans stored in the inventory to run on a schedule, and one run of them now."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from cspm_ai.cli.app import CspmTyper, DbOpt, app
from cspm_ai.cli.output import _console, safe_text
from cspm_ai.cli.runs import _open_inventory, _settings
from cspm_ai.errors import ConfigError, CspmError

schedule_app = CspmTyper(help="Scans run on a schedule (by `cspm-ai scheduler`, or cron with `schedule run`).")
app.add_typer(schedule_app, name="schedule", rich_help_panel="Distributed", no_args_is_help=True)


@schedule_app.command("add")
def schedule_add(
    name: Annotated[str, typer.Argument(help="A name for the schedule (letters, digits, . _ -).")],
    command: Annotated[
        list[str], typer.Argument(help="The scan to run, after `--`: scan aws|azure|gcp and its options.")
    ],
    every: Annotated[Optional[str], typer.Option("--every", help="Run every so long: 30m, 24h, 7d.")] = None,
    cron: Annotated[
        Optional[str], typer.Option("--cron", help='Run at the times of a cron line, in UTC: "0 3 * * *".')
    ] = None,
    db: DbOpt = None,
) -> None:
    """Store a scan to run on a schedule.

    e.g. `cspm-ai schedule add nightly --cron "0 3 * * *" -- scan aws --regions eu-west-1`
    """
    from cspm_ai.distributed.schedules import check_command, check_cron, check_name, parse_every

    if (every is None) == (cron is None):
        raise ConfigError("Give exactly one of --every and --cron.", 'e.g. --every 24h, or --cron "0 3 * * *".')
    check_name(name)
    interval = parse_every(every) if every is not None else None
    line = check_cron(cron) if cron is not None else None
    words = check_command(command)
    inventory = _open_inventory(db, _settings())
    added = inventory.add_schedule(name, words, interval_seconds=interval, cron=line)
    _console().print(Text(f"added schedule {added.name}: {added.timing}: cspm-ai {' '.join(added.command)}"))


@schedule_app.command("list")
def schedule_list(db: DbOpt = None) -> None:
    """The stored schedules, each with its last run."""
    inventory = _open_inventory(db, _settings())
    schedules = inventory.schedules()
    console = _console()
    if not schedules:
        console.print("No schedule is stored. Add one with `cspm-ai schedule add NAME --every 24h -- scan …`.")
        return
    table = Table("name", "when", "command", "last run", "status", "scan")
    for item in schedules:
        last = item.last_run
        table.add_row(
            safe_text(item.name),
            item.timing,
            safe_text("cspm-ai " + " ".join(item.command)),
            f"{last.started_at:%Y-%m-%d %H:%M:%S} UTC" if last else "never",
            _status(last.status, last.exit_code) if last else "",
            (last.scan_id or "")[:8] if last else "",
        )
    console.print(table)


def _status(status: str, exit_code: int | None) -> str:
    return f"{status} (exit {exit_code})" if exit_code not in (None, 0) else status


@schedule_app.command("runs")
def schedule_runs(
    name: Annotated[str, typer.Argument(help="The schedule.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs, newest first.")] = 20,
    db: DbOpt = None,
) -> None:
    """A schedule's runs, newest first: done, failed, skipped (the previous run was still going) or abandoned."""
    inventory = _open_inventory(db, _settings())
    table = Table("started", "status", "mode", "runner", "scan", "note")
    for run in inventory.schedule_runs(name, limit):
        table.add_row(
            f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC",
            _status(run.status, run.exit_code),
            run.mode,
            safe_text(run.runner),
            (run.scan_id or "")[:8],
            safe_text(run.message or ""),
        )
    _console().print(table)


@schedule_app.command("remove")
def schedule_remove(name: Annotated[str, typer.Argument(help="The schedule.")], db: DbOpt = None) -> None:
    """Delete a schedule and the record of its runs; the scans it stored stay."""
    inventory = _open_inventory(db, _settings())
    removed = inventory.remove_schedule(name)
    _console().print(Text(f"removed schedule {removed.name} ({removed.timing})"))


@schedule_app.command("run")
def schedule_run(name: Annotated[str, typer.Argument(help="The schedule.")], db: DbOpt = None) -> None:
    """Run a schedule's scan now in this process, under its lock (for cron, systemd timers, CronJobs).

    Exits as the scan does (0, or 1 with --fail-on), 2 if it failed, 3 if skipped because the previous run
    is still going.
    """
    from datetime import timedelta

    from cspm_ai.distributed.model import parse_duration
    from cspm_ai.distributed.schedules import LEASE_MARGIN, run_schedule

    settings = _settings()
    inventory = _open_inventory(db, settings)
    lease = timedelta(seconds=parse_duration(settings.distributed.deadline, "[distributed] deadline"))
    run = run_schedule(inventory, name, mode="process", lease=lease + LEASE_MARGIN)
    console = _console()
    if run.status == "skipped":
        console.print(Text(f"skipped schedule {name}: {run.message}"))
        raise typer.Exit(3)
    if run.status != "done":
        raise CspmError(
            f"Schedule {name}'s run failed: {run.message}", f"`cspm-ai schedule runs {name}` lists its runs."
        )
    console.print(Text(f"schedule {name}: {_status(run.status, run.exit_code)}, scan {run.scan_id}"))
    raise typer.Exit(run.exit_code or 0)
