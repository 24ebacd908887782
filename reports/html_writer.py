"""Renders a Report as one self-contained HTML page: inline CSS, one hashed inline script, no URLs."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, meta, select_autoescape
from markupsafe import Markup

from cspm_ai.checklist import checklist
from cspm_ai.history import FindingChange
from cspm_ai.lineage import short_id
from cspm_ai.model import Severity, Status
from cspm_ai.report import STATUS_ORDER, ErrorOut, FindingOut, Report, rfc3339
from reports.charts import checklist_sparklines, severity_chart
from reports.diff_writer import FINDING_SECTIONS, change_label, path_label
from reports.lineage_drawing import NODE_HEIGHT, NODE_WIDTH, drawings, failing_by_resource

TEMPLATE = "report.html.j2"
SCRIPT = "filter.js"

# Statuses in report order (what needs action first), severities most severe first.
STATUSES: tuple[Status, ...] = tuple(sorted(Status, key=STATUS_ORDER.__getitem__))
SEVERITIES: tuple[Severity, ...] = tuple(Severity)

# The banner names at most this many distinct causes; the errors table lists them all.
MAX_BANNER_REASONS = 8
# Rows each "Since the last scan" table shows; report.json's `changes` lists them all.
CHANGE_ROWS = 100
# Lineage drawings the page shows (report.json's `lineage` has every serving resource's).
MAX_LINEAGE_DRAWINGS = 200
# AI resources a finding's details name as affected (report.json's `affects` lists them all).
AFFECTS_SHOWN = 10
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
    ident: str | None = None  # the id shown beside a human name that differs from it (a security group's sg-...)


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
    rows = [_finding_row(f) for f in report.findings]
    # The findings table (tens of megabytes for a large estate) is put in after rendering, where a token no
    # cloud text can hold marks its place, instead of going through Jinja's output as one more copy.
    slot = f"<!-- findings {secrets.token_hex(16)} -->"
    page = template.render(
        report=report,
        csp=content_security_policy(script),
        # Markup: the script shipped in this package, and the findings table's place.
        script=Markup(script),
        statuses=STATUSES,
        severities=SEVERITIES,
        failing_by_severity=Counter(f.severity for f in report.findings if f.status == Status.FAIL),
        checklist_sections=_checklist_sections(report),
        checklist_options=_checklist_options(report),
        provider_options=sorted({f.provider for f in report.findings} | set(report.scan.providers)),
        rows=rows,
        finding_rows=Markup(slot),
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
        lineage_drawings=drawings(report.lineage, failing_by_resource(report.findings), MAX_LINEAGE_DRAWINGS),
        node_width=NODE_WIDTH,
        node_height=NODE_HEIGHT,
        chart=severity_chart(report.trend),
        sparklines=checklist_sparklines(report.trend, {**report.checklist_titles, **_titles()}),
    )
    before, found, after = page.partition(slot)
    if not found:
        raise RuntimeError(f"{TEMPLATE} must write finding_rows once")
    # finding_rows_html escapes every value of the report it writes.
    return "".join((before, finding_rows_html(rows), after))


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


def load_template() -> None:
    """Compile the page's template and every template it imports or includes, now: `render_html` then
    finds them all compiled (an imported template is otherwise compiled when the page first renders)."""
    environment = _environment()
    pending, seen = [TEMPLATE], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        environment.get_template(name)
        source, _, _ = environment.loader.get_source(environment, name)  # type: ignore[union-attr]
        pending.extend(n for n in meta.find_referenced_templates(environment.parse(source)) if n is not None)


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
        # A finding on a role or network is found by the names of the AI resources it affects.
        *(a.name for a in f.affects),
    )
    return FindingRow(
        finding=f,
        evidence=[EvidenceRow(str(k), _json_text(v)) for k, v in f.evidence.items()],
        search=" ".join(searchable).lower(),
        checklist_attr=" ".join(f.checklist),
        ident=short_id(f.resource_uid, f.resource_name),
    )


def _escape(text: str) -> str:
    """What Jinja's autoescape (markupsafe.escape) makes of a string, without a Markup object per call."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;")
    )


class _EscapeMemo(dict[str, str]):
    """`_escape` remembering short texts: a findings table repeats the same few thousand (states, types,
    accounts, regions, titles, framework and control names) hundreds of thousands of times."""

    def __missing__(self, text: str) -> str:
        escaped = _escape(text)
        if len(text) <= _MEMO_MAX_CHARS:
            self[text] = escaped
        return escaped


_MEMO_MAX_CHARS = 200


