"""AWS Config checks: a recorder continuously records every supported resource type, and rules evaluate the AI
services used in each region."""

from __future__ import annotations

from typing import Any

from checks.aws._common import bedrock_use
from checks.aws.sagemaker import SAGEMAKER_TYPES
from cspm_ai.doc import as_list, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

REGION = "aws.region"
RECORDER = "aws.config.recorder"


def _judge(recorder: Resource) -> tuple[bool, str, dict[str, Any]]:
    # recordingGroup absent cannot be shown to cover all types; Status.recording absent = not recording.
    all_supported = get(recorder.config, "recordingGroup.allSupported")
    strategy = get(recorder.config, "recordingGroup.recordingStrategy.useOnly")
    recording = get(recorder.config, "Status.recording")
    prefix = f"{RECORDER}[{recorder.name}]"
    evidence = {
        f"{prefix}.recordingGroup.allSupported": shown(all_supported),
        f"{prefix}.recordingGroup.recordingStrategy.useOnly": shown(strategy),
        f"{prefix}.Status.recording": shown(recording),
    }
    if all_supported is not True and strategy != "ALL_SUPPORTED_RESOURCE_TYPES":
        return (
            False,
            (
                f"recorder {recorder.name} does not record all supported types (allSupported "
                f"{shown(all_supported)}, useOnly {shown(strategy)})"
            ),
            evidence,
        )
    if recording is not True:
        return False, f"recorder {recorder.name} has Status.recording {shown(recording)}", evidence
    return True, f"recorder {recorder.name} is recording all supported resource types", evidence


