"""What the AWS collector reads: one declaration per resource kind, and one table of relations.

Templates such as "{NotebookInstanceArn}" are filled from the list item or the
stored config, plus {account}, {region}, {partition} and, for tag reads, {uid}.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from collectors.kernel import ANY_KEY, Link, link


@dataclass(frozen=True)
class Read:
    """One more call whose answer is merged into a resource's config."""

    operation: str
    params: Mapping[str, Any]  # strings anywhere inside are templates
    into: str | None = None  # config key for the answer; None merges its top-level keys
    pick: str | None = None  # keep only this (dotted) path of the answer
    absent_codes: frozenset[str] = frozenset()  # codes meaning "not configured", not a failure
    absent_message: str | None = None  # words the message of an absent code must hold too (see ListSpec)
    paginate: str | None = None  # result key to concatenate across pages
    page_size: int | None = None
    parse_json: bool = False  # policy documents arrive as JSON strings
    when: Callable[[Mapping[str, Any]], bool] | None = None
    # A child list (an agent's action groups): each listed item is replaced by this read's answer,
    # its templates filled from the item over the parent's config.
    each: Read | None = None
    service: str | None = None  # another service's call (CloudWatch metrics of Bedrock); None = the kind's
    # A field only another list call returns (ListRoles' MaxSessionDuration, which GetAccountAuthorizationDetails
    # lacks): the list (`paginate` items, the same parameters for every resource) is called once, and each resource
    # takes the item whose `match` field equals its own; no such item merges nothing.
    match: str | None = None


# The page size of a list that pages by token but takes no page size (DescribeConfigRules).
UNSIZED = 0


@dataclass(frozen=True)
class TagIndex:
    """The tags of every resource of a region in one paged list, read once and shared by every resource
    (the Resource Groups Tagging API's GetResources), instead of one call per resource.

    `read` lists items (its `paginate` key); each names a resource by its `arn` field and holds its tags
    at `tags`. A resource the list does not name has no tags (GetResources lists every resource that
    has or had tags). The list failing is an ERROR for every resource whose tags it would have given.
    """

    read: Read
    arn: str = "ResourceARN"
    tags: str = "Tags"


@dataclass(frozen=True)
class Tags:
    """Where a kind's tags are: at `path` of its config, of the answer of `read` (a call made per
    resource), or in `index` (one list for the whole region), as a list of {key, value} objects (field
    names as the API spells them) or a map."""

    path: str = "Tags"
    key: str = "Key"
    value: str = "Value"
    read: Read | None = None
    index: TagIndex | None = None


# The config holds a Tags list of {Key, Value} (IAM, EC2, S3 after GetBucketTagging).
TAGS_IN_CONFIG = Tags()
# SageMaker: the Tagging API's GetResources, 100 resources a page, for the whole region; GetResources reads
# every SageMaker resource type (one ListTags(ResourceArn) per resource before: half of a scan's calls).
SAGEMAKER_TAGS = Tags(
    index=TagIndex(
        Read(
            "get_resources",
            {"ResourceTypeFilters": ["sagemaker"]},
            service="resourcegroupstaggingapi",
            paginate="ResourceTagMappingList",
            page_size=100,
        )
    )
)


@dataclass(frozen=True)
class ListSpec:
    """A kind enumerated by a list call, each item optionally described in full."""

    type: str
    service: str
    scope: Literal["regional", "global"]
    list_op: str
    list_key: str
    uid: str
    name: str
    list_params: Mapping[str, Any] = field(default_factory=dict)
    page_size: int | None = 100  # None: the operation does not page; UNSIZED: it pages, but takes no size
    describe_op: str | None = None
    describe_params: Mapping[str, str] = field(default_factory=dict)
    describe_key: str | None = None  # take this key of the describe answer
    # Each listed item holds the whole resource at this path (SageMaker Search's {"Model": {"Model": {...}}}):
    # no describe.
    list_record: str | None = None
    reads: tuple[Read, ...] = ()
    tags: Tags | None = None
    # Codes of the list call meaning "service not enabled here": no resource, no error.
    absent_codes: frozenset[str] = frozenset()
    # Words the message must hold as well, where a service answers "off" and "denied" with one code (Macie:
    # AccessDeniedException "Macie is not enabled." when it is off, the same code when a permission is missing).
    absent_message: str | None = None
    # "referenced": keep only resources that a kept resource points at (IAM roles used by AI).
    keep: Literal["all", "referenced"] = "all"
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # reshape before storing
    # A list of bare ids (GuardDuty's DetectorIds): keep each under this key, since the describe lacks it.
    item_key: str | None = None
    # Config fields other resources may name it by, besides its name (a domain by its DomainId).
    named_by: tuple[str, ...] = ()
    # The uid of a resource named by {ref} that was not collected (a dangling reference).
    ref_uid: str | None = None
    # The regions AWS offers the service in (None: every region); elsewhere nothing is called and
    # nothing is missing, so a scan of every enabled region is neither slowed nor failed by them.
    regions: Callable[[], frozenset[str]] | None = None


@dataclass(frozen=True)
class ReferencedSpec:
    """A supporting kind collected only because AI resources reference it.

    `batch_param` lists many ids in one call (EC2); otherwise one describe per id.
    """

    type: str
    service: str
    describe_op: str
    id_param: str
    result_key: str | None
    uid: str
    name: str
    batch_param: str | None = None
    batch_size: int = 200
    id_is_list: bool = False
    reads: tuple[Read, ...] = ()
    tags: Tags | None = None
    # The region a resource lives in when it is not the referencing one (S3 buckets).
    region_of: Callable[[dict[str, Any]], str] | None = None
    # The uid a reference {ref} stands for, before the resource is read (see ListSpec.ref_uid).
    ref_uid: str | None = None
    # Where a reference names it in more than one form (KMS: key id, alias or ARN): (uid, region, id).
    resolve: Callable[[str, str, str, str], tuple[str, str, str]] | None = None


