"""Tests for reports/schema/report.schema.json: produced reports validate, bad documents do not."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from cspm_ai.model import ScanRecord
from cspm_ai.report import (
    AttestationOut,
    ErrorOut,
    FindingOut,
    ReevaluationOut,
    Report,
    RevocationOut,
    ScanInfo,
    UnappliedAttestationOut,
    build_report,
)
from reports import load_schema, render_json

CONTRACT_TOP = {"schema_version", "tool", "scan", "summary", "findings", "errors"}
CONTRACT_SCAN = {"id", "started_at", "finished_at", "status", "providers", "scopes"}
CONTRACT_FINDING = {
    "id",
    "check_id",
    "title",
    "status",
    "severity",
    "provider",
    "account",
    "region",
    "resource_type",
    "resource_uid",
    "resource_name",
    "message",
    "checklist",
    "compliance",
    "remediation",
    "evidence",
    "muted",
    "mute_reason",
}
CONTRACT_ERROR = {"provider", "account", "region", "service", "operation", "code", "message"}


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture
def doc(report: Report) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(render_json(report))
    return parsed


def _errors(validator: Draft202012Validator, doc: dict[str, Any]) -> list[str]:
    return [e.message for e in validator.iter_errors(doc)]


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_load_schema_returns_a_fresh_copy() -> None:
    load_schema()["required"].clear()
    assert "findings" in load_schema()["required"]


@pytest.mark.parametrize("fixture", ["report", "incomplete_report", "hostile_report", "governed_report"])
def test_produced_reports_validate(
    fixture: str,
    request: pytest.FixtureRequest,
    validator: Draft202012Validator,
) -> None:
    report: Report = request.getfixturevalue(fixture)
    assert _errors(validator, json.loads(render_json(report))) == []


def test_empty_report_validates(
    scan_factory: Callable[..., ScanRecord],
    validator: Draft202012Validator,
) -> None:
    report = build_report(scan_factory(), [], [], "0.1.0")
    assert _errors(validator, json.loads(render_json(report))) == []


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("schema_version", "2"),
        ("tool.name", "other-tool"),
        ("scan.status", "partial"),
        ("scan.started_at", "2024-05-01T12:00:00"),  # no timezone
        ("scan.started_at", "2024-13-45T12:00:00Z"),  # right shape, not a date: format check
        ("scan.finished_at", None),  # null is allowed only for incomplete scans
        ("scan.providers", ["oracle"]),
        ("scan.scopes.0.provider", "oracle"),
        ("summary.by_status.UNKNOWN", 1),
        ("summary.by_status.FAIL", -1),
        ("summary.by_severity.severe", 1),
        ("summary.by_checklist.XX-1", {"PASS": 0, "FAIL": 0, "MANUAL": 0, "ERROR": 0}),
        ("findings.0.status", "BROKEN"),
        ("findings.0.status", "fail"),
        ("findings.0.severity", "Critical"),
        ("findings.0.provider", "oracle"),
        ("findings.0.checklist", ["CL-01", "XX-9"]),
        ("findings.0.checklist", ["CL-1a"]),
        ("findings.0.checklist", ["cl-01"]),
        ("findings.0.muted", "no"),
        ("findings.0.compliance", {"nist": "SC-7"}),
        ("findings.0.check_id", "not a check id"),
        ("errors.0.provider", "oracle"),
        ("schema_version", _DELETE),
        ("scan", _DELETE),
        ("scan.finished_at", _DELETE),
        ("summary.by_status.ERROR", _DELETE),
        ("summary.by_severity.info", _DELETE),
        ("summary.by_checklist", _DELETE),
        ("findings.0.message", _DELETE),
        ("findings.0.mute_reason", _DELETE),
        ("findings.0.evidence", _DELETE),
        ("errors.0.code", _DELETE),
        ("errors", _DELETE),
    ],
)
def test_schema_rejects_bad_documents(
    doc: dict[str, Any],
    validator: Draft202012Validator,
    path: str,
    value: Any,
) -> None:
    bad = copy.deepcopy(doc)
    _set(bad, path, value)
    assert _errors(validator, bad), f"{path}={value!r} should be rejected"


def test_schema_allows_added_fields(doc: dict[str, Any], validator: Draft202012Validator) -> None:
    doc["x_pipeline"] = {"run": 1}
    doc["tool"]["commit"] = "abc"
    doc["scan"]["trigger"] = "cron"
    doc["findings"][0]["ticket"] = "SEC-1"
    doc["errors"][0]["retries"] = 2
    assert _errors(validator, doc) == []


def test_schema_allows_other_offsets(doc: dict[str, Any], validator: Draft202012Validator) -> None:
    doc["scan"]["started_at"] = "2024-05-01T14:00:00.5+02:00"
    assert _errors(validator, doc) == []


def test_schema_requires_exactly_the_contract_fields() -> None:
    schema = load_schema()
    assert set(schema["required"]) == CONTRACT_TOP
    assert set(schema["properties"]["scan"]["required"]) == CONTRACT_SCAN
    assert set(schema["$defs"]["finding"]["required"]) == CONTRACT_FINDING
    assert set(schema["$defs"]["error"]["required"]) == CONTRACT_ERROR


def test_models_declare_every_schema_property() -> None:
    schema = load_schema()
    pairs = [
        (Report, schema["properties"]),
        (ScanInfo, schema["properties"]["scan"]["properties"]),
        (FindingOut, schema["$defs"]["finding"]["properties"]),
        (ErrorOut, schema["$defs"]["error"]["properties"]),
        (ReevaluationOut, schema["$defs"]["reevaluation"]["properties"]),
        (AttestationOut, schema["$defs"]["attestation"]["properties"]),
        (UnappliedAttestationOut, schema["$defs"]["unapplied_attestation"]["properties"]),
        (RevocationOut, schema["$defs"]["revocation"]["properties"]),
    ]
    for model, properties in pairs:
        assert set(properties) == set(model.model_fields), model.__name__


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("scan.reevaluations.0.exceptions_from", "cli"),
        ("scan.reevaluations.0.mutelist_sha256", "not-a-hash"),
        ("scan.reevaluations.0.evaluated_at", "yesterday"),
        ("scan.reevaluations.0.rules", -1),
        ("scan.reevaluations.0.evaluated_at", _DELETE),
        ("attestations.0.status", "NOT_YET"),
        ("attestations.0.in_force_from", "yesterday"),
        ("attestations.0.provider", "oracle"),
        ("attestations.0.revocation.revoked_at", _DELETE),
        ("attestations_not_applied.0.reason", "forgotten"),
        ("attestations_not_applied.0.reason", _DELETE),
    ],
)
def test_schema_rejects_bad_governance_records(
    governed_report: Report, validator: Draft202012Validator, path: str, value: Any
) -> None:
    doc = json.loads(render_json(governed_report))
    assert _errors(validator, doc) == []
    _set(doc, path, value)
    assert _errors(validator, doc), f"{path}={value!r} should be rejected"
