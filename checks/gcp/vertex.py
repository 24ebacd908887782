"""Vertex AI checks: endpoints, models, datasets, jobs and feature stores (network, keys, identity, logs,
secrets)."""

from __future__ import annotations

from typing import Any

from checks._verdicts import flag_true, in_allowed_region, no_secrets
from checks.gcp._common import DEFAULT_COMPUTE_SA, project_of
from cspm_ai.doc import ABSENT, as_list, display, get, is_set, shown
from cspm_ai.gcp import region_of
from cspm_ai.model import Resource, Severity, Verdict, errored, failed, passed
from cspm_ai.registry import CheckContext, check

ENDPOINT = "gcp.vertex.endpoint"
MODEL = "gcp.vertex.model"
DATASET = "gcp.vertex.dataset"
CUSTOM_JOB = "gcp.vertex.custom_job"
TRAINING_PIPELINE = "gcp.vertex.training_pipeline"
FEATURESTORE = "gcp.vertex.featurestore"
MONITORING_JOB = "gcp.vertex.model_monitoring_job"
VERTEX_TYPES = (ENDPOINT, MODEL, DATASET, CUSTOM_JOB, TRAINING_PIPELINE, FEATURESTORE, MONITORING_JOB)
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
    resource_types=(ENDPOINT, MODEL, DATASET, CUSTOM_JOB, TRAINING_PIPELINE, FEATURESTORE),
    severity=Severity.MEDIUM,
    title="Vertex AI resources are encrypted with a customer-managed Cloud KMS key",
    checklist=("CL-03",),
    remediation="The key is fixed at creation: recreate the resource with a Cloud KMS key in the same region, e.g. "
    "`gcloud ai endpoints create --region=<region> --display-name=<name> --encryption-kms-key-name="
    "projects/<p>/locations/<region>/keyRings/<kr>/cryptoKeys/<key>` (models: `gcloud ai models upload "
    "... --encryption-kms-key-name=...`; jobs and datasets: `encryptionSpec.kmsKeyName` in the request), "
    "after granting the Vertex AI service agent roles/cloudkms.cryptoKeyEncrypterDecrypter on the key.",
    reads=("encryptionSpec.kmsKeyName",),
)
def resource_cmek(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when encryptionSpec.kmsKeyName names a Cloud KMS key; absent = a Google-managed key: FAIL."""
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
    return [
        (f"deployedModels[{shown(get(dm, 'id'))}].serviceAccount", get(dm, "serviceAccount"))
        for dm in as_list(get(resource.config, "deployedModels"))
    ]


@check(
    id="gcp.vertex.dedicated_service_account",
    resource_types=(ENDPOINT, CUSTOM_JOB),
    severity=Severity.MEDIUM,
    title="Vertex AI deployed models and custom jobs run as a dedicated service account",
    checklist=("CL-02",),
    remediation="Create a service account holding only what the workload needs (`gcloud iam service-accounts create "
    "vertex-serving`, then `gcloud projects add-iam-policy-binding <p> --member=serviceAccount:"
    "vertex-serving@<p>.iam.gserviceaccount.com --role=<role>`), redeploy models with `gcloud ai endpoints "
    "deploy-model ... --service-account=<email>` and run jobs with `gcloud ai custom-jobs create ... "
    "--service-account=<email>`.",
    reads=("deployedModels.serviceAccount", "jobSpec.serviceAccount", "gcp.project:defaultComputeServiceAccount"),
)
def dedicated_service_account(resource: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when a deployed model (endpoint) or the job has no serviceAccount (absent = the Vertex AI service agent
    or default identity is used) or runs as a Compute Engine default service account (the project's
    defaultComputeServiceAccount, or any <number>-compute@developer.gserviceaccount.com). An endpoint with no
    deployed models PASSes: nothing runs."""
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
    resource_types=(MODEL, CUSTOM_JOB, TRAINING_PIPELINE),
    severity=Severity.CRITICAL,
    title="Vertex AI models and training jobs hold no credentials or secrets",
    checklist=("MS-4",),
    remediation="Rotate the exposed credential now and store it in Secret Manager (`gcloud secrets create <name> "
    "--data-file=<file>`), grant the workload's service account `roles/secretmanager.secretAccessor` "
    "(`gcloud secrets add-iam-policy-binding <name> --member=serviceAccount:<sa> "
    "--role=roles/secretmanager.secretAccessor`) and read it at run time. Then remove the literal value: "
    "upload a new model version without it (`gcloud ai models upload --region=<region> --display-name=<name> "
    "--container-image-uri=<image> --container-env-vars=<non-secret vars only>`), redeploy it and "
    "`gcloud ai models delete` the old one; run jobs again from a spec without it (`gcloud ai custom-jobs "
    "create --region=<region> --config=<spec.yaml>`).",
    reads=("<redactions>",),
)
def no_secrets_in_configuration(resource: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the redactor removed secret-looking values before storage: a model's containerSpec.env, the
    container env and args of a custom job's jobSpec.workerPoolSpecs or of a training pipeline's
    trainingTaskInputs and modelToUpload, labels and names; the evidence names each path and kind, never the
    value. No redactions (no env, or none secret-looking) PASS."""
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
