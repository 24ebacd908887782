"""Commands over the history of stored scans: what changed between two scans, and pruning old ones."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cspm_ai.cli.app import DbOpt, app
from cspm_ai.cli.output import _console, safe_text
from cspm_ai.cli.runs import _open_inventory, _settings
from cspm_ai.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from cspm_ai.history import FindingChange, ResourceRef, ScanDiff
    from cspm_ai.inventory import Inventory
    from cspm_ai.model import ScanRecord

# Rows a table shows per section; --format json lists everything.
TABLE_ROWS = 25


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command(rich_help_panel="Inventory and reports")
def diff(
    from_scan: Annotated[
        Optional[str],
        typer.Option(
            "--from", help="The earlier scan (default: the previous scan of the same providers and accounts)."
        ),
    ] = None,
    to_scan: Annotated[str, typer.Option("--to", help="The later scan: id, unique prefix, or 'latest'.")] = "latest",
    expiring: Annotated[
        str, typer.Option("--expiring", help="List exceptions and attestations expiring within this time, e.g. 14d.")
    ] = "14d",
    format: Annotated[DiffFormat, typer.Option("--format", help="table, json or markdown.")] = DiffFormat.table,
    db: DbOpt = None,
) -> None:
    """What changed between two stored scans: findings, resources and configuration, and what expires soon."""
    from cspm_ai.history import parse_days

    days = parse_days(expiring, "--expiring")
    settings = _settings()
    inventory = _open_inventory(db, settings)
    value, warning = compare_scans(inventory, from_scan, to_scan, days)
    console = _console()
    if warning:
        _console(stderr=True).print(f"warning: {warning}", style="yellow")
    if format is DiffFormat.json:
        from reports.diff_writer import render_diff_json

        sys.stdout.write(render_diff_json(value))
    elif format is DiffFormat.markdown:
        from reports.diff_writer import render_diff_markdown

        for line in render_diff_markdown(value).split("\n")[:-1]:
            console.print(line, soft_wrap=True)
    else:
        print_diff(console, value)


def compare_scans(inventory: Inventory, from_ref: str | None, to_ref: str, days: int) -> tuple[ScanDiff, str | None]:
    """The diff `cspm-ai diff` shows, and a warning when the chosen scans do not cover the same accounts."""
    from cspm_ai.history import describe_scope

    newer = inventory.get_scan(to_ref)
    if from_ref is None:
        older = inventory.previous_of(newer)
        if older is None:
            raise NotFoundError(
                f"No earlier finished scan covers the same providers and accounts as scan {newer.id} "
                f"({describe_scope(newer.providers, newer.scopes)}).",
                hint="pass --from SCAN to compare with another scan; `cspm-ai scans` lists them",
            )
    else:
        older = inventory.get_scan(from_ref)
        if older.started_at >= newer.started_at:
            raise ConfigError(
                f"Scan {older.id} (--from) did not start before scan {newer.id} (--to).",
                "Give the earlier scan to --from and the later one to --to.",
            )
    value = inventory.diff(older, newer, expiring_days=days)
    warning = None
    if not value.comparable:
        warning = (
            f"scan {older.id} covers {describe_scope(older.providers, older.scopes)}, scan {newer.id} covers "
            f"{describe_scope(newer.providers, newer.scopes)}: what only one of them read shows as added or gone."
        )
    return value, warning


def print_diff(console: Console, value: ScanDiff) -> None:
    """The diff as terminal tables: counts, then each section's first TABLE_ROWS rows."""
    from reports.diff_writer import FINDING_SECTIONS, scan_label

    if value.from_scan is not None:
        console.print(Text(f"Changes from scan {scan_label(value.from_scan)}", style="bold"))
        console.print(Text(f"          to scan {scan_label(value.to_scan)}", style="bold"))
    counts = Table(title="Findings")
    for _, title in FINDING_SECTIONS:
        counts.add_column(title, justify="right")
    counts.add_row(*(str(getattr(value.counts, name)) for name, _ in FINDING_SECTIONS))
    console.print(counts)
    c = value.counts
    console.print(
        Text(
            f"Resources: {c.resources_added} added, {c.resources_removed} removed, "
            f"{c.resources_unreadable} unreadable, {c.resources_changed} changed."
        )
    )
    for name, title in FINDING_SECTIONS:
        _finding_rows(console, title, getattr(value.findings, name))
    _resource_rows(console, "Resources added", value.resources.added)
    _resource_rows(console, "Resources removed", value.resources.removed)
    _resource_rows(console, "Resources that could not be read", value.resources.unreadable)
    _changed_rows(console, value)
    _expiring_rows(console, value)


def _cut(console: Console, total: int) -> None:
    if total > TABLE_ROWS:
        console.print(Text(f"… and {total - TABLE_ROWS} more: --format json lists them all."))


