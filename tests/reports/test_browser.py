"""report.html and the framework report in a real headless browser (Debian's chromium through chromedriver):
filters and search narrow the list and the count, details expand and collapse, the trend chart is drawn,
the page raises no CSP violation and no console error, and printing to PDF keeps every finding.

The browser is installed by the test setup when missing (apt-get, as root; .ci/run does the same); the
tests are skipped, saying why, only where it cannot be installed.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cspm_ai.compliance import frameworks
from cspm_ai.framework_report import build_framework_report
from cspm_ai.history import ResourceState, ScanContents, TrendPoint, diff_scans, finding_state
from cspm_ai.lineage import Lineage, build_graph
from cspm_ai.model import Finding, Relation, Resource, ScanRecord, Severity, Status
from cspm_ai.report import Report, build_report
from reports import render_html
from reports.framework_writer import render_framework_html

PACKAGES = ("chromium", "chromium-driver", "poppler-utils")
CSP_PROBE = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', function (e) {"
    " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });"
)


def _tools() -> tuple[str | None, str | None, str | None]:
    return shutil.which("chromium"), shutil.which("chromedriver"), shutil.which("pdftotext")


def _install() -> str:
    """Install the browser with apt-get when this process may; the reason it could not, else ''."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return "not root or no apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", *PACKAGES]
    try:
        if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600, check=True)
            subprocess.run(install, env=env, capture_output=True, timeout=900, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"apt-get install failed: {exc}"
    return ""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not all(_tools()):
        why = _install()
        if not all(_tools()):
            pytest.skip(f"no headless browser: chromium, chromedriver and pdftotext are needed ({why or 'not found'})")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra)")
    chromium, chromedriver, _ = _tools()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=chromedriver))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_PROBE})
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver: Any, page: Path) -> None:
    driver.get_log("browser")  # drain the previous page's log: what loading this one logs is kept
    driver.get(page.as_uri())


def _assert_clean(driver: Any) -> None:
    """No CSP violation and no console error on the page."""
    assert driver.execute_script("return window.__csp") == []
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def _pdf_text(driver: Any, tmp_path: Path) -> str:
    from selenium.webdriver.common.print_page_options import PrintOptions

    pdf = tmp_path / "printed.pdf"
    pdf.write_bytes(base64.b64decode(driver.print_page(PrintOptions())))
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return " ".join(text.split())


PROVIDERS = ("aws", "azure", "gcp")
STATUSES = (Status.FAIL, Status.FAIL, Status.PASS, Status.MANUAL, Status.ERROR)


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    made = []
    for i in range(15):
        provider = PROVIDERS[i % 3]
        uid = f"{provider}:res/nb{i:02d}"
        made.append(
            Finding(
                id=f"finding-{i:02d}",
                check_id=f"{provider}.svc.check_{i % 4}",
                title=f"Check {i % 4} holds",
                status=STATUSES[i % 5],
                severity=list(Severity)[i % 5],
                provider=provider,
                account="123456789012",
                region="us-east-1",
                resource_type=f"{provider}.svc.thing",
                resource_uid=uid,
                resource_name=f"nb{i:02d}",
                message=f"nb{i:02d} is as found.",
                checklist=("CL-01",) if i % 2 else ("CL-01", "ZT-2"),
                compliance={"nist-800-53-r5": ["SC-7"]},
                remediation="Fix it.",
                evidence={f"Evidence{i:02d}": i},
                muted=i == 0,
                mute_reason="accepted" if i == 0 else None,
            )
        )
    return made