def _sagemaker(
    kind: str,
    noun: str,
    list_key: str,
    *,
    name_field: str | None = None,
    arn_field: str | None = None,
    list_params: Mapping[str, Any] | None = None,
    id_field: str | None = None,
    describe_param: str | None = None,
    named_by: tuple[str, ...] = (),
) -> ListSpec:
    """SageMaker kinds follow one naming pattern: List<Noun>s / Describe<Noun> / <Noun>Name / <Noun>Arn."""
    name_field = name_field or f"{noun}Name"
    arn_field = arn_field or f"{noun}Arn"
    id_field = id_field or name_field
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in noun).lstrip("_")
    return ListSpec(
        type=f"aws.sagemaker.{kind}",
        service="sagemaker",
        scope="regional",
        list_op=f"list_{snake}s",
        list_key=list_key,
        list_params=list_params or {},
        describe_op=f"describe_{snake}",
        describe_params={describe_param or id_field: "{%s}" % id_field},
        uid="{%s}" % arn_field,
        name="{%s}" % name_field,
        tags=SAGEMAKER_TAGS,
        # SageMaker ARNs carry the name in lower case.
        ref_uid="arn:{partition}:sagemaker:{region}:{account}:%s/{ref_lower}" % snake.replace("_", "-"),
        named_by=named_by,
    )


SAGEMAKER: tuple[ListSpec, ...] = (
    _sagemaker("notebook_instance", "NotebookInstance", "NotebookInstances"),
    _sagemaker("domain", "Domain", "Domains", id_field="DomainId", arn_field="DomainArn", named_by=("DomainId",)),
    ListSpec(
        type="aws.sagemaker.user_profile",
        service="sagemaker",
        scope="regional",
        list_op="list_user_profiles",
        list_key="UserProfiles",
        describe_op="describe_user_profile",
        describe_params={"DomainId": "{DomainId}", "UserProfileName": "{UserProfileName}"},
        uid="{UserProfileArn}",
        name="{UserProfileName}",
        tags=SAGEMAKER_TAGS,
    ),
    # Search's record of a model (a ModelDashboardModel) holds the model (the `Model` data type: every field
    # of DescribeModel) with its tags, 100 models a call (one DescribeModel per model before). The tags are
    # taken from it and dropped from the configuration, which is DescribeModel's answer, as before.
    ListSpec(
        type="aws.sagemaker.model",
        service="sagemaker",
        scope="regional",
        list_op="search",
        list_key="Results",
        list_params={"Resource": "Model"},
        list_record="Model.Model",
        uid="{ModelArn}",
        name="{ModelName}",
        tags=TAGS_IN_CONFIG,
        derive=lambda config: {k: v for k, v in config.items() if k != "Tags"},
        ref_uid="arn:{partition}:sagemaker:{region}:{account}:model/{ref_lower}",
    ),
    _sagemaker("endpoint_config", "EndpointConfig", "EndpointConfigs"),
    _sagemaker("endpoint", "Endpoint", "Endpoints"),
    _sagemaker("training_job", "TrainingJob", "TrainingJobSummaries"),
    _sagemaker("processing_job", "ProcessingJob", "ProcessingJobSummaries"),
    _sagemaker("transform_job", "TransformJob", "TransformJobSummaries"),
    _sagemaker("model_package_group", "ModelPackageGroup", "ModelPackageGroupSummaryList"),
    # Versioned packages live in groups; "Both" lists them with unversioned ones in one pass.
    _sagemaker(
        "model_package",
        "ModelPackage",
        "ModelPackageSummaryList",
        list_params={"ModelPackageType": "Both"},
        id_field="ModelPackageArn",
        describe_param="ModelPackageName",
    ),
    _sagemaker("monitoring_schedule", "MonitoringSchedule", "MonitoringScheduleSummaries"),
    _sagemaker("feature_group", "FeatureGroup", "FeatureGroupSummaries"),
    # HyperPod clusters: persistent GPU clusters for training large models.
    _sagemaker("cluster", "Cluster", "ClusterSummaries"),
)


# -- Amazon Bedrock and Bedrock AgentCore ------------------------------------------------------------

# Where AWS offers them. botocore's endpoint data lists Bedrock's regions (it is maintained with each
# release); it has none for Agents or AgentCore, so theirs are the regions their user guides list
# (bedrock/latest/userguide/agents-supported.html, bedrock-agentcore/latest/devguide/agentcore-regions.html).
# A region AWS adds later is not listed until it is added here.
BEDROCK_AGENTS_REGIONS = frozenset(
    {
        "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
        "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1",
        "us-east-2", "us-gov-west-1", "us-west-2",
    }
)  # fmt: skip
AGENTCORE_REGIONS = frozenset(
    {
        "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-5", "ap-southeast-7", "ca-central-1", "eu-central-1", "eu-north-1", "eu-south-1",
        "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1", "us-east-2",
        "us-gov-west-1", "us-west-1", "us-west-2",
    }
)  # fmt: skip


_OFFERED_LOCK = threading.Lock()


@cache
def _offered_regions(service: str) -> frozenset[str]:
    import botocore.session

    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions(service, partition)
    )


def offered_regions(service: str) -> frozenset[str]:
    """The regions of every partition where botocore's endpoint data offers `service`."""
    # Computed once per service: every kind of it asks in every region at once, and unguarded each of those
    # calls loaded botocore's endpoint data again before the first had cached it (a second of CPU a scan).
    with _OFFERED_LOCK:
        return _offered_regions(service)


