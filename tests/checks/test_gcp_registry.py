"""Lints the GCP checks as test_azure_registry.py lints Azure: ids, metadata, coverage, cases, visibility."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import defaultdict

import pytest

import checks
import tests.checks as check_tests
from cspm_ai.checklist import checklist
from cspm_ai.model import Severity, Status
from cspm_ai.registry import CHECK_ID, REGISTRY, CheckSpec, all_checks
from tests.checks.gcp_support import load_gcp_checks

FRAMEWORKS = {
    "nist-800-53-r5": re.compile(r"^[A-Z]{2}-\d+(\(\d+\))?$"),
    "iso-27001-2022": re.compile(r"^A\.[5-8]\.\d+$"),
    "cis-gcp-2.0": re.compile(r"^\d+(\.\d+)+$"),
}
# Checklist items a GCP scan must cover (the Google Cloud section of the checklist; CL-11 by attestation).
GCP_ITEMS = ("CL-01", "CL-02", "CL-03", "CL-05", "CL-06", "CL-07", "CL-08", "CL-09", "CL-10", "CL-11", "CL-12",
             "MS-3")
ALWAYS_MANUAL = {"gcp.project.incident_response_playbooks"}
# The resource types of docs/architecture.md, "Google Cloud".
GCP_TYPES = {
    "gcp.project", "gcp.vertex.endpoint", "gcp.vertex.model", "gcp.vertex.dataset", "gcp.vertex.custom_job",
    "gcp.vertex.training_pipeline", "gcp.vertex.featurestore", "gcp.vertex.model_monitoring_job",
    "gcp.notebooks.instance", "gcp.iam.service_account", "gcp.kms.crypto_key", "gcp.orgpolicy.policy",
    "gcp.accesscontext.perimeter", "gcp.scc.settings", "gcp.billing.budget",
}
# The ids are a contract (mutelists, reports and the demo estate will name them).
GCP_IDS = {
    "gcp.vertex.endpoint_private", "gcp.vertex.resource_cmek", "gcp.vertex.job_on_vpc",
    "gcp.vertex.dedicated_service_account", "gcp.vertex.endpoint_request_logging", "gcp.vertex.endpoint_monitored",
    "gcp.vertex.resource_in_allowed_region", "gcp.notebooks.no_public_ip",
    "gcp.iam.no_basic_roles_for_ai_service_accounts", "gcp.iam.no_user_managed_keys", "gcp.kms.key_rotation",
    "gcp.logging.vertex_data_access_audit_logs", "gcp.accesscontext.vertex_in_perimeter",
    "gcp.billing.budget_alerts", "gcp.scc.enabled", "gcp.orgpolicy.ai_constraints",
    "gcp.project.incident_response_playbooks",
}

load_gcp_checks()
GCP_CHECKS = sorted((c for c in REGISTRY.values() if c.provider == "gcp"), key=lambda c: c.id)


def _ids(specs: list[CheckSpec]) -> list[str]:
    return [c.id for c in specs]


def _case_statuses() -> dict[str, set[Status]]:
    """Every (check id -> statuses) that the GCP table-driven tests exercise (their `GCP_CASES`)."""
    statuses: dict[str, set[Status]] = defaultdict(set)
    for module in pkgutil.iter_modules(check_tests.__path__):
        if module.name.startswith("test_gcp_"):
            for case in getattr(importlib.import_module(f"tests.checks.{module.name}"), "GCP_CASES", ()):
                statuses[case.check_id].add(case.expected)
    return statuses


CASE_STATUSES = _case_statuses()


def test_gcp_ids_are_the_published_contract() -> None:
    assert set(_ids(GCP_CHECKS)) == GCP_IDS


@pytest.mark.parametrize("spec", GCP_CHECKS, ids=_ids(GCP_CHECKS))
def test_id_names_provider_service_and_module(spec: CheckSpec) -> None:
    assert CHECK_ID.match(spec.id)
    assert spec.func.__module__ == f"checks.{spec.provider}.{spec.service}"


@pytest.mark.parametrize("spec", GCP_CHECKS, ids=_ids(GCP_CHECKS))
def test_metadata_is_complete(spec: CheckSpec) -> None:
    items = checklist()
    assert spec.checklist and all(item in items for item in spec.checklist), spec.checklist
    assert isinstance(spec.severity, Severity)
    assert spec.title.strip() and not spec.title.endswith(".")
    assert "gcloud" in spec.remediation, "remediation gives the gcloud command"
    assert spec.description.strip(), "the docstring says how the check decides and what absence means"
    assert spec.resource_types and set(spec.resource_types) <= GCP_TYPES, spec.resource_types


@pytest.mark.parametrize("spec", GCP_CHECKS, ids=_ids(GCP_CHECKS))
def test_compliance_references_are_well_formed(spec: CheckSpec) -> None:
    assert {"nist-800-53-r5", "iso-27001-2022"} <= set(spec.compliance)
    for framework, controls in spec.compliance.items():
        assert framework in FRAMEWORKS, framework
        assert controls, framework
        assert all(FRAMEWORKS[framework].match(c) for c in controls), (framework, controls)
        assert len(set(controls)) == len(controls)


@pytest.mark.parametrize("item", GCP_ITEMS)
def test_every_gcp_checklist_item_has_a_check(item: str) -> None:
    assert any(item in c.checklist for c in GCP_CHECKS), item


@pytest.mark.parametrize("spec", GCP_CHECKS, ids=_ids(GCP_CHECKS))
def test_every_check_has_pass_and_fail_cases(spec: CheckSpec) -> None:
    seen = CASE_STATUSES.get(spec.id, set())
    if spec.id in ALWAYS_MANUAL:
        assert Status.MANUAL in seen
    else:
        assert {Status.PASS, Status.FAIL} <= seen, f"{spec.id} is tested for {sorted(seen)} only"


def test_cases_name_registered_gcp_checks() -> None:
    assert CASE_STATUSES and set(CASE_STATUSES) <= set(_ids(GCP_CHECKS))


def test_an_unseen_scope_is_tested_as_error() -> None:
    assert Status.ERROR in CASE_STATUSES["gcp.vertex.endpoint_monitored"]


@pytest.mark.skipif("gcp" in checks.PROVIDERS, reason="gcp is live")
def test_gcp_checks_stay_hidden_until_the_provider_is_live() -> None:
    assert "gcp" not in checks.PROVIDERS
    assert all_checks("gcp") == []
    assert not any(c.provider == "gcp" for c in all_checks())