@pytest.fixture(scope="module")
def scan_page(findings: list[Finding], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    scan = ScanRecord("scan-0002", start, start + timedelta(minutes=3), "complete", ("aws", "azure", "gcp"), (), "1")
    older = ScanRecord("scan-0001", start - timedelta(days=1), start, "complete", ("aws", "azure", "gcp"), (), "1")
    before = [finding_state(f) for f in findings[1:]]
    resources = [
        ResourceState(f.provider, f.account, f.region, f.resource_type, f.resource_uid, f.resource_name, "{}")
        for f in findings
    ]
    changes = diff_scans(
        ScanContents(older, before, resources[1:], []),
        ScanContents(scan, [finding_state(f) for f in findings], resources, []),
    )
    trend = [
        TrendPoint(
            scan_id=f"scan-{n:04d}",
            started_at=start - timedelta(days=5 - n),
            status="complete",
            fail_by_severity={s: n + k for k, s in enumerate(Severity)},
            fail_by_checklist={"CL-01": n, "ZT-2": 5 - n},
        )
        for n in range(6)
    ]
    report = build_report(scan, findings, [], "1.2.3", changes=changes, trend=trend, lineage=_lineage())
    page = tmp_path_factory.mktemp("page") / "report.html"
    page.write_text(render_html(report))
    return page, report


LINEAGE_ENDPOINT = "aws:res/endpoint"
HOSTILE_MODEL = '<b onmouseover="alert(1)">model</b>'


def _lineage() -> list[Lineage]:
    """An endpoint, its config and model (hostile name), and the role nb06 (FAIL in `findings`) the model runs as."""

    def resource(rtype: str, uid: str, name: str) -> Resource:
        return Resource("aws", "123456789012", "us-east-1", rtype, uid, name, {})

    resources = [
        resource("aws.sagemaker.endpoint", LINEAGE_ENDPOINT, "fraud-endpoint"),
        resource("aws.sagemaker.endpoint_config", "aws:res/config", "fraud-config"),
        resource("aws.sagemaker.model", "aws:res/model", HOSTILE_MODEL),
        resource("aws.iam.role", "aws:res/nb06", "nb06"),
    ]
    relations = [
        Relation(LINEAGE_ENDPOINT, "uses_endpoint_config", "aws:res/config"),
        Relation("aws:res/config", "uses_model", "aws:res/model"),
        Relation("aws:res/model", "uses_role", "aws:res/nb06"),
        Relation("aws:res/model", "uses_bucket", "arn:aws:s3:::gone"),
    ]
    return build_graph(resources, relations).lineages()


def _shown(driver: Any) -> list[str]:
    rows = driver.find_elements("css selector", "#findings-table tbody.finding")
    return [row.get_attribute("data-search") for row in rows if row.is_displayed()]


def _count_text(driver: Any) -> str:
    return str(driver.find_element("id", "findings-shown").text)


@pytest.mark.parametrize(
    ("control", "value", "keep"),
    [
        ("filter-status", "FAIL", lambda f: f.status == Status.FAIL),
        ("filter-severity", "high", lambda f: f.severity == Severity.HIGH),
        ("filter-checklist", "ZT-2", lambda f: "ZT-2" in f.checklist),
        ("filter-provider", "gcp", lambda f: f.provider == "gcp"),
    ],
)
def test_each_filter_narrows_the_list_and_the_count(
    browser: Any,
    scan_page: tuple[Path, Report],
    findings: list[Finding],
    control: str,
    value: str,
    keep: Callable[[Finding], bool],
) -> None:
    from selenium.webdriver.support.ui import Select

    page, report = scan_page
    _open(browser, page)
    total = len(report.findings)
    assert _count_text(browser) == f"Showing {total} of {total} findings"
    Select(browser.find_element("id", control)).select_by_value(value)
    expected = sum(1 for f in findings if keep(f))
    assert 0 < expected < total
    assert len(_shown(browser)) == expected
    assert _count_text(browser) == f"Showing {expected} of {total} findings"
    browser.find_element("id", "filter-reset").click()
    assert len(_shown(browser)) == total
    _assert_clean(browser)


def test_search_and_hide_muted(browser: Any, scan_page: tuple[Path, Report]) -> None:
    page, report = scan_page
    _open(browser, page)
    browser.find_element("id", "filter-search").send_keys("NB07")
    assert [s for s in _shown(browser)] and all("nb07" in s for s in _shown(browser))
    assert _count_text(browser) == f"Showing 1 of {len(report.findings)} findings"
    browser.find_element("id", "filter-search").clear()
    browser.find_element("id", "filter-search").send_keys(" ")  # an input event with an empty query
    browser.find_element("id", "filter-hide-muted").click()
    assert len(_shown(browser)) == len(report.findings) - 1
    browser.find_element("id", "filter-search").send_keys("no such resource")
    assert _shown(browser) == [] and browser.find_element("id", "findings-empty").is_displayed()
    _assert_clean(browser)


def test_expand_and_collapse(browser: Any, scan_page: tuple[Path, Report]) -> None:
    page, _ = scan_page
    _open(browser, page)
    opened = "return Array.from(document.querySelectorAll('#findings-table details')).map(d => d.open)"
    assert not any(browser.execute_script(opened))
    first = browser.find_element("css selector", "#findings-table details summary")
    first.click()
    assert browser.execute_script(opened).count(True) == 1
    evidence = browser.find_element("css selector", "#findings-table details .evidence")
    assert evidence.is_displayed()
    browser.find_element("id", "expand-all").click()
    assert all(browser.execute_script(opened))
    browser.find_element("id", "collapse-all").click()
    assert not any(browser.execute_script(opened))
    _assert_clean(browser)


def test_the_trend_chart_is_drawn(browser: Any, scan_page: tuple[Path, Report]) -> None:
    page, report = scan_page
    _open(browser, page)
    chart = browser.find_element("id", "trend-chart")
    assert chart.is_displayed() and chart.size["width"] > 300 and chart.size["height"] > 100
    boxes = browser.execute_script(
        "return Array.from(document.querySelectorAll('#trend-chart rect.bar'))"
        ".map(function (r) { var b = r.getBBox(); return [b.width, b.height, getComputedStyle(r).fill]; })"
    )
    assert len(boxes) == sum(1 for p in report.trend for n in p.fail_by_severity.values() if n)
    assert all(w > 0 and h > 0 and fill not in ("none", "rgb(0, 0, 0)") for w, h, fill in boxes)
    sparks = browser.find_elements("css selector", "#checklist-trend svg.spark polyline")
    assert len(sparks) == 2 and all(s.size["width"] > 0 for s in sparks)
    assert browser.find_element("id", "change-counts").is_displayed()
    _assert_clean(browser)


def test_the_lineage_drawing_is_drawn_with_its_failing_node_marked(
    browser: Any, scan_page: tuple[Path, Report], tmp_path: Path
) -> None:
    page, report = scan_page
    _open(browser, page)
    figure = browser.find_element("css selector", "figure.lineage")
    assert figure.get_attribute("data-root") == LINEAGE_ENDPOINT
    svg = figure.find_element("css selector", "svg.lineage-svg")
    assert svg.is_displayed() and svg.size["width"] > 600 and svg.size["height"] > 40
    nodes = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure.lineage g.lineage-node')).map(function (g) {"
        " var b = g.querySelector('rect').getBBox();"
        " return [g.getAttribute('data-uid'), g.getAttribute('class'), b.width, b.height,"
        " getComputedStyle(g.querySelector('rect')).stroke]; })"
    )
    assert [n[0] for n in nodes] == [node.uid for node in report.lineage[0].nodes]
    assert all(width > 0 and height > 0 for _, _, width, height, _ in nodes)
    failing = [uid for uid, cls, *_ in nodes if "failing" in cls.split()]
    assert failing == ["aws:res/nb06"]
    # The failing node's outline is the FAIL colour, not the others' grey; the bucket not collected is dashed.
    strokes = {uid: stroke for uid, _, _, _, stroke in nodes}
    assert strokes["aws:res/nb06"] != strokes["aws:res/config"]
    assert [uid for uid, cls, *_ in nodes if "missing" in cls.split()] == ["arn:aws:s3:::gone"]
    assert len(browser.find_elements("css selector", "figure.lineage path.lineage-edge")) == 4
    # The hostile name is text, not markup, and the text version names every link for screen readers.
    assert browser.find_elements("css selector", "figure.lineage b") == []
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure.lineage text.lineage-label')).map(t => t.textContent)"
    )
    assert "fraud-endpoint" in labels and any(label.startswith("<b onmouseover") for label in labels)
    listed = figure.find_element("css selector", ".visually-hidden").get_attribute("textContent")
    assert "fraud-config uses model " + HOSTILE_MODEL in listed and "1 failing finding" in listed
    assert "Lineage of fraud-endpoint" in svg.find_element("css selector", "title").get_attribute("textContent")
    text = _pdf_text(browser, tmp_path)
    assert "fraud-endpoint" in text and "FAIL" in text and "Identities" in text
    _assert_clean(browser)