def _finding_rows(console: Console, title: str, changes: Sequence[FindingChange]) -> None:
    from reports.diff_writer import change_label

    if not changes:
        return
    table = Table(title=f"{title} ({len(changes)})")
    for col in ("severity", "check", "resource", "where", "change"):
        table.add_column(col)
    for ch in changes[:TABLE_ROWS]:
        table.add_row(
            ch.severity.value,
            ch.check_id,
            safe_text(ch.resource_name),
            safe_text(f"{ch.provider} {ch.account} {ch.region}"),
            safe_text(change_label(ch) + (" (muted)" if ch.muted else "")),
        )
    console.print(table)
    _cut(console, len(changes))


def _resource_rows(console: Console, title: str, refs: Sequence[ResourceRef]) -> None:
    if not refs:
        return
    table = Table(title=f"{title} ({len(refs)})")
    for col in ("type", "name", "where"):
        table.add_column(col)
    for r in refs[:TABLE_ROWS]:
        table.add_row(r.resource_type, safe_text(r.name), safe_text(f"{r.provider} {r.account} {r.region}"))
    console.print(table)
    _cut(console, len(refs))


def _changed_rows(console: Console, value: ScanDiff) -> None:
    from reports.diff_writer import path_label

    changed = value.resources.changed
    if not changed:
        return
    table = Table(title=f"Resources changed ({len(changed)}); values as stored, secrets redacted")
    for col in ("resource", "type", "path", "change"):
        table.add_column(col)
    for r in changed[:TABLE_ROWS]:
        for p in r.paths[:TABLE_ROWS]:
            table.add_row(safe_text(r.name), r.resource_type, safe_text(p.path), safe_text(path_label(p)))
        hidden = r.more_paths + max(0, len(r.paths) - TABLE_ROWS)
        if hidden:
            table.add_row(safe_text(r.name), r.resource_type, "…", f"{hidden} more paths")
    console.print(table)
    _cut(console, len(changed))


def _expiring_rows(console: Console, value: ScanDiff) -> None:
    e = value.expiring
    if not e.exceptions and not e.attestations:
        console.print(Text(f"No exception or attestation expires within {e.within_days} days of {e.as_of}."))
        return
    table = Table(title=f"Expiring within {e.within_days} days of {e.as_of}")
    for col in ("kind", "id or item", "owner or attested by", "expires"):
        table.add_column(col)
    for x in e.exceptions:
        table.add_row("exception", safe_text(x.id), safe_text(x.owner), x.expires.isoformat())
    for a in e.attestations:
        table.add_row("attestation", a.item, safe_text(a.attested_by), a.expires_on.isoformat())
    console.print(table)


@app.command(rich_help_panel="Inventory and reports")
def prune(
    keep: Annotated[
        Optional[int], typer.Option("--keep", min=1, help="Keep the N newest scans of each set of accounts.")
    ] = None,
    older_than: Annotated[
        Optional[str], typer.Option("--older-than", help="Delete scans started longer ago than this, e.g. 90d.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be deleted; delete nothing.")] = False,
    db: DbOpt = None,
) -> None:
    """Delete old scans in one transaction; never the latest complete scan of any account."""
    from cspm_ai.history import parse_days

    if (keep is None) == (older_than is None):
        raise ConfigError("Give exactly one of --keep N and --older-than DAYS.", "e.g. `cspm-ai prune --keep 30`.")
    cutoff = None
    if older_than is not None:
        cutoff = datetime.now(UTC) - timedelta(days=parse_days(older_than, "--older-than"))
    inventory = _open_inventory(db, _settings())
    chosen, counts = inventory.prune(keep=keep, older_than=cutoff, dry_run=dry_run)
    console = _console()
    if not chosen:
        console.print(
            Text("Nothing to prune: no stored scan matches (the latest complete scan of each account stays).")
        )
        return
    _print_scans(console, "Would delete" if dry_run else "Deleted", chosen)
    if dry_run:
        console.print(Text(f"{len(chosen)} scan(s) would be deleted; run again without --dry-run to delete them."))
        return
    console.print(
        Text(
            f"Deleted {counts['scans']} scan(s) with {counts['resources']} resources, {counts['findings']} findings, "
            f"{counts['relations']} relations, {counts['collection_errors']} collection errors and "
            f"{counts['reevaluations']} re-evaluation records, in one transaction."
        )
    )


def _print_scans(console: Console, verb: str, scans: Sequence[ScanRecord]) -> None:
    table = Table(title=f"{verb} {len(scans)} scan(s)")
    table.add_column("id", no_wrap=True)  # what `cspm-ai diff --from` takes: never cut
    for col in ("started", "status", "accounts"):
        table.add_column(col)
    for s in scans:
        table.add_row(
            s.id,
            s.started_at.isoformat(timespec="seconds"),
            s.status,
            safe_text(", ".join(f"{x.provider} {x.account}" for x in s.scopes) or "none recorded"),
        )
    console.print(table)
