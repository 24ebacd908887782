"""Formats of the per-framework report: HTML for people, JSON, CSV for spreadsheets, OCSF for SIEMs.

Each formatter takes the FrameworkReport value and returns text; `write_framework_reports`
writes the chosen ones together as `<framework>-report.<ext>` (OCSF: `<framework>-ocsf.json`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from cspm_ai.errors import ConfigError
from cspm_ai.framework_report import ControlResult, FrameworkReport
from cspm_ai.model import Severity, Status
from cspm_ai.report import STATUS_ORDER, FindingOut, rfc3339

FRAMEWORK_FORMATS: dict[str, str] = {
    "html": "{id}-report.html",
    "json": "{id}-report.json",
    "csv": "{id}-report.csv",
    "ocsf": "{id}-ocsf.json",
}

# No script at all on this page: nothing may load, and nothing may run.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
)

STATUSES: tuple[Status, ...] = tuple(sorted(Status, key=STATUS_ORDER.__getitem__))


def render_framework_json(report: FrameworkReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_framework_html(report: FrameworkReport) -> str:
    """One self-contained page: controls by section, each with its checks, findings and attestations."""
    sections: dict[str, list[ControlResult]] = {}
    for control in report.controls:
        sections.setdefault(control.section or "Controls", []).append(control)
    return (
        _environment()
        .get_template("framework.html.j2")
        .render(
            report=report,
            csp=CONTENT_SECURITY_POLICY,
            statuses=STATUSES,
            sections=sections,
            findings={f.id: f for f in report.findings},
            attestations={a.id: a for a in report.attestations},
            evidence={
                f.id: [(k, json.dumps(v, ensure_ascii=False, indent=2, default=str)) for k, v in f.evidence.items()]
                for f in report.findings
            },
            started=report.scan.started_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
    )


# Cells a spreadsheet would run as a formula start with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

CSV_COLUMNS = (
    "framework",
    "framework_version",
    "control_id",
    "control_title",
    "section",
    "control_status",
    "rationale",
    "check_id",
    "finding_id",
    "finding_status",
    "severity",
    "muted",
    "mute_reason",
    "provider",
    "account",
    "region",
    "resource_type",
    "resource_uid",
    "resource_name",
    "message",
    "evidence",
    "remediation",
    "scan_id",
    "scan_started_at",
)


def csv_cell(value: object) -> str:
    """Text a spreadsheet shows as text: a leading formula character is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_framework_csv(report: FrameworkReport) -> str:
    """One row per (control, finding); a control with no finding gets one row of its own."""
    findings = {f.id: f for f in report.findings}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for control in report.controls:
        head = [
            report.framework.id,
            report.framework.version,
            control.id,
            control.title,
            control.section,
            control.status.value,
            control.rationale,
        ]
        tail = [report.scan.id, rfc3339(report.scan.started_at)]
        if not control.findings:
            writer.writerow([csv_cell(v) for v in [*head, *[""] * (len(CSV_COLUMNS) - len(head) - len(tail)), *tail]])
        for fid in control.findings:
            f = findings[fid]
            writer.writerow(
                [
                    csv_cell(v)
                    for v in [
                        *head,
                        f.check_id,
                        f.id,
                        f.status.value,
                        f.severity.value,
                        str(f.muted).lower(),
                        f.mute_reason or "",
                        f.provider,
                        f.account,
                        f.region,
                        f.resource_type,
                        f.resource_uid,
                        f.resource_name,
                        f.message,
                        json.dumps(f.evidence, ensure_ascii=False, sort_keys=True),
                        f.remediation,
                        *tail,
                    ]
                ]
            )
    return out.getvalue()


# OCSF 1.1.0, Findings category (2), Compliance Finding class (2003), activity Create (1).
OCSF_VERSION = "1.1.0"
OCSF_CLASS_UID = 2003
OCSF_CATEGORY_UID = 2
OCSF_ACTIVITY_CREATE = 1
_OCSF_SEVERITY = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
# The compliance object's status_id: 1 Pass, 3 Fail, 0 Unknown (could not be judged), 99 Other (manual).
_OCSF_COMPLIANCE = {
    Status.PASS: (1, "Pass"),
    Status.FAIL: (3, "Fail"),
    Status.ERROR: (0, "Unknown"),
    Status.MANUAL: (99, "Manual"),
}
_OCSF_PROVIDER = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}


def _ocsf_time(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp() * 1000)


def _ocsf_base(report: FrameworkReport, severity: Severity, status: Status) -> dict[str, Any]:
    sev_id, sev = _OCSF_SEVERITY[severity]
    comp_id, comp = _OCSF_COMPLIANCE[status]
    return {
        "category_uid": OCSF_CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": OCSF_CLASS_UID,
        "class_name": "Compliance Finding",
        "activity_id": OCSF_ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": OCSF_CLASS_UID * 100 + OCSF_ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "severity_id": sev_id,
        "severity": sev,
        "time": _ocsf_time(report.scan.started_at),
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": report.tool.name, "vendor_name": "cspm-ai", "version": report.tool.version},
            "correlation_uid": report.scan.id,
        },
        "_compliance_status": (comp_id, comp),
    }


