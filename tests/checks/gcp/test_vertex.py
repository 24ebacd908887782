"""Vertex AI checks, table-driven: every check passes, fails, and says what absence means."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from collectors.kernel import Record, to_resource
from tests import secret_shapes
from tests.checks.conftest import (
    DROP,
    ERROR,
    FAIL,
    MANUAL,
    PASS,
    Case,
    Estate,
    assert_case,
)
from tests.checks.gcp_support import (
    DEFAULT_SA,
    ENDPOINT_NAME,
    NETWORK,
    PROJECT_ID,
    collection_error,
    make,
    one,
)

EP = "gcp.vertex.endpoint"
MODEL = "gcp.vertex.model"
JOB = "gcp.vertex.custom_job"
PIPE = "gcp.vertex.training_pipeline"
MON = "gcp.vertex.model_monitoring_job"
NB = "gcp.notebooks.instance"
US = frozenset({"us-central1"})
PUBLIC = {"privateServiceConnectConfig": DROP}


def stored(rtype: str, changes: Mapping[str, Any] | None = None, **kw: Any) -> Callable[[], Estate]:
    """One resource as the collector stores it: its REST item, labels as tags, through the kernel's redaction."""

    def build() -> Estate:
        raw = make(rtype, changes, **kw)
        record = Record(raw.type, raw.account, raw.region, raw.uid, raw.name, raw.config, dict(raw.tags))
        return Estate(to_resource("gcp", record))

    return build


def env_list(**variables: str) -> list[dict[str, str]]:
    """A container `env`, as Vertex AI returns it: a list of {name, value}."""
    return [{"name": "LOG_LEVEL", "value": "info"}, *({"name": k, "value": v} for k, v in variables.items())]


MODEL_ENV = "containerSpec.env"
JOB_ENV = "jobSpec.workerPoolSpecs.0.containerSpec.env"
PIPELINE_ENV = "trainingTaskInputs.workerPoolSpecs.0.containerSpec.env"


def with_project(target: Callable[[], object], **project_changes: object) -> Callable[[], Estate]:
    """The target resource plus its project (for defaultComputeServiceAccount)."""
    return lambda: Estate(target()).add(make("gcp.project", project_changes or None))  # type: ignore[arg-type]


def monitored(*jobs: dict[str, object]) -> Callable[[], Estate]:
    def build() -> Estate:
        estate = Estate(make(EP))
        for i, changes in enumerate(jobs):
            estate.add(make(MON, changes, name=f"88880000{i}"))
        return estate

    return build


def monitoring_unlisted() -> Estate:
    return Estate(make(EP)).fail(
        collection_error(MON, region="us-central1", operation="ListModelDeploymentMonitoringJobs")
    )


