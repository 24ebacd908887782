"""Lints the check registry: ids, metadata, compliance references, checklist coverage, and test cases per check."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import defaultdict

import pytest

import tests.checks as check_tests
from cspm_ai.checklist import checklist
from cspm_ai.model import Severity, Status
from cspm_ai.registry import CHECK_ID, CheckSpec, all_checks

FRAMEWORKS = {
    "nist-800-53-r5": re.compile(r"^[A-Z]{2}-\d+(\(\d+\))?$"),
    "iso-27001-2022": re.compile(r"^A\.[5-8]\.\d+$"),
    "cis-aws-3.0": re.compile(r"^\d+(\.\d+)+$"),
    "cis-azure-2.0": re.compile(r"^\d+(\.\d+)+$"),
}
# Checklist items an AWS scan must cover (the AWS section of the checklist).
AWS_ITEMS = ("CL-01", "CL-02", "CL-03", "CL-04", "CL-05", "CL-06", "CL-07", "CL-08", "CL-09", "CL-10", "CL-11",
             "CL-12", "ZT-2", "ZT-4", "PH-4", "MS-1", "MS-3", "MS-4")
# No API can show these; they are MANUAL by design and need a MANUAL case instead of PASS and FAIL.
ALWAYS_MANUAL = {"aws.account.incident_response_playbooks", "azure.subscription.incident_response_playbooks"}
AWS_TYPES = {
    "aws.account", "aws.region", "aws.iam.role", "aws.iam.policy", "aws.iam.user", "aws.iam.group", "aws.kms.key",
    "aws.ec2.vpc", "aws.ec2.subnet", "aws.ec2.security_group", "aws.s3.bucket", "aws.cloudtrail.trail",
    "aws.guardduty.detector", "aws.securityhub.hub", "aws.config.recorder", "aws.budgets.budget",
    "aws.ce.anomaly_monitor",
    *(f"aws.sagemaker.{t}" for t in (
        "notebook_instance", "notebook_lifecycle_config", "domain", "user_profile", "model", "endpoint_config",
        "endpoint", "training_job", "processing_job", "transform_job", "model_package_group", "model_package",
        "monitoring_schedule", "feature_group")),
}
# The ids are a contract (mutelists, reports and the demo estate name them): changing one is deliberate.
AWS_IDS = {
    "aws.account.incident_response_playbooks", "aws.budgets.cost_alerts", "aws.cloudtrail.multi_region_trail",
    "aws.config.recorder_all_resources", "aws.ec2.security_group_no_public_ingress",
    "aws.ec2.security_group_training_inference_separation", "aws.ec2.vpc_sagemaker_endpoints",
    "aws.guardduty.enabled", "aws.iam.execution_role_not_admin", "aws.iam.execution_role_trust_sagemaker_only",
    "aws.iam.role_not_shared_training_inference", "aws.iam.training_role_cannot_deploy",
    "aws.iam.user_no_access_keys_for_ai", "aws.kms.key_customer_managed", "aws.kms.key_rotation_enabled",
    "aws.s3.bucket_public_access_block", "aws.s3.bucket_replication", "aws.s3.bucket_secure_transport",
    "aws.s3.bucket_sse_kms", "aws.s3.bucket_versioning", "aws.securityhub.enabled",
    "aws.sagemaker.domain_kms_encryption", "aws.sagemaker.domain_vpc_only",
    "aws.sagemaker.endpoint_config_instance_redundancy", "aws.sagemaker.endpoint_config_kms_encryption",
    "aws.sagemaker.endpoint_data_capture", "aws.sagemaker.endpoint_monitoring_schedule",
    "aws.sagemaker.model_from_approved_package", "aws.sagemaker.model_in_vpc", "aws.sagemaker.model_network_isolation",
    "aws.sagemaker.no_secrets_in_configuration", "aws.sagemaker.notebook_direct_internet_access",
    "aws.sagemaker.notebook_in_vpc", "aws.sagemaker.notebook_kms_encryption", "aws.sagemaker.notebook_root_access",
    "aws.sagemaker.processing_job_encryption", "aws.sagemaker.processing_job_in_vpc",
    "aws.sagemaker.processing_job_network_isolation", "aws.sagemaker.resource_in_allowed_region",
    "aws.sagemaker.training_job_in_vpc", "aws.sagemaker.training_job_intercontainer_encryption",
    "aws.sagemaker.training_job_network_isolation", "aws.sagemaker.training_job_output_encryption",
    "aws.sagemaker.training_job_volume_encryption", "aws.sagemaker.transform_job_encryption",
}

CHECKS = all_checks()
AWS_CHECKS = [c for c in CHECKS if c.provider == "aws"]


def _case_statuses() -> dict[str, set[Status]]:
    """Every (check id -> statuses) that the table-driven check tests exercise."""
    statuses: dict[str, set[Status]] = defaultdict(set)
    for module in pkgutil.iter_modules(check_tests.__path__):
        if module.name.startswith("test_"):
            tests = importlib.import_module(f"tests.checks.{module.name}")
            for case in (*getattr(tests, "CASES", ()), *getattr(tests, "AZURE_CASES", ())):
                statuses[case.check_id].add(case.expected)
    return statuses


CASE_STATUSES = _case_statuses()


def _ids(checks: list[CheckSpec]) -> list[str]:
    return [c.id for c in checks]


def test_ids_are_unique() -> None:
    ids = _ids(CHECKS)
    assert len(ids) == len(set(ids))


def test_aws_ids_are_the_published_contract() -> None:
    assert set(_ids(AWS_CHECKS)) == AWS_IDS


@pytest.mark.parametrize("spec", CHECKS, ids=_ids(CHECKS))
def test_id_names_provider_service_and_module(spec: CheckSpec) -> None:
    assert CHECK_ID.match(spec.id)
    assert spec.func.__module__ == f"checks.{spec.provider}.{spec.service}"


@pytest.mark.parametrize("spec", CHECKS, ids=_ids(CHECKS))
def test_metadata_is_complete(spec: CheckSpec) -> None:
    items = checklist()
    assert spec.checklist and all(item in items for item in spec.checklist), spec.checklist
    assert isinstance(spec.severity, Severity)
    assert spec.title.strip() and not spec.title.endswith(".")
    assert spec.remediation.strip()
    assert spec.description.strip(), "the docstring says how the check decides and what absence means"
    assert spec.resource_types


@pytest.mark.parametrize("spec", CHECKS, ids=_ids(CHECKS))
def test_compliance_references_are_well_formed(spec: CheckSpec) -> None:
    assert len(spec.compliance) >= 2, spec.compliance
    for framework, controls in spec.compliance.items():
        assert framework in FRAMEWORKS, framework
        assert controls, framework
        assert all(FRAMEWORKS[framework].match(c) for c in controls), (framework, controls)
        assert len(set(controls)) == len(controls)


@pytest.mark.parametrize("spec", AWS_CHECKS, ids=_ids(AWS_CHECKS))
def test_aws_checks_name_known_resource_types(spec: CheckSpec) -> None:
    assert set(spec.resource_types) <= AWS_TYPES


@pytest.mark.parametrize("item", AWS_ITEMS)
def test_every_aws_checklist_item_has_a_check(item: str) -> None:
    assert any(item in c.checklist for c in AWS_CHECKS), item


@pytest.mark.parametrize("spec", CHECKS, ids=_ids(CHECKS))
def test_every_check_has_pass_and_fail_cases(spec: CheckSpec) -> None:
    seen = CASE_STATUSES.get(spec.id, set())
    if spec.id in ALWAYS_MANUAL:
        assert Status.MANUAL in seen
    else:
        assert {Status.PASS, Status.FAIL} <= seen, f"{spec.id} is tested for {sorted(seen)} only"


def test_cases_name_registered_checks() -> None:
    assert set(CASE_STATUSES) <= set(_ids(CHECKS))
