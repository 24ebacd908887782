"""Property tests (hypothesis) for hostile data.

Secrets: a credential of any shape the redactor must know (tests/secret_shapes.py), under any naming style,
among any neighbours, in any place configuration or a log keeps it, never survives redaction or the log
scrubber; a look-alike in the same places is kept byte for byte.
Checks: any configuration document (arbitrary JSON, or a recorded response with fields removed, replaced or
given the wrong type) yields a valid verdict, and the engine never raises. Writers: names, tags, messages and
evidence carrying HTML, JavaScript, CSV formulas, terminal escapes and control characters render as inert
text in report.html, report.json, the framework reports (HTML, JSON, CSV, OCSF) and the terminal summary.
"""

from __future__ import annotations

import base64
import copy
import csv
import io
import json
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from cspm_ai.cli import _print_summary, safe_text
from cspm_ai.compliance import framework
from cspm_ai.engine import EvaluationSettings, Snapshot, _Context, evaluate, finding_id
from cspm_ai.framework_report import FrameworkReport, build_framework_report
from cspm_ai.logsafe import scrub
from cspm_ai.model import (
    Attestation,
    CollectionError,
    Finding,
    Relation,
    Resource,
    ScanRecord,
    Scope,
    Severity,
    Status,
    Verdict,
)
from cspm_ai.redact import redact
from cspm_ai.registry import REGISTRY, CheckSpec, all_checks
from cspm_ai.report import Report, build_report
from reports import render_html, render_json
from reports.framework_writer import (
    CSV_COLUMNS,
    render_framework_csv,
    render_framework_html,
    render_framework_json,
    render_framework_ocsf,
)
from reports.html_writer import SCRIPT, content_security_policy
from tests import secret_shapes
from tests.checks import azure_support, gcp_support
from tests.checks import conftest as aws_support

SCAN_AT = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CHECKS = all_checks()
SUPPORT = {"aws": aws_support, "azure": azure_support, "gcp": gcp_support}
# Every relation kind a check consults (ctx.related / related_uids / referrers), read from the check modules
# so that a new kind is linked to malformed neighbours without editing this file.
RELATION_KINDS = tuple(
    sorted(
        {
            kind
            for module in (Path(__file__).parents[1] / "checks").rglob("*.py")
            for kind in re.findall(r"\b(?:related|related_uids|referrers)\(\s*\w+,\s*\"([a-z_]+)\"", module.read_text())
        }
    )
)
REGIONS = ("us-east-1", "eu-west-1", "eastus", "us-central1", "global", "")

# ---------------------------------------------------------------------------------------------------------
# Configuration documents
# ---------------------------------------------------------------------------------------------------------


