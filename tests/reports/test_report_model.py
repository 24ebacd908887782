"""Tests for cspm_ai.report: summary counts, report order, times, validation, round-trips."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from cspm_ai.checklist import checklist
from cspm_ai.model import CollectionError, Finding, ScanRecord, Severity, Status
from cspm_ai.report import Report, build_report, rfc3339
from reports import render_json


def test_summary_counts_every_status_and_severity(report: Report) -> None:
    assert report.summary.by_status.model_dump() == {"PASS": 2, "FAIL": 3, "MANUAL": 1, "ERROR": 1}
    assert report.summary.by_severity.model_dump() == {
        "critical": 1,
        "high": 3,
        "medium": 1,
        "low": 1,
        "info": 1,
    }


def test_by_checklist_lists_covered_items_in_checklist_order(report: Report) -> None:
    by_item = {k: v.model_dump() for k, v in report.summary.by_checklist.items()}
    assert list(by_item) == ["CL-01", "CL-02", "CL-05", "CL-06", "ZT-2"]
    assert by_item["CL-01"] == {"PASS": 1, "FAIL": 2, "MANUAL": 0, "ERROR": 0}
    assert by_item["ZT-2"] == by_item["CL-01"]
    assert by_item["CL-02"] == {"PASS": 0, "FAIL": 1, "MANUAL": 1, "ERROR": 0}
    assert by_item["CL-05"] == {"PASS": 0, "FAIL": 0, "MANUAL": 0, "ERROR": 1}


def test_empty_scan_still_has_every_count(scan_factory: Callable[..., ScanRecord]) -> None:
    report = build_report(scan_factory(), [], [], "1.0.0")
    assert report.summary.by_status.model_dump() == {"PASS": 0, "FAIL": 0, "MANUAL": 0, "ERROR": 0}
    assert set(report.summary.by_severity.model_dump().values()) == {0}
    assert report.summary.by_checklist == {}
    assert report.findings == [] and report.errors == []


def test_findings_are_in_report_order(report: Report) -> None:
    order = [(f.status.value, f.severity.value, f.check_id, f.resource_uid.rsplit(":", 1)[-1]) for f in report.findings]
    assert order == [
        ("FAIL", "high", "aws.sagemaker.notebook_direct_internet_access", "notebook-instance/a"),
        ("FAIL", "high", "aws.sagemaker.notebook_direct_internet_access", "notebook-instance/c"),
        ("FAIL", "medium", "aws.sagemaker.notebook_root_access", "notebook-instance/a"),
        ("ERROR", "critical", "aws.cloudtrail.ai_data_events", "root"),
        ("MANUAL", "low", "aws.iam.role_least_privilege", "role/r"),
        ("PASS", "high", "aws.sagemaker.notebook_direct_internet_access", "notebook-instance/b"),
        ("PASS", "info", "aws.budgets.ai_cost_alerts", "root"),
    ]


def test_order_does_not_depend_on_input_order(
    findings: list[Finding],
    errors: list[CollectionError],
    scan_factory: Callable[..., ScanRecord],
) -> None:
    scan = scan_factory()
    expected = render_json(build_report(scan, findings, errors, "1.0.0"))
    for perm in itertools.islice(itertools.permutations(findings), 0, 5040, 97):
        assert render_json(build_report(scan, perm, list(reversed(errors)), "1.0.0")) == expected


def test_errors_keep_contract_fields_and_extras(report: Report) -> None:
    first, second = report.errors
    assert (first.region, second.region) == ("eu-west-1", "us-east-1")
    dumped = second.model_dump(mode="json")
    assert dumped == {
        "provider": "aws",
        "account": "123456789012",
        "region": "us-east-1",
        "service": "s3",
        "operation": "GetBucketPolicy",
        "code": "AccessDenied",
        "message": "User is not authorized to perform sagemaker:ListNotebookInstances",
        "resource_type": "aws.s3.bucket",
        "resource_uid": "arn:aws:s3:::models",
    }


def test_scan_info_and_extras(report: Report) -> None:
    scan = report.scan.model_dump(mode="json")
    assert scan["id"] == "scan-0001"
    assert scan["status"] == "complete"
    assert scan["started_at"] == "2024-05-01T12:00:00Z"
    assert scan["finished_at"] == "2024-05-01T12:03:25Z"
    assert scan["providers"] == ["aws"]
    assert scan["scopes"] == [
        {
            "provider": "aws",
            "account": "123456789012",
            "regions": ["us-east-1", "eu-west-1"],
            "identity": "arn:aws:sts::123456789012:assumed-role/Auditor/session",
        }
    ]
    assert scan["allowed_regions"] == ["us-east-1", "eu-west-1"]
    assert report.tool.model_dump() == {"name": "cspm-ai", "version": "1.2.3"}
    assert list(report.checklist_titles) == list(checklist())


@pytest.mark.parametrize(
    ("started", "expected"),
    [
        (datetime(2024, 5, 1, 12, 0, tzinfo=UTC), "2024-05-01T12:00:00Z"),
        # SQLite returns naive datetimes: they are UTC by the project's convention.
        (datetime(2024, 5, 1, 12, 0), "2024-05-01T12:00:00Z"),
        (datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), "2024-05-01T12:00:00Z"),
        (datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC), "2024-05-01T12:00:00.250000Z"),
    ],
)
def test_times_are_rfc3339_utc(
    started: datetime,
    expected: str,
    scan_factory: Callable[..., ScanRecord],
) -> None:
    report = build_report(scan_factory(started_at=started, finished_at=None, status="incomplete"), [], [], "1.0.0")
    assert report.scan.model_dump(mode="json")["started_at"] == expected
    assert rfc3339(started) == expected


def test_incomplete_scan_may_be_unfinished(incomplete_report: Report) -> None:
    scan = incomplete_report.scan.model_dump(mode="json")
    assert scan["status"] == "incomplete"
    assert scan["finished_at"] is None


def test_complete_scan_must_have_finished(scan_factory: Callable[..., ScanRecord]) -> None:
    with pytest.raises(ValidationError, match="finished_at"):
        build_report(scan_factory(status="complete", finished=False), [], [], "1.0.0")


def test_unknown_scan_status_is_rejected(scan_factory: Callable[..., ScanRecord]) -> None:
    with pytest.raises(ValidationError):
        build_report(scan_factory(status="running"), [], [], "1.0.0")


@pytest.mark.parametrize(
    "override",
    [{"checklist": ("CL-1a",)}, {"checklist": ("XX-1",)}, {"provider": "oracle"}],
)
def test_finding_values_outside_the_contract_are_rejected(
    override: dict[str, object],
    finding_factory: Callable[..., Finding],
    scan_factory: Callable[..., ScanRecord],
) -> None:
    with pytest.raises(ValidationError):
        build_report(scan_factory(), [finding_factory(**override)], [], "1.0.0")


def test_compliance_frameworks_are_sorted(
    finding_factory: Callable[..., Finding],
    scan_factory: Callable[..., ScanRecord],
) -> None:
    finding = finding_factory(compliance={"z-fw": ["1"], "a-fw": ["2", "1"]})
    out = build_report(scan_factory(), [finding], [], "1.0.0").findings[0]
    assert list(out.compliance) == ["a-fw", "z-fw"]
    assert out.compliance["a-fw"] == ["2", "1"]  # control order is the check's own


@pytest.mark.parametrize("fixture", ["report", "incomplete_report", "hostile_report"])
def test_json_round_trip_is_identical(fixture: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(fixture)
    text = render_json(report)
    again = Report.model_validate(json.loads(text))
    assert again == report
    assert render_json(again) == text


def test_fields_added_by_a_later_version_survive_a_round_trip(report: Report) -> None:
    doc = json.loads(render_json(report))
    doc["generated_by_ci"] = {"job": 7}
    doc["findings"][0]["ticket"] = "SEC-1"
    doc["errors"][0]["retries"] = 3
    again = Report.model_validate(doc)
    assert json.loads(render_json(again)) == doc


def test_report_is_immutable(report: Report) -> None:
    with pytest.raises(ValidationError):
        report.scan.id = "other"  # type: ignore[misc]


def test_status_and_severity_are_enums_after_parsing(report: Report) -> None:
    again = Report.model_validate_json(render_json(report))
    assert again.findings[0].status is Status.FAIL
    assert again.findings[0].severity is Severity.HIGH


def test_well_formed_id_missing_from_the_checklist_is_counted_last(
    finding_factory: Callable[..., Finding],
    scan_factory: Callable[..., ScanRecord],
) -> None:
    finding = finding_factory(checklist=("CL-99", "CL-01"))
    report = build_report(scan_factory(), [finding], [], "1.0.0")
    assert list(report.summary.by_checklist) == ["CL-01", "CL-99"]


def test_attestations_are_split_by_how_they_stood_at_the_scans_start(governed_report: Report) -> None:
    applied = {a.id: a for a in governed_report.attestations}
    assert {i: a.status for i, a in applied.items()} == {
        "att-in-force": "PASS",
        "att-backdated": "PASS",
        "att-expired": "FAIL",
    }
    assert {a.id: a.reason for a in governed_report.attestations_not_applied} == {
        "att-later": "not_yet_in_force",
        "att-revoked": "revoked",
        "att-elsewhere": "out_of_scope",
    }
    backdated = applied["att-backdated"]
    assert backdated.in_force_from == backdated.valid_from < governed_report.scan.started_at < backdated.attested_at
    assert (backdated.provider, backdated.long_validity) == ("aws", True)
    revoked_later = applied["att-in-force"].revocation
    assert revoked_later is not None and revoked_later.revoked_at > governed_report.scan.started_at
