"""Tests for reports.json_writer.render_json: contract key order, indentation, UTF-8."""

from __future__ import annotations

import json
from collections.abc import Callable

from cspm_ai.model import Finding, ScanRecord
from cspm_ai.report import Report, build_report
from reports import render_json


def test_keys_follow_the_contract_order(report: Report) -> None:
    doc = json.loads(render_json(report))
    assert list(doc)[:6] == ["schema_version", "tool", "scan", "summary", "findings", "errors"]
    assert list(doc["scan"])[:6] == ["id", "started_at", "finished_at", "status", "providers", "scopes"]
    assert list(doc["summary"]["by_status"]) == ["PASS", "FAIL", "MANUAL", "ERROR"]
    assert list(doc["summary"]["by_severity"]) == ["critical", "high", "medium", "low", "info"]
    assert list(doc["findings"][0])[:4] == ["id", "check_id", "title", "status"]
    # Contract fields first, in contract order; added fields come after them.
    assert list(doc["findings"][0])[-4:] == ["muted", "mute_reason", "resource_tags", "affects"]


def test_indent_two_and_trailing_newline(report: Report) -> None:
    text = render_json(report)
    assert text.startswith('{\n  "schema_version": "1",\n  "tool": {\n    "name": "cspm-ai"')
    assert text.endswith("}\n")


def test_non_ascii_is_written_as_is(
    finding_factory: Callable[..., Finding],
    scan_factory: Callable[..., ScanRecord],
) -> None:
    finding = finding_factory(resource_name="modèle-日本語", evidence={"Tags.Équipe": "données"})
    text = render_json(build_report(scan_factory(), [finding], [], "1.0.0"))
    assert "modèle-日本語" in text and '"Tags.Équipe": "données"' in text
    assert "\\u" not in text
    text.encode("utf-8")


def test_output_is_deterministic(report: Report) -> None:
    assert render_json(report) == render_json(report)


def test_evidence_keeps_json_types(report: Report) -> None:
    doc = json.loads(render_json(report))
    finding = next(f for f in doc["findings"] if "SubnetId" in f["evidence"])
    assert finding["evidence"] == {"DirectInternetAccess": "Enabled", "SubnetId": None}
    assert finding["muted"] is False and finding["mute_reason"] is None


def test_writes_what_json_dumps_of_the_model_wrote(
    report: Report,
    hostile_report: Report,
    finding_factory: Callable[..., Finding],
    scan_factory: Callable[..., ScanRecord],
) -> None:
    # pydantic's serialiser replaced json.dumps(model_dump(mode="json"), indent=2, ensure_ascii=False): same text.
    odd = finding_factory(
        message='naïve café – ✓ \u2028 tab\there \x01 nul-free "quoted" back\\slash </script>',
        evidence={"n": 3, "f": 0.25, "big": 2**63, "none": None, "nested": {"list": [1, "ü", {"x": False}]}, "": ""},
    )
    with_odd = build_report(scan_factory(), [odd], [], "9.9.9")
    for chosen in (report, hostile_report, with_odd):
        assert render_json(chosen) == json.dumps(chosen.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def test_a_float_with_an_exponent_keeps_its_value(
    finding_factory: Callable[..., Finding], scan_factory: Callable[..., ScanRecord]
) -> None:
    tiny = build_report(scan_factory(), [finding_factory(evidence={"rate": 1e-05, "huge": 1e16})], [], "9.9.9")
    assert json.loads(render_json(tiny))["findings"][0]["evidence"] == {"rate": 1e-05, "huge": 1e16}