def _field_names() -> list[str]:
    """Every key of every recorded response, so random documents hit the fields checks read."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names.update(node)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for support in SUPPORT.values():
        walk(support.BASE)
    return sorted(names)


KEYS = st.sampled_from(_field_names()) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        ("", "true", "false", "0", "Enabled", "Disabled", "*", "2025-13-45T99:99:99Z", "9999-12-31T23:59:59Z")
    )
)
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12
)

DocPath = tuple[str | int, ...]


def _paths(node: Any, prefix: DocPath = ()) -> list[DocPath]:
    """Every path in a document, containers and leaves alike (keys may themselves contain dots)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    found: list[DocPath] = []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _retyped(value: Any) -> Any:
    """The same information in the wrong JSON type, as a careless API or collector might store it."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    return {}


def _mutate(doc: Any, path: DocPath, op: str, value: Any) -> None:
    parent = doc
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation removed or retyped this branch
    last = path[-1]
    if (
        isinstance(parent, dict)
        and last in parent
        or isinstance(parent, list)
        and isinstance(last, int)
        and last < len(parent)
    ):
        if op == "drop":
            del parent[last]
        elif op == "retype":
            parent[last] = _retyped(parent[last])
        else:
            parent[last] = value


def _mutations_of(base: Any) -> st.SearchStrategy[Any]:
    """A recorded response with a few fields removed, replaced by arbitrary JSON, or retyped."""
    paths = _paths(base)
    if not paths:
        return st.just(copy.deepcopy(base))

    def apply(changes: list[tuple[DocPath, str, Any]]) -> Any:
        doc = copy.deepcopy(base)
        for path, op, value in changes:
            _mutate(doc, path, op, value)
        return doc

    change = st.tuples(st.sampled_from(paths), st.sampled_from(("drop", "replace", "retype")), JSON_VALUES)
    return st.lists(change, min_size=1, max_size=5).map(apply)


@cache
def _base(provider: str, rtype: str) -> Resource:
    support = SUPPORT[provider]
    if rtype in support.BASE:
        return support.make(rtype)
    # No recorded response in the check tests: any resource of the provider, retyped, with an empty document.
    some = support.make(next(iter(support.BASE)))
    return replace(some, type=rtype, uid=f"{some.uid}/{rtype}", name=f"hyp-{rtype}", config={}, tags={})


@cache
def mutated(provider: str, rtype: str) -> st.SearchStrategy[Any]:
    return _mutations_of(_base(provider, rtype).config)


@cache
def documents(provider: str, rtype: str) -> st.SearchStrategy[Any]:
    """Mostly realistic documents gone wrong; sometimes arbitrary JSON, whatever its top-level type."""
    return st.one_of(mutated(provider, rtype), st.dictionaries(KEYS, JSON_VALUES, max_size=6), JSON_VALUES)


@cache
def _neighbour(provider: str, rtype: str, index: int) -> Resource:
    return SUPPORT[provider].make(rtype, name=f"hyp-neighbour-{index}")


@st.composite
def estates(draw: st.DrawFn, spec: CheckSpec) -> tuple[Resource, Snapshot, EvaluationSettings]:
    """A target of the check's types with a hostile document, and up to two malformed neighbours linked to it."""
    provider = spec.provider
    rtype = draw(st.sampled_from(spec.resource_types))
    base = _base(provider, rtype)
    tags = draw(st.just(base.tags) | st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3))
    target = replace(base, config=draw(documents(provider, rtype)), tags=tags)
    resources, relations = [target], []
    types = sorted(SUPPORT[provider].BASE)
    links = draw(
        st.lists(st.tuples(st.sampled_from(types), st.sampled_from(RELATION_KINDS), st.booleans()), max_size=2)
    )
    for i, (ntype, kind, outgoing) in enumerate(links):
        neighbour = _neighbour(provider, ntype, i)
        if any(r.uid == neighbour.uid for r in resources):
            continue  # singleton types (account, project, subscription) have one fixed uid
        resources.append(replace(neighbour, config=draw(mutated(provider, ntype))))
        relations.append(
            Relation(target.uid, kind, neighbour.uid) if outgoing else Relation(neighbour.uid, kind, target.uid)
        )
    allowed = draw(st.none() | st.frozensets(st.sampled_from(REGIONS), max_size=2))
    return target, Snapshot(resources, relations, []), EvaluationSettings(SCAN_AT, allowed)


def _assert_valid_verdict(verdict: object, where: str) -> None:
    assert isinstance(verdict, Verdict), f"{where} returned {verdict!r}"
    assert isinstance(verdict.status, Status), f"{where} returned status {verdict.status!r}"
    assert isinstance(verdict.message, str) and verdict.message.strip(), f"{where} returned no message"
    assert isinstance(verdict.evidence, dict), f"{where} returned evidence {verdict.evidence!r}"
    json.dumps(verdict.evidence)  # the report serialises it as is


@pytest.mark.parametrize("spec", CHECKS, ids=[c.id for c in CHECKS])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_check_judges_any_document(spec: CheckSpec, data: st.DataObject) -> None:
    target, snapshot, evaluation = data.draw(estates(spec))

    # Called directly, a check returns a verdict: a malformed document is judged, never a crash.
    verdict = spec.func(target, _Context(snapshot, evaluation))
    _assert_valid_verdict(verdict, spec.id)

    findings = evaluate(snapshot, [spec], evaluation)
    assert len(findings) == sum(1 for r in snapshot.resources if r.type in spec.resource_types)
    for finding in findings:
        _assert_valid_verdict(Verdict(finding.status, finding.message, finding.evidence), spec.id)
        assert finding.check_id == spec.id
    [mine] = [f for f in findings if f.resource_uid == target.uid]
    assert (mine.status, mine.message, mine.evidence) == (verdict.status, verdict.message, verdict.evidence)


