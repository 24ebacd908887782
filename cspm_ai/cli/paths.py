"""`cspm-ai paths`: the attack paths of a stored scan from or to one resource, as a table or JSON."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.table import Table

from cspm_ai.cli.app import DbOpt, app
from cspm_ai.cli.output import _console, safe_text
from cspm_ai.cli.runs import _open_inventory, _settings
from cspm_ai.errors import ConfigError

if TYPE_CHECKING:
    from cspm_ai.attack_paths import AttackGraph, AttackPath
    from cspm_ai.engine import Snapshot


class PathsFormat(StrEnum):
    table = "table"
    json = "json"


@app.command(rich_help_panel="Inventory and reports")
def paths(
    from_ref: Annotated[
        Optional[str],
        typer.Option(
            "--from", help="Print what this resource or identity can reach (uid, ARN, ARM id, name or e-mail)."
        ),
    ] = None,
    to_ref: Annotated[
        Optional[str], typer.Option("--to", help="Print every identity and workload that can reach this resource.")
    ] = None,
    scan: Annotated[str, typer.Option("--scan", help="Scan id, unique prefix, or 'latest'.")] = "latest",
    format: Annotated[PathsFormat, typer.Option("--format", help="table or json.")] = PathsFormat.table,
    db: DbOpt = None,
) -> None:
    """The attack paths of a stored scan from or to one resource: who can become whom, and with which policy,
    assignment or binding each step is allowed."""
    if (from_ref is None) == (to_ref is None):
        raise ConfigError(
            "Give exactly one of --from and --to.",
            "e.g. `cspm-ai paths --from <role ARN>` or `cspm-ai paths --to <bucket name>`.",
        )
    ref = from_ref if from_ref is not None else to_ref
    if not ref or not ref.strip():
        raise ConfigError("The resource to follow paths from or to is empty.", "Pass a uid or a name.")
    settings = _settings()
    inventory = _open_inventory(db, settings)
    record = inventory.get_scan(scan)
    snapshot = inventory.snapshot(record.id)
    graph = snapshot.attack_graph
    uid = resolve(graph, snapshot, ref.strip())
    direction = "from" if from_ref is not None else "to"
    found = graph.paths_from(uid) if direction == "from" else graph.paths_to(uid)
    if format is PathsFormat.json:
        sys.stdout.write(json.dumps(paths_json(record.id, direction, uid, found), indent=2, sort_keys=True) + "\n")
        return
    print_paths(graph, direction, uid, found)


def resolve(graph: AttackGraph, snapshot: Snapshot, ref: str) -> str:
    """The uid `ref` names: a uid of the graph or the scan (ARM ids ignore case), or a unique resource name, node
    label or principal (a service account's e-mail, a role assignment's principal id)."""
    if ref in graph.graph or ref in snapshot.by_uid:
        return ref
    lowered = ref.lower()
    candidates = {uid for uid in graph.graph if uid.lower() == lowered}
    if not candidates:
        candidates = {r.uid for r in snapshot.resources if r.name == ref}
        candidates |= {
            n.uid
            for n in graph.nodes()
            if n.label.lower().endswith(" " + lowered) or n.uid.lower().endswith(":" + lowered)
        }
    if len(candidates) == 1:
        return candidates.pop()
    if not candidates:
        raise ConfigError(
            f"No resource or identity named {ref!r} is in the scan.",
            "Pass its uid (ARN, ARM id or full resource name), its name or a service account's e-mail.",
        )
    shown = ", ".join(sorted(candidates)[:3])
    raise ConfigError(
        f"{len(candidates)} resources are named {ref!r} ({shown}{', ...' if len(candidates) > 3 else ''}).",
        "Pass the uid of the one you mean.",
    )


def paths_json(scan_id: str, direction: str, uid: str, found: list[AttackPath]) -> dict[str, Any]:
    """The JSON `--format json` prints: the query and every path with its hops and grants."""
    return {
        "scan": scan_id,
        "direction": direction,
        "resource": uid,
        "paths": [
            {
                "from": path.source.uid,
                "to": path.target.uid,
                "target_kinds": sorted(path.target.kinds),
                "accesses": sorted(path.accesses),
                **path.as_evidence(),
            }
            for path in found
        ],
    }


def print_paths(graph: AttackGraph, direction: str, uid: str, found: list[AttackPath]) -> None:
    console = _console()
    what = graph.label(uid)
    if not found:
        console.print(safe_text(f"No attack path {'from' if direction == 'from' else 'to'} {what} in this scan."))
        return
    table = Table(title=f"{len(found)} attack path(s) {direction} {what}", show_lines=True)
    table.add_column("from", overflow="fold")
    table.add_column("to", overflow="fold")
    table.add_column("can", no_wrap=True)
    table.add_column("path", overflow="fold")
    for path in found:
        table.add_row(
            safe_text(path.source.label),
            safe_text(path.target.describe()),
            ", ".join(sorted(path.accesses)),
            safe_text(path.describe()),
        )
    console.print(table)