CASES: list[Case] = [
    # CL-01 endpoints
    Case("gcp.vertex.endpoint_private", PASS, "psc", one(EP), says="Private Service Connect"),
    Case("gcp.vertex.endpoint_private", PASS, "vpc-peering", one(EP, {**PUBLIC, "network": NETWORK}), says="ml-vpc"),
    Case("gcp.vertex.endpoint_private", FAIL, "absent", one(EP, PUBLIC), says="absent means false"),
    Case(
        "gcp.vertex.endpoint_private",
        FAIL,
        "psc-config-without-flag",
        one(EP, {"privateServiceConnectConfig.enablePrivateServiceConnect": DROP}),
        says="public endpoint",
    ),
    # CL-03
    *[
        Case("gcp.vertex.resource_cmek", PASS, t.split(".")[-1], one(t), says="vertex-cmek")
        for t in (EP, "gcp.vertex.model", "gcp.vertex.dataset", JOB, PIPE, "gcp.vertex.featurestore")
    ],
    *[
        Case(
            "gcp.vertex.resource_cmek",
            FAIL,
            f"{t.split('.')[-1]}-absent",
            one(t, {"encryptionSpec": DROP}),
            says="absent means a Google-managed key",
        )
        for t in (EP, "gcp.vertex.model", "gcp.vertex.dataset", JOB, PIPE, "gcp.vertex.featurestore")
    ],
    # CL-01 jobs
    Case("gcp.vertex.job_on_vpc", PASS, "job-network", one(JOB), says="ml-vpc"),
    Case(
        "gcp.vertex.job_on_vpc",
        PASS,
        "job-psc-interface",
        one(
            JOB,
            {
                "jobSpec.network": DROP,
                "jobSpec.pscInterfaceConfig": {
                    "networkAttachment": "projects/ml-prod-4521/regions/us-central1/networkAttachments/vertex"
                },
            },
        ),
        says="Private Service Connect interface",
    ),
    Case("gcp.vertex.job_on_vpc", FAIL, "job-absent", one(JOB, {"jobSpec.network": DROP}), says="absent means none"),
    Case("gcp.vertex.job_on_vpc", PASS, "pipeline-network", one(PIPE), says="ml-vpc"),
    Case(
        "gcp.vertex.job_on_vpc",
        PASS,
        "pipeline-nested-network",
        one(PIPE, {"trainingTaskInputs.network": DROP, "trainingTaskInputs.jobSpec": {"network": NETWORK}}),
    ),
    Case(
        "gcp.vertex.job_on_vpc",
        FAIL,
        "pipeline-absent",
        one(PIPE, {"trainingTaskInputs.network": DROP}),
        says="absent means none",
    ),
    Case("gcp.vertex.job_on_vpc", FAIL, "pipeline-no-inputs", one(PIPE, {"trainingTaskInputs": DROP})),
    # CL-02
    Case(
        "gcp.vertex.dedicated_service_account",
        PASS,
        "endpoint-dedicated",
        with_project(lambda: make(EP)),
        says="vertex-serving@",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        PASS,
        "job-dedicated",
        with_project(lambda: make(JOB)),
        says="vertex-trainer@",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        PASS,
        "no-deployed-models",
        one(EP, {"deployedModels": DROP}),
        says="no deployed models",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        FAIL,
        "endpoint-absent",
        with_project(lambda: make(EP, {"deployedModels.0.serviceAccount": DROP})),
        says="absent means",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        FAIL,
        "job-absent",
        with_project(lambda: make(JOB, {"jobSpec.serviceAccount": DROP})),
        says="jobSpec.serviceAccount",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        FAIL,
        "endpoint-default-compute",
        with_project(lambda: make(EP, {"deployedModels.0.serviceAccount": DEFAULT_SA})),
        says="default service",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        FAIL,
        "project-default-is-custom",
        with_project(
            lambda: make(JOB), defaultComputeServiceAccount=f"vertex-trainer@{PROJECT_ID}.iam.gserviceaccount.com"
        ),
        says="default service",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        ERROR,
        "project-unlisted",
        lambda: Estate(make(JOB)).fail(collection_error("gcp.project")),
    ),
    # MS-3
    Case("gcp.vertex.endpoint_request_logging", PASS, "enabled", one(EP)),
    Case(
        "gcp.vertex.endpoint_request_logging",
        FAIL,
        "absent",
        one(EP, {"predictRequestResponseLoggingConfig": DROP}),
        says="absent means false",
    ),
    Case(
        "gcp.vertex.endpoint_request_logging",
        FAIL,
        "enabled-omitted",
        one(EP, {"predictRequestResponseLoggingConfig.enabled": DROP}),
        says="absent means false",
    ),
    Case("gcp.vertex.endpoint_monitored", PASS, "running", monitored({}), says="fraud-drift"),
    Case(
        "gcp.vertex.endpoint_monitored",
        PASS,
        "named-by-project-id",
        monitored({"endpoint": ENDPOINT_NAME.replace("projects/123456789012", f"projects/{PROJECT_ID}")}),
    ),
    Case("gcp.vertex.endpoint_monitored", FAIL, "none", one(EP), says="no model monitoring job"),
    Case(
        "gcp.vertex.endpoint_monitored",
        FAIL,
        "cancelled-or-failed",
        monitored({"state": "JOB_STATE_CANCELLED"}, {"state": "JOB_STATE_FAILED"}),
        says="cancelled or failed",
    ),
    Case(
        "gcp.vertex.endpoint_monitored",
        FAIL,
        "other-endpoint",
        monitored({"endpoint": ENDPOINT_NAME.replace("4567890123456789012", "1")}),
        says="no model monitoring job",
    ),
    Case("gcp.vertex.endpoint_monitored", ERROR, "monitoring-unlisted", monitoring_unlisted),
    # MS-4: every shape of tests/secret_shapes.py, stored where Vertex AI keeps container configuration.
    Case("gcp.vertex.no_secrets_in_configuration", PASS, "model-without-env", stored(MODEL)),
    Case(
        "gcp.vertex.no_secrets_in_configuration",
        PASS,
        "model-look-alikes",
        stored(MODEL, {MODEL_ENV: env_list(**{a.name: a.value for a in secret_shapes.LOOK_ALIKES})}),
    ),
    Case(
        "gcp.vertex.no_secrets_in_configuration",
        PASS,
        "job-secret-manager-reference",
        stored(JOB, {JOB_ENV: env_list(HF_TOKEN="projects/ml-prod-4521/secrets/hf-token/versions/latest")}),
    ),
    Case("gcp.vertex.no_secrets_in_configuration", PASS, "pipeline-without-env", stored(PIPE)),
    *(
        Case(
            "gcp.vertex.no_secrets_in_configuration",
            FAIL,
            f"model-env-{shape.id}",
            stored(MODEL, {MODEL_ENV: env_list(**{shape.name: shape.value})}),
            says=f"1 secret-looking value(s) of kind {shape.kind_by_name}",
        )
        for shape in secret_shapes.PLANTED
    ),
    Case(
        "gcp.vertex.no_secrets_in_configuration",
        FAIL,
        "job-env",
        stored(JOB, {JOB_ENV: env_list(DBPASSWORD="c0rrect-h0rse-B4ttery")}),
        says="of kind secret_by_name",
    ),
    Case(
        "gcp.vertex.no_secrets_in_configuration",
        FAIL,
        "job-args",
        stored(JOB, {"jobSpec.workerPoolSpecs.0.containerSpec.args": ["--epochs=10", "--db_password=Tr0ub4dor-3pg"]}),
        says="of kind secret_assignment",
    ),
    Case(
        "gcp.vertex.no_secrets_in_configuration",
        FAIL,
        "pipeline-env-json",
        stored(PIPE, {PIPELINE_ENV: env_list(DB_CONFIG=secret_shapes.DB_CONFIG)}),
        says="of kind secret_assignment",
    ),
    Case(
        "gcp.vertex.no_secrets_in_configuration",
        FAIL,
        "pipeline-model-to-upload",
        stored(PIPE, {"modelToUpload.containerSpec.env": env_list(AZURE_OPENAI_KEY=secret_shapes.AZURE_OPENAI_KEY)}),
        says="of kind secret_by_name",
    ),
    Case(
        "gcp.vertex.no_secrets_in_configuration",
        FAIL,
        "label",
        stored(MODEL, {"labels": {"team": "fraud", "ci_deploy_token": "7c1e9a3f5b8d2e4a6c0f9b1d3e5a7c9f2b4d6e8a"}}),
        says="of kind secret_by_name",
    ),
    # CL-09
    Case("gcp.vertex.resource_in_allowed_region", PASS, "endpoint-allowed", one(EP), allowed_regions=US),
    Case(
        "gcp.vertex.resource_in_allowed_region", PASS, "workbench-zone", one(NB), allowed_regions=US, says="us-central1"
    ),
    Case(
        "gcp.vertex.resource_in_allowed_region",
        FAIL,
        "outside",
        one(JOB, region="europe-west4"),
        allowed_regions=US,
        says="not an allowed region",
    ),
    Case(
        "gcp.vertex.resource_in_allowed_region",
        FAIL,
        "workbench-zone-outside",
        one(NB, region="europe-west4-b"),
        allowed_regions=US,
    ),
    Case("gcp.vertex.resource_in_allowed_region", MANUAL, "unconfigured", one(MON), says="attest"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


def test_dedicated_service_account_evidence_names_each_deployed_model() -> None:
    case = next(c for c in CASES if c.label == "endpoint-default-compute")
    finding = assert_case(case)
    assert finding.evidence["deployedModels[1122334455667788990].serviceAccount"] == DEFAULT_SA
    assert finding.evidence["defaultComputeServiceAccount"] == DEFAULT_SA


def test_no_secrets_evidence_names_each_env_entry_never_its_value() -> None:
    variables = {shape.name: shape.value for shape in secret_shapes.PLANTED}
    case = Case(
        "gcp.vertex.no_secrets_in_configuration", FAIL, "everything", stored(MODEL, {MODEL_ENV: env_list(**variables)})
    )
    finding = assert_case(case)
    assert finding.evidence == {
        f"{MODEL_ENV}.{i}.value": f"[REDACTED:{shape.kind_by_name}]"
        for i, shape in enumerate(secret_shapes.PLANTED, start=1)
    }
    shown = json.dumps([finding.message, finding.evidence])
    assert not [shape.id for shape in secret_shapes.PLANTED if shape.secret in shown]