EXCEPTIONS = (
    TypeError,
    KeyError,
    ValueError,
    AttributeError,
    IndexError,
    ZeroDivisionError,
    OverflowError,
    RecursionError,
    RuntimeError,
)


@settings(max_examples=30, deadline=None)
@given(exc=st.sampled_from(EXCEPTIONS), text=st.text(max_size=30), config=JSON_VALUES)
def test_engine_turns_a_crashing_check_into_error(exc: type[Exception], text: str, config: Any) -> None:
    """A check that raises on what it was given is reported ERROR naming the check and the exception."""

    def crashes(resource: Resource, ctx: object) -> Verdict:
        raise exc(text)

    spec = _spec_of(crashes)
    target = replace(_base("aws", "aws.sagemaker.notebook_instance"), config=config)
    [finding] = evaluate(Snapshot([target], [], []), [spec], EvaluationSettings(SCAN_AT))
    assert finding.status is Status.ERROR
    assert spec.id in finding.message and exc.__name__ in finding.message and target.name in finding.message
    assert finding.evidence == {"exception": exc.__name__}


@pytest.mark.parametrize("returned", [None, "PASS", {"status": "PASS"}, Status.PASS], ids=repr)
def test_engine_turns_a_non_verdict_into_error(returned: object) -> None:
    spec = _spec_of(lambda resource, ctx: returned)
    [finding] = evaluate(
        Snapshot([_base("aws", "aws.sagemaker.notebook_instance")], [], []), [spec], EvaluationSettings(SCAN_AT)
    )
    assert finding.status is Status.ERROR
    assert finding.message == f"Check {spec.id} returned no valid verdict."


@pytest.mark.parametrize("status", ["PASS", "nope", None], ids=repr)
def test_engine_turns_a_verdict_with_an_invalid_status_into_error(status: object) -> None:
    spec = _spec_of(lambda resource, ctx: Verdict(status, "looks fine.", {}))  # type: ignore[arg-type]
    [finding] = evaluate(
        Snapshot([_base("aws", "aws.sagemaker.notebook_instance")], [], []), [spec], EvaluationSettings(SCAN_AT)
    )
    assert finding.status is Status.ERROR


def _spec_of(func: Callable[..., Any]) -> CheckSpec:
    """An unregistered check on notebook instances, so the registry stays as the product ships it."""
    return CheckSpec(
        id="aws.test.misbehaves",
        resource_types=("aws.sagemaker.notebook_instance",),
        severity=Severity.HIGH,
        title="A check that misbehaves",
        checklist=("CL-01",),
        remediation="Fix the check.",
        func=func,
    )


# ---------------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------------

FRAGMENTS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "javascript:alert(document.cookie)",
    "</td></tr></table></pre><b>x</b>",
    "<!--",
    "]]>",
    "{{7*7}}",
    "{% raw %}",
    "&lt;b&gt;",
    "=cmd|' /C calc'!A0",
    "+SUM(1,1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\x1b[31mred",
    "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07",
    "\x1b[2J\x1b[H",
    "\x9b31m",
    "\x9d0;t\x9c",
    "\x00",
    "\x08\x08\x08",
    "\x07",
    "\x7f",
    "\u202eevil\u202c",
    "\u2066x\u2069",
    "\u2028",
    "line\nbreak",
    "[bold red]markup[/]",
)
HOSTILE = st.builds(
    lambda head, fragment, tail: head + fragment + tail,
    st.text(max_size=4),
    st.sampled_from(FRAGMENTS),
    st.text(max_size=8) | st.sampled_from(FRAGMENTS),
)
TEXT_FIELDS = (
    "scan_id",
    "account",
    "region",
    "identity",
    "scope_region",
    "resource_uid",
    "resource_name",
    "message",
    "mute_reason",
    "tag_key",
    "tag_value",
    "evidence_key",
    "evidence_value",
    "error_operation",
    "error_code",
    "error_message",
    "error_uid",
    "exception_id",
    "justification",
    "owner",
    "attestation_id",
    "attested_by",
    "attestation_evidence",
    "attestation_note",
)
TEXTS = st.fixed_dictionaries({name: HOSTILE for name in TEXT_FIELDS})
BENIGN = {name: f"benign-{name}" for name in TEXT_FIELDS}
LONG = ("=" + "<script>alert(1)</script>\x1b[31m\x00\u202e" * 4000)[:100_000]

