"""What the Google Cloud collector reads: one declaration per call, and one table of relations.

Every read names its API, how it is called (a generated client's class and
method, or a REST path where no client speaks REST) and the IAM permission it
needs; the shipped custom role (cspm_ai/permissions/gcp-readonly-role.json) is
derived from these declarations and a test proves a scan calls nothing else.
Page sizes are each API's largest.
"""

from __future__ import annotations

import re
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
REASONING_ENGINE = "gcp.vertex.reasoning_engine"
TUNING_JOB = "gcp.vertex.tuning_job"
INDEX_ENDPOINT = "gcp.vertex.index_endpoint"
ENDPOINT = "gcp.vertex.endpoint"
MODEL = "gcp.vertex.model"
TRAINING_PIPELINE = "gcp.vertex.training_pipeline"
ARMOR_TEMPLATE = "gcp.modelarmor.template"
ARMOR_FLOOR = "gcp.modelarmor.floor_setting"
BUCKET = "gcp.storage.bucket"
BQ_DATASET = "gcp.bigquery.dataset"
DISCOVERY_CONFIG = "gcp.dlp.discovery_config"
NETWORK = "gcp.compute.network"


@dataclass(frozen=True)
class Read:
    """One API method the collector calls, and the IAM permission it needs.

    `client` and `method` name the generated client class and its method; a read
    through raw REST (an API without a REST client) gives `path`, a template of
    the URL path, and `items`, the key of the list in each page, instead; a raw
    read of one resource (`single`) has no items.
    """

    api: str  # service host prefix: "cloudasset", "iam", ...
    rest: str  # REST method, for docs and errors
    permission: str
    client: str | None = None
    method: str | None = None
    path: str | None = None
    items: str | None = None
    single: bool = False
    verb: str = "GET"  # the HTTP method of a raw read (IAM admin's getIamPolicy is a POST)

    def __post_init__(self) -> None:
        if (self.client is None) == (self.path is None):
            raise ValueError(f"{self.rest}: a read is made either through a client or through a REST path")


def _client(api: str, rest: str, permission: str, client: str, method: str) -> Read:
    return Read(api, rest, permission, client=client, method=method)


def _raw(api: str, rest: str, permission: str, path: str, items: str) -> Read:
    return Read(api, rest, permission, path=path, items=items)


