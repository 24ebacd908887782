"""Lints the Azure checks as tests/test_registry.py lints AWS: ids, metadata, coverage, cases, visibility."""

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
from tests.checks.azure_support import load_azure_checks

FRAMEWORKS = {
    "nist-800-53-r5": re.compile(r"^[A-Z]{2}-\d+(\(\d+\))?$"),
    "iso-27001-2022": re.compile(r"^A\.[5-8]\.\d+$"),
    "cis-azure-2.0": re.compile(r"^\d+(\.\d+)+$"),
}
# Checklist items an Azure scan must cover (the Azure section of the checklist; CL-11 by attestation).
AZURE_ITEMS = ("CL-01", "CL-02", "CL-03", "CL-04", "CL-05", "CL-06", "CL-07", "CL-08", "CL-09", "CL-10", "CL-11",
               "CL-12")
ALWAYS_MANUAL = {"azure.subscription.incident_response_playbooks"}
# The resource types of docs/architecture.md, "Azure resource types".
AZURE_TYPES = {
    "azure.subscription", "azure.ml.workspace", "azure.ml.online_endpoint", "azure.ml.online_deployment",
    "azure.ml.batch_endpoint", "azure.ml.batch_deployment", "azure.ml.compute", "azure.ml.registry", "azure.cognitive.account",
    "azure.keyvault.vault", "azure.keyvault.key", "azure.storage.account", "azure.containerregistry.registry",
    "azure.authorization.role_assignment", "azure.authorization.role_definition", "azure.security.pricing",
    "azure.policy.assignment", "azure.consumption.budget",
}
# The ids are a contract (mutelists, reports and the demo estate will name them).
AZURE_IDS = {
    "azure.ml.workspace_public_network_disabled", "azure.ml.workspace_managed_network_isolation",
    "azure.ml.workspace_cmk_encryption", "azure.ml.workspace_private_endpoint",
    "azure.ml.workspace_diagnostic_settings", "azure.ml.workspace_identity_datastores",
    "azure.ml.online_endpoint_private", "azure.ml.online_endpoint_entra_auth", "azure.ml.compute_no_public_ip",
    "azure.ml.compute_no_public_ssh", "azure.ml.compute_local_auth_disabled", "azure.ml.separate_identities",
    "azure.ml.resource_in_allowed_region", "azure.cognitive.account_public_network_disabled",
    "azure.cognitive.account_local_auth_disabled", "azure.cognitive.account_cmk_encryption",
    "azure.cognitive.account_diagnostic_settings", "azure.keyvault.vault_purge_protection",
    "azure.keyvault.key_rotation_policy", "azure.storage.account_tls12_https_only",
    "azure.authorization.no_broad_privileged_roles", "azure.security.defender_plan_enabled",
    "azure.security.defender_for_ai_present", "azure.policy.assignments_monitor_compliance",
    "azure.consumption.budget_alerts", "azure.subscription.incident_response_playbooks",
}

load_azure_checks()
AZURE_CHECKS = sorted((c for c in REGISTRY.values() if c.provider == "azure"), key=lambda c: c.id)


def _ids(specs: list[CheckSpec]) -> list[str]:
    return [c.id for c in specs]


def _case_statuses() -> dict[str, set[Status]]:
    """Every (check id -> statuses) that the Azure table-driven tests exercise (their `AZURE_CASES`)."""
    statuses: dict[str, set[Status]] = defaultdict(set)
    for module in pkgutil.iter_modules(check_tests.__path__):
        if module.name.startswith("test_azure_"):
            for case in getattr(importlib.import_module(f"tests.checks.{module.name}"), "AZURE_CASES", ()):
                statuses[case.check_id].add(case.expected)
    return statuses


CASE_STATUSES = _case_statuses()


def test_azure_ids_are_the_published_contract() -> None:
    assert set(_ids(AZURE_CHECKS)) == AZURE_IDS


@pytest.mark.parametrize("spec", AZURE_CHECKS, ids=_ids(AZURE_CHECKS))
def test_id_names_provider_service_and_module(spec: CheckSpec) -> None:
    assert CHECK_ID.match(spec.id)
    assert spec.func.__module__ == f"checks.{spec.provider}.{spec.service}"


@pytest.mark.parametrize("spec", AZURE_CHECKS, ids=_ids(AZURE_CHECKS))
def test_metadata_is_complete(spec: CheckSpec) -> None:
    items = checklist()
    assert spec.checklist and all(item in items for item in spec.checklist), spec.checklist
    assert isinstance(spec.severity, Severity)
    assert spec.title.strip() and not spec.title.endswith(".")
    assert spec.remediation.strip()
    assert spec.description.strip(), "the docstring says how the check decides and what absence means"
    assert spec.resource_types and set(spec.resource_types) <= AZURE_TYPES, spec.resource_types


@pytest.mark.parametrize("spec", AZURE_CHECKS, ids=_ids(AZURE_CHECKS))
def test_compliance_references_are_well_formed(spec: CheckSpec) -> None:
    assert len(spec.compliance) >= 2, spec.compliance
    assert {"nist-800-53-r5", "iso-27001-2022"} <= set(spec.compliance)
    for framework, controls in spec.compliance.items():
        assert framework in FRAMEWORKS, framework
        assert controls, framework
        assert all(FRAMEWORKS[framework].match(c) for c in controls), (framework, controls)
        assert len(set(controls)) == len(controls)


@pytest.mark.parametrize("item", AZURE_ITEMS)
def test_every_azure_checklist_item_has_a_check(item: str) -> None:
    assert any(item in c.checklist for c in AZURE_CHECKS), item


@pytest.mark.parametrize("spec", AZURE_CHECKS, ids=_ids(AZURE_CHECKS))
def test_every_check_has_pass_and_fail_cases(spec: CheckSpec) -> None:
    seen = CASE_STATUSES.get(spec.id, set())
    if spec.id in ALWAYS_MANUAL:
        assert Status.MANUAL in seen
    else:
        assert {Status.PASS, Status.FAIL} <= seen, f"{spec.id} is tested for {sorted(seen)} only"


def test_cases_name_registered_azure_checks() -> None:
    assert CASE_STATUSES and set(CASE_STATUSES) <= set(_ids(AZURE_CHECKS))


def test_an_unseen_scope_is_tested_as_error() -> None:
    assert Status.ERROR in CASE_STATUSES["azure.security.defender_for_ai_present"]


def test_azure_checks_are_live_in_every_listing() -> None:
    assert "azure" in checks.PROVIDERS
    assert sorted(c.id for c in all_checks("azure")) == sorted(c.id for c in AZURE_CHECKS)