# The findings' checks: one per provider, the FAIL one high so the terminal lists it among the worst.
FAILING = "aws.sagemaker.notebook_direct_internet_access"
ERRORED = all_checks("azure")[0].id
MANUAL_MUTED = all_checks("gcp")[0].id


class Scenario:
    """One scan's findings, errors, exceptions and attestations, with every data-borne text from `t`."""

    def __init__(self, t: dict[str, str]) -> None:
        self.scan = ScanRecord(
            id=t["scan_id"],
            started_at=SCAN_AT,
            finished_at=SCAN_AT.replace(minute=5),
            status="incomplete",
            providers=("aws", "azure", "gcp"),
            scopes=tuple(Scope(p, t["account"], (t["scope_region"],), t["identity"]) for p in ("aws", "azure", "gcp")),
            tool_version="1.0.0",
            allowed_regions=(t["scope_region"],),
            exceptions=(
                {
                    "id": t["exception_id"],
                    "checks": [FAILING],
                    "resources": [t["resource_uid"]],
                    "accounts": [t["account"]],
                    "regions": [t["region"]],
                    "tags": {t["tag_key"]: t["tag_value"]},
                    "justification": t["justification"],
                    "owner": t["owner"],
                    "expires": "2025-01-01",
                    "status": "expired",
                    "matched": 1,
                },
            ),
        )
        self.findings = [
            self._finding(t, REGISTRY[FAILING], Status.FAIL),
            self._finding(t, REGISTRY[ERRORED], Status.ERROR),
            self._finding(t, REGISTRY[MANUAL_MUTED], Status.MANUAL, muted=True),
        ]
        self.errors = [
            CollectionError(
                provider="aws",
                account=t["account"],
                region=t["region"],
                service="sagemaker",
                operation=t["error_operation"],
                code=t["error_code"],
                message=t["error_message"],
                resource_type="aws.sagemaker.notebook_instance",
                resource_uid=t["error_uid"],
            )
        ]
        self.attestations = [
            Attestation(
                id=t["attestation_id"],
                item=REGISTRY[FAILING].checklist[0],
                attested_by=t["attested_by"],
                attested_at=SCAN_AT.replace(month=5),
                expires_on=date(2026, 1, 1),
                evidence=t["attestation_evidence"],
                note=t["attestation_note"],
            )
        ]

    @staticmethod
    def _finding(t: dict[str, str], spec: CheckSpec, status: Status, muted: bool = False) -> Finding:
        uid = f"{t['resource_uid']}/{spec.provider}"
        return Finding(
            id=finding_id(spec.id, uid),
            check_id=spec.id,
            title=spec.title,
            status=status,
            severity=Severity.HIGH if status is Status.FAIL else spec.severity,
            provider=spec.provider,
            account=t["account"],
            region=t["region"],
            resource_type=spec.resource_types[0],
            resource_uid=uid,
            resource_name=t["resource_name"],
            message=t["message"],
            checklist=spec.checklist,
            compliance={k: list(v) for k, v in spec.compliance.items()},
            remediation=spec.remediation,
            evidence={
                t["evidence_key"]: t["evidence_value"],
                "Tags": {t["tag_key"]: t["tag_value"]},
                "nested": [t["evidence_value"], {"value": t["evidence_value"]}, None, 3, 1.5, True],
            },
            muted=muted,
            mute_reason=t["mute_reason"] if muted else None,
            resource_tags={t["tag_key"]: t["tag_value"]},
        )

    def report(self) -> Report:
        return build_report(self.scan, self.findings, self.errors, "1.0.0", self.attestations)

    def framework_report(self) -> FrameworkReport:
        return build_framework_report(
            framework("checklist"), self.scan, self.findings, self.errors, "1.0.0", self.attestations
        )


def _shape(soup: BeautifulSoup) -> list[tuple[str, tuple[str, ...]]]:
    """The document's elements and their attribute names, in order: what data must never change."""
    return [(tag.name, tuple(sorted(tag.attrs))) for tag in soup.find_all(True)]


def _visible(text: str) -> str:
    # Browsers fold CR and CRLF into LF and show NUL as U+FFFD; compare the rest exactly.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


@cache
def _benign_html_shape() -> list[tuple[str, tuple[str, ...]]]:
    return _shape(BeautifulSoup(render_html(Scenario(BENIGN).report()), "html.parser"))


