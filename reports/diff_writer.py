"""Renders a ScanDiff (cspm_ai.history) as JSON or as Markdown for a ticket or a pull request."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Final

from cspm_ai.history import GONE_REASONS, FindingChange, PathChange, ResourceRef, ScanDiff, ScanRef

# Rows listed per section in Markdown; the JSON lists everything.
MARKDOWN_ROWS: Final = 50
# Characters of a value shown in Markdown before it is cut.
VALUE_CHARS: Final = 120

FINDING_SECTIONS: Final = (
    ("new_failures", "New failures"),
    ("regressed", "Regressed (PASS to FAIL)"),
    ("newly_error", "Newly ERROR (could not be judged)"),
    ("resolved", "Resolved"),
    ("still_failing", "Still failing"),
    ("no_longer_seen", "No longer seen"),
)

# Control characters, bidi marks and Unicode line separators: nothing from a cloud may rearrange a ticket.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The punctuation that starts markup inline (emphasis, code, links, HTML, entities, strikethrough) and "|",
# which would end a table cell. Ids the tool itself names (check ids, resource types) are shown as code.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")


def render_diff_json(diff: ScanDiff) -> str:
    """The diff as JSON (the contract), ASCII only so no character from a cloud can act on a terminal."""
    return json.dumps(diff.model_dump(mode="json"), indent=2, ensure_ascii=True) + "\n"


def md(text: object) -> str:
    """Cloud text made inert in Markdown: controls replaced, every markup character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _UNSAFE.sub("\N{REPLACEMENT CHARACTER}", str(text)))


def short_value(value: Any) -> str:
    """A stored value in one line, cut to VALUE_CHARS."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def scan_label(scan: ScanRef) -> str:
    return f"{scan.id} ({scan.started_at.strftime('%Y-%m-%d %H:%M UTC')}, {scan.status})"


def change_label(c: FindingChange) -> str:
    """`PASS → FAIL`, `new → FAIL`, `FAIL → gone (its resource is gone)`."""
    before = c.previous_status.value if c.previous_status is not None else "new"
    if c.status is None:
        return f"{before} → gone ({GONE_REASONS[c.reason or 'resource_removed']})"
    return f"{before} → {c.status.value}"


def path_label(p: PathChange) -> str:
    if p.change == "added":
        return f"added {short_value(p.after)}"
    if p.change == "removed":
        return f"removed (was {short_value(p.before)})"
    return f"{short_value(p.before)} → {short_value(p.after)}"


def render_diff_markdown(diff: ScanDiff) -> str:
    """The diff as GitHub-flavoured Markdown: counts, then each section as a table (first MARKDOWN_ROWS rows)."""
    lines = ["## cspm-ai: what changed", ""]
    if diff.from_scan is None:
        lines += [f"Scan `{diff.to_scan.id}` has nothing to compare with: {md(diff.note or 'no earlier scan')}", ""]
    else:
        lines += [f"From scan {md(scan_label(diff.from_scan))} to scan {md(scan_label(diff.to_scan))}.", ""]
        if not diff.comparable:
            lines += ["**The two scans do not cover the same providers and accounts.**", ""]
    c = diff.counts
    lines += [
        "| new failures | regressed | newly ERROR | resolved | still failing | no longer seen |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {c.new_failures} | {c.regressed} | {c.newly_error} | {c.resolved} | {c.still_failing} "
        f"| {c.no_longer_seen} |",
        "",
        f"Resources: {c.resources_added} added, {c.resources_removed} removed, "
        f"{c.resources_unreadable} unreadable, {c.resources_changed} changed.",
        "",
    ]
    for name, title in FINDING_SECTIONS:
        lines += _finding_table(title, getattr(diff.findings, name))
    lines += _resource_table("Resources added", diff.resources.added)
    lines += _resource_table("Resources removed", diff.resources.removed)
    lines += _resource_table("Resources that could not be read", diff.resources.unreadable)
    lines += _changed_table(diff)
    lines += _expiring(diff)
    return "\n".join(lines).rstrip("\n") + "\n"


def _more(total: int) -> list[str]:
    if total <= MARKDOWN_ROWS:
        return [""]
    return ["", f"… and {total - MARKDOWN_ROWS} more (`--format json` lists them all).", ""]


def _finding_table(title: str, changes: Sequence[FindingChange]) -> list[str]:
    if not changes:
        return []
    lines = [
        f"### {title} ({len(changes)})",
        "",
        "| severity | check | resource | where | change | message |",
        "|---|---|---|---|---|---|",
    ]
    for ch in changes[:MARKDOWN_ROWS]:
        muted = " (muted)" if ch.muted else ""
        lines.append(
            f"| {ch.severity.value} | `{ch.check_id}` | {md(ch.resource_name)} | {md(ch.provider)} "
            f"{md(ch.account)} {md(ch.region)} | {md(change_label(ch))}{muted} | {md(ch.message)} |"
        )
    return lines + _more(len(changes))


def _resource_table(title: str, refs: Sequence[ResourceRef]) -> list[str]:
    if not refs:
        return []
    lines = [f"### {title} ({len(refs)})", "", "| type | name | where | id |", "|---|---|---|---|"]
    for r in refs[:MARKDOWN_ROWS]:
        lines.append(
            f"| `{r.resource_type}` | {md(r.name)} | {md(r.provider)} {md(r.account)} {md(r.region)} | {md(r.uid)} |"
        )
    return lines + _more(len(refs))


def _changed_table(diff: ScanDiff) -> list[str]:
    changed = diff.resources.changed
    if not changed:
        return []
    lines = [
        f"### Resources changed ({len(changed)})",
        "",
        "Values as stored: secrets were redacted before anything was stored.",
        "",
        "| resource | path | change |",
        "|---|---|---|",
    ]
    for r in changed[:MARKDOWN_ROWS]:
        for p in r.paths:
            lines.append(f"| {md(r.name)} (`{r.resource_type}`) | {md(p.path)} | {md(path_label(p))} |")
        if r.more_paths:
            lines.append(f"| {md(r.name)} | … | {r.more_paths} more paths |")
    return lines + _more(len(changed))


def _expiring(diff: ScanDiff) -> list[str]:
    e = diff.expiring
    lines = [f"### Expiring within {e.within_days} days of {e.as_of.isoformat()}", ""]
    if not e.exceptions and not e.attestations:
        return [*lines, "No exception or attestation expires in that time.", ""]
    for x in e.exceptions:
        lines.append(f"- exception {md(x.id)} (owner {md(x.owner)}) expires {x.expires.isoformat()}")
    for a in e.attestations:
        lines.append(f"- attestation of {md(a.item)} by {md(a.attested_by)} expires {a.expires_on.isoformat()}")
    return [*lines, ""]