def bedrock_regions() -> frozenset[str]:
    """The regions where Amazon Bedrock is offered."""
    return offered_regions("bedrock")


def _bedrock_agents_regions() -> frozenset[str]:
    return BEDROCK_AGENTS_REGIONS


def _agentcore_regions() -> frozenset[str]:
    return AGENTCORE_REGIONS


_IDEMPOTENCY_TOKENS = frozenset({"clientToken", "clientRequestToken"})


def _without_idempotency_tokens(node: Any) -> Any:
    """A document less every create call's idempotency token (clientToken, clientRequestToken; an agent's action
    groups carry theirs too): a random value that says nothing about posture, and that the redactor, judging by
    its name, would take for a secret."""
    if isinstance(node, dict):
        return {k: _without_idempotency_tokens(v) for k, v in node.items() if k not in _IDEMPOTENCY_TOKENS}
    if isinstance(node, list):
        return [_without_idempotency_tokens(v) for v in node]
    return node


# Bedrock's ListTagsForResource answers [{key, value}]; Agents and AgentCore answer a map.
BEDROCK_TAGS = Tags(
    path="tags", key="key", value="value", read=Read("list_tags_for_resource", {"resourceARN": "{uid}"})
)
MAP_TAGS = Tags(path="tags", read=Read("list_tags_for_resource", {"resourceArn": "{uid}"}))


def _bedrock(kind: str, list_op: str, list_key: str, uid: str, name: str, **kw: Any) -> ListSpec:
    """A regional Bedrock kind, tagged through Bedrock's ListTagsForResource and listed where Bedrock is offered."""
    return ListSpec(
        type=f"aws.bedrock.{kind}",
        service="bedrock",
        scope="regional",
        list_op=list_op,
        list_key=list_key,
        uid=uid,
        name=name,
        page_size=1000,
        tags=BEDROCK_TAGS,
        regions=bedrock_regions,
        **kw,
    )


BEDROCK: tuple[ListSpec, ...] = (
    # The region's settings: the model invocation logging configuration (loggingConfig absent = logging
    # off), the account-level enforced guardrails, and CloudWatch's AWS/Bedrock Invocations metrics
    # (ListMetrics returns those with data points in the last two weeks: models were called here).
    ListSpec(
        type="aws.bedrock.settings",
        service="bedrock",
        scope="regional",
        list_op="get_model_invocation_logging_configuration",
        list_key="",
        page_size=None,
        uid="arn:{partition}:bedrock:{region}:{account}:settings",
        name="{region}",
        regions=bedrock_regions,
        reads=(
            # One configuration per region (the API documents exactly one item); not configured may answer 404.
            Read(
                "list_enforced_guardrails_configuration",
                {},
                into="enforcedGuardrails",
                paginate="guardrailsConfig",
                absent_codes=frozenset({"ResourceNotFoundException"}),
            ),
            Read(
                "list_metrics",
                {"Namespace": "AWS/Bedrock", "MetricName": "Invocations"},
                into="invocationMetrics",
                paginate="Metrics",
                service="cloudwatch",  # one page (ListMetrics takes no page size): one metric shows use
            ),
        ),
    ),
    # Only the account's own models: a model shared in through AWS RAM is its owner's to key.
    _bedrock(
        "custom_model",
        "list_custom_models",
        "modelSummaries",
        "{modelArn}",
        "{modelName}",
        list_params={"isOwned": True},
        describe_op="get_custom_model",
        describe_params={"modelIdentifier": "{modelArn}"},
    ),
    _bedrock(
        "model_customization_job",
        "list_model_customization_jobs",
        "modelCustomizationJobSummaries",
        "{jobArn}",
        "{jobName}",
        describe_op="get_model_customization_job",
        describe_params={"jobIdentifier": "{jobName}"},
        derive=_without_idempotency_tokens,
    ),
    _bedrock(
        "imported_model",
        "list_imported_models",
        "modelSummaries",
        "{modelArn}",
        "{modelName}",
        describe_op="get_imported_model",
        describe_params={"modelIdentifier": "{modelArn}"},
    ),
    # The list item is the whole record (GetProvisionedModelThroughput adds only failureMessage).
    _bedrock(
        "provisioned_throughput",
        "list_provisioned_model_throughputs",
        "provisionedModelSummaries",
        "{provisionedModelArn}",
        "{provisionedModelName}",
    ),
    # Application inference profiles, the account's own; the system-defined ones are AWS's catalogue.
    _bedrock(
        "inference_profile",
        "list_inference_profiles",
        "inferenceProfileSummaries",
        "{inferenceProfileArn}",
        "{inferenceProfileName}",
        list_params={"typeEquals": "APPLICATION"},
    ),
    # ListGuardrails without an identifier lists each guardrail's working draft; GetGuardrail reads it.
    _bedrock(
        "guardrail",
        "list_guardrails",
        "guardrails",
        "{guardrailArn}",
        "{name}",
        describe_op="get_guardrail",
        describe_params={"guardrailIdentifier": "{id}"},
        named_by=("guardrailId",),
        ref_uid="arn:{partition}:bedrock:{region}:{account}:guardrail/{ref}",
    ),
)

