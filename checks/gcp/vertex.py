"""Vertex AI checks: endpoints, models, datasets, jobs, feature stores, Agent Engine, tuning and Vector Search (network,
keys, identity, logs, secrets, provenance, redundancy, infrastructure as code)."""

from __future__ import annotations

import re
from typing import Any

from checks._verdicts import flag_true, in_allowed_region, no_secrets
from checks.gcp._common import DEFAULT_COMPUTE_SA, project_number, project_of
from cspm_ai.doc import ABSENT, as_list, display, get, is_set, shown
from cspm_ai.gcp import region_of
from cspm_ai.model import Resource, Severity, Verdict, errored, failed, manual, passed
from cspm_ai.registry import CheckContext, check

ENDPOINT = "gcp.vertex.endpoint"
MODEL = "gcp.vertex.model"
DATASET = "gcp.vertex.dataset"
CUSTOM_JOB = "gcp.vertex.custom_job"
TRAINING_PIPELINE = "gcp.vertex.training_pipeline"
FEATURESTORE = "gcp.vertex.featurestore"
MONITORING_JOB = "gcp.vertex.model_monitoring_job"
REASONING_ENGINE = "gcp.vertex.reasoning_engine"
TUNING_JOB = "gcp.vertex.tuning_job"
INDEX_ENDPOINT = "gcp.vertex.index_endpoint"
VERTEX_TYPES = (
    ENDPOINT,
    MODEL,
    DATASET,
    CUSTOM_JOB,
    TRAINING_PIPELINE,
    FEATURESTORE,
    MONITORING_JOB,
    REASONING_ENGINE,
    TUNING_JOB,
    INDEX_ENDPOINT,
)
NOTEBOOK_INSTANCE = "gcp.notebooks.instance"
# Monitoring jobs in these states no longer watch their endpoint.
ENDED_STATES = ("JOB_STATE_CANCELLED", "JOB_STATE_FAILED")


@check(
    id="gcp.vertex.endpoint_private",
    resource_types=ENDPOINT,
    severity=Severity.HIGH,
    title="Vertex AI endpoints are private (VPC peering or Private Service Connect)",
    checklist=("CL-01",),
    remediation="The network is fixed at creation: create a private endpoint with `gcloud ai endpoints create "
    "--region=<region> --display-name=<name> --network=projects/<number>/global/networks/<vpc>` (or a "
    "Private Service Connect endpoint through the REST API with `privateServiceConnectConfig."
    "enablePrivateServiceConnect: true` and a `projectAllowlist`), redeploy the models with `gcloud ai "
    "endpoints deploy-model`, move clients, then `gcloud ai endpoints delete` the public endpoint.",
    reads=("network", "privateServiceConnectConfig.enablePrivateServiceConnect"),
)
def endpoint_private(ep: Resource, ctx: CheckContext) -> Verdict:
    """PASS when `network` names a VPC (peering) or privateServiceConnectConfig.enablePrivateServiceConnect is
    true; neither (absent = false, as proto3 JSON omits it) means a public endpoint: FAIL."""
    network = get(ep.config, "network")
    psc = get(ep.config, "privateServiceConnectConfig.enablePrivateServiceConnect")
    evidence = {"network": shown(network), "privateServiceConnectConfig.enablePrivateServiceConnect": shown(psc)}
    if is_set(network):
        return passed(f"{ep.name} is reachable only from VPC network {network}.", **evidence)
    if psc is True:
        return passed(f"{ep.name} is served through Private Service Connect.", **evidence)
    return failed(
        f"{ep.name} has no network and Private Service Connect is not enabled (absent means false), so it "
        "is a public endpoint reachable from the internet.",
        **evidence,
    )


