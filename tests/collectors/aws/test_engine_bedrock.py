"""The AWS engine on Bedrock (moto with the extensions): child lists read in full, a read made on another
service, and the supporting kinds fetched because an agent, a knowledge base or the logging settings name them.
Regions without the service and accounts without Bedrock are in test_engine_unused_services.py."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from collectors.aws import AwsSession, aws_collector
from cspm_ai.model import CollectionResult, Resource
from tests.collectors.aws.test_engine import _denying

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/agent-role"
TOOL_ROLE = f"arn:aws:iam::{ACCOUNT}:role/tool-role"
FOUNDATION = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"


def trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def zipped_handler() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def build_agentic_estate() -> dict[str, str]:
    """An agent whose action group invokes a Lambda tool, a knowledge base reading a bucket and storing vectors in
    an Aurora cluster, and invocation logs going to a log group; models were called in the region."""
    iam = boto3.client("iam")
    iam.create_role(RoleName="agent-role", AssumeRolePolicyDocument=trust("bedrock.amazonaws.com"))
    iam.create_role(RoleName="tool-role", AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))
    key = boto3.client("kms").create_key(Description="agents")["KeyMetadata"]["Arn"]
    boto3.client("s3").create_bucket(Bucket="kb-docs")
    tool = boto3.client("lambda").create_function(
        FunctionName="order-lookup",
        Runtime="python3.12",
        Role=TOOL_ROLE,
        Handler="app.handler",
        Code={"ZipFile": zipped_handler()},
        Environment={"Variables": {"TABLE": "orders"}},
    )["FunctionArn"]
    cluster = boto3.client("rds").create_db_cluster(
        DBClusterIdentifier="kb-vectors",
        Engine="aurora-postgresql",
        MasterUsername="kbadmin",
        MasterUserPassword="not-a-real-password-1",
        StorageEncrypted=True,
        KmsKeyId=key,
    )["DBCluster"]["DBClusterArn"]
    agents = boto3.client("bedrock-agent")
    agent_id = agents.create_agent(agentName="support", agentResourceRoleArn=ROLE, customerEncryptionKeyArn=key)[
        "agent"
    ]["agentId"]
    agents.create_agent_action_group(
        agentId=agent_id, agentVersion="DRAFT", actionGroupName="orders", actionGroupExecutor={"lambda": tool}
    )
    kb_id = agents.create_knowledge_base(
        name="docs",
        roleArn=ROLE,
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": FOUNDATION},
        },
        storageConfiguration={
            "type": "RDS",
            "rdsConfiguration": {
                "resourceArn": cluster,
                "credentialsSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:kb",
                "databaseName": "kb",
                "tableName": "chunks",
                "fieldMapping": {"primaryKeyField": "id", "vectorField": "v", "textField": "t", "metadataField": "m"},
            },
        },
    )["knowledgeBase"]["knowledgeBaseId"]
    agents.create_data_source(
        knowledgeBaseId=kb_id,
        name="docs-bucket",
        dataSourceConfiguration={"type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::kb-docs"}},
        serverSideEncryptionConfiguration={"kmsKeyArn": key},
    )
    boto3.client("logs").create_log_group(logGroupName="/aws/bedrock/invocations", kmsKeyId=key)
    boto3.client("bedrock").put_model_invocation_logging_configuration(
        loggingConfig={
            "cloudWatchConfig": {"logGroupName": "/aws/bedrock/invocations", "roleArn": ROLE},
            "textDataDeliveryEnabled": True,
        }
    )
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/Bedrock",
        MetricData=[{"MetricName": "Invocations", "Value": 1, "Dimensions": [{"Name": "ModelId", "Value": "x"}]}],
    )
    return {"key": key, "tool": tool, "cluster": cluster, "agent_id": agent_id}


@pytest.fixture(scope="module")
def agentic() -> Iterator[dict[str, str]]:
    from moto_fixtures.extensions import install

    with pytest.MonkeyPatch.context() as patch:
        # Module scope runs before the suite's per-test environment fixture: isolate here too.
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            patch.setenv(name, value)
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            install()
            yield build_agentic_estate()


@pytest.fixture(scope="module")
def collected(agentic: dict[str, str]) -> CollectionResult:
    return _collect()


def _collect(session: boto3.Session | None = None, regions: tuple[str, ...] = (REGION,)) -> CollectionResult:
    return aws_collector(session=AwsSession(boto_session=session or boto3.Session()), regions=regions).collect()


def _one(result: CollectionResult, rtype: str) -> Resource:
    [resource] = [r for r in result.resources if r.type == rtype]
    return resource


def test_child_lists_are_read_in_full_and_name_what_they_use(
    agentic: dict[str, str], collected: CollectionResult
) -> None:
    result = collected
    assert result.errors == []
    agent = _one(result, "aws.bedrock.agent")
    [group] = agent.config["actionGroups"]
    assert group["actionGroupName"] == "orders" and group["actionGroupExecutor"] == {"lambda": agentic["tool"]}
    kb = _one(result, "aws.bedrock.knowledge_base")
    [source] = kb.config["dataSources"]
    assert source["serverSideEncryptionConfiguration"] == {"kmsKeyArn": agentic["key"]}
    edges = {(r.src, r.kind, r.dst) for r in result.relations}
    tool = _one(result, "aws.lambda.function")
    assert (agent.uid, "invokes_function", tool.uid) in edges
    assert (tool.uid, "uses_role", TOOL_ROLE) in edges
    assert (agent.uid, "uses_role", ROLE) in edges and (agent.uid, "encrypted_by", agentic["key"]) in edges
    assert (kb.uid, "uses_bucket", "arn:aws:s3:::kb-docs") in edges
    assert (kb.uid, "stores_vectors_in", agentic["cluster"]) in edges
    assert (kb.uid, "encrypted_by", agentic["key"]) in edges
    cluster = _one(result, "aws.rds.cluster")
    assert cluster.config["StorageEncrypted"] is True and (cluster.uid, "encrypted_by", agentic["key"]) in edges
    # The tool's environment is stored (redacted where it looks secret) for the secrets check.
    assert tool.config["Environment"]["Variables"] == {"TABLE": "orders"}


def test_region_settings_hold_logging_enforcement_and_cloudwatch_metrics(
    agentic: dict[str, str], collected: CollectionResult
) -> None:
    result = collected
    settings = _one(result, "aws.bedrock.settings")
    assert settings.uid == f"arn:aws:bedrock:{REGION}:{ACCOUNT}:settings" and settings.name == REGION
    assert settings.config["loggingConfig"]["cloudWatchConfig"]["logGroupName"] == "/aws/bedrock/invocations"
    assert settings.config["enforcedGuardrails"] == []
    assert [m["MetricName"] for m in settings.config["invocationMetrics"]] == ["Invocations"]
    group = _one(result, "aws.logs.log_group")
    edges = {(r.src, r.kind, r.dst) for r in result.relations}
    assert (settings.uid, "uses_log_group", group.uid) in edges and (settings.uid, "uses_role", ROLE) in edges
    assert group.config["kmsKeyId"] == agentic["key"]


def test_a_denied_child_read_blinds_its_parent_only(agentic: dict[str, str]) -> None:
    session = boto3.Session()
    session.events.register("before-call.bedrock-agent.GetAgentActionGroup", _denying("bedrock:GetAgentActionGroup"))
    result = _collect(session)
    agent = _one(result, "aws.bedrock.agent")
    [error] = result.errors
    assert (error.operation, error.resource_uid, error.resource_type) == (
        "GetAgentActionGroup",
        agent.uid,
        "aws.bedrock.agent",
    )
    assert "actionGroups" not in agent.config and _one(result, "aws.bedrock.knowledge_base").config["dataSources"]