# Agents and knowledge bases (Agents for Amazon Bedrock): each record is the working draft GetAgent or
# GetKnowledgeBase returns, with its child lists read in full (an action group's executor and a data
# source's bucket and key are only in their Get answers).
BEDROCK_AGENTS: tuple[ListSpec, ...] = (
    ListSpec(
        type="aws.bedrock.agent",
        service="bedrock-agent",
        scope="regional",
        list_op="list_agents",
        list_key="agentSummaries",
        page_size=1000,
        describe_op="get_agent",
        describe_params={"agentId": "{agentId}"},
        describe_key="agent",
        uid="{agentArn}",
        name="{agentName}",
        tags=MAP_TAGS,
        derive=_without_idempotency_tokens,
        regions=_bedrock_agents_regions,
        reads=(
            Read(
                "list_agent_action_groups",
                {"agentId": "{agentId}", "agentVersion": "DRAFT"},
                into="actionGroups",
                paginate="actionGroupSummaries",
                page_size=1000,
                each=Read(
                    "get_agent_action_group",
                    {"agentId": "{agentId}", "agentVersion": "DRAFT", "actionGroupId": "{actionGroupId}"},
                    pick="agentActionGroup",
                ),
            ),
        ),
    ),
    ListSpec(
        type="aws.bedrock.knowledge_base",
        service="bedrock-agent",
        scope="regional",
        list_op="list_knowledge_bases",
        list_key="knowledgeBaseSummaries",
        page_size=1000,
        describe_op="get_knowledge_base",
        describe_params={"knowledgeBaseId": "{knowledgeBaseId}"},
        describe_key="knowledgeBase",
        uid="{knowledgeBaseArn}",
        name="{name}",
        tags=MAP_TAGS,
        regions=_bedrock_agents_regions,
        reads=(
            Read(
                "list_data_sources",
                {"knowledgeBaseId": "{knowledgeBaseId}"},
                into="dataSources",
                paginate="dataSourceSummaries",
                page_size=1000,
                each=Read(
                    "get_data_source",
                    {"knowledgeBaseId": "{knowledgeBaseId}", "dataSourceId": "{dataSourceId}"},
                    pick="dataSource",
                ),
            ),
        ),
    ),
)


def _agentcore(kind: str, noun: str, nouns: str, list_key: str, page_size: int, **kw: Any) -> ListSpec:
    """A Bedrock AgentCore kind: List<Nouns> / Get<Noun>, tagged through the control plane's map of tags."""
    return ListSpec(
        type=f"aws.agentcore.{kind}",
        service="bedrock-agentcore-control",
        scope="regional",
        list_op=f"list_{nouns}",
        list_key=list_key,
        page_size=page_size,
        describe_op=f"get_{noun}",
        tags=MAP_TAGS,
        regions=_agentcore_regions,
        **kw,
    )


AGENTCORE: tuple[ListSpec, ...] = (
    _agentcore(
        "runtime",
        "agent_runtime",
        "agent_runtimes",
        "agentRuntimes",
        100,
        describe_params={"agentRuntimeId": "{agentRuntimeId}"},
        uid="{agentRuntimeArn}",
        name="{agentRuntimeName}",
    ),
    _agentcore(
        "gateway",
        "gateway",
        "gateways",
        "items",
        1000,
        describe_params={"gatewayIdentifier": "{gatewayId}"},
        uid="{gatewayArn}",
        name="{name}",
    ),
    _agentcore(
        "memory",
        "memory",
        "memories",
        "memories",
        100,
        describe_params={"memoryId": "{id}"},
        describe_key="memory",
        uid="{arn}",
        name="{name}",
    ),
)

ACCOUNT_SERVICES: tuple[ListSpec, ...] = (
    ListSpec(
        type="aws.cloudtrail.trail",
        service="cloudtrail",
        scope="regional",
        # Without shadow trails each trail is listed once, in its home region.
        list_op="describe_trails",
        list_key="trailList",
        list_params={"includeShadowTrails": False},
        page_size=None,
        uid="{TrailARN}",
        name="{Name}",
        reads=(
            Read("get_trail_status", {"Name": "{TrailARN}"}, into="Status"),
            Read("get_event_selectors", {"TrailName": "{TrailARN}"}),
        ),
    ),
    ListSpec(
        type="aws.guardduty.detector",
        service="guardduty",
        scope="regional",
        list_op="list_detectors",
        list_key="DetectorIds",
        page_size=50,
        item_key="DetectorId",
        describe_op="get_detector",
        describe_params={"DetectorId": "{item}"},
        uid="arn:{partition}:guardduty:{region}:{account}:detector/{DetectorId}",
        name="{DetectorId}",
    ),
    ListSpec(
        type="aws.securityhub.hub",
        service="securityhub",
        scope="regional",
        list_op="describe_hub",
        list_key="",
        page_size=None,
        uid="{HubArn}",
        name="{HubArn}",
        # Security Hub answers "not subscribed" when it is simply off.
        absent_codes=frozenset({"InvalidAccessException", "ResourceNotFoundException"}),
    ),
    ListSpec(
        type="aws.config.recorder",
        service="config",
        scope="regional",
        list_op="describe_configuration_recorders",
        list_key="ConfigurationRecorders",
        page_size=None,
        uid="arn:{partition}:config:{region}:{account}:config-recorder/{name}",
        name="{name}",
        reads=(
            Read(
                "describe_configuration_recorder_status",
                {"ConfigurationRecorderNames": ["{name}"]},
                into="Status",
                pick="ConfigurationRecordersStatus.0",
            ),
        ),
    ),
    # Every rule of the region: the account's own and those a conformance pack (CreatedBy
    # config-conforms.amazonaws.com), Security Hub or an organization deployed, which DescribeConfigRules lists too.
    ListSpec(
        type="aws.config.rule",
        service="config",
        scope="regional",
        list_op="describe_config_rules",
        list_key="ConfigRules",
        page_size=UNSIZED,
        uid="{ConfigRuleArn}",
        name="{ConfigRuleName}",
    ),
    ListSpec(
        type="aws.budgets.budget",
        service="budgets",
        scope="global",
        list_op="describe_budgets",
        list_key="Budgets",
        list_params={"AccountId": "{account}"},
        uid="arn:{partition}:budgets::{account}:budget/{BudgetName}",
        name="{BudgetName}",
        reads=(
            Read(
                "describe_notifications_for_budget",
                {"AccountId": "{account}", "BudgetName": "{BudgetName}"},
                into="Notifications",
                paginate="Notifications",
                page_size=100,
            ),
        ),
    ),
    ListSpec(
        type="aws.ce.anomaly_monitor",
        service="ce",
        scope="global",
        list_op="get_anomaly_monitors",
        list_key="AnomalyMonitors",
        page_size=100,
        uid="{MonitorArn}",
        name="{MonitorName}",
    ),
    # Who hears of an anomaly: each subscription names its monitors (MonitorArnList) and subscribers.
    ListSpec(
        type="aws.ce.anomaly_subscription",
        service="ce",
        scope="global",
        list_op="get_anomaly_subscriptions",
        list_key="AnomalySubscriptions",
        page_size=100,
        uid="{SubscriptionArn}",
        name="{SubscriptionName}",
    ),
)