def finding_rows_html(rows: Sequence[FindingRow]) -> str:
    """The findings table's row groups, exactly as the template's former loop over `rows` wrote them.

    A scan of thousands of resources has thousands of findings, each with some sixty escaped values:
    written here in plain Python they take a fifth of the time Jinja took, byte for byte the same. The
    parts one check's findings share (checklist tags, compliance references) are written once per check.
    """
    out: list[str] = []
    add = out.append
    esc = _EscapeMemo().__getitem__
    checklist_tags: dict[tuple[str, ...], str] = {}
    compliance_blocks: dict[str, tuple[dict[str, list[str]], str]] = {}
    for row in rows:
        f = row.finding
        status, severity = f.status.value, f.severity.value
        title, check_id, message = esc(f.title), esc(f.check_id), _escape(f.message)
        resource_name, resource_type = esc(f.resource_name), esc(f.resource_type)
        ident = row.ident
        shown_name = f'{resource_name} <span class="mono ident">({esc(ident)})</span>' if ident else resource_name
        checklist = tuple(f.checklist)
        tags = checklist_tags.get(checklist)
        if tags is None:
            tags = checklist_tags[checklist] = "".join(f'<span class="tag">{esc(item)}</span>' for item in checklist)
        add(
            f'      <tbody class="finding" data-status="{esc(status)}" data-severity="{esc(severity)}" '
            f'data-provider="{esc(f.provider)}" data-checklist="{esc(row.checklist_attr)}" '
            f'data-muted="{"true" if f.muted else "false"}" data-search="{_escape(row.search)}">\n'
            '        <tr class="summary-row">\n'
            "          <td>\n"
            f'            <span class="badge status-{esc(status.lower())}">{esc(status)}</span>\n'
        )
        if f.muted:
            add('<span class="tag tag-muted">muted</span>')
        add(
            "          </td>\n"
            f'          <td><span class="badge sev-{esc(severity)}">{esc(severity.upper())}</span></td>\n'
            f'          <td><span class="check-title">{title}</span><span class="sub mono">{check_id}</span></td>\n'
            f'          <td>{shown_name}<span class="sub mono">{resource_type}</span>{_affects_line(f)}</td>\n'
            f'          <td>{esc(f.provider)} · <span class="mono">{esc(f.account)}</span>'
            f'<span class="sub">{esc(f.region)}</span></td>\n'
            f"          <td>{tags}</td>\n"
            "        </tr>\n"
            '        <tr class="detail-row">\n'
            '          <td colspan="6">\n'
            "            <details>\n"
            f"              <summary>{message}</summary>\n"
            '              <div class="detail">\n'
            "                <dl>\n"
            f"                  <dt>Message</dt><dd>{message}</dd>\n"
            f'                  <dt>Resource</dt><dd class="mono">{esc(f.resource_uid)}</dd>\n'
            f"                  <dt>Resource name</dt><dd>{shown_name}</dd>\n"
            f'                  <dt>Resource type</dt><dd class="mono">{resource_type}</dd>\n'
            f'                  <dt>Check</dt><dd class="mono">{check_id}</dd>\n'
            f'                  <dt>Finding id</dt><dd class="mono">{_escape(f.id)}</dd>\n'
            f"                  <dt>Muted</dt><dd>{_muted_text(f)}</dd>\n"
        )
        if f.affects:
            add(f"<dt>Affects</dt><dd>{_affects_list(f)}</dd>")
        if f.resource_tags:
            resource_tags = "".join(
                f'<span class="tag">{esc(key)}={esc(value)}</span> ' for key, value in f.resource_tags.items()
            )
            add(f"<dt>Tags</dt><dd>{resource_tags}</dd>")
        add("                </dl>\n                <h3>Evidence</h3>\n")
        _add_evidence(add, row.evidence)
        add(
            "                <h3>Remediation</h3>\n"
            f"                <p>{esc(f.remediation or 'None given.')}</p>\n"
            "                <h3>Compliance</h3>\n"
        )
        # One check's findings carry the same references: compared, not assumed, before the block is reused.
        block = compliance_blocks.get(f.check_id)
        if block is None or block[0] != f.compliance:
            block = compliance_blocks[f.check_id] = (f.compliance, _compliance_html(f.compliance, esc))
        add(block[1])
        add("              </div>\n            </details>\n          </td>\n        </tr>\n      </tbody>\n")
    return "".join(out)


def _affects_line(f: FindingOut) -> str:
    """Under a supporting resource's name: the first AI resource it affects, and how many more."""
    if not f.affects:
        return ""
    first = f.affects[0]
    more = f" and {len(f.affects) - 1} more" if len(f.affects) > 1 else ""
    return f'<span class="sub affects">affects {_escape(first.name)}{more}</span>'


def _affects_list(f: FindingOut) -> str:
    shown = "".join(
        f'<span class="tag">{_escape(a.name)} <span class="mono">{_escape(a.type)}</span></span> '
        for a in f.affects[:AFFECTS_SHOWN]
    )
    rest = len(f.affects) - AFFECTS_SHOWN
    return shown + (f"and {rest} more (report.json lists every one)" if rest > 0 else "")


def _muted_text(f: FindingOut) -> str:
    if not f.muted:
        return "no"
    return f"yes: {_escape(f.mute_reason)}" if f.mute_reason else "yes"


def _add_evidence(add: Callable[[str], None], evidence: Sequence[EvidenceRow]) -> None:
    if not evidence:
        add('                <p class="sub">No evidence recorded.</p>\n')
        return
    add(
        '                <table class="evidence">\n'
        '                  <thead><tr><th scope="col">Configuration path</th><th scope="col">Value</th></tr></thead>\n'
        "                  <tbody>\n"
    )
    for ev in evidence:
        add(
            f'                    <tr><th scope="row" class="mono">{_escape(ev.key)}</th>'
            f'<td><pre class="json">{_escape(ev.value)}</pre></td></tr>\n'
        )
    add("                  </tbody>\n                </table>\n")


def _compliance_html(compliance: dict[str, list[str]], esc: Callable[[str], str]) -> str:
    if not compliance:
        return '                <p class="sub">No compliance references.</p>\n'
    parts = ['                <dl class="compliance">\n']
    for framework, controls in compliance.items():
        tags = "".join(f'<span class="tag">{esc(c)}</span>' for c in controls)
        parts.append(f'                  <dt class="mono">{esc(framework)}</dt><dd>{tags}</dd>\n')
    parts.append("                </dl>\n")
    return "".join(parts)


def _json_text(value: Any) -> str:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
    # A scalar is written the same with or without indent; without, json uses its C encoder.
    return json.dumps(value, ensure_ascii=False, default=str)


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
