"""Synthetic scans, findings and collection errors shared by the report tests.

Tests get the builders through fixtures rather than by importing this module: the
directory has no __init__.py, because as package "reports" it would shadow the real one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from cspm_ai.model import (
    Attestation,
    CollectionError,
    Finding,
    Reevaluation,
    Revocation,
    ScanRecord,
    Scope,
    Severity,
    Status,
)
from cspm_ai.report import Report, build_report

TOOL_VERSION = "1.2.3"
ACCOUNT = "123456789012"
REGION = "us-east-1"

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(1)>'
HOSTILE_TEMPLATE = "{{7*7}}"
HOSTILE_URL = "javascript:alert(document.cookie)"
HOSTILE_VALUES = (HOSTILE_SCRIPT, HOSTILE_ATTR, HOSTILE_TEMPLATE, HOSTILE_URL)


def make_finding(
    check: str = "aws.sagemaker.notebook_direct_internet_access",
    uid: str = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/nb-1",
    status: Status = Status.FAIL,
    severity: Severity = Severity.HIGH,
    **overrides: Any,
) -> Finding:
    """A finding with plausible values; keyword overrides replace any field."""
    fields: dict[str, Any] = {
        "id": f"{check}|{uid}",
        "check_id": check,
        "title": "Notebook instances have no direct internet access",
        "status": status,
        "severity": severity,
        "provider": "aws",
        "account": ACCOUNT,
        "region": REGION,
        "resource_type": "aws.sagemaker.notebook_instance",
        "resource_uid": uid,
        "resource_name": uid.rsplit("/", 1)[-1],
        "message": f"Notebook instance {uid.rsplit('/', 1)[-1]} has DirectInternetAccess Enabled.",
        "checklist": ("CL-01", "ZT-2"),
        "compliance": {"nist-800-53-r5": ["SC-7"], "cis-aws": ["5.1"]},
        "remediation": "Recreate the notebook instance with DirectInternetAccess Disabled in a VPC subnet.",
        "evidence": {"DirectInternetAccess": "Enabled", "SubnetId": None},
    }
    fields.update(overrides)
    return Finding(**fields)


def make_scan(status: str = "complete", finished: bool = True, **overrides: Any) -> ScanRecord:
    fields: dict[str, Any] = {
        "id": "scan-0001",
        "started_at": datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),
        "finished_at": datetime(2024, 5, 1, 12, 3, 25, tzinfo=UTC) if finished else None,
        "status": status,
        "providers": ("aws",),
        "scopes": (
            Scope("aws", ACCOUNT, (REGION, "eu-west-1"), f"arn:aws:sts::{ACCOUNT}:assumed-role/Auditor/session"),
        ),
        "tool_version": TOOL_VERSION,
        "allowed_regions": ("us-east-1", "eu-west-1"),
    }
    fields.update(overrides)
    return ScanRecord(**fields)


def make_error(**overrides: Any) -> CollectionError:
    fields: dict[str, Any] = {
        "provider": "aws",
        "account": ACCOUNT,
        "region": "eu-west-1",
        "service": "sagemaker",
        "operation": "ListNotebookInstances",
        "code": "AccessDenied",
        "message": "User is not authorized to perform sagemaker:ListNotebookInstances",
        "resource_type": "aws.sagemaker.notebook_instance",
    }
    fields.update(overrides)
    return CollectionError(**fields)


@pytest.fixture
def finding_factory() -> Callable[..., Finding]:
    return make_finding


@pytest.fixture
def scan_factory() -> Callable[..., ScanRecord]:
    return make_scan


@pytest.fixture
def error_factory() -> Callable[..., CollectionError]:
    return make_error


@pytest.fixture
def hostile_values() -> tuple[str, ...]:
    return HOSTILE_VALUES


@pytest.fixture
def findings() -> list[Finding]:
    """A mix of every status and several severities, given deliberately out of report order."""
    nb = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/"
    return [
        make_finding(uid=nb + "b", status=Status.PASS, severity=Severity.HIGH),
        make_finding(
            check="aws.sagemaker.notebook_root_access",
            uid=nb + "a",
            status=Status.FAIL,
            severity=Severity.MEDIUM,
            checklist=("CL-02",),
        ),
        make_finding(uid=nb + "c", status=Status.FAIL, severity=Severity.HIGH),
        make_finding(uid=nb + "a", status=Status.FAIL, severity=Severity.HIGH),
        make_finding(
            check="aws.cloudtrail.ai_data_events",
            uid=f"arn:aws:iam::{ACCOUNT}:root",
            status=Status.ERROR,
            severity=Severity.CRITICAL,
            checklist=("CL-05",),
            evidence={"error.code": "AccessDenied"},
        ),
        make_finding(
            check="aws.iam.role_least_privilege",
            uid=f"arn:aws:iam::{ACCOUNT}:role/r",
            status=Status.MANUAL,
            severity=Severity.LOW,
            checklist=("CL-02",),
            muted=True,
            mute_reason="Reviewed by the platform team",
        ),
        make_finding(
            check="aws.budgets.ai_cost_alerts",
            uid=f"arn:aws:iam::{ACCOUNT}:root",
            status=Status.PASS,
            severity=Severity.INFO,
            checklist=("CL-06",),
            compliance={},
        ),
    ]


@pytest.fixture
def errors() -> list[CollectionError]:
    return [
        make_error(
            region="us-east-1",
            service="s3",
            operation="GetBucketPolicy",
            resource_type="aws.s3.bucket",
            resource_uid="arn:aws:s3:::models",
        ),
        make_error(),
    ]


@pytest.fixture
def report(findings: list[Finding], errors: list[CollectionError]) -> Report:
    return build_report(make_scan(), findings, errors, TOOL_VERSION)


@pytest.fixture
def incomplete_report(findings: list[Finding], errors: list[CollectionError]) -> Report:
    return build_report(make_scan(status="incomplete", finished=False), findings, errors, TOOL_VERSION)


@pytest.fixture
def hostile_report() -> Report:
    """Every free-text field an attacker could influence (names, tags, messages) is hostile."""
    hostile = " ".join(HOSTILE_VALUES)
    finding = make_finding(
        resource_name=hostile,
        resource_uid=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{HOSTILE_ATTR}",
        message=f"Notebook {HOSTILE_SCRIPT} is exposed {HOSTILE_TEMPLATE}",
        remediation=f"See {HOSTILE_URL}",
        evidence={
            HOSTILE_SCRIPT: HOSTILE_ATTR,
            "Tags": {"Name": HOSTILE_SCRIPT, HOSTILE_ATTR: HOSTILE_URL, "x": HOSTILE_TEMPLATE},
            "Url": HOSTILE_URL,
        },
        compliance={HOSTILE_SCRIPT: [HOSTILE_ATTR]},
        muted=True,
        mute_reason=HOSTILE_ATTR,
    )
    error = make_error(
        message=f"denied {HOSTILE_SCRIPT} {HOSTILE_ATTR}", code=HOSTILE_TEMPLATE, resource_uid=HOSTILE_URL
    )
    hostile_exception = {
        "id": HOSTILE_ATTR,
        "checks": [HOSTILE_SCRIPT],
        "resources": ["*"],
        "accounts": ["*"],
        "regions": ["*"],
        "tags": {},
        "justification": HOSTILE_TEMPLATE,
        "owner": HOSTILE_URL,
        "expires": "2099-01-01",
        "status": "active",
        "matched": 0,
    }
    scan = make_scan(
        status="incomplete",
        id=f"scan {HOSTILE_ATTR}",
        scopes=(Scope("aws", ACCOUNT, (HOSTILE_SCRIPT,), HOSTILE_ATTR),),
        reevaluations=(
            make_reevaluation(mutelist_file=f"{HOSTILE_SCRIPT}.yaml", replaced_exceptions=(hostile_exception,)),
        ),
    )
    # Revoked before the scan: listed as not applied, with who revoked it and why.
    attestation = Attestation(
        id=f"att {HOSTILE_ATTR}",
        item="CL-11",
        attested_by=HOSTILE_SCRIPT,
        attested_at=datetime(2024, 4, 1, tzinfo=UTC),
        expires_on=date(2025, 3, 1),
        evidence=HOSTILE_URL,
        note=HOSTILE_TEMPLATE,
        provider="aws",
        account=ACCOUNT,
        revocation=Revocation(datetime(2024, 4, 2, tzinfo=UTC), HOSTILE_ATTR, HOSTILE_SCRIPT),
    )
    return build_report(scan, [finding], [error], TOOL_VERSION, [attestation])


def make_reevaluation(**overrides: Any) -> Reevaluation:
    """A re-evaluation that replaced the scan's exceptions with a mutelist file's."""
    fields: dict[str, Any] = {
        "evaluated_at": datetime(2024, 6, 3, 8, 30, 0, tzinfo=UTC),
        "tool_version": TOOL_VERSION,
        "exceptions_from": "mutelist",
        "mutelist_file": "/srv/risk/mutes.yaml",
        "mutelist_sha256": "0f" * 32,
        "rules": 1,
        "findings": 7,
        "muted": 1,
        "replaced_exceptions": (),
    }
    fields.update(overrides)
    return Reevaluation(**fields)


@pytest.fixture
def governed_report(findings: list[Finding], errors: list[CollectionError]) -> Report:
    """A scan re-evaluated twice (once with a mutelist file, then keeping the exceptions it gave), and
    attestations that stood every way they can at its start."""
    exception = {
        "id": "dev-notebooks",
        "checks": ["aws.sagemaker.*"],
        "resources": ["*"],
        "accounts": [ACCOUNT],
        "regions": ["*"],
        "tags": {},
        "justification": "Throwaway notebooks (RISK-142).",
        "owner": "ml@example.com",
        "expires": "2099-01-01",
        "status": "active",
        "matched": 1,
    }
    scan = make_scan(
        exceptions=(exception,),
        reevaluations=(
            make_reevaluation(),
            make_reevaluation(
                evaluated_at=datetime(2024, 6, 4, 8, 30, 0, tzinfo=UTC),
                exceptions_from="scan",
                mutelist_file=None,
                mutelist_sha256=None,
                replaced_exceptions=(exception,),
            ),
        ),
    )
    started = scan.started_at
    attestations = [
        # In force at the scan's start, revoked after it: the scan keeps it, and says so.
        make_attestation(
            id="att-in-force",
            revocation=Revocation(started + timedelta(days=1), "Ana (CISO)", "the playbook owner left"),
        ),
        # Backdated on its evidence file, scoped to the scanned account, longer than a year.
        make_attestation(
            id="att-backdated",
            item="PH-1",
            attested_at=started + timedelta(days=2),
            valid_from=started - timedelta(days=30),
            evidence="iac-review.pdf",
            evidence_sha256="ab" * 32,
            provider="aws",
            account=ACCOUNT,
            long_validity=True,
        ),
        make_attestation(id="att-expired", item="DP-1", expires_on=date(2024, 4, 30)),
        make_attestation(id="att-later", attested_by="mallory", attested_at=started + timedelta(minutes=5)),
        make_attestation(id="att-revoked", revocation=Revocation(started - timedelta(hours=1), "Ana", "wrong")),
        make_attestation(id="att-elsewhere", provider="azure", account="sub-1"),
    ]
    return build_report(scan, findings, errors, TOOL_VERSION, attestations)


def make_attestation(**overrides: Any) -> Attestation:
    """An attestation of CL-11 recorded a month before the scan of `make_scan`, expiring after it."""
    fields: dict[str, Any] = {
        "id": "att-1",
        "item": "CL-11",
        "attested_by": "Dana Reyes (CISO)",
        "attested_at": datetime(2024, 4, 1, 9, 0, tzinfo=UTC),
        "expires_on": date(2025, 3, 31),
        "evidence": "https://wiki.example.com/ir-tabletop",
    }
    fields.update(overrides)
    return Attestation(**fields)
