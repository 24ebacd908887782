"""Amazon Bedrock AgentCore checks, table-driven: runtimes in a VPC, gateways that authorise, memories under a
customer key. The base responses are GetAgentRuntime, GetGateway and GetMemory answers as the collector stores them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.conftest import (
    ACCOUNT,
    DROP,
    FAIL,
    KEY_ARN,
    PASS,
    REGION,
    Case,
    Estate,
    assert_case,
    declare_type,
    make,
    one,
)

_AC = f"arn:aws:bedrock-agentcore:{{region}}:{ACCOUNT}"
RUNTIME = declare_type(
    "aws.agentcore.runtime",
    {
        "agentRuntimeArn": f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:runtime/support_agent-k3v9x2m1q7",
        "agentRuntimeName": "support_agent",
        "agentRuntimeId": "support_agent-k3v9x2m1q7",
        "agentRuntimeVersion": "3",
        "createdAt": "2025-05-01T10:00:00Z",
        "lastUpdatedAt": "2025-05-02T10:00:00Z",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/agentcore-support-runtime",
        "networkConfiguration": {
            "networkMode": "VPC",
            "networkModeConfig": {
                "securityGroups": ["sg-0a1b2c3d4e5f60001"],
                "subnets": ["subnet-0a1b2c3d4e5f60001"],
            },
        },
        "status": "READY",
        "lifecycleConfiguration": {"idleRuntimeSessionTimeout": 900, "maxLifetime": 28800},
        "description": "Support agent",
        "workloadIdentityDetails": {
            "workloadIdentityArn": f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:workload-identity-directory/"
            "default/workload-identity/support_agent-k3v9x2m1q7"
        },
        "agentRuntimeArtifact": {
            "containerConfiguration": {"containerUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/support-agent:3"}
        },
        "protocolConfiguration": {"serverProtocol": "HTTP"},
        "environmentVariables": {"LOG_LEVEL": "INFO"},
    },
    uid=f"{_AC}:runtime/{{name}}",
    name="support_agent",
)

GATEWAY = declare_type(
    "aws.agentcore.gateway",
    {
        "gatewayArn": f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:gateway/support-tools-q7wz3k9x2m",
        "gatewayId": "support-tools-q7wz3k9x2m",
        "gatewayUrl": f"https://support-tools-q7wz3k9x2m.gateway.bedrock-agentcore.{REGION}.amazonaws.com/mcp",
        "createdAt": "2025-05-01T10:00:00Z",
        "updatedAt": "2025-05-01T10:00:00Z",
        "status": "READY",
        "name": "support-tools",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/agentcore-support-gateway",
        "protocolType": "MCP",
        "authorizerType": "CUSTOM_JWT",
        "authorizerConfiguration": {
            "customJWTAuthorizer": {
                "discoveryUrl": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/"
                ".well-known/openid-configuration",
                "allowedClients": ["4k2m9q1x7z3w5v8b0n6c"],
            }
        },
        "kmsKeyArn": KEY_ARN,
        "workloadIdentityDetails": {
            "workloadIdentityArn": f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:workload-identity-directory/"
            "default/workload-identity/support-tools-q7wz3k9x2m"
        },
    },
    uid=f"{_AC}:gateway/{{name}}",
    name="support-tools",
)

MEMORY = declare_type(
    "aws.agentcore.memory",
    {
        "arn": f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:memory/support_memory-x2m1q7wz3k",
        "id": "support_memory-x2m1q7wz3k",
        "name": "support_memory",
        "description": "Conversation memory of the support agent",
        "encryptionKeyArn": KEY_ARN,
        "memoryExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/agentcore-support-memory",
        "eventExpiryDuration": 30,
        "status": "ACTIVE",
        "createdAt": "2025-05-01T10:00:00Z",
        "updatedAt": "2025-05-01T10:00:00Z",
        "strategies": [
            {
                "strategyId": "summary-k3v9x2m1q7",
                "name": "session-summary",
                "type": "SUMMARIZATION",
                "namespaces": ["/summaries/{actorId}/{sessionId}"],
                "namespaceTemplates": ["/summaries/{actorId}/{sessionId}"],
                "status": "ACTIVE",
            }
        ],
    },
    uid=f"{_AC}:memory/{{name}}",
    name="support_memory",
)


def keyed(rtype: str, changes: dict[str, Any] | None = None, key: dict[str, Any] | None = None) -> Callable[[], Estate]:
    def build() -> Estate:
        target, kms = make(rtype, changes), make("aws.kms.key", key)
        return Estate(target).add(kms).link(target, "encrypted_by", kms)

    return build


CASES: list[Case] = [
    # CL-01, ZT-2 runtimes
    Case("aws.agentcore.runtime_in_vpc", PASS, "vpc", one(RUNTIME), says="subnet-0a1b2c3d4e5f60001"),
    Case(
        "aws.agentcore.runtime_in_vpc",
        FAIL,
        "public",
        one(RUNTIME, {"networkConfiguration": {"networkMode": "PUBLIC"}}),
        says="public network",
    ),
    Case(
        "aws.agentcore.runtime_in_vpc",
        FAIL,
        "vpc-without-subnets",
        one(RUNTIME, {"networkConfiguration.networkModeConfig.subnets": []}),
    ),
    Case("aws.agentcore.runtime_in_vpc", FAIL, "absent", one(RUNTIME, {"networkConfiguration": DROP})),
    # ZT-1 gateways
    Case("aws.agentcore.gateway_inbound_authorization", PASS, "jwt", one(GATEWAY), says="CUSTOM_JWT"),
    Case(
        "aws.agentcore.gateway_inbound_authorization",
        PASS,
        "iam",
        one(GATEWAY, {"authorizerType": "AWS_IAM", "authorizerConfiguration": DROP}),
    ),
    Case(
        "aws.agentcore.gateway_inbound_authorization",
        FAIL,
        "none",
        one(GATEWAY, {"authorizerType": "NONE", "authorizerConfiguration": DROP}),
        says="anyone can call",
    ),
    Case(
        "aws.agentcore.gateway_inbound_authorization",
        FAIL,
        "jwt-without-discovery",
        one(GATEWAY, {"authorizerConfiguration": DROP}),
        says="without a discoveryUrl",
    ),
    Case(
        "aws.agentcore.gateway_inbound_authorization",
        FAIL,
        "authenticate-only",
        one(GATEWAY, {"authorizerType": "AUTHENTICATE_ONLY", "authorizerConfiguration": DROP}),
        says="only authenticates",
    ),
    Case(
        "aws.agentcore.gateway_inbound_authorization",
        PASS,
        "authenticate-and-enforce",
        one(
            GATEWAY,
            {
                "authorizerType": "AUTHENTICATE_ONLY",
                "authorizerConfiguration": DROP,
                "policyEngineConfiguration": {
                    "arn": f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:policy-engine/support-policies",
                    "mode": "ENFORCE",
                },
            },
        ),
    ),
    Case("aws.agentcore.gateway_inbound_authorization", FAIL, "absent", one(GATEWAY, {"authorizerType": DROP})),
    # CL-03 memories
    Case("aws.agentcore.memory_kms_encryption", PASS, "customer-key", keyed(MEMORY)),
    Case(
        "aws.agentcore.memory_kms_encryption",
        FAIL,
        "absent",
        one(MEMORY, {"encryptionKeyArn": DROP}),
        says="AWS owned key",
    ),
    Case("aws.agentcore.memory_kms_encryption", FAIL, "aws-managed", keyed(MEMORY, key={"KeyManager": "AWS"})),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_agentcore_check(case: Case) -> None:
    assert_case(case)