def _macie_regions() -> frozenset[str]:
    return offered_regions("macie2")


# Amazon Macie answers AccessDeniedException "Macie is not enabled." to every call where it is off.
_MACIE_OFF_CODES = frozenset({"AccessDeniedException"})
_MACIE_OFF = "Macie is not enabled"

MACIE: tuple[ListSpec, ...] = (
    # One per region where Macie is on (status ENABLED or PAUSED); none where it is off.
    ListSpec(
        type="aws.macie.session",
        service="macie2",
        scope="regional",
        list_op="get_macie_session",
        list_key="",
        page_size=None,
        uid="arn:{partition}:macie2:{region}:{account}:session",
        name="{region}",
        regions=_macie_regions,
        absent_codes=_MACIE_OFF_CODES,
        absent_message=_MACIE_OFF,
    ),
    # Macie's inventory of the region's buckets (DescribeBuckets): whether automated sensitive data discovery
    # monitors each one, and whether classification jobs analyse it (jobDetails, Macie's own reading of every job,
    # criteria-based ones included). Kept only for the buckets AI resources use (an S3 bucket names its entry).
    ListSpec(
        type="aws.macie.bucket",
        service="macie2",
        scope="regional",
        list_op="describe_buckets",
        list_key="buckets",
        page_size=50,
        uid="arn:{partition}:macie2:{region}:{account}:bucket/{bucketName}",
        name="{bucketName}",
        keep="referenced",
        ref_uid="arn:{partition}:macie2:{region}:{account}:bucket/{ref}",
        regions=_macie_regions,
        absent_codes=_MACIE_OFF_CODES,
        absent_message=_MACIE_OFF,
    ),
)


def _default_policy_document(policy: dict[str, Any]) -> dict[str, Any]:
    versions = policy.get("PolicyVersionList") or []
    default = next((v for v in versions if v.get("IsDefaultVersion")), None)
    return {**policy, "Document": default.get("Document") if default else None}


def _mask_access_keys(user: dict[str, Any]) -> dict[str, Any]:
    # A key id is not a secret, but it is the half an attacker needs first: keep the tail only.
    keys = [{**k, "AccessKeyId": "*" * 16 + str(k.get("AccessKeyId", ""))[-4:]} for k in user.get("AccessKeys") or []]
    return {**user, "AccessKeys": keys}


# One paginated call returns every role, user, group and managed policy with
# its documents; the engine makes it once and each kind takes its list.
_AUTH_DETAILS = {"Filter": ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]}

IAM: tuple[ListSpec, ...] = (
    ListSpec(
        type="aws.iam.role",
        service="iam",
        scope="global",
        list_op="get_account_authorization_details",
        list_key="RoleDetailList",
        list_params=_AUTH_DETAILS,
        page_size=1000,
        uid="{Arn}",
        name="{RoleName}",
        tags=TAGS_IN_CONFIG,
        keep="referenced",
        reads=(
            # GetAccountAuthorizationDetails lacks MaxSessionDuration; one ListRoles pass serves every role.
            Read(
                "list_roles",
                {},
                paginate="Roles",
                page_size=1000,
                match="RoleName",
                pick="MaxSessionDuration",
                into="MaxSessionDuration",
            ),
        ),
    ),
    ListSpec(
        type="aws.iam.user",
        service="iam",
        scope="global",
        list_op="get_account_authorization_details",
        list_key="UserDetailList",
        list_params=_AUTH_DETAILS,
        page_size=1000,
        uid="{Arn}",
        name="{UserName}",
        tags=TAGS_IN_CONFIG,
        derive=_mask_access_keys,
        reads=(
            Read(
                "list_access_keys",
                {"UserName": "{UserName}"},
                into="AccessKeys",
                paginate="AccessKeyMetadata",
                page_size=1000,
            ),
            # Bedrock API keys (long-term ones are service-specific credentials; IAM allows two a user).
            Read(
                "list_service_specific_credentials",
                {"UserName": "{UserName}", "ServiceName": "bedrock.amazonaws.com"},
                into="ServiceSpecificCredentials",
                pick="ServiceSpecificCredentials",
            ),
        ),
    ),
    ListSpec(
        type="aws.iam.group",
        service="iam",
        scope="global",
        list_op="get_account_authorization_details",
        list_key="GroupDetailList",
        list_params=_AUTH_DETAILS,
        page_size=1000,
        uid="{Arn}",
        name="{GroupName}",
        keep="referenced",
    ),
    ListSpec(
        type="aws.iam.policy",
        service="iam",
        scope="global",
        list_op="get_account_authorization_details",
        list_key="Policies",
        list_params=_AUTH_DETAILS,
        page_size=1000,
        uid="{Arn}",
        name="{PolicyName}",
        keep="referenced",
        derive=_default_policy_document,
    ),
)

