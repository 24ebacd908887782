"""What the Google Cloud collector reads: one declaration per call, and one table of relations.

Every read names its API, how it is called (a generated client's class and
method, or a REST path where no client speaks REST) and the IAM permission it
needs; the shipped custom role (cspm_ai/permissions/gcp-readonly-role.json) is
derived from these declarations and a test proves a scan calls nothing else.
Page sizes are each API's largest.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.kernel import Link, link
from cspm_ai.gcp import AI_CONSTRAINTS

CAI_PAGE_SIZE = 500  # searchAllResources maximum
PROJECT_ASSET_TYPE = "cloudresourcemanager.googleapis.com/Project"
WORKBENCH_ASSET_TYPE = "notebooks.googleapis.com/Instance"

PROJECT = "gcp.project"
SERVICE_ACCOUNT = "gcp.iam.service_account"
CRYPTO_KEY = "gcp.kms.crypto_key"
WORKBENCH = "gcp.notebooks.instance"
ORG_POLICY = "gcp.orgpolicy.policy"
SCC = "gcp.scc.settings"
BUDGET = "gcp.billing.budget"
PERIMETER = "gcp.accesscontext.perimeter"


@dataclass(frozen=True)
class Read:
    """One API method the collector calls, and the IAM permission it needs.

    `client` and `method` name the generated client class and its method; a read
    through raw REST (an API without a REST client) gives `path`, a template of
    the URL path, and `items`, the key of the list in each page, instead.
    """

    api: str  # service host prefix: "cloudasset", "iam", ...
    rest: str  # REST method, for docs and errors
    permission: str
    client: str | None = None
    method: str | None = None
    path: str | None = None
    items: str | None = None

    def __post_init__(self) -> None:
        if (self.client is None) == (self.path is None):
            raise ValueError(f"{self.rest}: a read is made either through a client or through a REST path")


def _client(api: str, rest: str, permission: str, client: str, method: str) -> Read:
    return Read(api, rest, permission, client=client, method=method)


def _raw(api: str, rest: str, permission: str, path: str, items: str) -> Read:
    return Read(api, rest, permission, path=path, items=items)


SEARCH_RESOURCES = _client(
    "cloudasset",
    "v1.searchAllResources",
    "cloudasset.assets.searchAllResources",
    "AssetServiceClient",
    "search_all_resources",
)
GET_PROJECT = _client(
    "cloudresourcemanager", "v3.projects.get", "resourcemanager.projects.get", "ProjectsClient", "get_project"
)
GET_IAM_POLICY = _client(
    "cloudresourcemanager",
    "v3.projects.getIamPolicy",
    "resourcemanager.projects.getIamPolicy",
    "ProjectsClient",
    "get_iam_policy",
)
GET_FOLDER = _client(
    "cloudresourcemanager", "v3.folders.get", "resourcemanager.folders.get", "FoldersClient", "get_folder"
)
LIST_SERVICE_ACCOUNTS = _raw(
    "iam",
    "v1.projects.serviceAccounts.list",
    "iam.serviceAccounts.list",
    "v1/projects/{project}/serviceAccounts",
    "accounts",
)
LIST_SERVICE_ACCOUNT_KEYS = _raw(
    "iam", "v1.projects.serviceAccounts.keys.list", "iam.serviceAccountKeys.list", "v1/{name}/keys", "keys"
)
GET_EFFECTIVE_POLICY = _client(
    "orgpolicy", "v2.policies.getEffectivePolicy", "orgpolicy.policy.get", "OrgPolicyClient", "get_effective_policy"
)
LIST_SCC_SERVICES = _client(
    "securitycentermanagement",
    "v1.securityCenterServices.list",
    "securitycentermanagement.securityCenterServices.list",
    "SecurityCenterManagementClient",
    "list_security_center_services",
)
# getBillingInfo is authorised by resourcemanager.projects.get on the project.
GET_BILLING_INFO = _client(
    "cloudbilling",
    "v1.projects.getBillingInfo",
    "resourcemanager.projects.get",
    "CloudBillingClient",
    "get_project_billing_info",
)
LIST_BUDGETS = _client(
    "billingbudgets", "v1.budgets.list", "billing.budgets.list", "BudgetServiceClient", "list_budgets"
)
GET_CRYPTO_KEY = _client(
    "cloudkms", "v1.cryptoKeys.get", "cloudkms.cryptoKeys.get", "KeyManagementServiceClient", "get_crypto_key"
)
LIST_ACCESS_POLICIES = _raw(
    "accesscontextmanager",
    "v1.accessPolicies.list",
    "accesscontextmanager.policies.list",
    "v1/accessPolicies",
    "accessPolicies",
)
LIST_PERIMETERS = _raw(
    "accesscontextmanager",
    "v1.servicePerimeters.list",
    "accesscontextmanager.servicePerimeters.list",
    "v1/{policy}/servicePerimeters",
    "servicePerimeters",
)
LIST_WORKBENCH_INSTANCES = _client(
    "notebooks", "v2.instances.list", "notebooks.instances.list", "NotebookServiceClient", "list_instances"
)


@dataclass(frozen=True)
class VertexKind:
    """A Vertex AI collection listed per project and location on the regional host."""

    type: str
    asset_type: str  # how Cloud Asset Inventory names it
    read: Read
    page_size: int = 100


def _vertex(rtype: str, asset: str, client: str, method: str, permission: str) -> VertexKind:
    return VertexKind(
        rtype, f"aiplatform.googleapis.com/{asset}", _client("aiplatform", f"v1.{method}", permission, client, method)
    )


VERTEX_KINDS: tuple[VertexKind, ...] = (
    _vertex("gcp.vertex.endpoint", "Endpoint", "EndpointServiceClient", "list_endpoints", "aiplatform.endpoints.list"),
    _vertex("gcp.vertex.model", "Model", "ModelServiceClient", "list_models", "aiplatform.models.list"),
    _vertex("gcp.vertex.dataset", "Dataset", "DatasetServiceClient", "list_datasets", "aiplatform.datasets.list"),
    _vertex("gcp.vertex.custom_job", "CustomJob", "JobServiceClient", "list_custom_jobs", "aiplatform.customJobs.list"),
    _vertex(
        "gcp.vertex.training_pipeline",
        "TrainingPipeline",
        "PipelineServiceClient",
        "list_training_pipelines",
        "aiplatform.trainingPipelines.list",
    ),
    _vertex(
        "gcp.vertex.featurestore",
        "Featurestore",
        "FeaturestoreServiceClient",
        "list_featurestores",
        "aiplatform.featurestores.list",
    ),
    _vertex(
        "gcp.vertex.model_monitoring_job",
        "ModelDeploymentMonitoringJob",
        "JobServiceClient",
        "list_model_deployment_monitoring_jobs",
        "aiplatform.modelDeploymentMonitoringJobs.list",
    ),
)
AI_ASSET_TYPES: tuple[str, ...] = (*(k.asset_type for k in VERTEX_KINDS), WORKBENCH_ASSET_TYPE)

# Effective organization policies read per project: the constraints the org policy check judges.
ORG_POLICY_CONSTRAINTS: tuple[str, ...] = AI_CONSTRAINTS

# Every read the collector can make.
READS: tuple[Read, ...] = (
    SEARCH_RESOURCES,
    GET_PROJECT,
    GET_IAM_POLICY,
    GET_FOLDER,
    LIST_SERVICE_ACCOUNTS,
    LIST_SERVICE_ACCOUNT_KEYS,
    GET_EFFECTIVE_POLICY,
    LIST_SCC_SERVICES,
    GET_BILLING_INFO,
    LIST_BUDGETS,
    GET_CRYPTO_KEY,
    LIST_ACCESS_POLICIES,
    LIST_PERIMETERS,
    LIST_WORKBENCH_INSTANCES,
    *(kind.read for kind in VERTEX_KINDS),
)
RESOURCE_TYPES: frozenset[str] = frozenset(
    {
        PROJECT,
        SERVICE_ACCOUNT,
        CRYPTO_KEY,
        WORKBENCH,
        ORG_POLICY,
        SCC,
        BUDGET,
        PERIMETER,
        *(k.type for k in VERTEX_KINDS),
    }
)


def crypto_key_of(name: str) -> str:
    """A CryptoKey name from a key or key-version name."""
    return name.split("/cryptoKeyVersions/", 1)[0]


def _crypto_key(name: object) -> str | None:
    return crypto_key_of(name) if isinstance(name, str) and name else None


_VERTEX_TYPES = frozenset(kind.type for kind in VERTEX_KINDS)

RELATIONS: tuple[Link, ...] = (
    # The fields naming the service account a workload runs as.
    link("uses_service_account", SERVICE_ACCOUNT, {"gcp.vertex.endpoint"}, paths=("deployedModels.serviceAccount",)),
    link("uses_service_account", SERVICE_ACCOUNT, {"gcp.vertex.custom_job"}, paths=("jobSpec.serviceAccount",)),
    link(
        "uses_service_account",
        SERVICE_ACCOUNT,
        {"gcp.vertex.training_pipeline"},
        paths=("trainingTaskInputs.serviceAccount",),
    ),
    link("uses_service_account", SERVICE_ACCOUNT, {WORKBENCH}, paths=("gceSetup.serviceAccounts.email",)),
    link("encrypted_by", CRYPTO_KEY, _VERTEX_TYPES, paths=("encryptionSpec.kmsKeyName",), value=_crypto_key),
    link("monitors", "gcp.vertex.endpoint", {"gcp.vertex.model_monitoring_job"}, paths=("endpoint",)),
)
