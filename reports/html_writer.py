"""Renders a Report as one self-contained HTML page: inline CSS, one hashed inline script, no URLs."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from cspm_ai.checklist import checklist
from cspm_ai.history import FindingChange
from cspm_ai.model import Severity, Status
from cspm_ai.report import STATUS_ORDER, ErrorOut, FindingOut, Report, rfc3339
from reports.charts import checklist_sparklines, severity_chart
from reports.diff_writer import FINDING_SECTIONS, change_label, path_label

TEMPLATE = "report.html.j2"
SCRIPT = "filter.js"

# Statuses in report order (what needs action first), severities most severe first.
STATUSES: tuple[Status, ...] = tuple(sorted(Status, key=STATUS_ORDER.__getitem__))
SEVERITIES: tuple[Severity, ...] = tuple(Severity)

# The banner names at most this many distinct causes; the errors table lists them all.
MAX_BANNER_REASONS = 8
# Rows each "Since the last scan" table shows; report.json's `changes` lists them all.
CHANGE_ROWS = 100
# The count cards of "Since the last scan": (counts field, label, card class).
CHANGE_CARDS = (
    ("new_failures", "New failures", "status-fail"),
    ("regressed", "Regressed", "status-fail"),
    ("newly_error", "Newly ERROR", "status-error"),
    ("resolved", "Resolved", "status-pass"),
    ("still_failing", "Still failing", "status-manual"),
    ("no_longer_seen", "No longer seen", "status-manual"),
)


@dataclass(frozen=True)
class ChangeSection:
    name: str
    title: str
    total: int
    rows: list[FindingChange]


@dataclass(frozen=True)
class EvidenceRow:
    key: str
    value: str  # JSON text of the value, shown verbatim (autoescaped) in a <pre>


@dataclass(frozen=True)
class FindingRow:
    finding: FindingOut
    evidence: list[EvidenceRow]
    search: str  # lower-cased text the search box matches against
    checklist_attr: str  # space-separated checklist ids, read by the filter script


@dataclass(frozen=True)
class ChecklistRow:
    id: str
    title: str
    section: str
    counts: dict[str, int] | None  # None: no finding covers this item ("not evaluated")


@dataclass(frozen=True)
class ChecklistSection:
    title: str
    rows: list[ChecklistRow]


@dataclass(frozen=True)
class Option:
    value: str
    label: str


def render_html(report: Report) -> str:
    """The report as a complete HTML document that opens from disk and makes no requests."""
    script = _script()
    template = _environment().get_template(TEMPLATE)
    return template.render(
        report=report,
        csp=content_security_policy(script),
        # Markup only for the script shipped in this package: never for report data.
        script=Markup(script),
        statuses=STATUSES,
        severities=SEVERITIES,
        failing_by_severity=Counter(f.severity for f in report.findings if f.status == Status.FAIL),
        checklist_sections=_checklist_sections(report),
        checklist_options=_checklist_options(report),
        provider_options=sorted({f.provider for f in report.findings} | set(report.scan.providers)),
        rows=[_finding_row(f) for f in report.findings],
        incomplete_reasons=incomplete_reasons(report),
        muted_count=sum(1 for f in report.findings if f.muted),
        started=_display_time(report.scan.started_at),
        started_iso=rfc3339(report.scan.started_at),
        finished=_display_time(report.scan.finished_at) if report.scan.finished_at else None,
        finished_iso=rfc3339(report.scan.finished_at) if report.scan.finished_at else None,
        duration=_duration(report.scan.started_at, report.scan.finished_at),
        change_cards=CHANGE_CARDS,
        change_sections=_change_sections(report),
        change_rows=CHANGE_ROWS,
        change_label=change_label,
        path_label=path_label,
        chart=severity_chart(report.trend),
        sparklines=checklist_sparklines(report.trend, {**report.checklist_titles, **_titles()}),
    )


def _titles() -> dict[str, str]:
    return {k: v.title for k, v in checklist().items()}


def _change_sections(report: Report) -> list[ChangeSection]:
    if report.changes is None or report.changes.from_scan is None:
        return []
    sections = []
    for name, title in FINDING_SECTIONS:
        changes = getattr(report.changes.findings, name)
        if changes:
            sections.append(ChangeSection(name, title, len(changes), changes[:CHANGE_ROWS]))
    return sections


def script_hash(script: str) -> str:
    """The CSP source expression ('sha256-...') that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(script: str) -> str:
    """The page's CSP: nothing may load; inline styles and only this one script may run."""
    # base-uri and form-action do not fall back to default-src, so they are set explicitly.
    return (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src {script_hash(script)}; img-src data:; base-uri 'none'; form-action 'none'"
    )


