"""report.json's `changes` and `trend`, and the HTML page's "Since the last scan" and trend charts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from jsonschema import Draft202012Validator

from cspm_ai.history import (
    FindingChange,
    PathChange,
    ResourceChange,
    ResourceRef,
    ResourceState,
    ScanContents,
    ScanDiff,
    ScanRef,
    TrendPoint,
    diff_scans,
    finding_state,
)
from cspm_ai.model import Finding, ScanRecord, Severity, Status
from cspm_ai.report import Report, build_report
from reports import load_schema, render_html, render_json
from reports.charts import severity_chart
from tests.report_safety import assert_hostile_text_is_inert

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


def trend(days: int, start: datetime) -> list[TrendPoint]:
    return [
        TrendPoint(
            scan_id=f"scan-{i:04d}",
            started_at=start + timedelta(days=i),
            status="complete",
            fail_by_severity={s: (i + n) % 7 for n, s in enumerate(Severity)},
            fail_by_checklist={"CL-01": i % 5, "ZT-2": 3, "PH-9": 1},
        )
        for i in range(days)
    ]


@pytest.fixture
def changed_report(
    finding_factory: Callable[..., Finding], scan_factory: Callable[..., ScanRecord]
) -> tuple[Report, ScanDiff]:
    old_scan = scan_factory(id="scan-0000", started_at=datetime(2024, 4, 30, 12, tzinfo=UTC))
    new_scan = scan_factory()
    uid = f"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/{HOSTILE}"
    before = [finding_factory(status=Status.PASS, uid=uid), finding_factory(check="aws.s3.x", status=Status.FAIL)]
    after = [finding_factory(status=Status.FAIL, uid=uid, message=f"Notebook {HOSTILE} is open.")]
    resources_before = [
        ResourceState("aws", "1", "us-east-1", "aws.sagemaker.notebook_instance", uid, HOSTILE, '{"a": 1}')
    ]
    resources_after = [
        ResourceState("aws", "1", "us-east-1", "aws.sagemaker.notebook_instance", uid, HOSTILE, '{"a": "<b>2</b>"}')
    ]
    diff = diff_scans(
        ScanContents(old_scan, [finding_state(f) for f in before], resources_before, []),
        ScanContents(new_scan, [finding_state(f) for f in after], resources_after, []),
    )
    report = build_report(new_scan, after, [], "1.2.3", changes=diff, trend=trend(3, datetime(2024, 4, 29, tzinfo=UTC)))
    return report, diff


def test_changes_and_trend_validate_and_round_trip(changed_report: tuple[Report, ScanDiff]) -> None:
    report, diff = changed_report
    doc = json.loads(render_json(report))
    Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER).validate(doc)
    assert doc["changes"]["counts"]["regressed"] == 1 and doc["changes"]["counts"]["no_longer_seen"] == 1
    assert doc["changes"]["resources"]["changed"][0]["paths"][0] == {
        "path": "a",
        "change": "changed",
        "before": 1,
        "after": "<b>2</b>",
    }
    assert doc["trend"][0]["fail_by_severity"] == {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    assert doc["trend"][0]["started_at"] == "2024-04-29T00:00:00Z"
    assert Report.model_validate_json(render_json(report)) == report


def test_a_report_without_history_still_validates(report: Report) -> None:
    doc = json.loads(render_json(report))
    assert doc["changes"] is None and doc["trend"] == []
    Draft202012Validator(load_schema()).validate(doc)
    soup = BeautifulSoup(render_html(report), "html.parser")
    assert "built without history" in soup.select_one("#changes-none").get_text()
    assert soup.select_one("#trend-chart") is None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("changes.findings.regressed.0.previous_status", "MAYBE"),
        ("changes.findings.no_longer_seen.0.reason", "vanished"),
        ("changes.resources.changed.0.paths.0.change", "moved"),
        ("changes.counts.new_failures", -1),
        ("changes.to_scan.started_at", "yesterday"),
        ("trend.0.fail_by_checklist", {"not-an-item": 1}),
        ("trend.0.fail_by_severity", {"critical": 1}),
    ],
)
def test_schema_rejects_bad_history(changed_report: tuple[Report, ScanDiff], path: str, value: Any) -> None:
    doc = json.loads(render_json(changed_report[0]))
    validator = Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    target: Any = doc
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    assert list(validator.iter_errors(doc)), f"{path}={value!r} should be rejected"


def test_models_declare_every_history_schema_property() -> None:
    defs = load_schema()["$defs"]
    for model, name in [
        (ScanDiff, "changes"),
        (ScanRef, "scan_ref"),
        (FindingChange, "finding_change"),
        (ResourceRef, "resource_ref"),
        (ResourceChange, "resource_change"),
        (PathChange, "path_change"),
        (TrendPoint, "trend_point"),
    ]:
        assert set(defs[name]["properties"]) == set(model.model_fields), name


def test_the_page_shows_what_changed_with_cloud_text_inert(
    changed_report: tuple[Report, ScanDiff], tmp_path: Any
) -> None:
    report, _ = changed_report
    page = tmp_path / "report.html"
    page.write_text(render_html(report))
    assert_hostile_text_is_inert(page, [HOSTILE])
    soup = BeautifulSoup(page.read_text(), "html.parser")
    counts = {card["data-change"]: card.select_one(".count").get_text() for card in soup.select("#change-counts .card")}
    assert counts["regressed"] == "1" and counts["no_longer_seen"] == "1" and counts["new_failures"] == "0"
    regressed = soup.select("#changes-regressed tbody tr")
    assert len(regressed) == 1 and "PASS → FAIL" in regressed[0].get_text()
    assert "FAIL → gone (its resource is gone)" in soup.select_one("#changes-no-longer-seen").get_text()
    assert '1 → "<b>2</b>"' in soup.select_one("#changes-resources").get_text()


def test_the_trend_is_drawn_as_svg_with_its_numbers_in_tables(changed_report: tuple[Report, ScanDiff]) -> None:
    report, _ = changed_report
    soup = BeautifulSoup(render_html(report), "html.parser")
    chart = soup.select_one("svg#trend-chart")
    assert chart["role"] == "img" and chart.select_one("title").get_text().startswith("FAIL findings by severity")
    bars = chart.select("rect.bar")
    assert sum(int(b["data-count"]) for b in bars) == sum(sum(p.fail_by_severity.values()) for p in report.trend)
    assert all(float(b["height"]) > 0 and b.select_one("title").get_text() for b in bars)
    rows = soup.select("#trend-table tbody tr")
    assert len(rows) == 3 and rows[0].select("td")[-1].get_text() == str(sum(report.trend[0].fail_by_severity.values()))
    items = [row["data-checklist-id"] for row in soup.select("#checklist-trend tbody tr")]
    assert items == ["CL-01", "ZT-2", "PH-9"]  # checklist order, an unknown item last
    spark = soup.select_one('#checklist-trend tr[data-checklist-id="CL-01"] svg')
    assert spark["aria-label"] == "CL-01 FAIL counts, oldest first: 0, 1, 2"
    assert soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"].startswith(
        "default-src 'none'"
    )


def test_a_trend_of_a_hundred_scans_keeps_its_labels_readable(report: Report) -> None:
    # How long it takes is measured by `make bench-history`, not here.
    long = report.model_copy(update={"trend": trend(100, datetime(2024, 1, 1, tzinfo=UTC))})
    page = render_html(long)
    chart = severity_chart(long.trend)
    assert len(chart.x_labels) <= 12 and chart.x_labels[-1].text == "04-09"
    assert page.count('class="bar sev-') >= 100
