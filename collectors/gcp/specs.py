"""What the Google Cloud collector reads: one declaration per call, no code.

Every read names the IAM permission it needs; the shipped custom role
(cspm_ai/permissions/gcp-readonly-role.json) is derived from these tables
and a test proves a scan calls nothing else. Page sizes are each API's
largest.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.gcp.orgpolicy import AI_CONSTRAINTS

CAI_PAGE_SIZE = 500  # searchAllResources maximum
PROJECT_ASSET_TYPE = "cloudresourcemanager.googleapis.com/Project"
WORKBENCH_ASSET_TYPE = "notebooks.googleapis.com/Instance"


@dataclass(frozen=True)
class VertexKind:
    """A Vertex AI collection listed per project and location on the regional host."""

    type: str
    asset_type: str  # how Cloud Asset Inventory names it
    client: str  # google.cloud.aiplatform_v1 client class
    method: str  # its list method
    permission: str
    page_size: int = 100


VERTEX_KINDS: tuple[VertexKind, ...] = (
    VertexKind(
        "gcp.vertex.endpoint",
        "aiplatform.googleapis.com/Endpoint",
        "EndpointServiceClient",
        "list_endpoints",
        "aiplatform.endpoints.list",
    ),
    VertexKind(
        "gcp.vertex.model",
        "aiplatform.googleapis.com/Model",
        "ModelServiceClient",
        "list_models",
        "aiplatform.models.list",
    ),
    VertexKind(
        "gcp.vertex.dataset",
        "aiplatform.googleapis.com/Dataset",
        "DatasetServiceClient",
        "list_datasets",
        "aiplatform.datasets.list",
    ),
    VertexKind(
        "gcp.vertex.custom_job",
        "aiplatform.googleapis.com/CustomJob",
        "JobServiceClient",
        "list_custom_jobs",
        "aiplatform.customJobs.list",
    ),
    VertexKind(
        "gcp.vertex.training_pipeline",
        "aiplatform.googleapis.com/TrainingPipeline",
        "PipelineServiceClient",
        "list_training_pipelines",
        "aiplatform.trainingPipelines.list",
    ),
    VertexKind(
        "gcp.vertex.featurestore",
        "aiplatform.googleapis.com/Featurestore",
        "FeaturestoreServiceClient",
        "list_featurestores",
        "aiplatform.featurestores.list",
    ),
    VertexKind(
        "gcp.vertex.model_monitoring_job",
        "aiplatform.googleapis.com/ModelDeploymentMonitoringJob",
        "JobServiceClient",
        "list_model_deployment_monitoring_jobs",
        "aiplatform.modelDeploymentMonitoringJobs.list",
    ),
)
AI_ASSET_TYPES: tuple[str, ...] = (*(k.asset_type for k in VERTEX_KINDS), WORKBENCH_ASSET_TYPE)

# Effective organization policies read per project: the constraints the org policy check judges.
ORG_POLICY_CONSTRAINTS: tuple[str, ...] = AI_CONSTRAINTS


@dataclass(frozen=True)
class Read:
    """One API method the collector calls and the IAM permission it needs."""

    api: str  # service host prefix: "cloudasset", "iam", ...
    method: str  # REST method, for docs and errors
    permission: str


READS: dict[str, Read] = {
    "search_resources": Read("cloudasset", "v1.searchAllResources", "cloudasset.assets.searchAllResources"),
    "get_project": Read("cloudresourcemanager", "v3.projects.get", "resourcemanager.projects.get"),
    "get_iam_policy": Read("cloudresourcemanager", "v3.projects.getIamPolicy", "resourcemanager.projects.getIamPolicy"),
    "get_folder": Read("cloudresourcemanager", "v3.folders.get", "resourcemanager.folders.get"),
    "list_service_accounts": Read("iam", "v1.projects.serviceAccounts.list", "iam.serviceAccounts.list"),
    "list_service_account_keys": Read("iam", "v1.projects.serviceAccounts.keys.list", "iam.serviceAccountKeys.list"),
    "get_effective_policy": Read("orgpolicy", "v2.policies.getEffectivePolicy", "orgpolicy.policy.get"),
    "list_scc_services": Read(
        "securitycentermanagement",
        "v1.securityCenterServices.list",
        "securitycentermanagement.securityCenterServices.list",
    ),
    # getBillingInfo is authorised by resourcemanager.projects.get on the project.
    "get_billing_info": Read("cloudbilling", "v1.projects.getBillingInfo", "resourcemanager.projects.get"),
    "list_budgets": Read("billingbudgets", "v1.budgets.list", "billing.budgets.list"),
    "get_crypto_key": Read("cloudkms", "v1.cryptoKeys.get", "cloudkms.cryptoKeys.get"),
    "list_access_policies": Read(
        "accesscontextmanager", "v1.accessPolicies.list", "accesscontextmanager.policies.list"
    ),
    "list_perimeters": Read(
        "accesscontextmanager", "v1.servicePerimeters.list", "accesscontextmanager.servicePerimeters.list"
    ),
    "list_workbench_instances": Read("notebooks", "v2.instances.list", "notebooks.instances.list"),
    **{kind.method: Read("aiplatform", f"v1.{kind.method}", kind.permission) for kind in VERTEX_KINDS},
}
