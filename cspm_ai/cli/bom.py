"""`cspm-ai bom`: the AI bill of materials of a stored scan (CycloneDX 1.6), its lineage JSON, or its drawings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from cspm_ai.cli.app import DbOpt, OutOpt, app
from cspm_ai.cli.output import _console
from cspm_ai.cli.runs import _open_inventory, _output_dir, _settings
from cspm_ai.errors import ConfigError

if TYPE_CHECKING:
    from cspm_ai.inventory import Inventory
    from cspm_ai.model import ScanRecord


@app.command(rich_help_panel="Inventory and reports")
def bom(
    scan: Annotated[str, typer.Option("--scan", help="Scan id, unique prefix, or 'latest'.")] = "latest",
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="cyclonedx-json (CycloneDX 1.6, bom.cdx.json), json (lineage.json) or html (lineage.html).",
        ),
    ] = "cyclonedx-json",
    db: DbOpt = None,
    output_dir: OutOpt = None,
) -> None:
    """Write the AI bill of materials of a stored scan: its models, data stores, endpoints and how they depend."""
    from cspm_ai.bom import BOM_FILES, BOM_FORMATS

    if format not in BOM_FORMATS:
        raise ConfigError(f"Unknown BOM format {format!r}.", f"Choose from: {', '.join(BOM_FORMATS)}.")
    settings = _settings()
    directory = _output_dir(output_dir, settings)
    inventory = _open_inventory(db, settings)
    record = inventory.get_scan(scan)
    text, summary = _render(inventory, record, format)
    from reports import write_outputs

    console = _console()
    console.print(Text(summary), soft_wrap=True)
    for path in write_outputs(Path(directory), [(BOM_FILES[format], text)]):
        console.print(f"wrote {path}", soft_wrap=True)


def _render(inventory: Inventory, record: ScanRecord, format: str) -> tuple[str, str]:
    """The chosen format's text, and one line saying what it holds."""
    from cspm_ai.bom import build_bom, lineage_document, render_bom
    from cspm_ai.lineage import lineage_graph
    from reports.lineage_drawing import failing_by_resource

    snapshot = inventory.snapshot(record.id)
    findings = inventory.findings(record.id)
    graph = lineage_graph(snapshot)
    lineages = graph.lineages()
    nodes = {n.uid for lineage in lineages for n in lineage.nodes}
    summary = (
        f"Scan {record.id} ({record.status}): {len(lineages)} AI serving resource(s), "
        f"{len(nodes)} resource(s) in their lineage."
    )
    if format == "cyclonedx-json":
        return render_bom(build_bom(record, snapshot, graph, findings)), summary
    failing = failing_by_resource(findings)
    if format == "json":
        return lineage_document(record, lineages, failing), summary
    from reports.lineage_writer import render_lineage_html

    return render_lineage_html(record, lineages, failing), summary