@check(
    id="aws.config.recorder_all_resources",
    resource_types=REGION,
    severity=Severity.MEDIUM,
    title="AWS Config records all supported resource types in every scanned region",
    checklist=("CL-12",),
    remediation="Run `aws configservice put-configuration-recorder --configuration-recorder "
    "name=default,roleARN=<role> --recording-group allSupported=true,includeGlobalResourceTypes=true`, "
    "`aws configservice put-delivery-channel ...` and `aws configservice start-configuration-recorder "
    "--configuration-recorder-name default`.",
    reads=("aws.config.recorder.recordingGroup", "aws.config.recorder.Status.recording"),
)
def recorder_all_resources(region: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a recorder in the region records all supported types and is recording; no recorder = Config is off."""
    recorders = ctx.resources(RECORDER, account=region.account, region=region.region)
    if not recorders:
        return failed(f"{region.name} has no AWS Config configuration recorder.", **{RECORDER: []})
    judged = [_judge(r) for r in recorders]
    evidence = {k: v for _, _, ev in judged for k, v in ev.items()}
    good = [why for ok, why, _ in judged if ok]
    if good:
        return passed(f"{region.name} is fully recorded: {good[0]}.", **evidence)
    return failed(f"{region.name} is not fully recorded: {'; '.join(why for _, why, _ in judged)}.", **evidence)


RULE = "aws.config.rule"
# What a rule evaluates, by service: the prefix of an AWS managed rule's SourceIdentifier, or of a resource type
# in its Scope (a custom Lambda or Guard rule, or a managed rule narrowed to some types).
AI_SERVICES: dict[str, tuple[str, str]] = {
    "SageMaker": ("SAGEMAKER_", "AWS::SageMaker::"),
    # Bedrock and Bedrock AgentCore (BEDROCKAGENTCORE_..., AWS::BedrockAgentCore::...).
    "Bedrock": ("BEDROCK", "AWS::Bedrock"),
}
# ConfigRuleState of a rule that evaluates (EVALUATING: its first evaluation is running).
_LIVE = ("ACTIVE", "EVALUATING")


def _evaluates(rule: Resource, service: str) -> bool:
    identifier_prefix, type_prefix = AI_SERVICES[service]
    identifier = get(rule.config, "Source.SourceIdentifier")
    managed = get(rule.config, "Source.Owner") == "AWS" and isinstance(identifier, str)
    if managed and identifier.upper().startswith(identifier_prefix):
        return True
    types = as_list(get(rule.config, "Scope.ComplianceResourceTypes"))
    return any(isinstance(t, str) and t.startswith(type_prefix) for t in types)


def _in_use(region: Resource, ctx: CheckContext) -> dict[str, Any]:
    """The AI services in use in the region, each with what shows it."""
    found: dict[str, Any] = {}
    sagemaker = {
        rtype: names
        for rtype in SAGEMAKER_TYPES
        if (names := sorted(r.name for r in ctx.resources(rtype, account=region.account, region=region.region)))
    }
    if sagemaker:
        found["SageMaker"] = sagemaker
    if bedrock := bedrock_use(ctx, region.account, region.region):
        found["Bedrock"] = bedrock
    return found


@check(
    id="aws.config.rules_cover_ai_services",
    resource_types=REGION,
    severity=Severity.MEDIUM,
    title="AWS Config rules evaluate the AI services used in each region",
    checklist=("PH-3", "CL-12"),
    remediation="Record configuration in the region (see aws.config.recorder_all_resources), then deploy rules "
    "for each AI service used there, one by one (`aws configservice put-config-rule --config-rule "
    '\'{"ConfigRuleName":"sagemaker-notebook-no-direct-internet-access","Source":{"Owner":"AWS",'
    '"SourceIdentifier":"SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS"}}\'`, and '
    "BEDROCK_DATA_SOURCE_ENCRYPTION_ENABLED or BEDROCKAGENTCORE_RUNTIME_PRIVATE_NETWORK_REQUIRED for Bedrock) or as "
    "a conformance pack (`aws configservice put-conformance-pack --conformance-pack-name ai-guardrails "
    "--template-body file://pack.yaml`); "
    "add remediation actions (`aws configservice put-remediation-configurations`) to correct drift.",
    reads=(
        "aws.config.rule.Source",
        "aws.config.rule.Scope.ComplianceResourceTypes",
        "aws.config.rule.ConfigRuleState",
        "aws.config.recorder.Status.recording",
    ),
)
def rules_cover_ai_services(region: Resource, ctx: CheckContext) -> Verdict:
    """PASS when, for each AI service in use in the region (a SageMaker resource; Bedrock or AgentCore resources or
    model invocations, see `bedrock_use`), an ACTIVE or EVALUATING Config rule evaluates it (an AWS managed rule
    SAGEMAKER_* or BEDROCK*, or a rule scoped to AWS::SageMaker::* or AWS::Bedrock*: conformance pack and Security
    Hub rules are among them) and a configuration recorder is recording, without which change-triggered rules see
    nothing; a region using no AI service needs no rule. Whether drift is remediated automatically is not judged."""
    in_use = _in_use(region, ctx)
    if not in_use:
        return passed(
            f"{region.name} holds no SageMaker or Bedrock resource and shows no model invocation, so no AI rule is "
            "needed there.",
            in_use={},
        )
    rules = [
        r
        for r in ctx.resources(RULE, account=region.account, region=region.region)
        if get(r.config, "ConfigRuleState", "ACTIVE") in _LIVE
    ]
    covering = {service: sorted(r.name for r in rules if _evaluates(r, service)) for service in in_use}
    recording = [
        r.name
        for r in ctx.resources(RECORDER, account=region.account, region=region.region)
        if get(r.config, "Status.recording") is True
    ]
    evidence = {
        **{f"in_use.{service}": shown(why) for service, why in in_use.items()},
        **{f"{RULE}[{service}]": names for service, names in covering.items()},
        f"{RECORDER}.Status.recording": recording,
    }
    unwatched = [service for service, names in covering.items() if not names]
    if unwatched:
        return failed(
            f"{region.name} uses {' and '.join(unwatched)}, but no active AWS Config rule evaluates "
            f"{'it' if len(unwatched) == 1 else 'them'}.",
            **evidence,
        )
    watched = "; ".join(f"{service} by {', '.join(names)}" for service, names in covering.items())
    if not recording:
        return failed(
            f"{region.name} has rules for its AI services ({watched}), but no configuration recorder is recording "
            "there, so they see no change.",
            **evidence,
        )
    return passed(f"{region.name} evaluates its AI services with AWS Config rules: {watched}.", **evidence)