def _raw_get(api: str, rest: str, permission: str, path: str, verb: str = "GET") -> Read:
    return Read(api, rest, permission, path=path, single=True, verb=verb)


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
# The IAM policies a project inherits: those of the folders above it and of its organization.
GET_FOLDER_IAM_POLICY = _client(
    "cloudresourcemanager",
    "v3.folders.getIamPolicy",
    "resourcemanager.folders.getIamPolicy",
    "FoldersClient",
    "get_iam_policy",
)
GET_ORGANIZATION_IAM_POLICY = _client(
    "cloudresourcemanager",
    "v3.organizations.getIamPolicy",
    "resourcemanager.organizations.getIamPolicy",
    "OrganizationsClient",
    "get_iam_policy",
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
# Who may act as a service account (token creators, users, admins) is written on the account itself.
GET_SERVICE_ACCOUNT_IAM_POLICY = _raw_get(
    "iam",
    "v1.projects.serviceAccounts.getIamPolicy",
    "iam.serviceAccounts.getIamPolicy",
    "v1/projects/{project}/serviceAccounts/{email}:getIamPolicy",
    verb="POST",
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
# Model Armor: templates on the regional hosts (modelarmor.<location>.rep), the project's floor setting globally.
LIST_ARMOR_TEMPLATES = _client(
    "modelarmor", "v1.templates.list", "modelarmor.templates.list", "ModelArmorClient", "list_templates"
)
GET_FLOOR_SETTING = _client(
    "modelarmor", "v1.getFloorSetting", "modelarmor.floorSettings.get", "ModelArmorClient", "get_floor_setting"
)
# Cloud Storage and BigQuery speak JSON APIs that no generated REST client covers (google-cloud-storage and
# google-cloud-bigquery are hand-written clients with their own transports and retries).
GET_BUCKET = _raw_get("storage", "storage.v1.buckets.get", "storage.buckets.get", "storage/v1/b/{bucket}")
GET_BUCKET_IAM_POLICY = _raw_get(
    "storage", "storage.v1.buckets.getIamPolicy", "storage.buckets.getIamPolicy", "storage/v1/b/{bucket}/iam"
)
GET_DATASET = _raw_get(
    "bigquery",
    "bigquery.v2.datasets.get",
    "bigquery.datasets.get",
    "bigquery/v2/projects/{project}/datasets/{dataset}",
)
# Sensitive Data Protection discovery configs are authorised by the job trigger permissions.
LIST_DISCOVERY_CONFIGS = _client(
    "dlp", "v2.discoveryConfigs.list", "dlp.jobTriggers.list", "DlpServiceClient", "list_discovery_configs"
)
GET_NETWORK = _client("compute", "v1.networks.get", "compute.networks.get", "NetworksClient", "get")
LIST_FIREWALLS = _client("compute", "v1.firewalls.list", "compute.firewalls.list", "FirewallsClient", "list")


@dataclass(frozen=True)
class VertexKind:
    """A Vertex AI collection listed per project and location on the regional host."""

    type: str
    asset_type: str  # how Cloud Asset Inventory names it
    read: Read
    page_size: int = 100
    # Whether Cloud Asset Inventory indexes the type (its search tells where the kind has resources). A kind it
    # does not index is listed wherever the search found the project's other AI resources.
    searchable: bool = True


def _vertex(
    rtype: str, asset: str, client: str, method: str, permission: str, *, searchable: bool = True
) -> VertexKind:
    read = _client("aiplatform", f"v1.{method}", permission, client, method)
    return VertexKind(rtype, f"aiplatform.googleapis.com/{asset}", read, searchable=searchable)


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
    # Vertex AI Agent Engine (reasoning engines), generative tuning jobs and Vector Search index endpoints.
    _vertex(
        REASONING_ENGINE,
        "ReasoningEngine",
        "ReasoningEngineServiceClient",
        "list_reasoning_engines",
        "aiplatform.reasoningEngines.list",
        searchable=False,
    ),
    _vertex(
        TUNING_JOB,
        "TuningJob",
        "GenAiTuningServiceClient",
        "list_tuning_jobs",
        "aiplatform.tuningJobs.list",
        searchable=False,
    ),
    _vertex(
        INDEX_ENDPOINT,
        "IndexEndpoint",
        "IndexEndpointServiceClient",
        "list_index_endpoints",
        "aiplatform.indexEndpoints.list",
    ),
)
AI_ASSET_TYPES: tuple[str, ...] = (
    *(k.asset_type for k in VERTEX_KINDS if k.searchable),
    WORKBENCH_ASSET_TYPE,
)

# Effective organization policies read per project: the constraints the org policy check judges.
ORG_POLICY_CONSTRAINTS: tuple[str, ...] = AI_CONSTRAINTS

# Every read the collector can make.
READS: tuple[Read, ...] = (
    SEARCH_RESOURCES,
    GET_PROJECT,
    GET_IAM_POLICY,
    GET_FOLDER,
    GET_FOLDER_IAM_POLICY,
    GET_ORGANIZATION_IAM_POLICY,
    LIST_SERVICE_ACCOUNTS,
    LIST_SERVICE_ACCOUNT_KEYS,
    GET_SERVICE_ACCOUNT_IAM_POLICY,
    GET_EFFECTIVE_POLICY,
    LIST_SCC_SERVICES,
    GET_BILLING_INFO,
    LIST_BUDGETS,
    GET_CRYPTO_KEY,
    LIST_ACCESS_POLICIES,
    LIST_PERIMETERS,
    LIST_WORKBENCH_INSTANCES,
    LIST_ARMOR_TEMPLATES,
    GET_FLOOR_SETTING,
    GET_BUCKET,
    GET_BUCKET_IAM_POLICY,
    GET_DATASET,
    LIST_DISCOVERY_CONFIGS,
    GET_NETWORK,
    LIST_FIREWALLS,
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
        ARMOR_TEMPLATE,
        ARMOR_FLOOR,
        BUCKET,
        BQ_DATASET,
        DISCOVERY_CONFIG,
        NETWORK,
        *(k.type for k in VERTEX_KINDS),
    }
)


def crypto_key_of(name: str) -> str:
    """A CryptoKey name from a key or key-version name."""
    return name.split("/cryptoKeyVersions/", 1)[0]


def _crypto_key(name: object) -> str | None:
    return crypto_key_of(name) if isinstance(name, str) and name else None


_VERTEX_TYPES = frozenset(kind.type for kind in VERTEX_KINDS)
_AI_TYPES = _VERTEX_TYPES | {WORKBENCH}

_MODEL_VERSION = re.compile(r"^(projects/[^/]+/locations/[^/]+/models/[^/@]+)(?:@.*)?$")
_TRAINING_PIPELINE = r"^(projects/[^/]+/locations/[^/]+/trainingPipelines/[^/]+)$"
_BUCKET_URI = r"^gs://([a-z0-9][a-z0-9._-]*[a-z0-9])(?:/.*)?$"
_NETWORK_NAME = re.compile(r"(?:^|/)(projects/[^/]+/global/networks/[^/]+)$")


