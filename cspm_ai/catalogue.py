"""The check catalogue rendered from the registry (the CLI and docs/checks.md share it)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cspm_ai.checklist import checklist
from cspm_ai.registry import CheckSpec


def catalogue_json(checks: Sequence[CheckSpec]) -> str:
    rows = [
        {
            "id": c.id,
            "version": c.version,
            "title": c.title,
            "severity": c.severity.value,
            "resource_types": list(c.resource_types),
            "checklist": list(c.checklist),
            "compliance": {k: list(v) for k, v in c.compliance.items()},
            "remediation": c.remediation,
            "description": c.description,
            "reads": list(c.reads),
        }
        for c in checks
    ]
    return json.dumps(rows, indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def catalogue_markdown(checks: Sequence[CheckSpec]) -> str:
    """The generated catalogue document; `make docs` rewrites docs/checks.md with it."""
    items = checklist()
    lines = [
        "# Check catalogue",
        "",
        "Generated from the check registry by `cspm-ai checks list --format markdown`;",
        "a test keeps this file in sync. Do not edit by hand.",
        "",
        "## By checklist item",
        "",
        "| item | title | checks |",
        "|---|---|---|",
    ]
    for item in items.values():
        ids = [c.id for c in checks if item.id in c.checklist]
        lines.append(f"| {item.id} | {_cell(item.title)} | {', '.join(f'`{i}`' for i in ids) or '—'} |")
    lines += ["", "## Checks", ""]
    for c in checks:
        lines += [
            f"### `{c.id}`",
            "",
            f"**{_cell(c.title)}** — severity `{c.severity.value}`, checklist {', '.join(c.checklist)}",
            "",
            f"- Resource types: {', '.join(f'`{t}`' for t in c.resource_types)}",
            "- Compliance: " + "; ".join(f"{k} {', '.join(v)}" for k, v in sorted(c.compliance.items())),
            f"- Remediation: {_cell(c.remediation)}",
        ]
        if c.reads:
            lines.append(f"- Reads: {', '.join(f'`{r}`' for r in c.reads)}")
        if c.description:
            lines.append(f"- How it decides: {_cell(c.description)}")
        lines.append("")
    return "\n".join(lines)
