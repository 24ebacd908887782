"""Lints the check registry of every provider, live or staged: ids, metadata, compliance, coverage, cases."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from dataclasses import dataclass

import pytest

import checks
from cspm_ai.checklist import checklist
from cspm_ai.model import Severity, Status
from cspm_ai.registry import CHECK_ID, REGISTRY, CheckSpec, all_checks
from tests.checks.conftest import check_test_modules

AWS_TYPES = {
    "aws.account",
    "aws.region",
    "aws.iam.role",
    "aws.iam.policy",
    "aws.iam.user",
    "aws.iam.group",
    "aws.kms.key",
    "aws.ec2.vpc",
    "aws.ec2.subnet",
    "aws.ec2.security_group",
    "aws.s3.bucket",
    "aws.cloudtrail.trail",
    "aws.guardduty.detector",
    "aws.securityhub.hub",
    "aws.config.recorder",
    "aws.budgets.budget",
    "aws.ce.anomaly_monitor",
    *(
        f"aws.sagemaker.{t}"
        for t in (
            "notebook_instance",
            "notebook_lifecycle_config",
            "domain",
            "user_profile",
            "model",
            "endpoint_config",
            "endpoint",
            "training_job",
            "processing_job",
            "transform_job",
            "model_package_group",
            "model_package",
            "monitoring_schedule",
            "feature_group",
        )
    ),
}
# The ids are a contract (mutelists, reports and the demo estates name them): changing one is deliberate.
AWS_IDS = {
    "aws.account.incident_response_playbooks",
    "aws.budgets.cost_alerts",
    "aws.cloudtrail.multi_region_trail",
    "aws.config.recorder_all_resources",
    "aws.ec2.security_group_no_public_ingress",
    "aws.ec2.security_group_training_inference_separation",
    "aws.ec2.vpc_sagemaker_endpoints",
    "aws.guardduty.enabled",
    "aws.iam.execution_role_not_admin",
    "aws.iam.execution_role_trust_sagemaker_only",
    "aws.iam.role_not_shared_training_inference",
    "aws.iam.training_role_cannot_deploy",
    "aws.iam.user_no_access_keys_for_ai",
    "aws.kms.key_customer_managed",
    "aws.kms.key_rotation_enabled",
    "aws.s3.bucket_public_access_block",
    "aws.s3.bucket_replication",
    "aws.s3.bucket_secure_transport",
    "aws.s3.bucket_sse_kms",
    "aws.s3.bucket_versioning",
    "aws.securityhub.enabled",
    "aws.sagemaker.domain_kms_encryption",
    "aws.sagemaker.domain_vpc_only",
    "aws.sagemaker.endpoint_config_instance_redundancy",
    "aws.sagemaker.endpoint_config_kms_encryption",
    "aws.sagemaker.endpoint_data_capture",
    "aws.sagemaker.endpoint_monitoring_schedule",
    "aws.sagemaker.model_from_approved_package",
    "aws.sagemaker.model_in_vpc",
    "aws.sagemaker.model_network_isolation",
    "aws.sagemaker.no_secrets_in_configuration",
    "aws.sagemaker.notebook_direct_internet_access",
    "aws.sagemaker.notebook_in_vpc",
    "aws.sagemaker.notebook_kms_encryption",
    "aws.sagemaker.notebook_root_access",
    "aws.sagemaker.processing_job_encryption",
    "aws.sagemaker.processing_job_in_vpc",
    "aws.sagemaker.processing_job_network_isolation",
    "aws.sagemaker.resource_in_allowed_region",
    "aws.sagemaker.training_job_in_vpc",
    "aws.sagemaker.training_job_intercontainer_encryption",
    "aws.sagemaker.training_job_network_isolation",
    "aws.sagemaker.training_job_output_encryption",
    "aws.sagemaker.training_job_volume_encryption",
    "aws.sagemaker.transform_job_encryption",
}

# docs/architecture.md, "Azure resource types".
AZURE_TYPES = {
    "azure.subscription",
    "azure.ml.workspace",
    "azure.ml.online_endpoint",
    "azure.ml.online_deployment",
    "azure.ml.batch_endpoint",
    "azure.ml.batch_deployment",
    "azure.ml.compute",
    "azure.ml.registry",
    "azure.cognitive.account",
    "azure.keyvault.vault",
    "azure.keyvault.key",
    "azure.storage.account",
    "azure.containerregistry.registry",
    "azure.authorization.role_assignment",
    "azure.authorization.role_definition",
    "azure.security.pricing",
    "azure.policy.assignment",
    "azure.consumption.budget",
}
AZURE_IDS = {
    "azure.ml.workspace_public_network_disabled",
    "azure.ml.workspace_managed_network_isolation",
    "azure.ml.workspace_cmk_encryption",
    "azure.ml.workspace_private_endpoint",
    "azure.ml.workspace_diagnostic_settings",
    "azure.ml.workspace_identity_datastores",
    "azure.ml.online_endpoint_private",
    "azure.ml.online_endpoint_entra_auth",
    "azure.ml.compute_no_public_ip",
    "azure.ml.compute_no_public_ssh",
    "azure.ml.compute_local_auth_disabled",
    "azure.ml.separate_identities",
    "azure.ml.resource_in_allowed_region",
    "azure.cognitive.account_public_network_disabled",
    "azure.cognitive.account_local_auth_disabled",
    "azure.cognitive.account_cmk_encryption",
    "azure.cognitive.account_diagnostic_settings",
    "azure.keyvault.vault_purge_protection",
    "azure.keyvault.key_rotation_policy",
    "azure.storage.account_tls12_https_only",
    "azure.authorization.no_broad_privileged_roles",
    "azure.security.defender_plan_enabled",
    "azure.security.defender_for_ai_present",
    "azure.policy.assignments_monitor_compliance",
    "azure.consumption.budget_alerts",
    "azure.subscription.incident_response_playbooks",
}

# docs/architecture.md, "Google Cloud".
GCP_TYPES = {
    "gcp.project",
    "gcp.vertex.endpoint",
    "gcp.vertex.model",
    "gcp.vertex.dataset",
    "gcp.vertex.custom_job",
    "gcp.vertex.training_pipeline",
    "gcp.vertex.featurestore",
    "gcp.vertex.model_monitoring_job",
    "gcp.notebooks.instance",
    "gcp.iam.service_account",
    "gcp.kms.crypto_key",
    "gcp.orgpolicy.policy",
    "gcp.accesscontext.perimeter",
    "gcp.scc.settings",
    "gcp.billing.budget",
}
GCP_IDS = {
    "gcp.vertex.endpoint_private",
    "gcp.vertex.resource_cmek",
    "gcp.vertex.job_on_vpc",
    "gcp.vertex.dedicated_service_account",
    "gcp.vertex.endpoint_request_logging",
    "gcp.vertex.endpoint_monitored",
    "gcp.vertex.resource_in_allowed_region",
    "gcp.notebooks.no_public_ip",
    "gcp.iam.no_basic_roles_for_ai_service_accounts",
    "gcp.iam.no_user_managed_keys",
    "gcp.kms.key_rotation",
    "gcp.logging.vertex_data_access_audit_logs",
    "gcp.accesscontext.vertex_in_perimeter",
    "gcp.billing.budget_alerts",
    "gcp.scc.enabled",
    "gcp.orgpolicy.ai_constraints",
    "gcp.project.incident_response_playbooks",
}


@dataclass(frozen=True)
class Contract:
    """What one provider's checks promise: their ids, the resource types they read, the checklist items
    its section of the checklist asks for, the check that is MANUAL by design (no API can show it), and
    a check whose tests must include an ERROR case for a blind scope."""

    ids: frozenset[str]
    types: frozenset[str]
    items: tuple[str, ...]
    always_manual: str
    error_case: str | None = None
    remediation_names: str | None = None  # the CLI each remediation must show


CONTRACTS = {
    "aws": Contract(
        frozenset(AWS_IDS),
        frozenset(AWS_TYPES),
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
            "ZT-2",
            "ZT-4",
            "PH-4",
            "MS-1",
            "MS-3",
            "MS-4",
        ),
        "aws.account.incident_response_playbooks",
    ),
    "azure": Contract(
        frozenset(AZURE_IDS),
        frozenset(AZURE_TYPES),
        ("CL-01", "CL-02", "CL-03", "CL-04", "CL-05", "CL-06", "CL-07", "CL-08", "CL-09", "CL-10", "CL-11", "CL-12"),
        "azure.subscription.incident_response_playbooks",
        error_case="azure.security.defender_for_ai_present",
    ),
    "gcp": Contract(
        frozenset(GCP_IDS),
        frozenset(GCP_TYPES),
        ("CL-01", "CL-02", "CL-03", "CL-05", "CL-06", "CL-07", "CL-08", "CL-09", "CL-10", "CL-11", "CL-12", "MS-3"),
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


@pytest.mark.parametrize("provider", CONTRACTS)
def test_ids_are_the_published_contract(provider: str) -> None:
    assert set(_ids(_of(provider))) == CONTRACTS[provider].ids


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
    assert spec.resource_types and set(spec.resource_types) <= contract.types, spec.resource_types


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
    if spec.id == CONTRACTS[spec.provider].always_manual:
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
