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
    ENCRYPTION,
    ENDPOINT_NAME,
    LOC,
    NETWORK,
    PROJECT_ID,
    REGION,
    collection_error,
    declare_type,
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
AGENT_SA = f"support-agent@{PROJECT_ID}.iam.gserviceaccount.com"
TERRAFORM = {"goog-terraform-provisioned": "true"}
_TIMES = {"createTime": "2025-01-10T12:00:00.123456Z", "updateTime": "2025-01-11T09:00:00Z"}

RE = declare_type(
    "gcp.vertex.reasoning_engine",
    {
        "name": f"{LOC}/reasoningEngines/2468013579246801357",
        "displayName": "support-agent",
        "description": "Answers support tickets",
        "spec": {
            "packageSpec": {
                "pickleObjectGcsUri": "gs://ml-prod-agents/support-agent/agent_engine.pkl",
                "requirementsGcsUri": "gs://ml-prod-agents/support-agent/requirements.txt",
                "pythonVersion": "3.12",
            },
            "deploymentSpec": {"env": [{"name": "LOG_LEVEL", "value": "info"}], "minInstances": 1, "maxInstances": 10},
            "serviceAccount": AGENT_SA,
            "agentFramework": "google-adk",
        },
        "etag": "AMEw9yR801357",
        "encryptionSpec": ENCRYPTION,
        "labels": TERRAFORM,
        **_TIMES,
    },
    uid=f"{LOC}/reasoningEngines/{{name}}",
    name="2468013579246801357",
    region=REGION,
)
TUNING = declare_type(
    "gcp.vertex.tuning_job",
    {
        "name": f"{LOC}/tuningJobs/3141592653589793238",
        "baseModel": "gemini-2.5-flash",
        "supervisedTuningSpec": {
            "trainingDatasetUri": "gs://ml-prod-training/support/train.jsonl",
            "hyperParameters": {"epochCount": "4", "learningRateMultiplier": 1},
        },
        "tunedModelDisplayName": "support-gemini-tuned",
        "state": "JOB_STATE_SUCCEEDED",
        "tunedModel": {"model": f"{LOC}/models/221100@1"},
        "encryptionSpec": ENCRYPTION,
        **_TIMES,
    },
    uid=f"{LOC}/tuningJobs/{{name}}",
    name="3141592653589793238",
    region=REGION,
)
INDEX = declare_type(
    "gcp.vertex.index_endpoint",
    {
        "name": f"{LOC}/indexEndpoints/8642097531864209753",
        "displayName": "docs-index",
        "deployedIndexes": [
            {
                "id": "docs_v3",
                "index": f"{LOC}/indexes/1122001122",
                "privateEndpoints": {"serviceAttachment": f"projects/x-tp/regions/{REGION}/serviceAttachments/ie-1"},
                "dedicatedResources": {
                    "machineSpec": {"machineType": "e2-standard-16"},
                    "minReplicaCount": 2,
                    "maxReplicaCount": 4,
                },
            }
        ],
        "etag": "AMEw9yI864209",
        "labels": TERRAFORM,
        "privateServiceConnectConfig": {"enablePrivateServiceConnect": True, "projectAllowlist": [PROJECT_ID]},
        "encryptionSpec": ENCRYPTION,
        **_TIMES,
    },
    uid=f"{LOC}/indexEndpoints/{{name}}",
    name="8642097531864209753",
    region=REGION,
)
INDEX_PUBLIC = {
    "privateServiceConnectConfig": DROP,
    "publicEndpointEnabled": True,
    "publicEndpointDomainName": "1.us-central1-123456789012.vdb.vertexai.goog",
}


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


def serving(
    model_changes: Mapping[str, Any] | None = None,
    *,
    linked: bool = True,
    endpoint_changes: Mapping[str, Any] | None = None,
    tuned_by: bool = False,
    models_unlisted: bool = False,
) -> Callable[[], Estate]:
    """An endpoint, the registry model it serves (unless `linked` is false: then the registry has no such model),
    and its project."""

    def build() -> Estate:
        ep = make(EP, endpoint_changes)
        estate = Estate(ep).add(make("gcp.project"))
        if linked:
            model = make(MODEL, model_changes)
            estate.add(model).link(ep, "serves_model", model)
            if tuned_by:
                job = make(TUNING, {"tunedModel.model": f"{LOC}/models/998877@1"})
                estate.add(job).link(job, "produces_model", model)
        if models_unlisted:
            estate.fail(collection_error(MODEL, region=REGION, operation="aiplatform.models.list"))
        return estate

    return build


def monitoring_unlisted() -> Estate:
    return Estate(make(EP)).fail(
        collection_error(MON, region="us-central1", operation="ListModelDeploymentMonitoringJobs")
    )


def redeployed(before: list[dict[str, Any]] | None, now: list[dict[str, Any]]) -> Callable[[], Estate]:
    """An endpoint serving `now`, and the previous scan's same endpoint serving `before` (None: not there)."""

    def build() -> Estate:
        previous = [] if before is None else [make(EP, {"deployedModels": before})]
        return Estate(make(EP, {"deployedModels": now}), previous=previous)

    return build