def test_printing_keeps_every_finding_even_when_filtered(
    browser: Any, scan_page: tuple[Path, Report], findings: list[Finding], tmp_path: Path
) -> None:
    from selenium.webdriver.support.ui import Select

    page, _ = scan_page
    _open(browser, page)
    Select(browser.find_element("id", "filter-status")).select_by_value("PASS")
    assert len(_shown(browser)) < len(findings)
    text = _pdf_text(browser, tmp_path)
    for f in findings:
        assert f.resource_name in text and f.message in text, f.resource_name
        assert next(iter(f.evidence)) in text  # the details' content prints too
    assert "Since the last scan" in text and "Posture over time" in text
    _assert_clean(browser)


def test_the_framework_report_in_the_browser(browser: Any, findings: list[Finding], tmp_path: Path) -> None:
    start = datetime(2024, 5, 1, 12, tzinfo=UTC)
    scan = ScanRecord("scan-0002", start, start + timedelta(minutes=3), "complete", ("aws", "azure", "gcp"), (), "1")
    mapped = [f for f in findings if f.status != Status.ERROR]
    value = build_framework_report(frameworks()["checklist"], scan, mapped, [], "1.2.3")
    page = tmp_path / "framework.html"
    page.write_text(render_framework_html(value))
    _open(browser, page)
    details = browser.find_elements("css selector", "#controls-table details")
    assert details
    details[0].find_element("css selector", "summary").click()
    assert browser.execute_script("return document.querySelector('#controls-table details').open") is True
    text = _pdf_text(browser, tmp_path)
    for f in value.findings:
        assert f.resource_name in text and f.message in text
    _assert_clean(browser)


def test_the_probes_see_a_violation_when_there_is_one(browser: Any, tmp_path: Path) -> None:
    # Without this, a broken probe would pass every page above.
    page = tmp_path / "violating.html"
    page.write_text(
        '<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        "<p>x</p><script>document.title = 'ran';</script>"
    )
    _open(browser, page)
    assert browser.title != "ran"
    assert browser.execute_script("return window.__csp") == ["script-src-elem inline"]
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