def _model(name: object) -> str | None:
    """A Model Registry model from a model name that may carry a version ("models/123@2", "models/123@golden")."""
    match = _MODEL_VERSION.match(name) if isinstance(name, str) else None
    return match.group(1) if match else None


def bigquery_dataset(uri: object) -> str | None:
    """ "project.dataset" from a BigQuery URI: bq://project.dataset or bq://project.dataset.table (a domain-scoped
    project id such as example.com:proj keeps its dot)."""
    if not isinstance(uri, str) or not uri.startswith("bq://"):
        return None
    rest = uri[len("bq://") :]
    domain, colon, tail = rest.rpartition(":")
    project, dot, remainder = tail.partition(".")
    dataset = remainder.split(".", 1)[0]
    if not dot or not project or not dataset:
        return None
    return f"{domain}{colon}{project}.{dataset}"


def network_of(value: object) -> str | None:
    """ "projects/<project id or number>/global/networks/<name>" from a network name or URL."""
    match = _NETWORK_NAME.search(value) if isinstance(value, str) else None
    return match.group(1) if match else None


# Keys that hold the Cloud Storage and BigQuery URIs AI resources read and write (artifacts, training data,
# outputs, request-response logs); schema and task-definition URIs point at Google's own buckets and are not read.
_STORE_KEYS = (
    "artifactUri",
    "outputUriPrefix",
    "outputUri",
    "uri",
    "uris",
    "inputUri",
    "inputUris",
    "gcsOutputDirectory",
    "trainingDatasetUri",
    "validationDatasetUri",
    "pickleObjectGcsUri",
    "requirementsGcsUri",
    "dependencyFilesGcsUri",
    "bigqueryTablePath",
)

RELATIONS: tuple[Link, ...] = (
    # The fields naming the service account a workload runs as.
    link("uses_service_account", SERVICE_ACCOUNT, {ENDPOINT}, paths=("deployedModels.serviceAccount",)),
    link("uses_service_account", SERVICE_ACCOUNT, {"gcp.vertex.custom_job"}, paths=("jobSpec.serviceAccount",)),
    link(
        "uses_service_account",
        SERVICE_ACCOUNT,
        {"gcp.vertex.training_pipeline"},
        paths=("trainingTaskInputs.serviceAccount",),
    ),
    link("uses_service_account", SERVICE_ACCOUNT, {WORKBENCH}, paths=("gceSetup.serviceAccounts.email",)),
    link("uses_service_account", SERVICE_ACCOUNT, {REASONING_ENGINE}, paths=("spec.serviceAccount",)),
    link("uses_service_account", SERVICE_ACCOUNT, {TUNING_JOB}, paths=("serviceAccount",)),
    link("encrypted_by", CRYPTO_KEY, _VERTEX_TYPES, paths=("encryptionSpec.kmsKeyName",), value=_crypto_key),
    link("monitors", ENDPOINT, {"gcp.vertex.model_monitoring_job"}, paths=("endpoint",)),
    # Lineage: the registry models an endpoint serves, and the model a tuning job produced.
    link("serves_model", MODEL, {ENDPOINT}, paths=("deployedModels.model",), value=_model),
    link("produces_model", MODEL, {TUNING_JOB}, paths=("tunedModel.model",), value=_model),
    # A registry model names the training pipeline that uploaded it, and the model it was copied from.
    link("produced_by", TRAINING_PIPELINE, {MODEL}, paths=("trainingPipeline",), pattern=_TRAINING_PIPELINE),
    link("copied_from", MODEL, {MODEL}, paths=("originalModelInfo.model",), value=_model),
    # The data stores AI resources read and write.
    link("uses_bucket", BUCKET, _AI_TYPES, keys=_STORE_KEYS, pattern=_BUCKET_URI),
    link("uses_dataset", BQ_DATASET, _AI_TYPES, keys=_STORE_KEYS, value=bigquery_dataset),
    # The VPC networks AI resources are attached to (VPC peering, job networks, Workbench interfaces).
    link("in_network", NETWORK, {ENDPOINT, INDEX_ENDPOINT}, paths=("network",), value=network_of),
    link("in_network", NETWORK, {"gcp.vertex.custom_job"}, paths=("jobSpec.network",), value=network_of),
    link(
        "in_network",
        NETWORK,
        {"gcp.vertex.training_pipeline"},
        paths=("trainingTaskInputs.network", "trainingTaskInputs.jobSpec.network"),
        value=network_of,
    ),
    link("in_network", NETWORK, {WORKBENCH}, paths=("gceSetup.networkInterfaces.network",), value=network_of),
)
