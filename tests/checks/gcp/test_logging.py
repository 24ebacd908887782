"""Cloud Audit Logs checks, table-driven: Vertex AI data access logs are on."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case
from tests.checks.gcp_support import one

PROJECT = "gcp.project"

CASES: list[Case] = [
    # CL-05
    Case("gcp.logging.vertex_data_access_audit_logs", PASS, "aiplatform", one(PROJECT)),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        PASS,
        "all-services-with-exemption",
        one(
            PROJECT,
            {
                "iamPolicy.auditConfigs": [
                    {
                        "service": "allServices",
                        "auditLogConfigs": [
                            {"logType": "ADMIN_READ"},
                            {"logType": "DATA_READ", "exemptedMembers": ["user:jose@example.com"]},
                            {"logType": "DATA_WRITE"},
                        ],
                    }
                ]
            },
        ),
        says="1 exempted member",
    ),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        PASS,
        "union-of-entries",
        one(
            PROJECT,
            {
                "iamPolicy.auditConfigs": [
                    {"service": "allServices", "auditLogConfigs": [{"logType": "DATA_WRITE"}]},
                    {"service": "aiplatform.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]},
                ]
            },
        ),
    ),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        FAIL,
        "read-only",
        one(
            PROJECT,
            {
                "iamPolicy.auditConfigs": [
                    {"service": "aiplatform.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]}
                ]
            },
        ),
        says="DATA_WRITE",
    ),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        FAIL,
        "other-service",
        one(
            PROJECT,
            {
                "iamPolicy.auditConfigs": [
                    {
                        "service": "storage.googleapis.com",
                        "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}],
                    }
                ]
            },
        ),
    ),
    Case(
        "gcp.logging.vertex_data_access_audit_logs",
        FAIL,
        "absent",
        one(PROJECT, {"iamPolicy.auditConfigs": DROP}),
        says="absent auditConfigs",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


def test_audit_log_exemptions_are_reported() -> None:
    case = next(c for c in CASES if c.label == "all-services-with-exemption")
    finding = assert_case(case)
    assert finding.evidence["exemptedMembers"] == {"allServices:DATA_READ": ["user:jose@example.com"]}