def _ocsf_finding(report: FrameworkReport, f: FindingOut, controls: list[str]) -> dict[str, Any]:
    event = _ocsf_base(report, f.severity, f.status)
    comp_id, comp = event.pop("_compliance_status")
    event.update(
        {
            "message": f.message,
            "status_id": 3 if f.muted else 1,
            "status": "Suppressed" if f.muted else "New",
            "status_code": f.status.value,
            "finding_info": {
                "uid": f.id,
                "title": f.title,
                "desc": f.message,
                "created_time": _ocsf_time(report.scan.started_at),
                "types": [f.check_id],
            },
            "compliance": {
                "control": f.check_id,
                "requirements": controls,
                "standards": [f"{report.framework.name} {report.framework.version}"],
                "status_id": comp_id,
                "status": comp,
                "status_code": f.status.value,
                "status_detail": f.message,
            },
            "resources": [
                {
                    "uid": f.resource_uid,
                    "name": f.resource_name,
                    "type": f.resource_type,
                    "region": f.region,
                    "labels": [f"{k}={v}" for k, v in f.resource_tags.items()],
                    "cloud_partition": None,
                }
            ],
            "cloud": {
                "provider": _OCSF_PROVIDER.get(f.provider, f.provider),
                "region": f.region,
                "account": {"uid": f.account},
            },
            "remediation": {"desc": f.remediation},
            "unmapped": {
                "evidence": f.evidence,
                "muted": f.muted,
                "mute_reason": f.mute_reason,
                "checklist": f.checklist,
                "framework_id": report.framework.id,
            },
        }
    )
    event["resources"][0].pop("cloud_partition")
    return event


def _ocsf_control(report: FrameworkReport, control: ControlResult) -> dict[str, Any]:
    event = _ocsf_base(report, Severity.INFO, control.status)
    comp_id, comp = event.pop("_compliance_status")
    event.update(
        {
            "message": control.rationale,
            "status_id": 1,
            "status": "New",
            "status_code": control.status.value,
            "finding_info": {
                "uid": f"{report.scan.id}:{report.framework.id}:{control.id}",
                "title": f"{control.id} {control.title}",
                "desc": control.rationale,
                "created_time": _ocsf_time(report.scan.started_at),
            },
            "compliance": {
                "control": control.id,
                "requirements": [control.id],
                "standards": [f"{report.framework.name} {report.framework.version}"],
                "status_id": comp_id,
                "status": comp,
                "status_code": control.status.value,
                "status_detail": control.rationale,
            },
            "unmapped": {
                "attestations": control.attestations,
                "checklist": control.checklist,
                "framework_id": report.framework.id,
            },
        }
    )
    return event


def render_framework_ocsf(report: FrameworkReport) -> str:
    """A JSON array of OCSF Compliance Findings: one per finding, one per control no finding speaks to."""
    controls_of: dict[str, list[str]] = {}
    for control in report.controls:
        for fid in control.findings:
            controls_of.setdefault(fid, []).append(control.id)
    events = [_ocsf_finding(report, f, controls_of.get(f.id, [])) for f in report.findings]
    events += [_ocsf_control(report, c) for c in report.controls if not c.findings]
    return json.dumps(events, indent=2, ensure_ascii=False) + "\n"


_RENDERERS: dict[str, Callable[[FrameworkReport], str]] = {
    "html": render_framework_html,
    "json": render_framework_json,
    "csv": render_framework_csv,
    "ocsf": render_framework_ocsf,
}


def framework_formats(chosen: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(chosen))
    unknown = [f for f in wanted if f not in FRAMEWORK_FORMATS]
    if unknown:
        raise ConfigError(
            f"Unknown framework report format {', '.join(map(repr, unknown))}.",
            f"Choose from: {', '.join(FRAMEWORK_FORMATS)}.",
        )
    return wanted


def render_framework(report: FrameworkReport, formats: Iterable[str]) -> list[tuple[str, str]]:
    """(file name, text) for each chosen format, all rendered before anything is written."""
    return [
        (FRAMEWORK_FORMATS[f].format(id=report.framework.id), _RENDERERS[f](report)) for f in framework_formats(formats)
    ]


def write_framework_reports(report: FrameworkReport, output_dir: Path, formats: Iterable[str]) -> list[Path]:
    """Render the chosen formats, then put them into output_dir together (see `reports.write_outputs`)."""
    from reports import write_outputs

    return write_outputs(Path(output_dir), render_framework(report, formats))
