"""Tests for reports.html_writer: self-contained, CSP-locked, escaped, complete and filterable."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

from cspm_ai.checklist import checklist
from cspm_ai.model import Finding, ScanRecord
from cspm_ai.report import AffectedOut, Report, build_report
from reports import render_html, render_json

# Elements that fetch, embed or navigate: none may appear in the page.
FORBIDDEN_TAGS = {
    "link",
    "img",
    "iframe",
    "frame",
    "object",
    "embed",
    "base",
    "form",
    "video",
    "audio",
    "source",
    "track",
    "svg",
    "math",
    "picture",
    "portal",
    "applet",
}
# Attributes that load or navigate to a URL. `href` is checked separately (in-page anchors only).
URL_ATTRIBUTES = {
    "src",
    "srcset",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "xlink:href",
    "ping",
    "manifest",
    "codebase",
    "cite",
    "longdesc",
    "usemap",
}
DATA_ATTRIBUTES_READ_BY_SCRIPT = {
    "data-status",
    "data-severity",
    "data-provider",
    "data-checklist",
    "data-muted",
    "data-search",
}


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _all_tags(soup: BeautifulSoup) -> list[Tag]:
    return [t for t in soup.find_all(True) if isinstance(t, Tag)]


def _script_text() -> str:
    return files("reports").joinpath("templates/filter.js").read_text("utf-8")


@pytest.fixture
def html(report: Report) -> str:
    return render_html(report)


@pytest.fixture
def soup(html: str) -> BeautifulSoup:
    return _soup(html)


# --- self-contained -------------------------------------------------------------------------


def test_document_is_one_self_contained_page(soup: BeautifulSoup, html: str) -> None:
    assert html.startswith("<!doctype html>")
    assert not {t.name for t in _all_tags(soup)} & FORBIDDEN_TAGS
    for tag in _all_tags(soup):
        assert not set(tag.attrs) & URL_ATTRIBUTES, tag.name
        href = tag.get("href")
        assert href is None or str(href).startswith("#"), href
    # Nothing in the page may name a remote resource or pull one in from CSS.
    for marker in ("http://", "https://", "//cdn", "url(", "@import", "@font-face"):
        assert marker not in html.lower(), marker


def test_in_page_links_point_at_existing_sections(soup: BeautifulSoup) -> None:
    ids = {t["id"] for t in _all_tags(soup) if t.has_attr("id")}
    hrefs = {str(a["href"]) for a in soup.find_all("a")}
    assert hrefs and all(h[1:] in ids for h in hrefs)


def test_exactly_one_inline_script_and_inline_style(soup: BeautifulSoup) -> None:
    scripts = soup.find_all("script")
    assert len(scripts) == 1
    assert not scripts[0].attrs
    assert scripts[0].string == _script_text()
    assert len(soup.find_all("style")) == 1


def test_csp_allows_exactly_the_inline_script(soup: BeautifulSoup) -> None:
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert isinstance(meta, Tag)
    policy = str(meta["content"])
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == "'unsafe-inline'"
    assert directives["img-src"] == "data:"
    script = soup.find("script")
    assert isinstance(script, Tag) and script.string is not None
    digest = base64.b64encode(hashlib.sha256(script.string.encode("utf-8")).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'"
    # The CSP must be in force before anything it governs is parsed.
    head = [t.name for t in soup.head.find_all(True)] if soup.head else []
    assert head.index("meta") < head.index("style")
    charset, csp = soup.head.find_all("meta")[:2] if soup.head else (None, None)
    assert charset is not None and charset.get("charset") == "utf-8"
    assert csp is meta


def test_print_styles_show_everything(soup: BeautifulSoup) -> None:
    style = soup.find("style")
    assert isinstance(style, Tag) and style.string is not None
    print_css = style.string[style.string.index("@media print") :]
    assert ".finding[hidden]" in print_css
    assert ".filters" in print_css


def test_template_never_marks_report_data_safe() -> None:
    template_dir = files("reports").joinpath("templates")
    for entry in template_dir.iterdir():
        if entry.name.endswith(".j2"):
            source = entry.read_text("utf-8")
            assert not re.search(r"\|\s*safe\b", source), entry.name
            assert "autoescape false" not in source, entry.name


def test_script_builds_no_html_from_strings() -> None:
    script = _script_text()
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "setAttribute",
        "src",
        "href",
    ):
        assert sink not in script, sink


# --- content --------------------------------------------------------------------------------


def test_header_shows_scan_identity_times_and_scopes(soup: BeautifulSoup) -> None:
    header = soup.find("header")
    assert isinstance(header, Tag)
    text = header.get_text(" ", strip=True)
    assert "scan-0001" in text and "COMPLETE" in text
    assert "2024-05-01 12:00:00 UTC" in text and "2024-05-01 12:03:25 UTC" in text
    assert "3 min 25 s" in text
    times = [t["datetime"] for t in header.find_all("time")]
    assert times == ["2024-05-01T12:00:00Z", "2024-05-01T12:03:25Z"]
    scope = soup.find(id="scope")
    assert isinstance(scope, Tag)
    scope_text = scope.get_text(" ", strip=True)
    for value in (
        "aws",
        "123456789012",
        "us-east-1",
        "eu-west-1",
        "arn:aws:sts::123456789012:assumed-role/Auditor/session",
    ):
        assert value in scope_text


def test_complete_scan_has_no_incomplete_banner(soup: BeautifulSoup) -> None:
    assert soup.find(id="incomplete-banner") is None
    notice = soup.find(id="errors-notice")
    assert isinstance(notice, Tag) and "2 collection errors" in notice.get_text()


def test_incomplete_scan_shows_banner_with_reasons(incomplete_report: Report) -> None:
    soup = _soup(render_html(incomplete_report))
    banner = soup.find(id="incomplete-banner")
    assert isinstance(banner, Tag)
    assert "INCOMPLETE" in banner.get_text()
    reasons = [li.get_text(" ", strip=True) for li in banner.find_all("li")]
    assert reasons[0].startswith("The scan did not finish")
    assert any("sagemaker ListNotebookInstances failed with AccessDenied" in r for r in reasons)
    assert any("s3 GetBucketPolicy failed with AccessDenied" in r for r in reasons)
    assert soup.title is not None and "INCOMPLETE" in soup.title.get_text()
    assert soup.header is not None and "not finished" in soup.header.get_text()


def test_incomplete_without_errors_still_explains(scan_factory: Callable[..., ScanRecord]) -> None:
    report = build_report(scan_factory(status="incomplete"), [], [], "1.0.0")
    banner = _soup(render_html(report)).find(id="incomplete-banner")
    assert isinstance(banner, Tag) and len(banner.find_all("li")) == 1


def test_counts_by_status_and_severity(soup: BeautifulSoup) -> None:
    def counts(container_id: str, attr: str) -> dict[str, str]:
        box = soup.find(id=container_id)
        assert isinstance(box, Tag)
        return {str(c[attr]): c.select_one(".count").get_text() for c in box.select(f"[{attr}]")}

    assert counts("status-counts", "data-status") == {"FAIL": "3", "ERROR": "1", "MANUAL": "1", "PASS": "2"}
    assert counts("severity-counts", "data-severity") == {
        "critical": "1",
        "high": "3",
        "medium": "1",
        "low": "1",
        "info": "1",
    }


def test_checklist_table_lists_every_item_in_order(soup: BeautifulSoup) -> None:
    rows = soup.select("#checklist-table tr[data-checklist-id]")
    assert [r["data-checklist-id"] for r in rows] == list(checklist())
    by_id = {str(r["data-checklist-id"]): r for r in rows}
    for item in checklist().values():
        assert item.title in by_id[item.id].get_text()
    cl01 = {str(td["data-status"]): td.get_text() for td in by_id["CL-01"].select("td[data-status]")}
    assert cl01 == {"FAIL": "2", "ERROR": "0", "MANUAL": "0", "PASS": "1"}
    assert "FAILING" in by_id["CL-01"].get_text()
    assert "PASSING" in by_id["CL-06"].get_text()
    for item_id in ("CL-03", "ZT-1", "DP-1"):
        assert "not evaluated" in by_id[item_id].get_text()
        assert not by_id[item_id].select("td[data-status]")
    sections = [th.get_text() for th in soup.select("#checklist-table tr.section-row th")]
    assert sections == list(dict.fromkeys(i.section for i in checklist().values()))


def test_findings_rows_follow_report_order_with_details(report: Report, soup: BeautifulSoup) -> None:
    groups = soup.select("#findings-table tbody.finding")
    assert len(groups) == len(report.findings)
    for group, finding in zip(groups, report.findings, strict=True):
        assert group["data-status"] == finding.status.value
        details = group.find("details")
        assert isinstance(details, Tag)
        assert details.summary is not None and details.summary.get_text() == finding.message
        text = details.get_text(" ")
        assert finding.resource_uid in text and finding.remediation in text
        keys = [th.get_text() for th in details.select("table.evidence th[scope=row]")]
        assert keys == list(finding.evidence)
        values = [pre.get_text() for pre in details.select("table.evidence pre")]
        assert [json.loads(v) for v in values] == list(finding.evidence.values())
        for framework, controls in finding.compliance.items():
            assert framework in text and all(c in text for c in controls)


def test_muted_finding_shows_reason(soup: BeautifulSoup) -> None:
    [muted] = soup.select('tbody.finding[data-muted="true"]')
    assert "muted" in muted.select_one("tr.summary-row").get_text()
    assert "Reviewed by the platform team" in muted.get_text()


def test_errors_table(report: Report, soup: BeautifulSoup) -> None:
    rows = soup.select("#errors-table tbody tr")
    assert len(rows) == len(report.errors)
    first = rows[0].get_text(" ", strip=True)
    assert "sagemaker:ListNotebookInstances" in first and "AccessDenied" in first
    assert "arn:aws:s3:::models" in rows[1].get_text()


def test_renders_a_report_parsed_from_json(report: Report) -> None:
    parsed = Report.model_validate_json(render_json(report))
    assert render_html(parsed) == render_html(report)


def test_empty_scan_renders(scan_factory: Callable[..., ScanRecord]) -> None:
    soup = _soup(render_html(build_report(scan_factory(), [], [], "1.0.0")))
    assert soup.select("tbody.finding") == []
    empty = soup.find(id="findings-empty")
    assert isinstance(empty, Tag) and not empty.has_attr("hidden")


# --- filtering ------------------------------------------------------------------------------


def test_controls_are_labelled_and_hidden_until_the_script_runs(soup: BeautifulSoup) -> None:
    filters = soup.find(id="filters")
    assert isinstance(filters, Tag) and filters.has_attr("hidden")
    for control in filters.find_all(["select", "input"]):
        assert soup.find("label", attrs={"for": control["id"]}) is not None, control["id"]


def test_every_element_the_script_reads_exists(soup: BeautifulSoup) -> None:
    ids = set(re.findall(r'getElementById\("([^"]+)"\)', _script_text()))
    assert ids and all(soup.find(id=i) is not None for i in ids)


def test_rows_carry_the_data_attributes_the_script_reads(
    report: Report,
    soup: BeautifulSoup,
) -> None:
    script_reads = {"data-" + a for a in re.findall(r"\bd\.([a-z]+)\b", _script_text())}
    assert script_reads == DATA_ATTRIBUTES_READ_BY_SCRIPT
    options = {
        name: {str(o["value"]) for o in soup.select(f"#filter-{name} option") if o["value"]}
        for name in ("status", "severity", "checklist", "provider")
    }
    for group, finding in zip(soup.select("tbody.finding"), report.findings, strict=True):
        assert DATA_ATTRIBUTES_READ_BY_SCRIPT <= set(group.attrs)
        assert group["data-status"] in options["status"]
        assert group["data-severity"] in options["severity"]
        assert group["data-provider"] in options["provider"]
        assert set(str(group["data-checklist"]).split()) == set(finding.checklist)
        assert set(finding.checklist) <= options["checklist"]
        assert group["data-muted"] == ("true" if finding.muted else "false")
        search = str(group["data-search"])
        assert search == search.lower()
        for value in (finding.resource_uid, finding.resource_name, finding.message, finding.check_id):
            assert value.lower() in search


FILTER_HARNESS = r"""
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
function element(id) {
  return {id, value: "", checked: false, hidden: false, textContent: "", listeners: {},
    addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); },
    fire(type) { (this.listeners[type] || []).forEach((fn) => fn()); }};
}
const elements = Object.fromEntries(input.ids.map((id) => [id, element(id)]));
const groups = input.groups.map((dataset) => ({dataset, hidden: false, details: {open: false},
  querySelector() { return this.details; }}));
