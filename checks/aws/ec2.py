"""EC2 network checks for VPCs and security groups that host AI resources."""

from __future__ import annotations

from typing import Any

from checks.aws._common import (
    INFERENCE_TYPES,
    TRAINING_TYPES,
    bedrock_use,
    describe_use,
    require_listed,
    short_type,
)
from checks.aws.sagemaker import SAGEMAKER_TYPES
from cspm_ai.doc import as_list, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

VPC = "aws.ec2.vpc"
SUBNET = "aws.ec2.subnet"
SECURITY_GROUP = "aws.ec2.security_group"
SAGEMAKER_SERVICES = ("sagemaker.api", "sagemaker.runtime")
# Bedrock's control plane, model runtime and agent runtime (Retrieve, InvokeAgent).
BEDROCK_SERVICES = ("bedrock", "bedrock-runtime", "bedrock-agent-runtime")
OPEN_CIDRS = (("IpRanges", "CidrIp", "0.0.0.0/0"), ("Ipv6Ranges", "CidrIpv6", "::/0"))


def _endpoint_ready(endpoint: Any) -> bool:
    """An Interface endpoint in state available (EC2 returns the state in lower case)."""
    state = get(endpoint, "State")
    return get(endpoint, "VpcEndpointType") == "Interface" and isinstance(state, str) and state.lower() == "available"


def _endpoints(vpc: Resource, services: tuple[str, ...]) -> tuple[list[str], dict[str, Any]]:
    """The services of `services` lacking an available Interface endpoint, and the endpoints seen as evidence.

    A service name is com.amazonaws.<region>.<service>: matched on its last dotted part, so "bedrock" is not
    taken for "bedrock-runtime".
    """
    evidence: dict[str, Any] = {}
    ready: set[str] = set()
    for i, endpoint in enumerate(as_list(get(vpc.config, "VpcEndpoints"))):
        name = get(endpoint, "ServiceName")
        suffix = next((s for s in services if isinstance(name, str) and name.endswith("." + s)), None)
        if suffix is None:
            continue
        evidence[f"VpcEndpoints.{i}"] = {
            k: shown(get(endpoint, k)) for k in ("ServiceName", "VpcEndpointType", "State")
        }
        if _endpoint_ready(endpoint):
            ready.add(suffix)
    return [s for s in services if s not in ready], evidence


def _hosted(vpc: Resource, ctx: CheckContext) -> list[Resource]:
    """The AI resources (and agent tools) in the VPC: directly, or through its subnets and security groups."""
    hosted: list[Resource] = []
    for member in ctx.referrers(vpc, "in_vpc"):
        if member.type == SUBNET:
            hosted += ctx.referrers(member, "in_subnet")
        elif member.type == SECURITY_GROUP:
            hosted += ctx.referrers(member, "in_security_group")
        else:
            hosted.append(member)
    return list({r.uid: r for r in hosted}.values())


@check(
    id="aws.ec2.vpc_sagemaker_endpoints",
    resource_types=VPC,
    severity=Severity.MEDIUM,
    title="VPCs hosting AI resources have SageMaker API and runtime interface endpoints",
    checklist=("CL-07",),
    remediation="Run `aws ec2 create-vpc-endpoint --vpc-id <vpc> --vpc-endpoint-type Interface --service-name "
    "com.amazonaws.<region>.sagemaker.api --subnet-ids <private-subnets> --security-group-ids <sg> "
    "--private-dns-enabled`, and the same for `sagemaker.runtime`.",
    reads=("VpcEndpoints",),
)
def vpc_sagemaker_endpoints(vpc: Resource, ctx: CheckContext) -> Verdict:
    """PASS when available Interface endpoints for sagemaker.api and sagemaker.runtime exist, or when the VPC hosts
    only Bedrock or AgentCore workloads (every SageMaker kind listed, none in it); VpcEndpoints absent = none.
    """
    hosted = _hosted(vpc, ctx)
    if hosted and not any(r.type in SAGEMAKER_TYPES for r in hosted):
        require_listed(ctx, SAGEMAKER_TYPES, vpc.account, vpc.region)
        names = sorted(f"{short_type(r.type)} {r.name}" for r in hosted)
        return passed(
            f"{vpc.name} hosts no SageMaker resource (only {names[0]}"
            f"{f' and {len(names) - 1} more' if len(names) > 1 else ''}), so it needs no SageMaker endpoint.",
            hosted=names,
        )
    missing, evidence = _endpoints(vpc, SAGEMAKER_SERVICES)
    if missing:
        return failed(
            f"{vpc.name} has no available interface endpoint for {' or '.join(missing)}.",
            **(evidence or {"VpcEndpoints": shown(get(vpc.config, "VpcEndpoints"))}),
        )
    return passed(f"{vpc.name} has available interface endpoints for sagemaker.api and sagemaker.runtime.", **evidence)