def deployed(ident: str, model: str = "998877", version: str = "1") -> dict[str, Any]:
    return {"id": ident, "model": f"{LOC}/models/{model}", "modelVersionId": version, "displayName": "fraud"}


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
        for t in (EP, "gcp.vertex.model", "gcp.vertex.dataset", JOB, PIPE, "gcp.vertex.featurestore", RE, TUNING, INDEX)
    ],
    *[
        Case(
            "gcp.vertex.resource_cmek",
            FAIL,
            f"{t.split('.')[-1]}-absent",
            one(t, {"encryptionSpec": DROP}),
            says="absent means a Google-managed key",
        )
        for t in (EP, "gcp.vertex.model", "gcp.vertex.dataset", JOB, PIPE, "gcp.vertex.featurestore", RE, TUNING, INDEX)
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
    Case("gcp.vertex.resource_in_allowed_region", PASS, "tuning-job", one(TUNING), allowed_regions=US),
    # CL-02 Agent Engine
    Case("gcp.vertex.dedicated_service_account", PASS, "agent", with_project(lambda: make(RE)), says=AGENT_SA),
    Case(
        "gcp.vertex.dedicated_service_account",
        PASS,
        "agent-identity",
        with_project(lambda: make(RE, {"spec.serviceAccount": DROP, "spec.identityType": "AGENT_IDENTITY"})),
        says="own agent identity",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        FAIL,
        "agent-service-agent",
        with_project(lambda: make(RE, {"spec.serviceAccount": DROP})),
        says="spec.serviceAccount",
    ),
    Case(
        "gcp.vertex.dedicated_service_account",
        FAIL,
        "agent-default-compute",
        with_project(lambda: make(RE, {"spec.serviceAccount": DEFAULT_SA})),
        says="default service",
    ),
    # MS-4 Agent Engine
    Case("gcp.vertex.no_secrets_in_configuration", PASS, "agent-env", stored(RE)),
    Case(
        "gcp.vertex.no_secrets_in_configuration",
        FAIL,
        "agent-env-token",
        stored(RE, {"spec.deploymentSpec.env": env_list(GITHUB_TOKEN="ghp_r7x2lm9qv4tz8kp1wn6yb3hc5jd0fs2ga7ek")}),
        says="secret-looking",
    ),
    # ZT-1
    Case("gcp.vertex.endpoint_calls_authenticated", PASS, "psc", one(EP), says="IAM authorizes"),
    Case("gcp.vertex.endpoint_calls_authenticated", PASS, "public", one(EP, PUBLIC), says="network absent"),
    Case(
        "gcp.vertex.endpoint_calls_authenticated",
        FAIL,
        "vpc-peered",
        one(EP, {**PUBLIC, "network": NETWORK}),
        says="without Google credentials",
    ),
    # CL-01 Vector Search
    Case("gcp.vertex.index_endpoint_private", PASS, "psc", one(INDEX), says="Private Service Connect"),
    Case(
        "gcp.vertex.index_endpoint_private",
        PASS,
        "vpc-peering",
        one(INDEX, {"privateServiceConnectConfig": DROP, "network": NETWORK}),
        says="ml-vpc",
    ),
    Case(
        "gcp.vertex.index_endpoint_private",
        PASS,
        "legacy-psc-flag",
        one(INDEX, {"privateServiceConnectConfig": DROP, "enablePrivateServiceConnect": True}),
    ),
    Case("gcp.vertex.index_endpoint_private", FAIL, "public", one(INDEX, INDEX_PUBLIC), says="from the internet"),
    Case(
        "gcp.vertex.index_endpoint_private",
        FAIL,
        "nothing-set",
        one(INDEX, {"privateServiceConnectConfig": DROP}),
        says="absent means false",
    ),
    # PH-1
    Case("gcp.vertex.provisioned_by_terraform", PASS, "agent", one(RE), says="Terraform manages it"),
    Case(
        "gcp.vertex.provisioned_by_terraform",
        PASS,
        "workbench",
        one(NB, {"labels": {"goog-terraform-provisioned": "true", "team": "ml"}}),
    ),
    Case("gcp.vertex.provisioned_by_terraform", FAIL, "endpoint-unlabelled", one(EP), says="absent means"),
    Case(
        "gcp.vertex.provisioned_by_terraform",
        FAIL,
        "attribution-off",
        one(INDEX, {"labels": {"goog-terraform-provisioned": "false"}}),
        says="'false'",
    ),
    Case("gcp.vertex.provisioned_by_terraform", FAIL, "no-labels", one(RE, {"labels": DROP})),
    # PH-4
    Case(
        "gcp.vertex.endpoint_min_replicas",
        PASS,
        "two",
        one(EP, {"deployedModels.0.dedicatedResources.minReplicaCount": 2}),
        says="two or more replicas",
    ),
    Case(
        "gcp.vertex.endpoint_min_replicas",
        PASS,
        "automatic",
        one(
            EP,
            {
                "deployedModels.0.dedicatedResources": DROP,
                "deployedModels.0.automaticResources": {"minReplicaCount": 3, "maxReplicaCount": 5},
            },
        ),
    ),
    Case(
        "gcp.vertex.endpoint_min_replicas",
        PASS,
        "nothing-deployed",
        one(EP, {"deployedModels": DROP}),
        says="nothing is served",
    ),
    Case("gcp.vertex.endpoint_min_replicas", FAIL, "one", one(EP), says="minReplicaCount 1"),
    Case(
        "gcp.vertex.endpoint_min_replicas",
        FAIL,
        "absent",
        one(EP, {"deployedModels.0.dedicatedResources.minReplicaCount": DROP}),
        says="absent means 0",
    ),
    Case(
        "gcp.vertex.endpoint_min_replicas",
        MANUAL,
        "resource-pool",
        one(
            EP,
            {
                "deployedModels.0.dedicatedResources": DROP,
                "deployedModels.0.sharedResources": f"{LOC}/deploymentResourcePools/shared-pool",
            },
        ),
        says="attest",
    ),
    # MS-1
    Case(
        "gcp.vertex.deployed_models_lineage",
        PASS,
        "training-pipeline",
        serving({"trainingPipeline": f"{LOC}/trainingPipelines/7777000011112222"}),
        says="recorded lineage",
    ),
    Case(
        "gcp.vertex.deployed_models_lineage",
        PASS,
        "pipeline-job",
        serving({"pipelineJob": f"{LOC}/pipelineJobs/fraud-train-20250301"}),
    ),
    Case(
        "gcp.vertex.deployed_models_lineage",
        PASS,
        "copied-from-central-registry",
        serving({"originalModelInfo": {"model": "projects/ml-registry-1/locations/us-central1/models/42@3"}}),
    ),
    Case("gcp.vertex.deployed_models_lineage", PASS, "tuned", serving(tuned_by=True)),
    Case(
        "gcp.vertex.deployed_models_lineage",
        PASS,
        "model-garden",
        serving({"modelSourceInfo": {"sourceType": "MODEL_GARDEN"}}),
    ),
    Case(
        "gcp.vertex.deployed_models_lineage",
        PASS,
        "nothing-deployed",
        one(EP, {"deployedModels": DROP}),
        says="nothing is served",
    ),
    Case("gcp.vertex.deployed_models_lineage", FAIL, "bare-upload", serving(), says="bare upload"),
    Case(
        "gcp.vertex.deployed_models_lineage",
        FAIL,
        "custom-upload",
        serving({"modelSourceInfo": {"sourceType": "CUSTOM"}}),
        says="provenance is unknown",
    ),
    Case(
        "gcp.vertex.deployed_models_lineage",
        FAIL,
        "no-version",
        serving(endpoint_changes={"deployedModels.0.modelVersionId": DROP}),
        says="no Model Registry version",
    ),
    Case(
        "gcp.vertex.deployed_models_lineage",
        FAIL,
        "not-in-registry",
        serving(linked=False),
        says="not in the Model Registry listing",
    ),
    Case(
        "gcp.vertex.deployed_models_lineage",
        MANUAL,
        "other-project",
        serving(
            linked=False,
            endpoint_changes={"deployedModels.0.model": "projects/999000111222/locations/us-central1/models/5"},
        ),
        says="attest",
    ),
    Case(
        "gcp.vertex.deployed_models_lineage",
        ERROR,
        "models-unlisted",
        serving(linked=False, models_unlisted=True),
    ),
    Case(
        "gcp.vertex.endpoint_deployed_models_immutable",
        FAIL,
        "version-swapped-in-place",
        redeployed([deployed("111")], [deployed("111", version="2")]),
        says="changed in place",
    ),
    Case(
        "gcp.vertex.endpoint_deployed_models_immutable",
        FAIL,
        "model-swapped-in-place",
        redeployed([deployed("111"), deployed("222")], [deployed("111"), deployed("222", model="445566")]),
        says="deployed model 222",
    ),
    Case(
        "gcp.vertex.endpoint_deployed_models_immutable",
        PASS,
        "new-version-as-new-deployed-model",
        redeployed([deployed("111")], [deployed("111"), deployed("333", version="2")]),
        says="1 deployed model(s) added",
    ),
    Case(
        "gcp.vertex.endpoint_deployed_models_immutable",
        PASS,
        "old-version-undeployed",
        redeployed([deployed("111"), deployed("333", version="2")], [deployed("333", version="2")]),
        says="serve what they served",
    ),
    Case(
        "gcp.vertex.endpoint_deployed_models_immutable",
        PASS,
        "new-endpoint",
        redeployed(None, [deployed("111")]),
        says="new endpoint",
    ),
    Case(
        "gcp.vertex.endpoint_deployed_models_immutable",
        MANUAL,
        "no-earlier-scan",
        one(EP),
        says="no earlier scan",
    ),
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