elements["findings-table"].querySelectorAll = (sel) => (sel === "tbody.finding" ? groups : []);
const windowListeners = {};
globalThis.document = {getElementById: (id) => elements[id] || null,
  querySelectorAll: () => groups.map((g) => g.details)};
globalThis.window = {addEventListener(type, fn) { (windowListeners[type] ||= []).push(fn); }};
require("vm").runInThisContext(input.script);
const out = {controlsHidden: elements.filters.hidden, results: []};
for (const scenario of input.scenarios) {
  elements["filter-reset"].fire("click");
  for (const [id, value] of Object.entries(scenario)) {
    if (typeof value === "boolean") { elements[id].checked = value; } else { elements[id].value = value; }
    elements[id].fire(id === "filter-search" ? "input" : "change");
  }
  out.results.push({visible: groups.flatMap((g, i) => (g.hidden ? [] : [i])),
    counter: elements["findings-shown"].textContent, emptyShown: !elements["findings-empty"].hidden});
}
elements["filter-reset"].fire("click");
elements["expand-all"].fire("click");
out.expanded = groups.every((g) => g.details.open);
elements["collapse-all"].fire("click");
(windowListeners.beforeprint || []).forEach((fn) => fn());
out.openForPrint = groups.every((g) => g.details.open);
(windowListeners.afterprint || []).forEach((fn) => fn());
out.closedAfterPrint = groups.every((g) => !g.details.open);
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_filter_script_behaviour_under_node(soup: BeautifulSoup) -> None:
    # Findings in report order: 0-2 FAIL, 3 ERROR, 4 MANUAL (muted), 5-6 PASS.
    scenarios: list[tuple[dict[str, Any], list[int]]] = [
        ({}, [0, 1, 2, 3, 4, 5, 6]),
        ({"filter-status": "FAIL"}, [0, 1, 2]),
        ({"filter-severity": "high"}, [0, 1, 5]),
        ({"filter-checklist": "CL-02"}, [2, 4]),
        ({"filter-checklist": "ZT-2", "filter-status": "PASS"}, [5]),
        ({"filter-provider": "azure"}, []),
        ({"filter-search": "  ROLE/R "}, [4]),
        ({"filter-search": "notebook-instance/a"}, [0, 2]),
        ({"filter-hide-muted": True}, [0, 1, 2, 3, 5, 6]),
    ]
    groups = [{k[5:]: v for k, v in g.attrs.items() if k.startswith("data-")} for g in soup.select("tbody.finding")]
    payload = {
        "script": soup.find("script").string,  # type: ignore[union-attr]
        "ids": [t["id"] for t in _all_tags(soup) if t.has_attr("id")],
        "groups": groups,
        "scenarios": [s for s, _ in scenarios],
    }
    done = subprocess.run(
        ["node", "-e", FILTER_HARNESS],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(done.stdout)
    assert out["controlsHidden"] is False
    assert [r["visible"] for r in out["results"]] == [expected for _, expected in scenarios]
    assert out["results"][0]["counter"] == "Showing 7 of 7 findings"
    assert out["results"][5] == {"visible": [], "counter": "Showing 0 of 7 findings", "emptyShown": True}
    assert out["expanded"] and out["openForPrint"] and out["closedAfterPrint"]


# --- hostile values -------------------------------------------------------------------------


def test_hostile_values_are_inert_text(hostile_report: Report, hostile_values: tuple[str, ...]) -> None:
    html = render_html(hostile_report)
    soup = _soup(html)
    assert len(soup.find_all("script")) == 1
    assert soup.find("script").string == _script_text()  # type: ignore[union-attr]
    assert not soup.find_all("img")
    assert not {t.name for t in _all_tags(soup)} & FORBIDDEN_TAGS
    for tag in _all_tags(soup):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag
        assert not set(tag.attrs) & URL_ATTRIBUTES
        href = tag.get("href")
        assert href is None or str(href).startswith("#")
        # Hostile strings may sit only in data-* attributes (inert, read via dataset).
        for name, value in tag.attrs.items():
            if not name.startswith("data-") and name not in {"content"}:
                assert "javascript:" not in str(value).lower(), (tag.name, name)
    text = soup.get_text()
    for value in hostile_values:
        assert value in text, value
    assert "49" not in text  # {{7*7}} was shown, not evaluated
    # The raw markup carries the payloads only escaped.
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_values_survive_in_data_attributes_and_evidence(
    hostile_report: Report,
    hostile_values: tuple[str, ...],
) -> None:
    soup = _soup(render_html(hostile_report))
    [group] = soup.select("tbody.finding")
    search = str(group["data-search"])
    for value in hostile_values:
        assert value.lower() in search
    keys = [th.get_text() for th in group.select("table.evidence th[scope=row]")]
    assert keys[0] == "<script>alert(1)</script>"
    tags_json = json.loads(group.select("table.evidence pre")[1].get_text())
    assert tags_json == hostile_report.findings[0].evidence["Tags"]
    banner = soup.find(id="incomplete-banner")
    assert isinstance(banner, Tag) and "{{7*7}}" in banner.get_text()


def test_finding_id_from_engine_renders(
    finding_factory: Callable[..., Finding],
    scan_factory: Callable[..., ScanRecord],
) -> None:
    finding = finding_factory(id="0123456789abcdef0123456789abcdef")
    soup = _soup(render_html(build_report(scan_factory(), [finding], [], "1.0.0")))
    assert "0123456789abcdef0123456789abcdef" in soup.get_text()


def test_checklist_id_missing_from_the_checklist_is_still_shown(
    finding_factory: Callable[..., Finding],
    scan_factory: Callable[..., ScanRecord],
) -> None:
    report = build_report(scan_factory(), [finding_factory(checklist=("CL-99",))], [], "1.0.0")
    soup = _soup(render_html(report))
    rows = soup.select("#checklist-table tr[data-checklist-id]")
    assert rows[-1]["data-checklist-id"] == "CL-99"
    assert [str(o["value"]) for o in soup.select("#filter-checklist option")] == ["", "CL-99"]


# --- governance -----------------------------------------------------------------------------


def test_reevaluations_show_when_with_which_mutelist_file_and_hash(governed_report: Report) -> None:
    soup = _soup(render_html(governed_report))
    header = soup.find(id="reevaluated")
    assert isinstance(header, Tag)
    assert "2 times, last on 2024-06-04 08:30 UTC" in " ".join(header.get_text().split())
    table = soup.find(id="reevaluations-table")
    assert isinstance(table, Tag)
    by_file, kept = (" ".join(r.get_text(" ").split()) for r in table.select("tbody tr"))
    assert by_file.startswith("2024-06-03 08:30:00 UTC") and "mutelist /srv/risk/mutes.yaml" in by_file
    assert f"sha256 {'0f' * 32}" in by_file and by_file.endswith("none")
    assert "the scan's own, kept" in kept and kept.endswith("dev-notebooks")


def test_a_scan_never_reevaluated_says_so(soup: BeautifulSoup) -> None:
    assert soup.find(id="reevaluated") is None and soup.find(id="reevaluations-table") is None
    section = soup.find(id="reevaluations")
    assert isinstance(section, Tag) and "None: these findings and exceptions are the scan's own." in section.get_text()


def test_attestations_show_both_times_scope_revocations_and_why_some_do_not_apply(governed_report: Report) -> None:
    soup = _soup(render_html(governed_report))
    applied = soup.find(id="attestations-table")
    assert isinstance(applied, Tag)
    rows = {r.th.get_text(): " ".join(r.get_text(" ").split()) for r in applied.select("tbody tr") if r.th}
    assert "revoked later, on 2024-05-02 12:00 UTC by Ana (CISO): the playbook owner left" in rows["CL-11"]
    assert "recorded 2024-05-03 12:00 UTC" in rows["PH-1"] and "in force from 2024-04-01 12:00 UTC" in rows["PH-1"]
    assert "longer than a year" in rows["PH-1"] and "aws 123456789012" in rows["PH-1"]
    assert "EXPIRED" in rows["DP-1"]
    unapplied = soup.find(id="unapplied-attestations-table")
    assert isinstance(unapplied, Tag)
    reasons = [" ".join(r.get_text(" ").split()) for r in unapplied.select("tbody tr")]
    assert any("Not yet in force when the scan started" in r and "mallory" in r for r in reasons)
    assert any("Revoked before the scan started, on 2024-05-01 11:00 UTC by Ana: wrong" in r for r in reasons)
    assert any("Scoped to nothing this scan read" in r and "azure sub-1" in r for r in reasons)
    assert "started 2024-05-01 12:00:00 UTC" in " ".join(soup.find(id="attestations").get_text(" ").split())


# The findings table's loop as the template wrote it before finding_rows_html took over: the reference the
# Python writer must match byte for byte, under the page's own Jinja settings.
JINJA_ROWS = Path(__file__).with_name("finding_rows_reference.html.j2")


@pytest.mark.parametrize("which", ["report", "hostile_report", "governed_report"])
def test_finding_rows_are_what_the_jinja_loop_wrote(which: str, request: pytest.FixtureRequest) -> None:
    from reports.html_writer import _environment, _finding_row, finding_rows_html

    chosen: Report = request.getfixturevalue(which)
    varied = [
        *chosen.findings,
        # Tags, a mute without a reason, and neither evidence nor compliance.
        chosen.findings[0].model_copy(
            update={"resource_tags": {"team": "<ml>", "cost's": '"a&b"'}, "muted": True, "mute_reason": None}
        ),
        chosen.findings[-1].model_copy(update={"evidence": {}, "compliance": {}, "remediation": ""}),
        # A supporting resource named by its human name (its id shown beside), affecting one AI resource, and
        # one affecting more than the details show.
        chosen.findings[0].model_copy(
            update={
                "resource_uid": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a1",
                "resource_name": "open-<sg>",
                "affects": [AffectedOut(uid="u", type="aws.sagemaker.endpoint", name="<ep>")],
            }
        ),
        chosen.findings[-1].model_copy(
            update={
                "affects": [AffectedOut(uid=f"u{i}", type="aws.sagemaker.model", name=f"model-{i}&") for i in range(12)]
            }
        ),
    ]
    rows = [_finding_row(f) for f in varied]
    expected = _environment().from_string(JINJA_ROWS.read_text()).render(rows=rows)
    assert finding_rows_html(rows) == expected
    assert finding_rows_html([]) == ""


def test_load_template_compiles_every_template_the_page_renders(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the scanning process compiles while its region workers collect: rendering then compiles nothing.
    from jinja2 import Environment

    from reports import html_writer

    html_writer._environment.cache_clear()
    expected = render_html(report)
    html_writer._environment.cache_clear()
    html_writer.load_template()
    compiled: list[str | None] = []
    real_compile = Environment.compile

    def counting_compile(self: Environment, source: Any, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return real_compile(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counting_compile)
    assert render_html(report) == expected
    assert compiled == []
    html_writer._environment.cache_clear()
    render_html(report)
    assert {"report.html.j2", "_governance.html.j2", "_lineage.html.j2"} <= set(compiled)
