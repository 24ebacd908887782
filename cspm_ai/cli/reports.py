"""Commands that read the inventory: reports, frameworks, stored scans, the check catalogue."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from cspm_ai import __version__
from cspm_ai.cli.app import DbOpt, OutOpt, app, checks_app, frameworks_app
from cspm_ai.cli.output import _console, safe_text
from cspm_ai.cli.runs import _open_inventory, _prepare, _settings, _split, _write_reports
from cspm_ai.errors import ConfigError

if TYPE_CHECKING:
    pass


@app.command(rich_help_panel="Inventory and reports")
def report(
    scan: Annotated[str, typer.Option("--scan", help="Scan id, unique prefix, or 'latest'.")] = "latest",
    db: DbOpt = None,
    output_dir: OutOpt = None,
    format: Annotated[
        Optional[str], typer.Option("--format", help="Comma-separated: json,html; with --framework also csv,ocsf.")
    ] = None,
    framework: Annotated[
        Optional[str],
        typer.Option("--framework", help="Write this framework's compliance report (`cspm-ai frameworks list`)."),
    ] = None,
) -> None:
    """Write the reports of a stored scan, or with --framework its report for one compliance framework."""
    if framework is None:
        run = _prepare(db, output_dir, format)
        record = run.inventory.get_scan(scan)
        for path in _write_reports(run.inventory, record, run.directory, run.formats):
            run.console.print(f"wrote {path}", soft_wrap=True)
        return
    from cspm_ai.compliance import framework as find_framework
    from cspm_ai.framework_report import build_framework_report
    from reports.framework_writer import framework_formats, write_framework_reports

    chosen = find_framework(framework)
    formats = framework_formats(_split(format) or ["html", "json"])
    run = _prepare(db, output_dir, None)
    record = run.inventory.get_scan(scan)
    value = build_framework_report(
        chosen,
        record,
        run.inventory.findings(record.id),
        run.inventory.errors(record.id),
        __version__,
        run.inventory.attestations(),
    )
    counts = value.summary.controls
    run.console.print(
        Text(
            f"{chosen.name} {chosen.version} on scan {record.id} ({record.status}): "
            f"{len(value.controls)} controls, {counts.FAIL} FAIL, {counts.ERROR} ERROR, "
            f"{counts.MANUAL} MANUAL, {counts.PASS} PASS"
        )
    )
    for path in write_framework_reports(value, run.directory, formats):
        run.console.print(f"wrote {path}", soft_wrap=True)


@frameworks_app.command("list")
def frameworks_list() -> None:
    """The shipped compliance frameworks, with how many controls each maps."""
    from cspm_ai.compliance import frameworks
    from cspm_ai.registry import all_checks

    _settings()
    specs = all_checks()
    table = Table(title="Compliance frameworks")
    table.add_column("id", no_wrap=True)  # the value --framework takes: never cut
    for col in ("name", "version", "controls", "with automated evidence"):
        table.add_column(col)
    for fw in frameworks().values():
        checks_of = fw.checks_by_control((k.id, k.checklist) for k in specs)
        automated = sum(1 for ids in checks_of.values() if ids)
        table.add_row(fw.id, fw.name, fw.version, str(len(fw.controls)), str(automated))
    _console().print(table)


@app.command(rich_help_panel="Inventory and reports")
def scans(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20,
) -> None:
    """List stored scans."""
    settings = _settings()
    console = _console()
    inventory = _open_inventory(db, settings)
    table = Table(title="Stored scans")
    for col in ("id", "started", "status", "providers", "accounts"):
        table.add_column(col)
    for record in inventory.list_scans(limit=limit):
        table.add_row(
            record.id,
            record.started_at.isoformat(timespec="seconds"),
            record.status,
            ",".join(record.providers),
            safe_text(",".join(s.account for s in record.scopes)),
        )
    console.print(table)


class CatalogueFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@checks_app.command("list")
def checks_list(
    provider: Annotated[Optional[str], typer.Option("--provider", help="aws, azure or gcp.")] = None,
    format: Annotated[CatalogueFormat, typer.Option("--format")] = CatalogueFormat.table,
) -> None:
    """Print the check catalogue."""
    from cspm_ai.catalogue import catalogue_json, catalogue_markdown
    from cspm_ai.registry import all_checks

    _settings()  # a broken config file is reported by every command, not only by scans
    if provider is not None and provider not in ("aws", "azure", "gcp"):
        raise ConfigError(f"Unknown provider {provider!r}.", "Choose aws, azure or gcp.")
    checks = all_checks(provider)
    if format is CatalogueFormat.json:
        sys.stdout.write(catalogue_json(checks))
        return
    if format is CatalogueFormat.markdown:
        sys.stdout.write(catalogue_markdown(checks))
        return
    console = _console()
    table = Table(title=f"{len(checks)} checks")
    for col in ("id", "severity", "checklist", "title"):
        table.add_column(col)
    for c in checks:
        table.add_row(c.id, c.severity.value, ",".join(c.checklist), c.title)
    console.print(table)