@cache
def _benign_framework_shape() -> list[tuple[str, tuple[str, ...]]]:
    return _shape(BeautifulSoup(render_framework_html(Scenario(BENIGN).framework_report()), "html.parser"))


def _packaged_script() -> str:
    return (Path(__file__).parents[1] / "reports" / "templates" / SCRIPT).read_text("utf-8")


def _assert_inert_html(
    html: str, shape: list[tuple[str, tuple[str, ...]]], t: dict[str, str], scripts: list[str]
) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    assert [s.string for s in soup.find_all("script")] == scripts
    assert not [(tag.name, a) for tag in soup.find_all(True) for a in tag.attrs if a.lower().startswith("on")]
    assert all(a["href"].startswith("#") for a in soup.find_all(href=True))
    assert not soup.find_all(src=True)
    assert _shape(soup) == shape, "report data created or removed an element or attribute"
    # The hostile values are still there for a reader, as text.
    shown = _visible(soup.get_text())
    for name in ("resource_name", "message", "evidence_value"):
        assert _visible(t[name]) in shown or _visible(json.dumps(t[name], ensure_ascii=False)[1:-1]) in shown, name
    return soup


def _assert_report_html(report: Report, t: dict[str, str]) -> None:
    script = _packaged_script()
    soup = _assert_inert_html(render_html(report), _benign_html_shape(), t, [script])
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and csp["content"] == content_security_policy(script)


def _assert_report_json(report: Report) -> None:
    text = render_json(report)
    assert not re.search(r"[\x00-\x09\x0b-\x1f]", text), "raw control characters in report.json"
    assert Report.model_validate(json.loads(text, parse_constant=_reject)) == report


def _reject(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


def _assert_framework_outputs(frep: FrameworkReport, t: dict[str, str]) -> None:
    _assert_inert_html(render_framework_html(frep), _benign_framework_shape(), t, [])

    assert FrameworkReport.model_validate(json.loads(render_framework_json(frep), parse_constant=_reject)) == frep

    limit = csv.field_size_limit(sys.maxsize)  # the reader's own limit, not a spreadsheet's
    try:
        rows = list(csv.reader(io.StringIO(render_framework_csv(frep), newline="")))
    finally:
        csv.field_size_limit(limit)
    assert rows[0] == list(CSV_COLUMNS)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    formulas = [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))]
    assert not formulas, "a CSV cell a spreadsheet would run as a formula"
    names = {row[CSV_COLUMNS.index("resource_name")] for row in rows[1:]} - {""}
    assert names == {t["resource_name"]} or names == {"'" + t["resource_name"]}, names

    events = json.loads(render_framework_ocsf(frep), parse_constant=_reject)
    named = [e["resources"][0]["name"] for e in events if "resources" in e]
    assert named and set(named) == {t["resource_name"]}


# Control characters from C0 and C1, DEL, and the bidi and line-separator characters that rearrange or break
# what a terminal shows.
TERMINAL_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def _summary(scenario: Scenario, color_system: str | None) -> str:
    # Wide enough that no row wraps, so a line more than the benign summary's can only come from the data.
    width = 2 * max(len(f.resource_name) for f in scenario.findings) + 500
    console = Console(
        file=io.StringIO(),
        force_terminal=True,
        color_system=color_system,
        width=width,
        highlight=False,
        soft_wrap=False,
    )
    # The scan id is made by the scanner, not read from a cloud, and is printed as is.
    _print_summary(console, replace(scenario.scan, id="scan-0001"), scenario.findings, [Path("report.html")])
    return console.file.getvalue()  # type: ignore[attr-defined]


@cache
def _benign_summary_lines() -> int:
    return _summary(Scenario(BENIGN), None).count("\n")


def _assert_terminal(scenario: Scenario, t: dict[str, str]) -> None:
    plain = _summary(scenario, None)
    # With colour off, Rich writes no escape of its own: any control character came from the data.
    assert not TERMINAL_UNSAFE.findall(plain.replace("\n", ""))
    assert plain.count("\n") == _benign_summary_lines(), "data added or removed a line"
    assert safe_text(t["resource_name"]).plain in plain
    coloured = SGR.sub("", _summary(scenario, "truecolor"))
    assert not TERMINAL_UNSAFE.findall(coloured.replace("\n", ""))
    assert coloured.count("\n") == _benign_summary_lines()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=TEXTS)
