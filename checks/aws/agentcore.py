"""Amazon Bedrock AgentCore checks: runtimes in a customer VPC, gateways that authorise callers, memories under
customer keys."""

from __future__ import annotations

from checks.aws._common import judge_customer_key
from cspm_ai.doc import display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

RUNTIME = "aws.agentcore.runtime"
GATEWAY = "aws.agentcore.gateway"
MEMORY = "aws.agentcore.memory"
# Inbound authorizers that decide who may call a gateway's tools.
AUTHORIZING = ("CUSTOM_JWT", "AWS_IAM")


@check(
    id="aws.agentcore.runtime_in_vpc",
    resource_types=RUNTIME,
    severity=Severity.HIGH,
    title="AgentCore runtimes run in a customer VPC",
    checklist=("CL-01", "ZT-2"),
    remediation="Run `aws bedrock-agentcore-control update-agent-runtime --agent-runtime-id <id> "
    "--agent-runtime-artifact <artifact> --role-arn <role> --network-configuration "
    "'networkMode=VPC,networkModeConfig={subnets=[<private-subnets>],securityGroups=[<sg>]}'`, with VPC endpoints "
    "(or a NAT) for what the agent calls.",
    reads=("networkConfiguration.networkMode", "networkConfiguration.networkModeConfig.subnets"),
)
def runtime_in_vpc(runtime: Resource, ctx: CheckContext) -> Verdict:
    """PASS when networkMode is VPC with subnets; PUBLIC = the agent's code runs on AgentCore's network with open
    internet egress; networkConfiguration absent cannot be shown to be private."""
    mode = get(runtime.config, "networkConfiguration.networkMode")
    subnets = get(runtime.config, "networkConfiguration.networkModeConfig.subnets")
    evidence = {
        "networkConfiguration.networkMode": shown(mode),
        "networkConfiguration.networkModeConfig.subnets": shown(subnets),
    }
    if mode == "VPC" and isinstance(subnets, list) and any(is_set(s) for s in subnets):
        return passed(f"{runtime.name} runs in VPC subnets {', '.join(map(str, subnets))}.", **evidence)
    if mode == "VPC":
        return failed(f"{runtime.name} has networkMode VPC but subnets {display(subnets)}.", **evidence)
    return failed(
        f"{runtime.name} has networkMode {display(mode)}, so its code runs on AgentCore's public network, not "
        "your VPC.",
        **evidence,
    )


@check(
    id="aws.agentcore.gateway_inbound_authorization",
    resource_types=GATEWAY,
    severity=Severity.HIGH,
    title="AgentCore gateways authorise every caller of their tools",
    checklist=("ZT-1",),
    remediation="Run `aws bedrock-agentcore-control update-gateway --gateway-identifier <id> --name <name> "
    "--role-arn <role> --protocol-type MCP --authorizer-type CUSTOM_JWT --authorizer-configuration "
    "'customJWTAuthorizer={discoveryUrl=<issuer>/.well-known/openid-configuration,allowedClients=[<client-id>]}'` "
    "(or `--authorizer-type AWS_IAM`).",
    reads=(
        "authorizerType",
        "authorizerConfiguration.customJWTAuthorizer.discoveryUrl",
        "policyEngineConfiguration.mode",
    ),
)
def gateway_inbound_authorization(gateway: Resource, ctx: CheckContext) -> Verdict:
    """PASS for authorizerType CUSTOM_JWT (with a discovery URL) or AWS_IAM; AUTHENTICATE_ONLY checks who calls but
    decides nothing, so it passes only with a policy engine in ENFORCE mode; NONE, or absent, lets anyone call
    the tools."""
    kind = get(gateway.config, "authorizerType")
    discovery = get(gateway.config, "authorizerConfiguration.customJWTAuthorizer.discoveryUrl")
    mode = get(gateway.config, "policyEngineConfiguration.mode")
    evidence = {
        "authorizerType": shown(kind),
        "authorizerConfiguration.customJWTAuthorizer.discoveryUrl": shown(discovery),
        "policyEngineConfiguration.mode": shown(mode),
    }
    if kind == "CUSTOM_JWT" and not is_set(discovery):
        return failed(
            f"{gateway.name} has authorizerType CUSTOM_JWT without a discoveryUrl to verify tokens.", **evidence
        )
    if kind in AUTHORIZING:
        return passed(f"{gateway.name} authorises callers with {kind}.", **evidence)
    if kind == "AUTHENTICATE_ONLY":
        if mode == "ENFORCE":
            return passed(
                f"{gateway.name} authenticates callers and its policy engine enforces what they may do.", **evidence
            )
        return failed(
            f"{gateway.name} only authenticates callers (policyEngineConfiguration.mode {display(mode)}), so any "
            "authenticated principal may call every tool.",
            **evidence,
        )
    return failed(f"{gateway.name} has authorizerType {display(kind)}, so anyone can call its tools.", **evidence)


@check(
    id="aws.agentcore.memory_kms_encryption",
    resource_types=MEMORY,
    severity=Severity.MEDIUM,
    title="AgentCore memories are encrypted with a customer managed KMS key",
    checklist=("CL-03",),
    remediation="A memory's key is fixed when it is created: create a replacement with "
    "`aws bedrock-agentcore-control create-memory --name <name> --event-expiry-duration <days> "
    "--encryption-key-arn <customer-managed-key-arn>`, move the agents to it, then delete the old memory.",
    reads=("encryptionKeyArn", "encrypted_by.KeyManager"),
)
def memory_kms_encryption(memory: Resource, ctx: CheckContext) -> Verdict:
    """PASS when encryptionKeyArn names a customer managed key; absent = an AWS owned key encrypts the conversations
    and the facts extracted from them."""
    return judge_customer_key(
        memory, ctx, "encryptionKeyArn", "its conversations and extracted memories are encrypted with an AWS owned key"
    )
