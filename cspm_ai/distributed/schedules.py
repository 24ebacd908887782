"""Scheduled scans: their timing, the command they run, and one run under the schedule's overlap lock.

A schedule stores a `scan ...` command line. `run_schedule` takes the schedule's lock in the inventory
(a `running` run; at most one per schedule), runs the command in this process (the scheduler adds
`--distributed`; `cspm-ai schedule run` from cron or a timer does not) and records how it ended. A run
that finds the lock held records itself as skipped; a lock held past its lease (its runner died) is
recorded as abandoned and taken over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta

from cspm_ai.distributed.model import ScheduleRun, parse_duration
from cspm_ai.distributed.parts import worker_name
from cspm_ai.errors import ConfigError, CspmError
from cspm_ai.inventory import Inventory
from cspm_ai.logsafe import scrub

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_INTERVAL_S = 60
SCAN_PROVIDERS = ("aws", "azure", "gcp")
# Options the runner decides, never the stored command: where the scan is stored and how it runs.
RUNNER_OPTIONS = ("--db", "--distributed", "--broker")
# A run's lock outlives the scan's deadline by this much before another run may take it over.
LEASE_MARGIN = timedelta(minutes=15)

_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    ),
    ("day of week", 0, 6, {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}),
)
_CRON_HINT = 'Five fields, minute hour day-of-month month day-of-week, in UTC: e.g. "0 3 * * *" (03:00 every day).'


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ConfigError(
            f"Schedule name {name!r} is not allowed.",
            "Use up to 64 letters, digits, dots, dashes and underscores, starting with a letter or digit.",
        )
    return name


def parse_every(value: str) -> int:
    seconds = parse_duration(value, "--every")
    if seconds < MIN_INTERVAL_S:
        raise ConfigError(f"--every {value} is shorter than a minute.", "Use --every 1m or longer.")
    return seconds


def _cron_value(token: str, lo: int, hi: int, names: dict[str, int]) -> int:
    value = names.get(token.lower()) if not token.isdigit() else int(token)
    if value is None or not lo <= value <= hi:
        raise ValueError(token)
    return value


def _check_cron_item(item: str, lo: int, hi: int, names: dict[str, int]) -> None:
    body, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        raise ValueError(item)
    if body == "*":
        return
    start, _, end = body.partition("-")
    first = _cron_value(start, lo, hi, names)
    if end and _cron_value(end, lo, hi, names) < first:
        raise ValueError(item)
    if step and not end:
        raise ValueError(item)


def check_cron(line: str) -> str:
    """A five-field cron line (numbers, names of months and days, `*`, ranges, lists, steps), normalised."""
    fields = line.split()
    if len(fields) != len(_CRON_FIELDS):
        raise ConfigError(f"--cron {line!r} does not have five fields.", _CRON_HINT)
    for value, (what, lo, hi, names) in zip(fields, _CRON_FIELDS, strict=True):
        try:
            for item in value.split(","):
                _check_cron_item(item, lo, hi, names)
        except ValueError:
            raise ConfigError(f"--cron {line!r}: {value!r} is not a valid {what} ({lo}-{hi}).", _CRON_HINT) from None
    return " ".join(fields)


def check_command(command: Sequence[str]) -> list[str]:
    """The scan command a schedule runs: `scan aws|azure|gcp` and its options, parsed now so a typo is found
    when the schedule is added, not at 03:00."""
    words = list(command)
    if len(words) < 2 or words[0] != "scan" or words[1] not in SCAN_PROVIDERS:
        raise ConfigError(
            "A schedule runs a scan: put `scan aws|azure|gcp` and its options after `--`.",
            'e.g. cspm-ai schedule add nightly --cron "0 3 * * *" -- scan aws --regions eu-west-1',
        )
    runner = [w for w in words if w.split("=", 1)[0] in RUNNER_OPTIONS]
    if runner:
        raise ConfigError(
            f"A scheduled scan cannot set {runner[0].split('=', 1)[0]}.",
            "It is stored in the schedule's own inventory; the scheduler runs it on the fleet, "
            "`cspm-ai schedule run` in one process.",
        )
    _parse_scan(words)
    return words


def _parse_scan(words: list[str]) -> None:
    import typer

    from cspm_ai.cli import app
    from cspm_ai.cli.app import click_exceptions

    root = typer.main.get_command(app)
    clicks = click_exceptions()
    context = root.make_context("cspm-ai", ["scan"], resilient_parsing=True)
    group = root.get_command(context, "scan")  # type: ignore[attr-defined]
    command = group.get_command(context, words[1])
    try:
        command.make_context(f"scan {words[1]}", words[2:], parent=context)
    except clicks.ClickException as exc:
        raise ConfigError(f"The scheduled command is not valid: {exc.format_message()}", _SCAN_HELP) from exc


_SCAN_HELP = "See `cspm-ai scan aws --help` (or azure, gcp) for its options."


def invoke_cli(argv: Sequence[str]) -> int:
    """Run one cspm-ai command in this process; its exit code (a `CspmError` is raised as is)."""
    import typer

    from cspm_ai.cli import app
    from cspm_ai.cli.app import click_exceptions

    clicks = click_exceptions()
    try:
        code = app(args=list(argv), prog_name="cspm-ai", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except clicks.ClickException as exc:
        raise ConfigError(f"The scheduled command is not valid: {exc.format_message()}", _SCAN_HELP) from exc
    return code if isinstance(code, int) else 0


def run_schedule(
    inventory: Inventory,
    name: str,
    *,
    mode: str,
    extra: Sequence[str] = (),
    lease: timedelta | None = None,
    invoke: Callable[[Sequence[str]], int] = invoke_cli,
) -> ScheduleRun:
    """One run of schedule `name` under its lock: skipped (recorded) when the previous run still holds it."""
    from cspm_ai.scan import DEFAULT_DEADLINE, began_scans

    schedule = inventory.schedule(name)
    run = inventory.start_run(name, mode=mode, runner=worker_name(), lease=lease or DEFAULT_DEADLINE + LEASE_MARGIN)
    if run.status != "running":
        return run
    database = inventory.engine.url.render_as_string(hide_password=False)
    began: list[str] = []
    token = began_scans.set(began)
    status, code, message = "done", 0, None
    try:
        code = invoke([*schedule.command, "--db", database, *extra])
    except CspmError as exc:
        status, code, message = "failed", exc.exit_code, scrub(f"{exc.message} {exc.hint}".strip())
    except Exception as exc:  # noqa: BLE001  (recorded on the run: the lock must be released whatever happened)
        status, code, message = "failed", 70, scrub(f"internal error: {type(exc).__name__}: {exc}")
    finally:
        began_scans.reset(token)
    if status == "done" and not began:
        status = "failed"
        message = message or f"the command exited {code} before a scan began"
    inventory.finish_run(run.id, status=status, scan_id=began[-1] if began else None, exit_code=code, message=message)
    return next(r for r in inventory.schedule_runs(name, limit=5) if r.id == run.id)
