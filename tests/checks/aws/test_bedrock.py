"""Amazon Bedrock checks, table-driven: every check passes, fails, and says what absence means.

The base responses are the real API's answers as the collector stores them: GetGuardrail, GetCustomModel,
GetModelCustomizationJob, GetImportedModel, the ListProvisionedModelThroughputs and ListInferenceProfiles
items, GetAgent (with its action groups read by GetAgentActionGroup), GetKnowledgeBase (with its data
sources read by GetDataSource), GetFunctionConfiguration, a DescribeLogGroups item, a DescribeDBClusters
item, and the region's settings (GetModelInvocationLoggingConfiguration, ListEnforcedGuardrailsConfiguration,
CloudWatch ListMetrics of AWS/Bedrock Invocations).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.checks.aws.test_agentcore import RUNTIME as AGENTCORE_RUNTIME
from tests.checks.conftest import (
    ACCOUNT,
    DROP,
    ERROR,
    FAIL,
    KEY_ARN,
    MANUAL,
    PASS,
    REGION,
    Case,
    Estate,
    assert_case,
    collection_error,
    declare_type,
    make,
    one,
    run,
)

KEY = "aws.kms.key"
BUCKET = "aws.s3.bucket"
_BR = f"arn:aws:bedrock:{{region}}:{ACCOUNT}"
GUARDRAIL_ID = "gr7k2m9q4x1z"
GUARDRAIL_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/{GUARDRAIL_ID}"
LOG_GROUP_NAME = "/aws/bedrock/invocations"
AGENT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/bedrock-agent-support"
TOOL_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:order-lookup"
CLUSTER_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:kb-vectors"
CUSTOM_MODEL_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/k3v9x2m1q7wz"

SETTINGS = declare_type(
    "aws.bedrock.settings",
    {
        "loggingConfig": {
            "cloudWatchConfig": {
                "logGroupName": LOG_GROUP_NAME,
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bedrock-invocation-logging",
                "largeDataDeliveryS3Config": {"bucketName": "acme-ml-artifacts", "keyPrefix": "bedrock/large/"},
            },
            "s3Config": {"bucketName": "acme-ml-artifacts", "keyPrefix": "bedrock/"},
            "textDataDeliveryEnabled": True,
            "imageDataDeliveryEnabled": True,
            "embeddingDataDeliveryEnabled": True,
        },
        "enforcedGuardrails": [
            {
                "configId": "k2m9q4x1z7",
                "guardrailArn": GUARDRAIL_ARN,
                "guardrailId": GUARDRAIL_ID,
                "guardrailVersion": "3",
                "selectiveContentGuarding": {"system": "COMPREHENSIVE", "messages": "COMPREHENSIVE"},
                "createdAt": "2025-05-01T10:00:00Z",
                "createdBy": f"arn:aws:sts::{ACCOUNT}:assumed-role/platform-admin/jane",
                "updatedAt": "2025-05-01T10:00:00Z",
                "updatedBy": f"arn:aws:sts::{ACCOUNT}:assumed-role/platform-admin/jane",
                "owner": "ACCOUNT",
            }
        ],
        "invocationMetrics": [
            {
                "Namespace": "AWS/Bedrock",
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "ModelId", "Value": "anthropic.claude-3-5-sonnet-20240620-v1:0"}],
            }
        ],
    },
    uid=f"{_BR}:settings",
    name=REGION,
)

_FILTER = {"inputEnabled": True, "outputEnabled": True, "inputAction": "BLOCK", "outputAction": "BLOCK"}
GUARDRAIL = declare_type(
    "aws.bedrock.guardrail",
    {
        "name": "support-guardrail",
        "description": "Screens the support assistant",
        "guardrailId": GUARDRAIL_ID,
        "guardrailArn": GUARDRAIL_ARN,
        "version": "DRAFT",
        "status": "READY",
        "contentPolicy": {
            "filters": [
                {"type": t, "inputStrength": "HIGH", "outputStrength": "HIGH", **_FILTER}
                for t in ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")
            ]
            + [{"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE", **_FILTER}],
            "tier": {"tierName": "STANDARD"},
        },
        "sensitiveInformationPolicy": {
            "piiEntities": [
                {"type": "AWS_ACCESS_KEY", "action": "BLOCK", "inputAction": "BLOCK", "outputAction": "BLOCK"},
                {"type": "EMAIL", "action": "ANONYMIZE", "inputAction": "ANONYMIZE", "outputAction": "ANONYMIZE"},
            ],
            "regexes": [],
        },
        "createdAt": "2025-04-01T10:00:00Z",
        "updatedAt": "2025-05-01T10:00:00Z",
        "blockedInputMessaging": "Sorry, I cannot help with that request.",
        "blockedOutputsMessaging": "Sorry, I cannot share that answer.",
        "kmsKeyArn": KEY_ARN,
    },
    uid=f"{_BR}:guardrail/{{name}}",
    name="support-guardrail",
)

CUSTOM_MODEL = declare_type(
    "aws.bedrock.custom_model",
    {
        "modelArn": CUSTOM_MODEL_ARN,
        "modelName": "support-titan-ft",
        "jobName": "support-titan-ft-job",
        "jobArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/amazon.titan-text-express-v1:0:8k/j9x2",
        "baseModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1:0:8k",
        "customizationType": "FINE_TUNING",
        "modelKmsKeyArn": KEY_ARN,
        "hyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"},
        "trainingDataConfig": {"s3Uri": "s3://acme-ml-artifacts/bedrock/train.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": "s3://acme-ml-artifacts/bedrock/validation.jsonl"}]},
        "outputDataConfig": {"s3Uri": "s3://acme-ml-artifacts/bedrock/output/"},
        "trainingMetrics": {"trainingLoss": 0.21},
        "validationMetrics": [{"validationLoss": 0.25}],
        "creationTime": "2025-05-02T10:00:00Z",
        "modelStatus": "Active",
    },
    uid=CUSTOM_MODEL_ARN,
    name="support-titan-ft",
)

JOB = declare_type(
    "aws.bedrock.model_customization_job",
    {
        "jobArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/amazon.titan-text-express-v1:0:8k/j9x2",
        "jobName": "support-titan-ft-job",
        "outputModelName": "support-titan-ft",
        "outputModelArn": CUSTOM_MODEL_ARN,
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bedrock-customization",
        "status": "Completed",
        "creationTime": "2025-05-01T10:00:00Z",
        "lastModifiedTime": "2025-05-02T10:00:00Z",
        "endTime": "2025-05-02T10:00:00Z",
        "baseModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1:0:8k",
        "hyperParameters": {"epochCount": "2", "batchSize": "1", "learningRate": "0.00001"},
        "trainingDataConfig": {"s3Uri": "s3://acme-ml-artifacts/bedrock/train.jsonl"},
        "validationDataConfig": {"validators": [{"s3Uri": "s3://acme-ml-artifacts/bedrock/validation.jsonl"}]},
        "outputDataConfig": {"s3Uri": "s3://acme-ml-artifacts/bedrock/output/"},
        "customizationType": "FINE_TUNING",
        "outputModelKmsKeyArn": KEY_ARN,
        "vpcConfig": {"subnetIds": ["subnet-0a1b2c3d4e5f60001"], "securityGroupIds": ["sg-0a1b2c3d4e5f60001"]},
    },
    uid=f"{_BR}:model-customization-job/{{name}}",
    name="support-titan-ft-job",
)

IMPORTED = declare_type(
    "aws.bedrock.imported_model",
    {
        "modelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:imported-model/q7wz3k9x2m1v",
        "modelName": "llama-support",
        "jobName": "llama-support-import",
        "jobArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-import-job/x2m1v7q3k9wz",
        "modelDataSource": {"s3DataSource": {"s3Uri": "s3://acme-ml-artifacts/weights/llama-support/"}},
        "creationTime": "2025-05-03T10:00:00Z",
        "modelArchitecture": "llama3",
        "modelKmsKeyArn": KEY_ARN,
        "instructSupported": True,
        "customModelUnits": {"customModelUnitsPerModelCopy": 1, "customModelUnitsVersion": "1.0"},
    },
    uid=f"{_BR}:imported-model/{{name}}",
    name="llama-support",
)

OTHER_MODEL = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/other"

THROUGHPUT = declare_type(
    "aws.bedrock.provisioned_throughput",
    {
        "provisionedModelName": "support-titan-pt",
        "provisionedModelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/m1v7q3k9wz2x",
        "modelArn": CUSTOM_MODEL_ARN,
        "desiredModelArn": CUSTOM_MODEL_ARN,
        "foundationModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1:0:8k",
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "status": "InService",
        "commitmentDuration": "OneMonth",
        "commitmentExpirationTime": "2025-06-03T10:00:00Z",
        "creationTime": "2025-05-03T10:00:00Z",
        "lastModifiedTime": "2025-05-03T10:00:00Z",
    },
    uid=f"{_BR}:provisioned-model/{{name}}",
    name="support-titan-pt",
)

FOUNDATION = "arn:aws:bedrock:{region}::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"
PROFILE = declare_type(
    "aws.bedrock.inference_profile",
    {
        "inferenceProfileName": "support-claude",
        "description": "Support assistant traffic, tagged for cost allocation",
        "createdAt": "2025-05-01T10:00:00Z",
        "updatedAt": "2025-05-01T10:00:00Z",
        "inferenceProfileArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/z7wq3k9x2m1v",
        "models": [{"modelArn": FOUNDATION.format(region=REGION)}],
        "inferenceProfileId": "z7wq3k9x2m1v",
        "status": "ACTIVE",
        "type": "APPLICATION",
    },
    uid=f"{_BR}:application-inference-profile/{{name}}",
    name="support-claude",
)

AGENT = declare_type(
    "aws.bedrock.agent",
    {
        "agentId": "A1B2C3D4E5",
        "agentName": "support-agent",
        "agentArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/A1B2C3D4E5",
        "agentVersion": "DRAFT",
        "instruction": "You answer questions about orders using the order lookup tool.",
        "agentStatus": "PREPARED",
        "foundationModel": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "orchestrationType": "DEFAULT",
        "idleSessionTTLInSeconds": 600,
        "agentResourceRoleArn": AGENT_ROLE,
        "customerEncryptionKeyArn": KEY_ARN,
        "createdAt": "2025-05-01T10:00:00Z",
        "updatedAt": "2025-05-02T10:00:00Z",
        "preparedAt": "2025-05-02T10:00:00Z",
        "guardrailConfiguration": {"guardrailIdentifier": GUARDRAIL_ID, "guardrailVersion": "3"},
        "actionGroups": [
            {
                "agentId": "A1B2C3D4E5",
                "agentVersion": "DRAFT",
                "actionGroupId": "G1H2J3K4L5",
                "actionGroupName": "order-lookup",
                "createdAt": "2025-05-01T10:00:00Z",
                "updatedAt": "2025-05-01T10:00:00Z",
                "actionGroupExecutor": {"lambda": TOOL_ARN},
                "functionSchema": {"functions": [{"name": "get_order", "parameters": {}}]},
                "actionGroupState": "ENABLED",
            }
        ],
    },
    uid=f"{_BR}:agent/{{name}}",
    name="support-agent",
)

_SOURCE = {
    "knowledgeBaseId": "KB1A2B3C4D",
    "dataSourceId": "DS5E6F7G8H",
    "name": "product-docs",
    "status": "AVAILABLE",
    "dataSourceConfiguration": {"type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::acme-ml-artifacts"}},
    "serverSideEncryptionConfiguration": {"kmsKeyArn": KEY_ARN},
    "dataDeletionPolicy": "DELETE",
    "createdAt": "2025-05-01T10:00:00Z",
    "updatedAt": "2025-05-01T10:00:00Z",
}
KNOWLEDGE_BASE = declare_type(
    "aws.bedrock.knowledge_base",
    {
        "knowledgeBaseId": "KB1A2B3C4D",
        "name": "product-docs-kb",
        "knowledgeBaseArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:knowledge-base/KB1A2B3C4D",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bedrock-kb-product-docs",
        "knowledgeBaseConfiguration": {
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
            },
        },
        "storageConfiguration": {
            "type": "RDS",
            "rdsConfiguration": {
                "resourceArn": CLUSTER_ARN,
                "credentialsSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:kb-vectors-AbCdEf",
                "databaseName": "kb",
                "tableName": "bedrock_integration.bedrock_kb",
                "fieldMapping": {
                    "primaryKeyField": "id",
                    "vectorField": "embedding",
                    "textField": "chunks",
                    "metadataField": "metadata",
                },
            },
        },
        "status": "ACTIVE",
        "createdAt": "2025-05-01T10:00:00Z",
        "updatedAt": "2025-05-01T10:00:00Z",
        "dataSources": [_SOURCE],
    },
    uid=f"{_BR}:knowledge-base/{{name}}",
    name="product-docs-kb",
)

FUNCTION = declare_type(
    "aws.lambda.function",
    {
        "FunctionName": "order-lookup",
        "FunctionArn": TOOL_ARN,
        "Runtime": "python3.12",
        "Role": f"arn:aws:iam::{ACCOUNT}:role/order-lookup-tool",
        "Handler": "app.handler",
        "CodeSize": 1024,
        "Timeout": 30,
        "MemorySize": 256,
        "LastModified": "2025-05-01T10:00:00.000+0000",
        "Version": "$LATEST",
        "Environment": {"Variables": {"ORDERS_TABLE": "orders"}},
        "State": "Active",
        "PackageType": "Zip",
        "Architectures": ["arm64"],
    },
    uid=f"arn:aws:lambda:{{region}}:{ACCOUNT}:function:{{name}}",
    name="order-lookup",
)

LOG_GROUP = declare_type(
    "aws.logs.log_group",
    {
        "logGroupName": LOG_GROUP_NAME,
        "creationTime": 1714557600000,
        "retentionInDays": 365,
        "metricFilterCount": 0,
        "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP_NAME}:*",
        "storedBytes": 1048576,
        "kmsKeyId": KEY_ARN,
        "logGroupClass": "STANDARD",
        "logGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP_NAME}",
    },
    uid=f"arn:aws:logs:{{region}}:{ACCOUNT}:log-group:{{name}}",
    name=LOG_GROUP_NAME,
)

CLUSTER = declare_type(
    "aws.rds.cluster",
    {
        "DBClusterIdentifier": "kb-vectors",
        "DBClusterArn": CLUSTER_ARN,
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.4",
        "Status": "available",
        "StorageEncrypted": True,
        "KmsKeyId": KEY_ARN,
        "DbClusterResourceId": "cluster-ABCDEFGHIJKLMNOP",
        "HttpEndpointEnabled": True,
        "TagList": [{"Key": "DataClassification", "Value": "confidential"}],
    },
    uid=f"arn:aws:rds:{{region}}:{ACCOUNT}:cluster:{{name}}",
    name="kb-vectors",
)

NOT_USED = {"loggingConfig": DROP, "enforcedGuardrails": DROP, "invocationMetrics": DROP}
BEDROCK_IAC = "aws.bedrock.resource_managed_by_iac"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/support-agents/7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8"
AWS_KEY = {"KeyManager": "AWS", "Description": "Default key that protects my Bedrock data"}


def with_related(
    rtype: str,
    changes: dict[str, Any] | None,
    *related: tuple[str, str, dict[str, Any] | None, dict[str, Any]],
) -> Callable[[], Estate]:
    """The resource with related resources: (relation kind, type, changes, make keywords) each."""

    def build() -> Estate:
        target = make(rtype, changes)
        estate = Estate(target)
        for kind, other_type, other_changes, kw in related:
            other = make(other_type, other_changes, **kw)
            estate.add(other).link(target, kind, other)
        return estate

    return build


def in_use(
    changes: dict[str, Any], *others: tuple[str, dict[str, Any]], error: str | None = None
) -> Callable[[], Estate]:
    """The region's settings beside other resources (type, make keywords), optionally a failed list of one kind."""

    def build() -> Estate:
        estate = Estate(make(SETTINGS, changes))
        for rtype, kw in others:
            estate.add(make(rtype, **kw))
        if error:
            estate.fail(collection_error(error, operation="List"))
        return estate

    return build


