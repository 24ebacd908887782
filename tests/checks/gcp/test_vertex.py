"""Vertex AI checks, table-driven: every check passes, fails, and says what absence means."""

from __future__ import annotations

from collections.abc import Callable

import pytest

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
JOB = "gcp.vertex.custom_job"
PIPE = "gcp.vertex.training_pipeline"
MON = "gcp.vertex.model_monitoring_job"
NB = "gcp.notebooks.instance"
US = frozenset({"us-central1"})
PUBLIC = {"privateServiceConnectConfig": DROP}


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