@check(
    id="gcp.vertex.resource_cmek",
    resource_types=(
        ENDPOINT,
        MODEL,
        DATASET,
        CUSTOM_JOB,
        TRAINING_PIPELINE,
        FEATURESTORE,
        REASONING_ENGINE,
        TUNING_JOB,
        INDEX_ENDPOINT,
    ),
    severity=Severity.MEDIUM,
    title="Vertex AI resources are encrypted with a customer-managed Cloud KMS key",
    checklist=("CL-03",),
    remediation="The key is fixed at creation: recreate the resource with a Cloud KMS key in the same region, e.g. "
    "`gcloud ai endpoints create --region=<region> --display-name=<name> --encryption-kms-key-name="
    "projects/<p>/locations/<region>/keyRings/<kr>/cryptoKeys/<key>` (models: `gcloud ai models upload "
    "... --encryption-kms-key-name=...`; jobs, datasets, tuning jobs, Agent Engine agents and index endpoints: "
    "`encryptionSpec.kmsKeyName` in the create request), "
    "after granting the Vertex AI service agent roles/cloudkms.cryptoKeyEncrypterDecrypter on the key.",
    reads=("encryptionSpec.kmsKeyName",),
)
def resource_cmek(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when encryptionSpec.kmsKeyName names a Cloud KMS key; absent = a Google-managed key: FAIL. A tuning job's
    key also encrypts the tuned model it registers, which is judged as a model of its own."""
    key = get(resource.config, "encryptionSpec.kmsKeyName")
    if is_set(key):
        return passed(
            f"{resource.name} is encrypted with customer-managed key {key}.", **{"encryptionSpec.kmsKeyName": key}
        )
    return failed(
        f"{resource.name} has encryptionSpec.kmsKeyName {display(key)} (absent means a Google-managed key), "
        "so its data is not under a customer-managed key.",
        **{"encryptionSpec.kmsKeyName": shown(key)},
    )


def _task_network(inputs: Any) -> Any:
    """The `network` of a custom training pipeline's free-form trainingTaskInputs (top level, or next to its
    workerPoolSpecs in a nested spec); ABSENT when none."""
    if not isinstance(inputs, dict):
        return ABSENT
    if "network" in inputs:
        return inputs["network"]
    for key in ("jobSpec", "job_spec", "customJobSpec", "custom_job_spec"):
        nested = inputs.get(key)
        if isinstance(nested, dict) and "network" in nested:
            return nested["network"]
    return ABSENT


@check(
    id="gcp.vertex.job_on_vpc",
    resource_types=(CUSTOM_JOB, TRAINING_PIPELINE),
    severity=Severity.MEDIUM,
    title="Vertex AI training jobs run on a VPC network",
    checklist=("CL-01",),
    remediation="Peer the VPC with Vertex AI (`gcloud services vpc-peerings connect --service="
    "servicenetworking.googleapis.com --network=<vpc> --ranges=<range>`), then run jobs with "
    "`gcloud ai custom-jobs create --region=<region> --network=projects/<number>/global/networks/<vpc> "
    "...` (or a `pscInterfaceConfig`); for training pipelines set `network` in trainingTaskInputs.",
    reads=("jobSpec.network", "jobSpec.pscInterfaceConfig", "trainingTaskInputs.network"),
)
def job_on_vpc(job: Resource, ctx: CheckContext) -> Verdict:
    """Custom jobs PASS when jobSpec.network is set or jobSpec.pscInterfaceConfig is present; training pipelines
    PASS when their free-form trainingTaskInputs carry a `network` (at top level or in a nested job spec).
    Absent = the job runs on Google's shared network without access to your VPC: FAIL."""
    if job.type == CUSTOM_JOB:
        network = get(job.config, "jobSpec.network")
        psc = get(job.config, "jobSpec.pscInterfaceConfig")
        evidence = {"jobSpec.network": shown(network), "jobSpec.pscInterfaceConfig": shown(psc)}
        if is_set(network):
            return passed(f"{job.name} runs on VPC network {network}.", **evidence)
        if isinstance(psc, dict):
            return passed(f"{job.name} reaches the VPC through a Private Service Connect interface.", **evidence)
        return failed(
            f"{job.name} has no jobSpec.network and no pscInterfaceConfig (absent means none), so it runs "
            "outside your VPC.",
            **evidence,
        )
    network = _task_network(get(job.config, "trainingTaskInputs"))
    evidence = {"trainingTaskInputs.network": shown(network)}
    if is_set(network):
        return passed(f"{job.name} trains on VPC network {network}.", **evidence)
    return failed(
        f"{job.name} has trainingTaskInputs network {display(network)} (absent means none), so it trains "
        "outside your VPC.",
        **evidence,
    )


def _service_accounts(resource: Resource) -> list[tuple[str, Any]]:
    """(where, service account) for each identity the resource runs as."""
    if resource.type == CUSTOM_JOB:
        return [("jobSpec.serviceAccount", get(resource.config, "jobSpec.serviceAccount"))]
    if resource.type == REASONING_ENGINE:
        return [("spec.serviceAccount", get(resource.config, "spec.serviceAccount"))]
    return [
        (f"deployedModels[{shown(get(dm, 'id'))}].serviceAccount", get(dm, "serviceAccount"))
        for dm in as_list(get(resource.config, "deployedModels"))
    ]


