"""What every report-writing command does first and last: settings, inventory, output, reports, exit code."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from cspm_ai import __version__
from cspm_ai.cli.app import _State
from cspm_ai.cli.output import _console, _print_summary
from cspm_ai.config import Settings, load_settings
from cspm_ai.errors import ConfigError, OutputError
from cspm_ai.model import SEVERITY_ORDER, Finding, Severity, Status

if TYPE_CHECKING:
    from cspm_ai.history import FindingChange, ScanDiff
    from cspm_ai.inventory import Inventory
    from cspm_ai.model import ScanRecord
    from cspm_ai.mutelist import Mutelist


REPORT_FORMATS = ("json", "html")


def _settings() -> Settings:
    return load_settings(_State.config_path)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def _formats(value: str | None, settings: Settings) -> list[str]:
    chosen = _split(value) or settings.formats
    unknown = [f for f in chosen if f not in REPORT_FORMATS]
    if unknown:
        raise ConfigError(
            f"Unknown report format {', '.join(map(repr, unknown))}.", f"Choose from: {', '.join(REPORT_FORMATS)}."
        )
    return chosen


def _output_dir(value: Path | None, settings: Settings) -> Path:
    """The report directory, created (0700) and proven writable before any long work starts."""
    from cspm_ai.files import private_directory

    directory = (value or settings.output_dir or Path(".")).expanduser()
    try:
        private_directory(directory)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".cspm-ai-probe-"):
            pass
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OutputError(
            f"Cannot write reports to {directory}: {reason}.", "Pass --output-dir with a directory you can write to."
        ) from exc
    return directory


def _open_inventory(db: str | None, settings: Settings) -> Inventory:
    from cspm_ai.inventory import Inventory

    return Inventory.open(db or settings.db)


@dataclass
class _Run:
    """What every report-writing command needs, validated before any long work starts."""

    settings: Settings
    console: Console
    formats: list[str]
    directory: Path
    inventory: Inventory
    mutelist: Mutelist | None = None
    notify: list[str] = field(default_factory=list)


def _prepare(
    db: str | None,
    output_dir: Path | None,
    format: str | None,
    default_db: Callable[[], str] | None = None,
    mutelist: Path | None = None,
    notify: Sequence[str] | None = None,
) -> _Run:
    settings = _settings()
    formats = _formats(format, settings)
    rules = _mutelist(mutelist, settings)
    targets = _notify_targets(notify, settings)
    directory = _output_dir(output_dir, settings)
    url = db or (default_db() if default_db else None)
    return _Run(settings, _console(), formats, directory, _open_inventory(url, settings), rules, targets)


def _notify_targets(urls: Sequence[str] | None, settings: Settings) -> list[str]:
    """--notify URLs and the config file's, checked before any long work starts."""
    targets = list(dict.fromkeys([*settings.notify, *(urls or ())]))
    if targets:
        from cspm_ai.notify import check_urls

        check_urls(targets)
    return targets


def _mutelist(path: Path | None, settings: Settings) -> Mutelist | None:
    """The exceptions file from --mutelist or the config, validated before any long work starts."""
    chosen = path or settings.mutelist
    if chosen is None:
        return None
    from cspm_ai.mutelist import load_mutelist

    return load_mutelist(chosen.expanduser())


def _changes(inventory: Inventory, scan: ScanRecord) -> ScanDiff:
    """What changed since the previous comparable scan (or, with none, only what expires soon)."""
    from cspm_ai.history import describe_scope

    previous = inventory.previous_of(scan)
    note = None
    if previous is None:
        note = (
            "No earlier finished scan covers the same providers and accounts "
            f"({describe_scope(scan.providers, scan.scopes)})."
        )
    return inventory.diff(previous, scan, note=note)


def load_for_finishing() -> None:
    """Import and compile what evaluating a scan and writing its reports need (the checks, the report
    models, the HTML template): called while a scan's regions are collected in worker processes, when
    this process would only wait, so that none of it waits for the collection to end."""
    from cspm_ai.history import diff_scans  # noqa: F401
    from cspm_ai.lineage import lineage_graph  # noqa: F401
    from cspm_ai.registry import all_checks
    from cspm_ai.report import build_report  # noqa: F401
    from reports.html_writer import load_template

    all_checks()
    load_template()


