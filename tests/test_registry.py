"""Lints the check registry of every provider, live or staged: ids, metadata, compliance, coverage, cases."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from dataclasses import dataclass

import pytest

import checks
from collectors import declared_types
from cspm_ai.checklist import checklist
from cspm_ai.model import Severity, Status
from cspm_ai.registry import CHECK_ID, REGISTRY, CheckSpec, all_checks
from tests.checks.conftest import check_test_modules


@dataclass(frozen=True)
class Contract:
    """What one provider's checks promise: the checklist items its section of the checklist asks for, the
    check that is MANUAL by design (no API can show it), and a check whose tests must include an ERROR case
    for a blind scope.

    The check ids are not repeated here: the registry is their source and docs/checks.md, the published
    catalogue, is held equal to it (tests/test_docs_in_sync.py), so renaming a check shows in that
    document's diff. The resource types checks may read are the ones the collector declares."""

    items: tuple[str, ...]
    always_manual: str
    error_case: str | None = None
    remediation_names: str | None = None  # the CLI each remediation must show


CONTRACTS = {
    "aws": Contract(
        (
            "CL-01",
            "CL-02",
            "CL-03",
            "CL-04",
            "CL-05",
            "CL-06",
            "CL-07",
            "CL-08",
            "CL-09",
            "CL-10",
            "CL-11",
            "CL-12",
            "ZT-1",
            "ZT-2",
            "ZT-3",
            "ZT-4",
            "PH-4",
            "MS-1",
            "MS-2",
            "MS-3",
            "MS-4",
            "DP-1",
        ),
        "aws.account.incident_response_playbooks",
    ),
    "azure": Contract(
        ("CL-01", "CL-02", "CL-03", "CL-04", "CL-05", "CL-06", "CL-07", "CL-08", "CL-09", "CL-10", "CL-11", "CL-12"),
        "azure.subscription.incident_response_playbooks",
        error_case="azure.security.defender_for_ai_present",
    ),
    "gcp": Contract(
        (
            "CL-01",
            "CL-02",
            "CL-03",
            "CL-04",
            "CL-05",
            "CL-06",
            "CL-07",
            "CL-08",
            "CL-09",
            "CL-10",
            "CL-11",
            "CL-12",
            "ZT-1",
            "ZT-2",
            "ZT-3",
            "ZT-4",
            "PH-1",
            "PH-3",
            "PH-4",
            "MS-1",
            "MS-2",
            "MS-3",
            "MS-4",
            "DP-1",
        ),
        "gcp.project.incident_response_playbooks",
        error_case="gcp.vertex.endpoint_monitored",
        remediation_names="gcloud",
    ),
}


def _register_every_provider() -> list[CheckSpec]:
    """Every check module of every provider, whether or not `checks.PROVIDERS` makes it live yet."""
    for provider in CONTRACTS:
        package = importlib.import_module(f"checks.{provider}")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"checks.{provider}.{module.name}")
    return sorted(REGISTRY.values(), key=lambda c: c.id)


def _case_statuses() -> dict[str, set[Status]]:
    """Every (check id -> statuses) that the table-driven check tests (their `CASES`) exercise, in
    tests/checks and each provider's package below it."""
    statuses: dict[str, set[Status]] = defaultdict(set)
    for module in check_test_modules():
        for case in getattr(module, "CASES", ()):
            statuses[case.check_id].add(case.expected)
    return statuses


CHECKS = _register_every_provider()
CASE_STATUSES = _case_statuses()


def _ids(specs: list[CheckSpec]) -> list[str]:
    return [c.id for c in specs]


def _of(provider: str) -> list[CheckSpec]:
    return [c for c in CHECKS if c.provider == provider]


def test_ids_are_unique() -> None:
    ids = _ids(CHECKS)
    assert len(ids) == len(set(ids))


def test_every_registered_provider_has_a_contract() -> None:
    assert {c.provider for c in CHECKS} == set(CONTRACTS)


@pytest.mark.parametrize("spec", CHECKS, ids=_ids(CHECKS))
def test_id_names_provider_service_and_module(spec: CheckSpec) -> None:
    assert CHECK_ID.match(spec.id)
    assert spec.func.__module__ == f"checks.{spec.provider}.{spec.service}"


@pytest.mark.parametrize("spec", CHECKS, ids=_ids(CHECKS))
def test_metadata_is_complete(spec: CheckSpec) -> None:
    contract = CONTRACTS[spec.provider]
    items = checklist()
    assert spec.checklist and all(item in items for item in spec.checklist), spec.checklist
    assert isinstance(spec.severity, Severity)
    assert spec.title.strip() and not spec.title.endswith(".")
    assert spec.remediation.strip()
    if contract.remediation_names:
        assert contract.remediation_names in spec.remediation, (
            f"remediation gives the {contract.remediation_names} command"
        )
    assert spec.description.strip(), "the docstring says how the check decides and what absence means"
    assert spec.resource_types and set(spec.resource_types) <= declared_types(spec.provider), spec.resource_types


@pytest.mark.parametrize("spec", CHECKS, ids=_ids(CHECKS))
def test_every_check_maps_to_the_core_control_catalogues(spec: CheckSpec) -> None:
    # The framework files carry the mapping (tests/test_frameworks.py lints them); every
    # check still answers to the two catalogues most audits start from.
    assert {"checklist", "nist-800-53-r5", "iso-27001-2022"} <= set(spec.compliance), spec.compliance


@pytest.mark.parametrize(("provider", "item"), [(p, i) for p, c in CONTRACTS.items() for i in c.items])
def test_every_checklist_item_of_a_provider_has_a_check(provider: str, item: str) -> None:
    assert any(item in c.checklist for c in _of(provider)), item


@pytest.mark.parametrize("spec", CHECKS, ids=_ids(CHECKS))
def test_every_check_has_pass_and_fail_cases(spec: CheckSpec) -> None:
    seen = CASE_STATUSES.get(spec.id, set())
    contract = CONTRACTS[spec.provider]
    if spec.id == contract.always_manual:
        assert Status.MANUAL in seen
    else:
        assert {Status.PASS, Status.FAIL} <= seen, f"{spec.id} is tested for {sorted(seen)} only"


def test_cases_name_registered_checks() -> None:
    assert set(CASE_STATUSES) <= set(_ids(CHECKS))
    assert all(any(c.id in CASE_STATUSES for c in _of(p)) for p in CONTRACTS)


@pytest.mark.parametrize("provider", [p for p, c in CONTRACTS.items() if c.error_case])
def test_an_unseen_scope_is_tested_as_error(provider: str) -> None:
    assert Status.ERROR in CASE_STATUSES[CONTRACTS[provider].error_case or ""]


@pytest.mark.parametrize("provider", CONTRACTS)
def test_listings_show_exactly_the_live_providers(provider: str) -> None:
    listed = _ids(all_checks(provider))
    if provider in checks.PROVIDERS:
        assert listed == _ids(_of(provider))
    else:  # staged: registered and tested, hidden from scans, `checks list` and the catalogue
        assert listed == [] and not [c for c in all_checks() if c.provider == provider]