@check(
    id="aws.ec2.vpc_bedrock_endpoints",
    resource_types=VPC,
    severity=Severity.MEDIUM,
    title="VPCs hosting AI resources in regions that use Bedrock have Bedrock interface endpoints",
    checklist=("CL-07",),
    remediation="Run `aws ec2 create-vpc-endpoint --vpc-id <vpc> --vpc-endpoint-type Interface --service-name "
    "com.amazonaws.<region>.bedrock-runtime --subnet-ids <private-subnets> --security-group-ids <sg> "
    "--private-dns-enabled`, and the same for `bedrock` and `bedrock-agent-runtime`.",
    reads=("VpcEndpoints", "<bedrock resources in the region>"),
)
def vpc_bedrock_endpoints(vpc: Resource, ctx: CheckContext) -> Verdict:
    """PASS when available Interface endpoints for bedrock, bedrock-runtime and bedrock-agent-runtime exist, or when
    nothing shows Bedrock in use in the VPC's region; VpcEndpoints absent = none, so model calls leave through
    a NAT or the internet."""
    missing, evidence = _endpoints(vpc, BEDROCK_SERVICES)
    if not missing:
        return passed(f"{vpc.name} has available interface endpoints for {', '.join(BEDROCK_SERVICES)}.", **evidence)
    use = bedrock_use(ctx, vpc.account, vpc.region)
    if not use:
        return passed(
            f"{vpc.name} is in {vpc.region}, which shows no Bedrock use, so it needs no Bedrock endpoint.",
            **evidence,
            bedrock_use={},
        )
    return failed(
        f"{vpc.name} has no available interface endpoint for {' or '.join(missing)}, yet {vpc.region} uses Bedrock "
        f"({describe_use(use)}).",
        **(evidence or {"VpcEndpoints": shown(get(vpc.config, "VpcEndpoints"))}),
        bedrock_use=use,
    )


def _ports(permission: Any) -> str:
    protocol = get(permission, "IpProtocol")
    if protocol in ("-1", -1):
        return "all traffic"
    low, high = get(permission, "FromPort"), get(permission, "ToPort")
    return f"{shown(protocol)} {shown(low)}" + (f"-{shown(high)}" if high != low else "")


@check(
    id="aws.ec2.security_group_no_public_ingress",
    resource_types=SECURITY_GROUP,
    severity=Severity.HIGH,
    title="Security groups of AI resources admit no ingress from the whole internet",
    checklist=("ZT-2", "CL-01"),
    remediation="Remove the rule with `aws ec2 revoke-security-group-ingress --group-id <sg> --ip-permissions "
    "<the 0.0.0.0/0 or ::/0 permission>` and admit only the security groups or prefix lists that need "
    "access.",
    reads=("IpPermissions",),
)
def security_group_no_public_ingress(sg: Resource, ctx: CheckContext) -> Verdict:
    """FAIL on any ingress permission open to 0.0.0.0/0 or ::/0; IpPermissions absent = no ingress rules."""
    evidence: dict[str, Any] = {}
    openings: list[str] = []
    for i, permission in enumerate(as_list(get(sg.config, "IpPermissions"))):
        for ranges, field, cidr in OPEN_CIDRS:
            for j, item in enumerate(as_list(get(permission, ranges))):
                if get(item, field) == cidr:
                    evidence[f"IpPermissions.{i}.{ranges}.{j}.{field}"] = cidr
                    openings.append(f"{_ports(permission)} from {cidr}")
    if openings:
        return failed(f"{sg.name} admits {', '.join(openings)}.", **evidence)
    return passed(
        f"{sg.name} admits no ingress from 0.0.0.0/0 or ::/0.",
        IpPermissions=len(as_list(get(sg.config, "IpPermissions"))),
    )


@check(
    id="aws.ec2.security_group_training_inference_separation",
    resource_types=SECURITY_GROUP,
    severity=Severity.MEDIUM,
    title="Training and inference do not share a security group",
    checklist=("ZT-2",),
    remediation="Create separate security groups for training/processing and for inference (`aws ec2 "
    "create-security-group`), admit only the traffic each needs, and recreate the models (and the "
    "endpoints serving them) or future jobs with the new groups in their VpcConfig.",
    reads=("in_security_group<-",),
)
def security_group_training_inference_separation(sg: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when training/processing jobs and models share the group (endpoints reach groups through models)."""
    require_listed(ctx, TRAINING_TYPES + INFERENCE_TYPES, sg.account, sg.region)
    members = ctx.referrers(sg, "in_security_group")
    training = [f"{short_type(r.type)} {r.name}" for r in members if r.type in TRAINING_TYPES]
    inference = [f"{short_type(r.type)} {r.name}" for r in members if r.type in INFERENCE_TYPES]
    evidence = {"in_security_group<-training": training, "in_security_group<-inference": inference}
    if training and inference:
        return failed(f"{sg.name} is shared by training ({training[0]}) and inference ({inference[0]}).", **evidence)
    used = "training only" if training else "inference only" if inference else "neither training nor inference"
    return passed(f"{sg.name} is used by {used}.", **evidence)