def _write_reports(
    inventory: Inventory,
    scan: ScanRecord,
    output_dir: Path,
    formats: Sequence[str],
    changes: ScanDiff | None = None,
    findings: Sequence[Finding] | None = None,
) -> list[Path]:
    """Write the scan's reports; `findings`, when the caller has just loaded them, saves loading them again."""
    from cspm_ai.lineage import lineage_graph
    from cspm_ai.report import build_report
    from reports import write_reports

    graph = lineage_graph(inventory.snapshot(scan.id))
    report = build_report(
        scan,
        graph.with_affects(findings if findings is not None else inventory.findings(scan.id)),
        inventory.errors(scan.id),
        __version__,
        inventory.attestations(),
        changes=changes if changes is not None else _changes(inventory, scan),
        trend=inventory.trend(scan),
        lineage=graph.lineages(),
    )
    return write_reports(report, output_dir, formats)


def _finish_scan(
    run: _Run, scan: ScanRecord, fail_on: Severity | None = None, fail_on_new: Severity | None = None
) -> NoReturn:
    """Write the reports, print the summary and what changed, notify, and exit 1 when --fail-on or
    --fail-on-new is met. A failed notification is a warning: it changes neither the result nor the exit code."""
    findings = run.inventory.findings(scan.id)
    changes = _changes(run.inventory, scan)
    paths = _write_reports(run.inventory, scan, run.directory, run.formats, changes=changes, findings=findings)
    _print_summary(run.console, scan, findings, paths)
    _print_changes(run.console, changes)
    failures = _new_failures(changes, findings)
    if run.notify:
        _notify(run, scan, changes, failures)
    raise typer.Exit(max(_fail_on(findings, fail_on), _fail_on_new(failures, fail_on_new)))


def _new_failures(changes: ScanDiff, findings: Sequence[Finding]) -> list[FindingChange]:
    """Unmuted failures that were not failing in the previous comparable scan (with none, every unmuted
    failure), most severe first: what --fail-on-new judges and notifications list."""
    from cspm_ai.history import finding_state

    if changes.from_scan is not None:
        return [c for c in changes.new_or_regressed() if not c.muted]
    from cspm_ai.history import FindingChange

    fresh = [
        FindingChange(**vars(finding_state(f)), previous_status=None)
        for f in findings
        if f.status == Status.FAIL and not f.muted
    ]
    return sorted(fresh, key=lambda c: (SEVERITY_ORDER[c.severity], c.check_id, c.resource_uid, c.id))


def _fail_on_new(failures: Sequence[FindingChange], threshold: Severity | None) -> int:
    if threshold is None:
        return 0
    limit = SEVERITY_ORDER[threshold]
    return 1 if any(SEVERITY_ORDER[f.severity] <= limit for f in failures) else 0


def _print_changes(console: Console, changes: ScanDiff) -> None:
    from rich.text import Text

    if changes.from_scan is None:
        console.print(Text(f"Since the last scan: nothing to compare with. {changes.note or ''}".rstrip()))
        return
    c = changes.counts
    console.print(
        Text(
            f"Since scan {changes.from_scan.id}: {c.new_failures} new failure(s), {c.regressed} regressed, "
            f"{c.resolved} resolved, {c.newly_error} newly ERROR, {c.no_longer_seen} no longer seen; "
            f"resources {c.resources_added} added, {c.resources_removed} removed, {c.resources_changed} changed "
            "(`cspm-ai diff` for details)."
        )
    )


def _notify(run: _Run, scan: ScanRecord, changes: ScanDiff, failures: Sequence[FindingChange]) -> None:
    from rich.text import Text

    from cspm_ai.notify import build_message, send

    if not failures:
        run.console.print(Text("No new failure or regression: nothing to notify."))
        return
    since = run.inventory.get_scan(changes.from_scan.id) if changes.from_scan is not None else None
    warn = _console(stderr=True)
    for delivery in send(run.notify, build_message(scan, failures, since)):
        if delivery.ok:
            run.console.print(Text(f"notified {delivery.target}"))
        else:
            warn.print(f"warning: notification to {delivery.target} failed: {delivery.reason}", style="yellow")


def _fail_on(findings: Sequence[Finding], threshold: Severity | None) -> int:
    if threshold is None:
        return 0
    limit = SEVERITY_ORDER[threshold]
    return (
        1
        if any(f.status == Status.FAIL and not f.muted and SEVERITY_ORDER[f.severity] <= limit for f in findings)
        else 0
    )