@check(
    id="gcp.vertex.dedicated_service_account",
    resource_types=(ENDPOINT, CUSTOM_JOB, REASONING_ENGINE),
    severity=Severity.MEDIUM,
    title="Vertex AI deployed models, custom jobs and Agent Engine agents run as a dedicated identity",
    checklist=("CL-02",),
    remediation="Create a service account holding only what the workload needs (`gcloud iam service-accounts create "
    "vertex-serving`, then `gcloud projects add-iam-policy-binding <p> --member=serviceAccount:"
    "vertex-serving@<p>.iam.gserviceaccount.com --role=<role>`), redeploy models with `gcloud ai endpoints "
    "deploy-model ... --service-account=<email>`, run jobs with `gcloud ai custom-jobs create ... "
    "--service-account=<email>` and deploy agents with `spec.serviceAccount` (or `spec.identityType: "
    "AGENT_IDENTITY`) in the reasoning engine's create or patch request.",
    reads=(
        "deployedModels.serviceAccount",
        "jobSpec.serviceAccount",
        "spec.serviceAccount",
        "spec.identityType",
        "gcp.project:defaultComputeServiceAccount",
    ),
)
def dedicated_service_account(resource: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when a deployed model (endpoint), the job or the Agent Engine agent (spec.serviceAccount) has no
    serviceAccount (absent = the Vertex AI service agent, the Custom Code Service Agent or the Reasoning Engine
    Service Agent, shared by everything in the project) or runs as a Compute Engine default service account (the
    project's defaultComputeServiceAccount, or any <number>-compute@developer.gserviceaccount.com). An agent with
    spec.identityType AGENT_IDENTITY runs as its own per-agent identity: PASS. An endpoint with no deployed models
    PASSes: nothing runs."""
    if resource.type == REASONING_ENGINE and get(resource.config, "spec.identityType") == "AGENT_IDENTITY":
        return passed(
            f"{resource.name} runs as its own agent identity (spec.identityType AGENT_IDENTITY).",
            **{"spec.identityType": "AGENT_IDENTITY"},
        )
    accounts = _service_accounts(resource)
    if not accounts:
        return passed(
            f"{resource.name} has no deployed models, so nothing runs under a service account.", deployedModels=[]
        )
    project = project_of(resource, ctx)
    default = get(project.config, "defaultComputeServiceAccount") if project else ABSENT
    evidence: dict[str, Any] = {where: shown(sa) for where, sa in accounts}
    evidence["defaultComputeServiceAccount"] = shown(default)
    missing = [where for where, sa in accounts if not is_set(sa)]
    defaults = [where for where, sa in accounts if is_set(sa) and (sa == default or DEFAULT_COMPUTE_SA.match(sa))]
    if missing:
        return failed(
            f"{resource.name} sets no {missing[0]} (absent means the Vertex AI service agent or default "
            "identity), so it does not run as a dedicated service account.",
            **evidence,
        )
    if defaults:
        return failed(
            f"{resource.name} runs {defaults[0]} as the Compute Engine default service account "
            f"{dict(accounts)[defaults[0]]}, which is shared and usually broadly privileged.",
            **evidence,
        )
    names = sorted({sa for _, sa in accounts})
    return passed(f"{resource.name} runs as dedicated service account(s) {', '.join(names)}.", **evidence)


@check(
    id="gcp.vertex.endpoint_request_logging",
    resource_types=ENDPOINT,
    severity=Severity.MEDIUM,
    title="Vertex AI endpoints log prediction requests and responses",
    checklist=("MS-3",),
    remediation="Enable request-response logging to BigQuery: `gcloud beta ai endpoints update <endpoint> "
    "--region=<region> --request-response-logging-rate=0.1 --request-response-logging-table="
    "bq://<p>.<dataset>.<table>` (or set predictRequestResponseLoggingConfig {enabled: true, "
    "samplingRate, bigqueryDestination} through the REST API).",
    reads=("predictRequestResponseLoggingConfig.enabled",),
)
def endpoint_request_logging(ep: Resource, ctx: CheckContext) -> Verdict:
    """PASS when predictRequestResponseLoggingConfig.enabled is true; absent = false (omitted by proto3 JSON): FAIL."""
    return flag_true(
        ep,
        "predictRequestResponseLoggingConfig.enabled",
        on="prediction requests and responses are logged to BigQuery",
        off="prediction traffic is not recorded for review",
    )


def _tail(name: Any) -> str:
    """A resource name without its project segment ("locations/l/endpoints/e"), as a project can be named by id
    or number."""
    if not isinstance(name, str):
        return ""
    parts = name.split("/")
    return "/".join(parts[2:]) if len(parts) > 2 and parts[0] == "projects" else name


def _known_state(state: Any) -> bool:
    return isinstance(state, str) and state.startswith("JOB_STATE_") and state != "JOB_STATE_UNSPECIFIED"


@check(
    id="gcp.vertex.endpoint_monitored",
    resource_types=ENDPOINT,
    severity=Severity.MEDIUM,
    title="Vertex AI endpoints have an active model monitoring job",
    checklist=("MS-3",),
    remediation="Create a monitoring job for the endpoint: `gcloud ai model-monitoring-jobs create --region=<region> "
    "--display-name=<name> --endpoint=<endpoint id> --emails=<team@example.com> "
    "--prediction-sampling-rate=0.2 --monitoring-frequency=24 --target-field=<label> "
    "--feature-thresholds=<feature>=0.3`.",
    reads=("name", "gcp.vertex.model_monitoring_job:endpoint", "gcp.vertex.model_monitoring_job:state"),
)
def endpoint_monitored(ep: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a gcp.vertex.model_monitoring_job of the same project names this endpoint in `endpoint` (compared
    without the project segment, which may be an id or a number) and its state is not JOB_STATE_CANCELLED or
    JOB_STATE_FAILED; none = FAIL. Unlisted monitoring jobs, or none known active while one has a state that is
    not a known name (a number the client does not know, or none), = ERROR."""
    name = get(ep.config, "name")
    jobs = [
        j
        for j in ctx.resources(MONITORING_JOB, account=ep.account)
        if _tail(get(j.config, "endpoint")) == _tail(name) and _tail(name)
    ]
    summary = [{"name": j.name, "state": shown(get(j.config, "state"))} for j in jobs]
    # The collector stores enum names; a number (a state this client does not know) or no state cannot be judged.
    known = [j for j in jobs if _known_state(get(j.config, "state"))]
    active = [j for j in known if get(j.config, "state") not in ENDED_STATES]
    if active:
        return passed(f"{ep.name} is watched by monitoring job {active[0].name}.", monitoringJobs=summary)
    unknown = [j for j in jobs if j not in known]
    if unknown:
        return errored(
            f"{ep.name} could not be judged: monitoring job {unknown[0].name} has state "
            f"{display(get(unknown[0].config, 'state'))}, which is not a known job state.",
            monitoringJobs=summary,
        )
    if jobs:
        return failed(f"{ep.name} has {len(jobs)} monitoring job(s), all cancelled or failed.", monitoringJobs=summary)
    return failed(f"{ep.name} has no model monitoring job, so drift and skew go unnoticed.", monitoringJobs=[])


@check(
    id="gcp.vertex.no_secrets_in_configuration",
    resource_types=(MODEL, CUSTOM_JOB, TRAINING_PIPELINE, REASONING_ENGINE),
    severity=Severity.CRITICAL,
    title="Vertex AI models, training jobs and agents hold no credentials or secrets",
    checklist=("MS-4",),
    remediation="Rotate the exposed credential now and store it in Secret Manager (`gcloud secrets create <name> "
    "--data-file=<file>`), grant the workload's service account `roles/secretmanager.secretAccessor` "
    "(`gcloud secrets add-iam-policy-binding <name> --member=serviceAccount:<sa> "
    "--role=roles/secretmanager.secretAccessor`) and read it at run time. Then remove the literal value: "
    "upload a new model version without it (`gcloud ai models upload --region=<region> --display-name=<name> "
    "--container-image-uri=<image> --container-env-vars=<non-secret vars only>`), redeploy it and "
    "`gcloud ai models delete` the old one; run jobs again from a spec without it (`gcloud ai custom-jobs "
    "create --region=<region> --config=<spec.yaml>`); for an agent, move it to `spec.deploymentSpec.secretEnv` "
    "(a Secret Manager reference) in the reasoning engine's patch request.",
    reads=("<redactions>",),
)
def no_secrets_in_configuration(resource: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the redactor removed secret-looking values before storage: a model's containerSpec.env, the
    container env and args of a custom job's jobSpec.workerPoolSpecs or of a training pipeline's
    trainingTaskInputs and modelToUpload, an agent's spec.deploymentSpec.env (secretEnv holds Secret Manager
    references, not values), labels and names; the evidence names each path and kind, never the value. No
    redactions (no env, or none secret-looking) PASS."""
    return no_secrets(resource)


@check(
    id="gcp.vertex.resource_in_allowed_region",
    resource_types=(*VERTEX_TYPES, NOTEBOOK_INSTANCE),
    severity=Severity.MEDIUM,
    title="Vertex AI resources and Workbench instances are in allowed regions",
    checklist=("CL-09",),
    remediation="Recreate the resource in an allowed region (e.g. `gcloud ai endpoints create --region=<allowed>`, "
    "`gcloud workbench instances create --location=<allowed zone>`), migrate, delete the old one, and "
    "enforce the boundary with `gcloud org-policies set-policy` on constraints/gcp.resourceLocations.",
    reads=("region",),
)
def resource_in_allowed_region(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the resource's region (a Workbench zone such as us-central1-a counts as us-central1) is among the
    allowed regions, FAIL otherwise; no allowed regions configured = MANUAL."""
    return in_allowed_region(resource, ctx, region=region_of(resource.region))


@check(
    id="gcp.vertex.endpoint_calls_authenticated",
    resource_types=ENDPOINT,
    severity=Severity.HIGH,
    title="Every call to a Vertex AI endpoint is authenticated and authorized by IAM",
    checklist=("ZT-1",),
    remediation="Serve the model from an endpoint whose calls go through Vertex AI's API: create a Private Service "
    "Connect endpoint (REST `privateServiceConnectConfig.enablePrivateServiceConnect: true` with a "
    "`projectAllowlist`) or a public endpoint kept private by VPC Service Controls (`gcloud ai endpoints create "
    "--region=<region> --display-name=<name>`), redeploy with `gcloud ai endpoints deploy-model`, move the "
    "callers, then `gcloud ai endpoints delete` the VPC-peered endpoint.",
    reads=("network", "privateServiceConnectConfig.enablePrivateServiceConnect"),
)
def endpoint_calls_authenticated(ep: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when `network` is set: a VPC-peered (private services access) endpoint is called at the private
    deployedModels[].privateEndpoints.predictHttpUri with no Google credentials (the Vertex AI SDK's
    PrivateEndpoint.predict sends only a Content-Type header), so reaching its address is all a caller needs and IAM
    authorizes no call. PASS otherwise (network absent): calls to a public or dedicated endpoint, or through
    Private Service Connect, go through Vertex AI's API, which checks each caller's OAuth token for
    aiplatform.endpoints.predict. Who holds that permission is judged on the project
    (gcp.iam.predict_not_public)."""
    network = get(ep.config, "network")
    evidence = {
        "network": shown(network),
        "privateServiceConnectConfig.enablePrivateServiceConnect": shown(
            get(ep.config, "privateServiceConnectConfig.enablePrivateServiceConnect")
        ),
    }
    if is_set(network):
        return failed(
            f"{ep.name} is a VPC-peered private endpoint on {network}: predictions reach it without Google "
            "credentials, so IAM does not authorize each call.",
            **evidence,
        )
    return passed(
        f"{ep.name} is called through Vertex AI's API, where IAM authorizes every predict call (network absent).",
        **evidence,
    )


@check(
    id="gcp.vertex.index_endpoint_private",
    resource_types=INDEX_ENDPOINT,
    severity=Severity.HIGH,
    title="Vector Search index endpoints are private (Private Service Connect or VPC peering)",
    checklist=("CL-01",),
    remediation="The access mode is fixed at creation: create a Private Service Connect index endpoint with "
    "`gcloud ai index-endpoints create --region=<region> --display-name=<name> --enable-private-service-connect "
    "--project-allowlist=<project>` (or `--network=projects/<number>/global/networks/<vpc>` for VPC peering), "
    "`gcloud ai index-endpoints deploy-index` the index there, move the callers, then `gcloud ai index-endpoints "
    "undeploy-index` and `delete` the public one.",
    reads=("publicEndpointEnabled", "network", "privateServiceConnectConfig.enablePrivateServiceConnect"),
)
def index_endpoint_private(ie: Resource, ctx: CheckContext) -> Verdict:
    """PASS when `network` names a VPC (peering) or Private Service Connect is enabled
    (privateServiceConnectConfig.enablePrivateServiceConnect, or the deprecated top-level
    enablePrivateServiceConnect). FAIL when publicEndpointEnabled is true (the index answers on
    publicEndpointDomainName from the internet) or when none of them is set (absent = false in proto3 JSON)."""
    network = get(ie.config, "network")
    psc = get(ie.config, "privateServiceConnectConfig.enablePrivateServiceConnect") is True or (
        get(ie.config, "enablePrivateServiceConnect") is True
    )
    public = get(ie.config, "publicEndpointEnabled")
    evidence = {
        "publicEndpointEnabled": shown(public),
        "publicEndpointDomainName": shown(get(ie.config, "publicEndpointDomainName")),
        "network": shown(network),
        "privateServiceConnectConfig.enablePrivateServiceConnect": psc,
    }
    if public is True:
        return failed(
            f"{ie.name} has publicEndpointEnabled true, so its vectors are queried from the internet.", **evidence
        )
    if is_set(network):
        return passed(f"{ie.name} is reachable only from VPC network {network}.", **evidence)
    if psc:
        return passed(f"{ie.name} is served through Private Service Connect.", **evidence)
    return failed(
        f"{ie.name} has no network and Private Service Connect is not enabled (absent means false), so it is not "
        "private.",
        **evidence,
    )


TERRAFORM_LABEL = "goog-terraform-provisioned"


@check(
    id="gcp.vertex.provisioned_by_terraform",
    resource_types=(ENDPOINT, DATASET, FEATURESTORE, INDEX_ENDPOINT, REASONING_ENGINE, NOTEBOOK_INSTANCE),
    severity=Severity.LOW,
    title="Vertex AI infrastructure and Workbench instances are created through Terraform",
    checklist=("PH-1",),
    remediation="Declare the resource in Terraform (google_vertex_ai_endpoint, google_vertex_ai_dataset, "
    "google_vertex_ai_featurestore, google_vertex_ai_index_endpoint, google_vertex_ai_reasoning_engine, "
    "google_workbench_instance), bring it under management with `terraform import`, keep the provider's "
    "`add_terraform_attribution_label = true` (the default since provider 6.0), apply through reviewed pull "
    "requests, and deny people direct write roles: `gcloud projects remove-iam-policy-binding <p> "
    "--member=group:<group> --role=roles/aiplatform.admin`.",
    reads=(f"labels.{TERRAFORM_LABEL}",),
)
def provisioned_by_terraform(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when labels carry goog-terraform-provisioned "true", the attribution label the Terraform Google
    provider adds to every resource that takes labels (add_terraform_attribution_label, default true since provider
    6.0). Absent = created outside Terraform (console, gcloud, an SDK) or with attribution turned off: FAIL. What it
    proves: Terraform created or last applied the resource; not that the change was reviewed, nor that no one
    changed it by hand since. Models and jobs are runs of pipelines, not infrastructure, and are not judged."""
    labels = get(resource.config, "labels")
    value = labels.get(TERRAFORM_LABEL, ABSENT) if isinstance(labels, dict) else ABSENT
    evidence = {f"labels.{TERRAFORM_LABEL}": shown(value)}
    if value == "true":
        return passed(f"{resource.name} carries {TERRAFORM_LABEL}=true, so Terraform manages it.", **evidence)
    note = " (absent means created outside Terraform)" if value is ABSENT else ""
    return failed(
        f"{resource.name} has label {TERRAFORM_LABEL} {display(value)}{note}, so its configuration did not come "
        "through infrastructure as code.",
        **evidence,
    )


def _replicas(dm: Any) -> Any:
    """A deployed model's minimum replicas: dedicated or automatic resources (0 omitted by proto3 JSON)."""
    for path in ("dedicatedResources.minReplicaCount", "automaticResources.minReplicaCount"):
        value = get(dm, path)
        if value is not ABSENT:
            return value
    return ABSENT


@check(
    id="gcp.vertex.endpoint_min_replicas",
    resource_types=ENDPOINT,
    severity=Severity.MEDIUM,
    title="Vertex AI endpoints serve every deployed model from at least two replicas",
    checklist=("PH-4",),
    remediation="Redeploy with a floor of two: `gcloud ai endpoints deploy-model <endpoint> --region=<region> "
    "--model=<model> --display-name=<name> --machine-type=<type> --min-replica-count=2 "
    "--max-replica-count=<n> --traffic-split=0=100`, then undeploy the single-replica deployment.",
    reads=("deployedModels.dedicatedResources.minReplicaCount", "deployedModels.automaticResources.minReplicaCount"),
)
def endpoint_min_replicas(ep: Resource, ctx: CheckContext) -> Verdict:
    """PASS when every deployedModels[] entry has dedicatedResources.minReplicaCount (or
    automaticResources.minReplicaCount) of 2 or more, so a replica or zone failure leaves one serving. Absent = 0
    (proto3 JSON omits it; Vertex AI then keeps one): FAIL. A deployed model on sharedResources takes its replicas
    from a deployment resource pool this scan does not read: MANUAL. No deployed models: PASS, nothing is served."""
    deployed = as_list(get(ep.config, "deployedModels"))
    if not deployed:
        return passed(f"{ep.name} has no deployed models, so nothing is served.", deployedModels=[])
    evidence = {f"deployedModels[{shown(get(dm, 'id'))}].minReplicaCount": shown(_replicas(dm)) for dm in deployed}
    single = [dm for dm in deployed if not isinstance(_replicas(dm), int) or _replicas(dm) < 2]
    pooled = [dm for dm in single if is_set(get(dm, "sharedResources"))]
    if pooled and len(pooled) == len(single):
        pool = get(pooled[0], "sharedResources")
        return manual(
            f"{ep.name} serves {shown(get(pooled[0], 'id'))} from deployment resource pool {pool}; attest that the "
            "pool keeps at least two replicas.",
            **evidence,
        )
    if single:
        first = next(dm for dm in single if dm not in pooled)
        return failed(
            f"{ep.name} serves deployed model {shown(get(first, 'id'))} with minReplicaCount "
            f"{display(_replicas(first))} (absent means 0, one replica kept), so one failure stops it.",
            **evidence,
        )
    return passed(f"{ep.name} serves each of {len(deployed)} deployed model(s) from two or more replicas.", **evidence)


# Where a Model Registry model records how it came to be.
LINEAGE_SOURCES = ("MODEL_GARDEN", "GENIE", "AUTOML", "BQML")
_REGISTRY_MODEL = re.compile(r"^projects/([^/]+)/locations/([^/]+)/models/([^/@]+)(?:@.*)?$")


def _lineage(model: Resource, ctx: CheckContext) -> str | None:
    """How the registry model came to be, or None for a bare upload."""
    for path in ("trainingPipeline", "pipelineJob", "originalModelInfo.model"):
        value = get(model.config, path)
        if is_set(value):
            return f"{path} {value}"
    tuned = ctx.referrers(model, "produces_model")
    if tuned:
        return f"tuning job {tuned[0].name}"
    source = get(model.config, "modelSourceInfo.sourceType")
    if source in LINEAGE_SOURCES:
        return f"modelSourceInfo.sourceType {source}"
    return None


def _registry_model(ep: Resource, dm: Any, ctx: CheckContext) -> tuple[str, Resource | None, bool]:
    """(the registry model name, the model if this scan holds it, whether this scan listed where it would be)."""
    ref = get(dm, "model")
    match = _REGISTRY_MODEL.match(ref) if isinstance(ref, str) else None
    if match is None:
        return shown(ref), None, False
    name = f"projects/{match.group(1)}/locations/{match.group(2)}/models/{match.group(3)}"
    related = {m.uid: m for m in ctx.related(ep, "serves_model")}
    model = related.get(f"//aiplatform.googleapis.com/{name}")
    project = project_of(ep, ctx)
    own = match.group(1) in (ep.account, project_number(project) if project else None)
    # The collector lists models wherever it listed the endpoint: a model of the endpoint's own project and
    # location that is not there is not in the registry.
    listed = own and match.group(2) == ep.region
    if model is None and listed:
        ctx.resources(MODEL, account=ep.account, region=ep.region)  # raises when that list failed
    return name, model, listed


@check(
    id="gcp.vertex.deployed_models_lineage",
    resource_types=ENDPOINT,
    severity=Severity.MEDIUM,
    title="Vertex AI endpoints serve Model Registry versions whose lineage is recorded",
    checklist=("MS-1",),
    remediation="Produce models through a recorded path: train with a Vertex AI training pipeline or Vertex AI "
    "Pipelines (`gcloud ai custom-jobs create` inside a pipeline that uploads the model), tune through a tuning "
    "job, or copy an approved version from the central registry (`gcloud ai models copy --region=<region> "
    "--source-model=<model>`); then `gcloud ai endpoints deploy-model` that version and undeploy the hand-uploaded "
    "one.",
    reads=(
        "deployedModels.model",
        "deployedModels.modelVersionId",
        "serves_model.trainingPipeline",
        "serves_model.pipelineJob",
        "serves_model.originalModelInfo",
        "serves_model.modelSourceInfo.sourceType",
    ),
)
def deployed_models_lineage(ep: Resource, ctx: CheckContext) -> Verdict:
    """Every deployedModels[] entry must name a Model Registry model (`model`) and version (`modelVersionId`) whose
    registry entry records where it came from: trainingPipeline (the training pipeline that uploaded it),
    pipelineJob (the Vertex AI pipeline run), originalModelInfo.model (copied from another registry), a tuning job
    whose tunedModel names it, or modelSourceInfo.sourceType MODEL_GARDEN, GENIE, AUTOML or BQML. FAIL for a bare
    upload (sourceType CUSTOM or absent with none of those: artifacts from any bucket, provenance unknown), for a
    deployed model naming no registry version, and for a model absent from a registry listing this scan made. A
    model in a project or location this scan did not list: MANUAL. No deployed models: PASS."""
    deployed = as_list(get(ep.config, "deployedModels"))
    if not deployed:
        return passed(f"{ep.name} has no deployed models, so nothing is served.", deployedModels=[])
    evidence: dict[str, Any] = {}
    unseen: list[str] = []
    for dm in deployed:
        where = f"deployedModels[{shown(get(dm, 'id'))}]"
        name, model, listed = _registry_model(ep, dm, ctx)
        version = get(dm, "modelVersionId")
        evidence[f"{where}.model"] = name
        evidence[f"{where}.modelVersionId"] = shown(version)
        if not is_set(version) or not name.startswith("projects/"):
            return failed(f"{ep.name} serves {where} from no Model Registry version ({name}).", **evidence)
        if model is None:
            if listed:
                return failed(f"{ep.name} serves {name}, which is not in the Model Registry listing.", **evidence)
            unseen.append(name)
            continue
        lineage = _lineage(model, ctx)
        evidence[f"{where}.lineage"] = shown(lineage)
        if lineage is None:
            return failed(
                f"{ep.name} serves {model.name} version {version}, a bare upload with no training pipeline, "
                "pipeline run, source registry or tuning job recorded, so its provenance is unknown.",
                **evidence,
            )
    if unseen:
        return manual(
            f"{ep.name} serves {unseen[0]}, which is in a project or location this scan did not list; attest its "
            "lineage.",
            **evidence,
        )
    return passed(f"{ep.name} serves only registry versions with recorded lineage.", **evidence)


def _served_models(endpoint: Resource) -> dict[str, dict[str, Any]]:
    """Each deployed model's id -> what it serves (the model and its version)."""
    served: dict[str, dict[str, Any]] = {}
    for deployed in as_list(get(endpoint.config, "deployedModels")):
        if isinstance(deployed, dict) and is_set(deployed.get("id")):
            served[str(deployed["id"])] = {
                "model": shown(get(deployed, "model")),
                "modelVersionId": shown(get(deployed, "modelVersionId")),
            }
    return served


@check(
    id="gcp.vertex.endpoint_deployed_models_immutable",
    resource_types=ENDPOINT,
    severity=Severity.MEDIUM,
    title="Endpoints never change what a deployed model serves: a new model version is a new deployed model",
    checklist=("PH-2",),
    remediation="Deploy the new model version as a new deployed model (`gcloud ai endpoints deploy-model ENDPOINT "
    "--model=MODEL@VERSION --traffic-split=...`), move traffic to it, then undeploy the old one; do not "
    "redeploy another model or version under an existing deployed model id.",
    reads=("deployedModels[].id", "deployedModels[].model", "deployedModels[].modelVersionId"),
    history_types=(ENDPOINT,),
)
def endpoint_deployed_models_immutable(endpoint: Resource, ctx: CheckContext) -> Verdict:
    """Judged against the previous comparable scan: FAIL when a deployed model id the endpoint had then now serves
    another model or model version (changed in place); PASS when every deployed model id that remains serves what
    it did, however many new ones were added (the immutable way). MANUAL when no earlier scan is stored."""
    since = ctx.previous_scan_started_at
    if since is None:
        return manual(
            f"{endpoint.name}: no earlier scan of these projects is stored, so whether a deployed model was "
            "swapped in place can only be judged from the next scan on."
        )
    when = since.strftime("%Y-%m-%d %H:%M UTC")
    now = _served_models(endpoint)
    before = ctx.previous(endpoint.uid)
    if before is None:
        return passed(f"{endpoint.name} is a new endpoint since the previous scan ({when}).", deployedModels=now)
    then = _served_models(before)
    swapped = {i: {"before": then[i], "after": now[i]} for i in now if i in then and then[i] != now[i]}
    if swapped:
        first, change = next(iter(swapped.items()))
        return failed(
            f"{endpoint.name}'s deployed model {first} now serves {display(change['after']['model'])} version "
            f"{display(change['after']['modelVersionId'])} where the previous scan ({when}) found "
            f"{display(change['before']['model'])} version {display(change['before']['modelVersionId'])}: "
            "changed in place instead of deployed as a new deployed model.",
            **{f"deployedModels[{i}]": c for i, c in swapped.items()},
        )
    added = sorted(set(now) - set(then))
    note = f"; {len(added)} deployed model(s) added since" if added else ""
    return passed(
        f"{endpoint.name}'s deployed models serve what they served in the previous scan ({when}){note}.",
        deployedModels=now,
    )