LIST_SPECS: tuple[ListSpec, ...] = SAGEMAKER + BEDROCK + BEDROCK_AGENTS + AGENTCORE + ACCOUNT_SERVICES + MACIE + IAM

# Organizations' list calls return at most 20 items a page.
ORGANIZATIONS_PAGE = 20
# The services whose delegated administrators CL-10 reads: config key -> service principal.
DELEGATED_SERVICES = {
    "GuardDutyDelegatedAdministrators": "guardduty.amazonaws.com",
    "SecurityHubDelegatedAdministrators": "securityhub.amazonaws.com",
}


def _policy_content(config: dict[str, Any]) -> dict[str, Any]:
    """DescribePolicy's Content is the policy document as a JSON string: stored as an object (kept as text
    when it does not parse, so a check can say so)."""
    import json

    content = config.get("Content")
    if isinstance(content, str):
        try:
            return {**config, "Content": json.loads(content)}
        except ValueError:
            return config
    return config


# What an organization scan reads of the organization itself, once, where it runs (the management account or a
# delegated administrator): never by a one-account scan, since a member account may not call Organizations.
ORGANIZATION: tuple[ListSpec, ...] = (
    ListSpec(
        type="aws.organizations.organization",
        service="organizations",
        scope="global",
        list_op="describe_organization",
        list_key="Organization",
        page_size=None,
        uid="{Arn}",
        name="{Id}",
        reads=tuple(
            Read(
                "list_delegated_administrators",
                {"ServicePrincipal": principal},
                into=key,
                paginate="DelegatedAdministrators",
                page_size=ORGANIZATIONS_PAGE,
            )
            for key, principal in DELEGATED_SERVICES.items()
        ),
    ),
    ListSpec(
        type="aws.organizations.policy",
        service="organizations",
        scope="global",
        list_op="list_policies",
        list_key="Policies",
        list_params={"Filter": "SERVICE_CONTROL_POLICY"},
        page_size=ORGANIZATIONS_PAGE,
        describe_op="describe_policy",
        describe_params={"PolicyId": "{Id}"},
        describe_key="Policy",
        uid="{PolicySummary[Arn]}",
        name="{PolicySummary[Name]}",
        reads=(
            Read(
                "list_targets_for_policy",
                {"PolicyId": "{PolicySummary[Id]}"},
                into="Targets",
                paginate="Targets",
                page_size=ORGANIZATIONS_PAGE,
            ),
        ),
        derive=_policy_content,
    ),
)


def _bucket_region(constraint: str | None) -> str:
    # GetBucketLocation answers None for us-east-1 and the legacy "EU" for eu-west-1.
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint or "us-east-1")


def _customer_symmetric(key: Mapping[str, Any]) -> bool:
    # Only customer managed symmetric keys have a rotation status to ask for.
    return key.get("KeyManager") == "CUSTOMER" and key.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"


def _kms_key(ref: str, region: str, account: str, partition: str) -> tuple[str, str, str]:
    """A key named by ARN, by alias or by bare key id: the first names its region; the others are
    in the referencing resource's region, and an alias resolves to the key DescribeKey reveals."""
    if ref.startswith("arn:"):
        return ref, ref.split(":")[3] or region, ref
    prefix = "" if ref.startswith("alias/") else "key/"
    return f"arn:{partition}:kms:{region}:{account}:{prefix}{ref}", region, ref