def test_hostile_text_renders_inert_in_the_scan_report(t: dict[str, str]) -> None:
    report = Scenario(t).report()
    _assert_report_html(report, t)
    _assert_report_json(report)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=TEXTS)
def test_hostile_text_renders_inert_in_the_framework_reports(t: dict[str, str]) -> None:
    _assert_framework_outputs(Scenario(t).framework_report(), t)


@settings(max_examples=40, deadline=None)
@given(t=TEXTS)
def test_hostile_text_reaches_the_terminal_without_control_characters(t: dict[str, str]) -> None:
    _assert_terminal(Scenario(t), t)


@settings(max_examples=200, deadline=None)
@given(value=st.text() | HOSTILE)
def test_safe_text_replaces_exactly_the_unsafe_characters(value: str) -> None:
    shown = safe_text(value).plain
    assert len(shown) == len(value)
    for original, out in zip(value, shown, strict=True):
        assert out == ("\N{REPLACEMENT CHARACTER}" if TERMINAL_UNSAFE.match(original) else original)
    assert safe_text("[bold red]x[/]").plain == "[bold red]x[/]"  # no markup is interpreted


def test_very_long_hostile_values_render_whole_and_inert() -> None:
    t = {
        **BENIGN,
        **{
            name: LONG
            for name in ("resource_name", "message", "evidence_value", "tag_value", "error_message", "justification")
        },
    }
    scenario = Scenario(t)
    report = scenario.report()
    _assert_report_html(report, t)
    _assert_report_json(report)
    _assert_framework_outputs(scenario.framework_report(), t)
    _assert_terminal(scenario, t)


# ---------------------------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------------------------


def _words_of(name: str) -> list[str]:
    return [w for w in re.split(r"[_-]", name) if w]


# The naming styles the clouds' users write environment variables, settings and metadata keys in.
NAME_STYLES: dict[str, Callable[[str], str]] = {
    "as written": lambda name: name,
    "lower": str.lower,
    "kebab": lambda name: name.lower().replace("_", "-"),
    "camel": lambda name: "".join(w.lower() if i == 0 else w.capitalize() for i, w in enumerate(_words_of(name))),
    "pascal": lambda name: "".join(w.capitalize() for w in _words_of(name)),
}
# Neighbours that are never secrets, and any neighbour at all (around a planted secret, anything may stand).
BENIGN_ENV = (
    ("LOG_LEVEL", "info"),
    ("MODEL_NAME", "bert-base-uncased"),
    ("AWS_REGION", "us-east-1"),
    ("MLFLOW_TRACKING_URI", "postgresql://db.internal:5432/mlflow"),
    ("CUDA_VISIBLE_DEVICES", "0,1"),
    ("HF_HOME", "/mnt/cache/huggingface"),
    ("BATCH_SIZE", "32"),
)
SAFE_TEXT = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters=" -_./:"))
ANY_NEIGHBOURS = st.lists(
    st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True), SAFE_TEXT), max_size=4
)
BENIGN_NEIGHBOURS = st.lists(st.sampled_from(BENIGN_ENV), max_size=4, unique=True)

Env = list[tuple[str, str]]


def _script(env: Env) -> str:
    return "#!/bin/bash\nset -euo pipefail\n" + "".join(f"export {k}='{v}'\n" for k, v in env) + "python serve.py\n"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(text: str) -> str:
    return base64.b64decode(text).decode()