def logging_to(bucket: dict[str, Any] | None, group: dict[str, Any] | None) -> Callable[[], Estate]:
    """The settings with its destinations in the inventory (None: that one was not collected)."""
    related = []
    if bucket is not None:
        related.append(("uses_bucket", BUCKET, bucket, {}))
    if group is not None:
        related.append(("uses_log_group", LOG_GROUP, group, {}))
    return with_related(SETTINGS, None, *related)


def tagged(rtype: str, tags: dict[str, str], changes: dict[str, Any] | None = None, **kw: Any) -> Any:
    return dataclasses.replace(make(rtype, changes, **kw), tags=tags)


def kb_with_bucket(tags: dict[str, str] | None, changes: dict[str, Any] | None = None) -> Callable[[], Estate]:
    def build() -> Estate:
        kb = make(KNOWLEDGE_BASE, changes)
        estate = Estate(kb)
        if tags is not None:
            bucket = tagged(BUCKET, tags)
            estate.add(bucket).link(kb, "uses_bucket", bucket)
        return estate

    return build


def kb_with_cluster(cluster: dict[str, Any] | None, key: dict[str, Any] | None = None) -> Callable[[], Estate]:
    def build() -> Estate:
        kb = make(KNOWLEDGE_BASE)
        estate = Estate(kb)
        if cluster is not None:
            store = make(CLUSTER, cluster)
            estate.add(store).link(kb, "stores_vectors_in", store)
            if key is not None:
                kms = make(KEY, key)
                estate.add(kms).link(store, "encrypted_by", kms)
        return estate

    return build