REFERENCED: Mapping[str, ReferencedSpec] = {
    spec.type: spec
    for spec in (
        ReferencedSpec(
            type="aws.kms.key",
            service="kms",
            describe_op="describe_key",
            id_param="KeyId",
            result_key="KeyMetadata",
            uid="{Arn}",
            name="{KeyId}",
            resolve=_kms_key,
            reads=(
                Read("get_key_rotation_status", {"KeyId": "{Arn}"}, when=_customer_symmetric),
                Read(
                    "get_key_policy",
                    {"KeyId": "{Arn}", "PolicyName": "default"},
                    into="Policy",
                    pick="Policy",
                    parse_json=True,
                ),
            ),
        ),
        ReferencedSpec(
            type="aws.ec2.subnet",
            service="ec2",
            describe_op="describe_subnets",
            id_param="SubnetIds",
            result_key="Subnets",
            batch_param="SubnetIds",
            id_is_list=True,
            uid="arn:{partition}:ec2:{region}:{account}:subnet/{SubnetId}",
            name="{SubnetId}",
            ref_uid="arn:{partition}:ec2:{region}:{account}:subnet/{ref}",
            tags=TAGS_IN_CONFIG,
        ),
        ReferencedSpec(
            type="aws.ec2.security_group",
            service="ec2",
            describe_op="describe_security_groups",
            id_param="GroupIds",
            result_key="SecurityGroups",
            batch_param="GroupIds",
            id_is_list=True,
            uid="arn:{partition}:ec2:{region}:{account}:security-group/{GroupId}",
            # Its human name (the id stays in the uid, and reports show it beside the name).
            name="{GroupName}",
            ref_uid="arn:{partition}:ec2:{region}:{account}:security-group/{ref}",
            tags=TAGS_IN_CONFIG,
        ),
        ReferencedSpec(
            type="aws.ec2.vpc",
            service="ec2",
            describe_op="describe_vpcs",
            id_param="VpcIds",
            result_key="Vpcs",
            batch_param="VpcIds",
            id_is_list=True,
            uid="arn:{partition}:ec2:{region}:{account}:vpc/{VpcId}",
            name="{VpcId}",
            ref_uid="arn:{partition}:ec2:{region}:{account}:vpc/{ref}",
            tags=TAGS_IN_CONFIG,
            reads=(
                Read(
                    "describe_vpc_endpoints",
                    {"Filters": [{"Name": "vpc-id", "Values": ["{VpcId}"]}]},
                    into="VpcEndpoints",
                    paginate="VpcEndpoints",
                    page_size=1000,
                ),
            ),
        ),
        # An agent's tools: the Lambda functions its action groups (or custom orchestration) invoke.
        ReferencedSpec(
            type="aws.lambda.function",
            service="lambda",
            describe_op="get_function_configuration",
            id_param="FunctionName",
            result_key=None,
            uid="{FunctionArn}",
            name="{FunctionName}",
            tags=Tags(read=Read("list_tags", {"Resource": "{uid}"})),
        ),
        # The CloudWatch Logs destination of model invocation logging (DescribeLogGroups takes names here).
        ReferencedSpec(
            type="aws.logs.log_group",
            service="logs",
            describe_op="describe_log_groups",
            id_param="logGroupIdentifiers",
            result_key="logGroups",
            batch_param="logGroupIdentifiers",
            batch_size=50,
            id_is_list=True,
            uid="{logGroupArn}",
            name="{logGroupName}",
            ref_uid="arn:{partition}:logs:{region}:{account}:log-group:{ref}",
        ),
        # A knowledge base's vector store when it is an Aurora cluster (its key and encryption flag).
        ReferencedSpec(
            type="aws.rds.cluster",
            service="rds",
            describe_op="describe_db_clusters",
            id_param="DBClusterIdentifier",
            result_key="DBClusters.0",
            uid="{DBClusterArn}",
            name="{DBClusterIdentifier}",
            tags=Tags(path="TagList"),
        ),
        ReferencedSpec(
            type="aws.sagemaker.notebook_lifecycle_config",
            service="sagemaker",
            describe_op="describe_notebook_instance_lifecycle_config",
            id_param="NotebookInstanceLifecycleConfigName",
            result_key=None,
            uid="{NotebookInstanceLifecycleConfigArn}",
            name="{NotebookInstanceLifecycleConfigName}",
            ref_uid="arn:{partition}:sagemaker:{region}:{account}:notebook-instance-lifecycle-config/{ref_lower}",
        ),
        ReferencedSpec(
            type="aws.s3.bucket",
            service="s3",
            describe_op="get_bucket_location",
            id_param="Bucket",
            result_key=None,
            uid="arn:{partition}:s3:::{Bucket}",
            ref_uid="arn:{partition}:s3:::{ref}",
            name="{Bucket}",
            tags=TAGS_IN_CONFIG,
            region_of=lambda cfg: _bucket_region(cfg.get("LocationConstraint")),
            reads=(
                Read(
                    "get_bucket_encryption",
                    {"Bucket": "{Bucket}"},
                    pick="ServerSideEncryptionConfiguration",
                    into="ServerSideEncryptionConfiguration",
                    absent_codes=frozenset({"ServerSideEncryptionConfigurationNotFoundError"}),
                ),
                Read(
                    "get_bucket_policy",
                    {"Bucket": "{Bucket}"},
                    into="Policy",
                    pick="Policy",
                    parse_json=True,
                    absent_codes=frozenset({"NoSuchBucketPolicy"}),
                ),
                Read("get_bucket_versioning", {"Bucket": "{Bucket}"}, into="Versioning"),
                Read(
                    "get_bucket_replication",
                    {"Bucket": "{Bucket}"},
                    into="ReplicationConfiguration",
                    pick="ReplicationConfiguration",
                    absent_codes=frozenset({"ReplicationConfigurationNotFoundError"}),
                ),
                Read(
                    "get_public_access_block",
                    {"Bucket": "{Bucket}"},
                    into="PublicAccessBlockConfiguration",
                    pick="PublicAccessBlockConfiguration",
                    absent_codes=frozenset({"NoSuchPublicAccessBlockConfiguration"}),
                ),
                Read(
                    "get_bucket_tagging",
                    {"Bucket": "{Bucket}"},
                    into="Tags",
                    pick="TagSet",
                    absent_codes=frozenset({"NoSuchTagSet"}),
                ),
            ),
        ),
    )
}

# Services whose one account-wide endpoint is reached through this region.
GLOBAL_ENDPOINT_REGION = {"aws": "us-east-1", "aws-cn": "cn-northwest-1", "aws-us-gov": "us-gov-west-1"}

# Every AI resource kind: the sources of the relations any AI resource may have.
AI_TYPES: frozenset[str] = frozenset(
    {
        *(spec.type for spec in SAGEMAKER + BEDROCK + BEDROCK_AGENTS + AGENTCORE),
        "aws.sagemaker.notebook_lifecycle_config",
    }
)
LAMBDA_FUNCTION = "aws.lambda.function"
# Supporting kinds with references of their own: a tool's role and network, a store's key.
SUPPORT_SOURCES = frozenset({LAMBDA_FUNCTION, "aws.logs.log_group", "aws.rds.cluster"})
_ROLE_ARN = r"^(arn:aws[a-z-]*:iam::\d{12}:role/.+)$"
_KMS_ARN = r"^(arn:aws[a-z-]*:kms:.+)$"
_BEDROCK_MODEL_ARN = r"^(arn:aws[a-z-]*:bedrock:[^:]+:\d{12}:%s/.+)$"