# Where a value is kept: each place builds a document from the environment and reads the stored document back
# as the text a reader (or an attacker) would see, with any base64 script decoded.
PLACES: dict[str, tuple[Callable[[Env], Any], Callable[[Any], str]]] = {
    "sagemaker env": (lambda env: {"Environment": dict(env)}, json.dumps),
    "vertex env list": (
        lambda env: {"containerSpec": {"env": [{"name": k, "value": v} for k, v in env]}},
        json.dumps,
    ),
    "azure deployment env": (lambda env: {"properties": {"environmentVariables": dict(env)}}, json.dumps),
    "aws tags": (lambda env: {"Tags": [{"Key": k, "Value": v} for k, v in env]}, json.dumps),
    "gce metadata items": (lambda env: {"metadata": {"items": [{"key": k, "value": v} for k, v in env]}}, json.dumps),
    "workbench startup-script": (
        lambda env: {"gceSetup": {"metadata": {"startup-script": _script(env)}}},
        lambda doc: doc["gceSetup"]["metadata"]["startup-script"],
    ),
    "lifecycle script, base64": (
        lambda env: {"OnStart": [{"Content": _b64(_script(env))}]},
        lambda doc: _unb64(doc["OnStart"][0]["Content"]),
    ),
    "azure setup script, base64": (
        lambda env: {"setupScripts": {"scripts": {"startupScript": {"scriptData": _b64(_script(env))}}}},
        lambda doc: _unb64(doc["setupScripts"]["scripts"]["startupScript"]["scriptData"]),
    ),
    "hyperparameter holding JSON": (
        lambda env: {"HyperParameters": {"config": json.dumps(dict(env))}},
        lambda doc: doc["HyperParameters"]["config"],
    ),
}
# How a log shows the same document: botocore's `Response body:\n%r` of the raw bytes, a JSON line, and XML.
LOG_FORMS: dict[str, Callable[[Env], str]] = {
    "json": lambda env: json.dumps({"Environment": dict(env)}),
    "bytes repr": lambda env: "Response body:\n" + repr(json.dumps({"Environment": dict(env)}).encode()),
    "json in json": lambda env: json.dumps({"HyperParameters": {"config": json.dumps(dict(env))}}),
    "xml": lambda env: "".join(f"<{k}>{v}</{k}>" for k, v in env if re.fullmatch(r"[A-Za-z_][\w.-]*", k)),
}


def _planted(shape: secret_shapes.Shape, style: str, neighbours: Env, position: int) -> tuple[Env, list[str]]:
    env = list(neighbours)
    env.insert(min(position, len(env)), (NAME_STYLES[style](shape.name), shape.value))
    return env, secret_shapes.traces(shape)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(secret_shapes.PLANTED),
    style=st.sampled_from(sorted(NAME_STYLES)),
    place=st.sampled_from(sorted(PLACES)),
    neighbours=ANY_NEIGHBOURS,
    position=st.integers(min_value=0, max_value=4),
)
def test_a_planted_secret_never_survives_storage(
    shape: secret_shapes.Shape, style: str, place: str, neighbours: Env, position: int
) -> None:
    env, traces = _planted(shape, style, neighbours, position)
    build, read = PLACES[place]
    cleaned, found = redact(build(env))
    shown = read(cleaned)
    assert not [t for t in traces if t in shown], (shape.id, style, place)
    assert found, "the redaction must be recorded for MS-4 to FAIL"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(secret_shapes.PLANTED),
    style=st.sampled_from(sorted(NAME_STYLES)),
    form=st.sampled_from(sorted(LOG_FORMS)),
    neighbours=ANY_NEIGHBOURS,
    position=st.integers(min_value=0, max_value=4),
)
def test_a_planted_secret_never_survives_the_log_scrubber(
    shape: secret_shapes.Shape, style: str, form: str, neighbours: Env, position: int
) -> None:
    env, traces = _planted(shape, style, neighbours, position)
    line = LOG_FORMS[form](env)
    if not any(t in line for t in traces):
        return  # this form cannot carry the value (an XML element name it would not be)
    scrubbed = scrub(line)
    assert not [t for t in traces if t in scrubbed], (shape.id, style, form)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    look_alike=st.sampled_from(secret_shapes.LOOK_ALIKES),
    style=st.sampled_from(sorted(NAME_STYLES)),
    place=st.sampled_from(sorted(PLACES)),
    neighbours=BENIGN_NEIGHBOURS,
    position=st.integers(min_value=0, max_value=4),
)
def test_a_look_alike_survives_storage_and_logs(
    look_alike: secret_shapes.LookAlike, style: str, place: str, neighbours: Env, position: int
) -> None:
    env = list(neighbours)
    env.insert(min(position, len(env)), (NAME_STYLES[style](look_alike.name), look_alike.value))
    document = PLACES[place][0](env)
    assert redact(document) == (document, [])
    for form in LOG_FORMS.values():
        line = form(env)
        # In a log, an Authorization header is scrubbed whatever it holds: SDKs log only real ones.
        assert scrub(line) == line or "Authorization" in line