def keyed(rtype: str, changes: dict[str, Any] | None = None, key: dict[str, Any] | None = None) -> Callable[[], Estate]:
    return with_related(rtype, changes, ("encrypted_by", KEY, key, {}))


def throughput_serving(model: dict[str, Any] | None, key: dict[str, Any] | None = None) -> Callable[[], Estate]:
    def build() -> Estate:
        throughput = make(THROUGHPUT)
        estate = Estate(throughput)
        if model is not None:
            served = make(CUSTOM_MODEL, model)
            estate.add(served).link(throughput, "serves_model", served)
            kms = make(KEY, key)
            estate.add(kms).link(served, "encrypted_by", kms)
        return estate

    return build


def agent_with_guardrail(changes: dict[str, Any] | None = None) -> Callable[[], Estate]:
    return with_related(AGENT, changes, ("uses_guardrail", GUARDRAIL, None, {}))


def content(strengths: dict[str, tuple[str, str]], drop: str | None = None) -> dict[str, Any]:
    """The base guardrail's content filters with some strengths changed and one category dropped."""
    filters = [
        {"type": t, "inputStrength": i, "outputStrength": o}
        for t, (i, o) in {
            **{c: ("HIGH", "HIGH") for c in ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")},
            "PROMPT_ATTACK": ("HIGH", "NONE"),
            **strengths,
        }.items()
        if t != drop
    ]
    return {"contentPolicy.filters": filters}


ONE_REGION = frozenset({REGION})
CROSS_REGION = [{"modelArn": FOUNDATION.format(region=r)} for r in ("us-east-1", "us-east-2", "us-west-2")]


def throughput_since(before: Mapping[str, Any] | None) -> Callable[[], Estate]:
    """The provisioned throughput, and the previous scan's same throughput as `before` (None: not there)."""

    def build() -> Estate:
        return Estate(make(THROUGHPUT), previous=[] if before is None else [make(THROUGHPUT, before)])

    return build


CASES: list[Case] = [
    # CL-05, MS-3 model invocation logging
    Case("aws.bedrock.model_invocation_logging", PASS, "on", one(SETTINGS), says="logs model invocations"),
    Case(
        "aws.bedrock.model_invocation_logging",
        PASS,
        "off-unused",
        in_use(NOT_USED),
        says="no Bedrock use",
    ),
    Case(
        "aws.bedrock.model_invocation_logging",
        FAIL,
        "off-models-called",
        in_use({"loggingConfig": DROP}),
        says="Invocations metrics",
    ),
    Case(
        "aws.bedrock.model_invocation_logging",
        FAIL,
        "empty-config-with-an-agent",
        in_use({**NOT_USED, "loggingConfig": {}}, (AGENT, {})),
        says="agent support-agent",
    ),
    Case(
        "aws.bedrock.model_invocation_logging",
        FAIL,
        "metadata-only",
        one(
            SETTINGS,
            {
                "loggingConfig.textDataDeliveryEnabled": False,
                "loggingConfig.imageDataDeliveryEnabled": DROP,
                "loggingConfig.embeddingDataDeliveryEnabled": DROP,
            },
        ),
        says="no request or response data",
    ),
    Case(
        "aws.bedrock.model_invocation_logging",
        PASS,
        "agent-elsewhere",
        in_use(NOT_USED, (AGENT, {"region": "eu-west-1"})),
        says="no Bedrock use",
    ),
    Case(
        "aws.bedrock.model_invocation_logging",
        ERROR,
        "agents-unlisted",
        in_use(NOT_USED, error=AGENT),
    ),
    Case(
        "aws.bedrock.model_invocation_logging",
        FAIL,
        "agents-unlisted-but-models-called",
        in_use({"loggingConfig": DROP}, error=AGENT),
    ),
    # CL-05, CL-03 log destinations
    Case("aws.bedrock.invocation_logs_protected", PASS, "kms-and-private", logging_to({}, {}), says="SSE-KMS"),
    Case(
        "aws.bedrock.invocation_logs_protected",
        FAIL,
        "bucket-sse-s3",
        logging_to({"ServerSideEncryptionConfiguration": DROP}, {}),
        says="SSE-S3",
    ),
    Case(
        "aws.bedrock.invocation_logs_protected",
        FAIL,
        "bucket-public",
        logging_to({"PublicAccessBlockConfiguration": DROP}, {}),
        says="does not block public access",
    ),
    Case(
        "aws.bedrock.invocation_logs_protected",
        FAIL,
        "log-group-without-key",
        logging_to({}, {"kmsKeyId": DROP}),
        says="CloudWatch Logs' own key",
    ),
    Case(
        "aws.bedrock.invocation_logs_protected",
        MANUAL,
        "bucket-elsewhere",
        logging_to(None, {}),
        says="not in the inventory",
    ),
    Case(
        "aws.bedrock.invocation_logs_protected",
        PASS,
        "no-destination",
        one(SETTINGS, {"loggingConfig": DROP}),
        says="no invocation logs",
    ),
    # MS-2 guardrails
    Case("aws.bedrock.guardrail_in_region", PASS, "has-one", in_use({}, (GUARDRAIL, {}))),
    Case("aws.bedrock.guardrail_in_region", FAIL, "used-without", in_use({}), says="no guardrail"),
    Case("aws.bedrock.guardrail_in_region", PASS, "unused", in_use(NOT_USED), says="no Bedrock use"),
    Case("aws.bedrock.guardrail_in_region", ERROR, "unlisted", in_use({}, error=GUARDRAIL)),
    Case("aws.bedrock.enforced_guardrail", PASS, "enforced", one(SETTINGS), says=GUARDRAIL_ARN),
    Case(
        "aws.bedrock.enforced_guardrail",
        FAIL,
        "not-enforced",
        one(SETTINGS, {"enforcedGuardrails": []}),
        says="enforces no guardrail",
    ),
    Case("aws.bedrock.enforced_guardrail", FAIL, "absent", one(SETTINGS, {"enforcedGuardrails": DROP})),
    Case("aws.bedrock.enforced_guardrail", PASS, "unused", in_use(NOT_USED), says="no Bedrock use"),
    Case("aws.bedrock.guardrail_prompt_attack_filter", PASS, "high", one(GUARDRAIL)),
    Case(
        "aws.bedrock.guardrail_prompt_attack_filter",
        FAIL,
        "no-content-policy",
        one(GUARDRAIL, {"contentPolicy": DROP}),
        says="no PROMPT_ATTACK",
    ),
    Case(
        "aws.bedrock.guardrail_prompt_attack_filter",
        FAIL,
        "medium",
        one(GUARDRAIL, content({"PROMPT_ATTACK": ("MEDIUM", "NONE")})),
        says="inputStrength MEDIUM",
    ),
    Case(
        "aws.bedrock.guardrail_prompt_attack_filter",
        FAIL,
        "detect-only",
        one(GUARDRAIL, {"contentPolicy.filters.5.inputAction": "NONE"}),
        says="detect only",
    ),
    Case(
        "aws.bedrock.guardrail_prompt_attack_filter",
        FAIL,
        "disabled",
        one(GUARDRAIL, {"contentPolicy.filters.5.inputEnabled": False}),
        says="input disabled",
    ),
    Case(
        "aws.bedrock.guardrail_prompt_attack_filter",
        PASS,
        "defaults-block",
        one(GUARDRAIL, content({})),
    ),
    Case("aws.bedrock.guardrail_content_filters", PASS, "high", one(GUARDRAIL)),
    Case(
        "aws.bedrock.guardrail_content_filters",
        PASS,
        "medium",
        one(GUARDRAIL, content({c: ("MEDIUM", "MEDIUM") for c in ("HATE", "VIOLENCE")})),
    ),
    Case(
        "aws.bedrock.guardrail_content_filters",
        FAIL,
        "misconduct-missing",
        one(GUARDRAIL, content({}, drop="MISCONDUCT")),
        says="MISCONDUCT not filtered",
    ),
    Case(
        "aws.bedrock.guardrail_content_filters",
        FAIL,
        "low-output",
        one(GUARDRAIL, content({"SEXUAL": ("HIGH", "LOW")})),
        says="SEXUAL outputStrength LOW",
    ),
    Case(
        "aws.bedrock.guardrail_content_filters",
        FAIL,
        "no-content-policy",
        one(GUARDRAIL, {"contentPolicy": DROP}),
        says="HATE not filtered",
    ),
    Case("aws.bedrock.guardrail_sensitive_information_filter", PASS, "blocks-and-masks", one(GUARDRAIL)),
    Case(
        "aws.bedrock.guardrail_sensitive_information_filter",
        FAIL,
        "absent",
        one(GUARDRAIL, {"sensitiveInformationPolicy": DROP}),
        says="no sensitiveInformationPolicy",
    ),
    Case(
        "aws.bedrock.guardrail_sensitive_information_filter",
        FAIL,
        "detect-only",
        one(
            GUARDRAIL,
            {"sensitiveInformationPolicy.piiEntities": [{"type": "EMAIL", "action": "NONE"}]},
        ),
        says="neither blocks nor masks",
    ),
    Case(
        "aws.bedrock.guardrail_sensitive_information_filter",
        PASS,
        "regex-blocks-output",
        one(
            GUARDRAIL,
            {
                "sensitiveInformationPolicy.piiEntities": DROP,
                "sensitiveInformationPolicy.regexes": [
                    {"name": "employee-id", "pattern": "E\\d{6}", "action": "NONE", "outputAction": "BLOCK"}
                ],
            },
        ),
        says="employee-id",
    ),
    # CL-03 models
    Case("aws.bedrock.custom_model_kms_encryption", PASS, "customer-key", keyed(CUSTOM_MODEL)),
    Case(
        "aws.bedrock.custom_model_kms_encryption",
        FAIL,
        "absent",
        one(CUSTOM_MODEL, {"modelKmsKeyArn": DROP}),
        says="AWS owned key",
    ),
    Case("aws.bedrock.custom_model_kms_encryption", FAIL, "aws-managed", keyed(CUSTOM_MODEL, key=AWS_KEY)),
    Case("aws.bedrock.imported_model_kms_encryption", PASS, "customer-key", keyed(IMPORTED)),
    Case(
        "aws.bedrock.imported_model_kms_encryption",
        FAIL,
        "absent",
        one(IMPORTED, {"modelKmsKeyArn": DROP}),
        says="AWS owned key",
    ),
    Case(
        "aws.bedrock.provisioned_throughput_model_kms_encryption",
        PASS,
        "custom-model-customer-key",
        throughput_serving({}),
        says="serves custom model support-titan-ft",
    ),
    Case(
        "aws.bedrock.provisioned_throughput_model_kms_encryption",
        FAIL,
        "custom-model-aws-owned-key",
        throughput_serving({"modelKmsKeyArn": DROP}),
        says="AWS owned key",
    ),
    Case(
        "aws.bedrock.provisioned_throughput_model_kms_encryption",
        PASS,
        "foundation-model",
        one(THROUGHPUT, {"modelArn": FOUNDATION.format(region=REGION)}),
        says="foundation model",
    ),
    Case(
        "aws.bedrock.provisioned_throughput_model_kms_encryption",
        MANUAL,
        "model-elsewhere",
        throughput_serving(None),
        says="not in the inventory",
    ),
    # CL-01, ZT-2 customization jobs
    Case("aws.bedrock.customization_job_in_vpc", PASS, "vpc", one(JOB)),
    Case(
        "aws.bedrock.customization_job_in_vpc",
        FAIL,
        "absent",
        one(JOB, {"vpcConfig": DROP}),
        says="Bedrock's network",
    ),
    Case("aws.bedrock.customization_job_in_vpc", FAIL, "no-subnets", one(JOB, {"vpcConfig.subnetIds": []})),
    # CL-09 inference profiles
    Case(
        "aws.bedrock.inference_profile_allowed_regions",
        PASS,
        "one-region",
        one(PROFILE),
        allowed_regions=ONE_REGION,
    ),
    Case(
        "aws.bedrock.inference_profile_allowed_regions",
        FAIL,
        "cross-region",
        one(PROFILE, {"models": CROSS_REGION}),
        says="us-east-2, us-west-2",
        allowed_regions=ONE_REGION,
    ),
    Case(
        "aws.bedrock.inference_profile_allowed_regions",
        MANUAL,
        "no-allowed-regions",
        one(PROFILE, {"models": CROSS_REGION}),
        says="attest",
    ),
    Case(
        "aws.bedrock.inference_profile_allowed_regions",
        FAIL,
        "no-models",
        one(PROFILE, {"models": DROP}),
        allowed_regions=ONE_REGION,
    ),
    # MS-2, CL-03, ZT-3 agents
    Case("aws.bedrock.agent_guardrail", PASS, "guardrail", agent_with_guardrail(), says="support-guardrail"),
    Case(
        "aws.bedrock.agent_guardrail",
        FAIL,
        "absent",
        one(AGENT, {"guardrailConfiguration": DROP}),
        says="no guardrailConfiguration",
    ),
    Case(
        "aws.bedrock.agent_guardrail",
        FAIL,
        "dangling",
        one(AGENT),
        says="does not exist",
    ),
    Case(
        "aws.bedrock.agent_guardrail",
        ERROR,
        "guardrails-unlisted",
        lambda: Estate(make(AGENT)).fail(collection_error(GUARDRAIL, operation="ListGuardrails")),
    ),
    Case("aws.bedrock.agent_kms_encryption", PASS, "customer-key", keyed(AGENT)),
    Case(
        "aws.bedrock.agent_kms_encryption",
        FAIL,
        "absent",
        one(AGENT, {"customerEncryptionKeyArn": DROP}),
        says="AWS owned key",
    ),
    Case("aws.bedrock.agent_idle_session_ttl", PASS, "ten-minutes", one(AGENT), says="600"),
    Case(
        "aws.bedrock.agent_idle_session_ttl",
        PASS,
        "absent",
        one(AGENT, {"idleSessionTTLInSeconds": DROP}),
        says="default 600",
    ),
    Case(
        "aws.bedrock.agent_idle_session_ttl",
        FAIL,
        "ninety-minutes",
        one(AGENT, {"idleSessionTTLInSeconds": 5400}),
        says="5400 seconds",
    ),
    # CL-03, DP-1 knowledge bases
    Case(
        "aws.bedrock.knowledge_base_data_source_kms_encryption",
        PASS,
        "customer-key",
        keyed(KNOWLEDGE_BASE),
        says="product-docs",
    ),
    Case(
        "aws.bedrock.knowledge_base_data_source_kms_encryption",
        FAIL,
        "absent",
        one(KNOWLEDGE_BASE, {"dataSources.0.serverSideEncryptionConfiguration": DROP}),
        says="AWS owned key",
    ),
    Case(
        "aws.bedrock.knowledge_base_data_source_kms_encryption",
        FAIL,
        "aws-managed",
        keyed(KNOWLEDGE_BASE, key=AWS_KEY),
        says="KeyManager is AWS",
    ),
    Case(
        "aws.bedrock.knowledge_base_data_source_kms_encryption",
        PASS,
        "no-sources",
        one(KNOWLEDGE_BASE, {"dataSources": []}),
        says="no data source",
    ),
    Case(
        "aws.bedrock.knowledge_base_sources_classified",
        PASS,
        "classified",
        kb_with_bucket({"DataClassification": "confidential"}),
        says="DataClassification=confidential",
    ),
    Case(
        "aws.bedrock.knowledge_base_sources_classified",
        PASS,
        "hyphenated-key",
        kb_with_bucket({"data-classification": "internal"}),
    ),
    Case(
        "aws.bedrock.knowledge_base_sources_classified",
        FAIL,
        "unclassified",
        kb_with_bucket({"team": "ml"}),
        says="unclassified bucket(s) acme-ml-artifacts",
    ),
    Case(
        "aws.bedrock.knowledge_base_sources_classified",
        MANUAL,
        "bucket-elsewhere",
        kb_with_bucket(None),
        says="not in the inventory",
    ),
    Case(
        "aws.bedrock.knowledge_base_sources_classified",
        MANUAL,
        "web-source",
        kb_with_bucket(
            None,
            {"dataSources.0.dataSourceConfiguration": {"type": "WEB", "webConfiguration": {"sourceConfiguration": {}}}},
        ),
        says="WEB",
    ),
    Case(
        "aws.bedrock.knowledge_base_vector_store_encryption",
        PASS,
        "aurora-customer-key",
        kb_with_cluster({}, {}),
        says="kb-vectors",
    ),
    Case(
        "aws.bedrock.knowledge_base_vector_store_encryption",
        FAIL,
        "aurora-unencrypted",
        kb_with_cluster({"StorageEncrypted": False, "KmsKeyId": DROP}),
        says="StorageEncrypted false",
    ),
    Case(
        "aws.bedrock.knowledge_base_vector_store_encryption",
        FAIL,
        "aurora-aws-managed-key",
        kb_with_cluster({}, AWS_KEY),
        says="KeyManager is AWS",
    ),
    Case(
        "aws.bedrock.knowledge_base_vector_store_encryption",
        MANUAL,
        "aurora-elsewhere",
        kb_with_cluster(None),
        says="not in the inventory",
    ),
    Case(
        "aws.bedrock.knowledge_base_vector_store_encryption",
        MANUAL,
        "opensearch-serverless",
        one(
            KNOWLEDGE_BASE,
            {
                "storageConfiguration": {
                    "type": "OPENSEARCH_SERVERLESS",
                    "opensearchServerlessConfiguration": {
                        "collectionArn": f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/k2m9q4x1z7w3",
                        "vectorIndexName": "kb-index",
                        "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"},
                    },
                }
            },
        ),
        says="OpenSearch Serverless",
    ),
    Case(
        "aws.bedrock.knowledge_base_vector_store_encryption",
        PASS,
        "managed-customer-key",
        keyed(
            KNOWLEDGE_BASE,
            {
                "storageConfiguration": DROP,
                "knowledgeBaseConfiguration": {
                    "type": "MANAGED",
                    "managedKnowledgeBaseConfiguration": {"serverSideEncryptionConfiguration": {"kmsKeyArn": KEY_ARN}},
                },
            },
        ),
    ),
    Case(
        "aws.bedrock.knowledge_base_vector_store_encryption",
        FAIL,
        "managed-aws-owned-key",
        one(
            KNOWLEDGE_BASE,
            {"storageConfiguration": DROP, "knowledgeBaseConfiguration": {"type": "MANAGED"}},
        ),
        says="AWS owned key",
    ),
    # MS-4 secrets
    Case("aws.bedrock.no_secrets_in_configuration", PASS, "clean-tool", one(FUNCTION)),
    Case(
        "aws.bedrock.no_secrets_in_configuration",
        FAIL,
        "tool-with-token",
        one(
            FUNCTION,
            {"Environment.Variables.CRM_API_TOKEN": "[REDACTED:token]"},
            redactions=({"path": "Environment.Variables.CRM_API_TOKEN", "kind": "token"},),
        ),
        says="token",
    ),
    Case(
        "aws.bedrock.no_secrets_in_configuration",
        FAIL,
        "agent-instruction-with-password",
        one(AGENT, redactions=({"path": "instruction", "kind": "password"},)),
    ),
    Case(
        "aws.bedrock.provisioned_throughput_immutable",
        FAIL,
        "model-swapped-in-place",
        throughput_since({"modelArn": OTHER_MODEL, "desiredModelArn": OTHER_MODEL}),
        says="changed in place",
    ),
    Case("aws.bedrock.provisioned_throughput_immutable", PASS, "unchanged", throughput_since({}), says="serves what"),
    Case("aws.bedrock.provisioned_throughput_immutable", PASS, "new", throughput_since(None), says="new provisioned"),
    Case("aws.bedrock.provisioned_throughput_immutable", MANUAL, "no-earlier-scan", one(THROUGHPUT), says="no earlier"),
    # PH-1: provenance from tags
    Case(
        BEDROCK_IAC,
        PASS,
        "agent-from-a-stack",
        lambda: Estate(tagged(AGENT, {"aws:cloudformation:stack-id": STACK_ID})),
        says="CloudFormation stack support-agents",
    ),
    Case(
        BEDROCK_IAC,
        PASS,
        "runtime-from-terraform",
        lambda: Estate(tagged(AGENTCORE_RUNTIME, {"ManagedBy": "terraform"})),
    ),
    Case(
        BEDROCK_IAC,
        FAIL,
        "guardrail-from-the-console",
        lambda: Estate(tagged(GUARDRAIL, {"team": "ml"})),
        says="made outside infrastructure as code",
    ),
    Case(BEDROCK_IAC, FAIL, "throughput-untagged", one(THROUGHPUT), says="no aws:cloudformation:stack-id tag"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bedrock_check(case: Case) -> None:
    assert_case(case)


def test_a_region_in_use_names_what_shows_it() -> None:
    finding = run(next(c for c in CASES if c.label == "off-models-called"))
    assert finding.evidence["bedrock_use"] == {"aws.bedrock.settings.invocationMetrics": 1}
    finding = run(next(c for c in CASES if c.label == "empty-config-with-an-agent"))
    assert finding.evidence["bedrock_use"] == {"aws.bedrock.agent": ["support-agent"]}


def test_the_log_destinations_are_judged_one_by_one() -> None:
    finding = run(next(c for c in CASES if c.label == "log-group-without-key"))
    assert finding.evidence["loggingConfig.cloudWatchConfig.logGroupName.protected"] is False
    assert finding.evidence["loggingConfig.s3Config.bucketName.protected"] is True