# How resources point at each other, found by key name anywhere in the stored config (so no kind
# hand-copies a field: the Prowler trap of reading the wrong key). SageMaker spells fields in
# UpperCamelCase, Bedrock and AgentCore in lowerCamelCase, Lambda as it likes: each spelling is listed.
RELATIONS: tuple[Link, ...] = (
    link(
        "uses_role",
        "aws.iam.role",
        AI_TYPES,
        keys=(
            "RoleArn",
            "ExecutionRoleArn",
            "ExecutionRole",
            "roleArn",
            "agentResourceRoleArn",
            "memoryExecutionRoleArn",
        ),
        pattern=_ROLE_ARN,
    ),
    link("uses_role", "aws.iam.role", {LAMBDA_FUNCTION}, keys=("Role",), pattern=_ROLE_ARN),
    link("encrypted_by", "aws.kms.key", AI_TYPES | SUPPORT_SOURCES, keys=("KmsKeyId", "VolumeKmsKeyId", "KmsKey")),
    # Bedrock, AgentCore, Lambda and CloudWatch Logs name keys by ARN.
    link(
        "encrypted_by",
        "aws.kms.key",
        AI_TYPES | SUPPORT_SOURCES,
        keys=(
            "modelKmsKeyArn",
            "outputModelKmsKeyArn",
            "customerEncryptionKeyArn",
            "kmsKeyArn",
            "encryptionKeyArn",
            "KMSKeyArn",
            "kmsKeyId",
        ),
        pattern=_KMS_ARN,
    ),
    link(
        "in_subnet",
        "aws.ec2.subnet",
        AI_TYPES | {LAMBDA_FUNCTION},
        keys=("SubnetId", "Subnets", "SubnetIds", "subnetIds", "subnets"),
    ),
    link(
        "in_security_group",
        "aws.ec2.security_group",
        AI_TYPES | {LAMBDA_FUNCTION},
        keys=("SecurityGroupIds", "SecurityGroups", "securityGroupIds", "securityGroups"),
    ),
    # A VPC hosts AI resources directly (domains) or through their subnets and security groups.
    link(
        "in_vpc",
        "aws.ec2.vpc",
        AI_TYPES | {LAMBDA_FUNCTION, "aws.ec2.subnet", "aws.ec2.security_group"},
        keys=("VpcId",),
    ),
    link("uses_bucket", "aws.s3.bucket", AI_TYPES, keys=(ANY_KEY,), pattern=r"^s3://([^/]+)"),
    # Invocation logs go to a bucket by name; a knowledge base reads a bucket named by ARN.
    link("uses_bucket", "aws.s3.bucket", {"aws.bedrock.settings"}, keys=("bucketName",)),
    link(
        "uses_bucket",
        "aws.s3.bucket",
        {"aws.bedrock.knowledge_base"},
        keys=("bucketArn",),
        pattern=r"^arn:aws[a-z-]*:s3:::([^/]+)$",
    ),
    link("uses_log_group", "aws.logs.log_group", {"aws.bedrock.settings"}, keys=("logGroupName",)),
    link(
        "uses_guardrail",
        "aws.bedrock.guardrail",
        {"aws.bedrock.agent", "aws.bedrock.settings"},
        keys=("guardrailIdentifier", "guardrailArn", "guardrailId"),
    ),
    link(
        "invokes_function",
        LAMBDA_FUNCTION,
        {"aws.bedrock.agent"},
        keys=("lambda", "overrideLambda"),
        pattern=r"^(arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:.+)$",
    ),
    link(
        "serves_model",
        "aws.bedrock.custom_model",
        {"aws.bedrock.provisioned_throughput"},
        keys=("modelArn",),
        pattern=_BEDROCK_MODEL_ARN % "custom-model",
    ),
    link(
        "serves_model",
        "aws.bedrock.imported_model",
        {"aws.bedrock.provisioned_throughput"},
        keys=("modelArn",),
        pattern=_BEDROCK_MODEL_ARN % "imported-model",
    ),
    # Lineage: a custom model names the customization job that made it (GetCustomModel's jobArn).
    link(
        "produced_by",
        "aws.bedrock.model_customization_job",
        {"aws.bedrock.custom_model"},
        keys=("jobArn",),
        pattern=_BEDROCK_MODEL_ARN % "model-customization-job",
    ),
    link(
        "stores_vectors_in",
        "aws.rds.cluster",
        {"aws.bedrock.knowledge_base"},
        keys=("resourceArn",),
        pattern=r"^(arn:aws[a-z-]*:rds:[^:]+:\d{12}:cluster:.+)$",
    ),
    link(
        "uses_lifecycle_config",
        "aws.sagemaker.notebook_lifecycle_config",
        {"aws.sagemaker.notebook_instance"},
        keys=("NotebookInstanceLifecycleConfigName",),
    ),
    link(
        "uses_model",
        "aws.sagemaker.model",
        {"aws.sagemaker.endpoint_config", "aws.sagemaker.transform_job"},
        keys=("ModelName",),
    ),
    link(
        "uses_endpoint_config",
        "aws.sagemaker.endpoint_config",
        {"aws.sagemaker.endpoint"},
        keys=("EndpointConfigName",),
    ),
    link("monitors", "aws.sagemaker.endpoint", {"aws.sagemaker.monitoring_schedule"}, keys=("EndpointName",)),
    link("from_model_package", "aws.sagemaker.model_package", {"aws.sagemaker.model"}, keys=("ModelPackageName",)),
    link(
        "in_model_package_group",
        "aws.sagemaker.model_package_group",
        {"aws.sagemaker.model_package"},
        keys=("ModelPackageGroupName",),
    ),
    link("in_domain", "aws.sagemaker.domain", {"aws.sagemaker.user_profile"}, keys=("DomainId",)),
    # IAM principals and their managed policies and groups (GetAccountAuthorizationDetails shapes).
    link("attached_policy", "aws.iam.policy", {"aws.iam.role", "aws.iam.user", "aws.iam.group"}, keys=("PolicyArn",)),
    link("member_of", "aws.iam.group", {"aws.iam.user"}, keys=("GroupList",)),
    # A bucket's entry in Macie's inventory of its region, by the bucket's name.
    link("classified_by", "aws.macie.bucket", {"aws.s3.bucket"}, paths=("Bucket",)),
)