def incomplete_reasons(report: Report) -> list[str]:
    """Why an incomplete scan is incomplete, one sentence per distinct cause (empty if complete)."""
    if report.scan.status != "incomplete":
        return []
    reasons: list[str] = []
    if report.scan.finished_at is None:
        reasons.append(
            "The scan did not finish: it stopped before its final step, so some collectors or checks may not have run."
        )
    causes = Counter(_error_cause(e) for e in report.errors)
    for cause, count in list(causes.items())[:MAX_BANNER_REASONS]:
        reasons.append(cause if count == 1 else f"{cause} ({count} times)")
    if len(causes) > MAX_BANNER_REASONS:
        reasons.append(f"{len(causes) - MAX_BANNER_REASONS} more causes: see Collection errors below.")
    if not reasons:
        reasons.append(
            "The scan was recorded as incomplete without a collection error; re-run it before relying on these results."
        )
    return reasons


def _error_cause(e: ErrorOut) -> str:
    where = " / ".join(part for part in (e.provider, e.account, e.region) if part)
    return f"{where}: {e.service} {e.operation} failed with {e.code}."


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _script() -> str:
    script = files("reports").joinpath(f"templates/{SCRIPT}").read_text("utf-8")
    # The script is inserted raw between <script> tags; "</" could close the element early.
    if "</" in script:
        raise RuntimeError(f"{SCRIPT} must not contain '</'")
    return script


def _finding_row(f: FindingOut) -> FindingRow:
    searchable = (
        f.title,
        f.check_id,
        f.resource_uid,
        f.resource_name,
        f.resource_type,
        f.message,
        f.account,
        f.region,
        f.id,
        *(f"{k}={v}" for k, v in f.resource_tags.items()),
    )
    return FindingRow(
        finding=f,
        evidence=[EvidenceRow(str(k), _json_text(v)) for k, v in f.evidence.items()],
        search=" ".join(searchable).lower(),
        checklist_attr=" ".join(f.checklist),
    )


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _checklist_sections(report: Report) -> list[ChecklistSection]:
    counts = {k: v.model_dump() for k, v in report.summary.by_checklist.items()}
    sections: dict[str, list[ChecklistRow]] = {}
    known = checklist()
    for item in known.values():
        sections.setdefault(item.section, []).append(
            ChecklistRow(item.id, item.title, item.section, counts.get(item.id))
        )
    # Ids the installed checklist lacks (a report from a newer version) are still shown.
    others = [
        ChecklistRow(i, report.checklist_titles.get(i, "Not in this version's checklist"), "Other", c)
        for i, c in counts.items()
        if i not in known
    ]
    if others:
        sections.setdefault("Other", []).extend(others)
    return [ChecklistSection(title, rows) for title, rows in sections.items()]


def _checklist_options(report: Report) -> list[Option]:
    present = {i for f in report.findings for i in f.checklist}
    titles = {**report.checklist_titles, **{k: v.title for k, v in checklist().items()}}
    ordered = [i for i in checklist() if i in present] + sorted(present - set(checklist()))
    return [Option(i, f"{i} · {titles[i]}" if i in titles else i) for i in ordered]


def _display_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(start: datetime, end: datetime | None) -> str | None:
    if end is None:
        return None
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
