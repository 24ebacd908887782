"""EC2 checks on the networks AI workloads run in, table-driven: SageMaker and Bedrock endpoints, ingress,
separation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.checks.aws.test_bedrock import JOB, SETTINGS
from tests.checks.conftest import (
    ACCOUNT,
    DROP,
    ERROR,
    FAIL,
    PASS,
    REGION,
    Case,
    Estate,
    assert_case,
    collection_error,
    declare_type,
    make,
    one,
)

VPC = "aws.ec2.vpc"
# A subnet as DescribeSubnets returns it: only the VPC checks reach it, through what it hosts.
SUBNET = declare_type(
    "aws.ec2.subnet",
    {
        "AvailabilityZone": f"{REGION}a",
        "AvailabilityZoneId": "use1-az1",
        "AvailableIpAddressCount": 251,
        "CidrBlock": "10.20.0.0/24",
        "DefaultForAz": False,
        "MapPublicIpOnLaunch": False,
        "State": "available",
        "SubnetId": "subnet-0a1b2c3d4e5f60001",
        "VpcId": "vpc-0a1b2c3d4e5f60001",
        "OwnerId": ACCOUNT,
        "SubnetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/subnet-0a1b2c3d4e5f60001",
    },
    uid=f"arn:aws:ec2:{{region}}:{ACCOUNT}:subnet/{{name}}",
    name="subnet-0a1b2c3d4e5f60001",
)
SG = "aws.ec2.security_group"
BEDROCK_SERVICES = ("bedrock", "bedrock-runtime", "bedrock-agent-runtime")
OPEN_SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
OPEN_ALL_V6 = {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "anywhere"}]}


def endpoints(*items: tuple[str, str, str]) -> dict[str, object]:
    return {
        "VpcEndpoints": [
            {
                "VpcEndpointType": kind,
                "ServiceName": f"com.amazonaws.{REGION}.{service}",
                "State": state,
                "VpcId": "vpc-0a1b2c3d4e5f60001",
            }
            for service, kind, state in items
        ]
    }


def sg_members(*types: str, unlisted: str | None = None) -> Callable[[], Estate]:
    def build() -> Estate:
        sg = make(SG)
        estate = Estate(sg)
        for i, rtype in enumerate(types):
            member = make(rtype, name=f"member-{i}")
            estate.add(member).link(member, "in_security_group", sg)
        if unlisted:
            estate.fail(collection_error(unlisted, operation="ListTrainingJobs"))
        return estate

    return build


BEDROCK_ENDPOINTS = [
    (service, "Interface", "available") for service in ("sagemaker.api", "sagemaker.runtime", *BEDROCK_SERVICES)
]


def hosting(*members: tuple[str, str], unlisted: str | None = None, **vpc: object) -> Callable[[], Estate]:
    """A VPC hosting resources through a subnet (type, relation to the subnet), beside the region's Bedrock
    settings (in use: models were called there), optionally with one kind unlisted."""

    def build() -> Estate:
        target = make(VPC, dict(vpc) if vpc else None)
        subnet = make(SUBNET, name="subnet-0a1b2c3d4e5f60001")
        estate = Estate(target).add(subnet, make(SETTINGS)).link(subnet, "in_vpc", target)
        for i, (rtype, kind) in enumerate(members):
            member = make(rtype, name=f"member-{i}")
            estate.add(member).link(member, kind, subnet)
        if unlisted:
            estate.fail(collection_error(unlisted, operation="List"))
        return estate

    return build


CASES: list[Case] = [
    Case("aws.ec2.vpc_sagemaker_endpoints", PASS, "both", one(VPC)),
    Case(
        "aws.ec2.vpc_sagemaker_endpoints",
        PASS,
        "bedrock-only",
        hosting((JOB, "in_subnet"), VpcEndpoints=DROP),
        says="hosts no SageMaker resource",
    ),
    Case(
        "aws.ec2.vpc_sagemaker_endpoints",
        FAIL,
        "bedrock-and-sagemaker",
        hosting((JOB, "in_subnet"), ("aws.sagemaker.training_job", "in_subnet"), VpcEndpoints=DROP),
    ),
    Case(
        "aws.ec2.vpc_sagemaker_endpoints",
        ERROR,
        "bedrock-only-as-far-as-seen",
        hosting((JOB, "in_subnet"), unlisted="aws.sagemaker.training_job", VpcEndpoints=DROP),
    ),
    Case(
        "aws.ec2.vpc_bedrock_endpoints",
        PASS,
        "all-three",
        hosting(**{"VpcEndpoints": endpoints(*BEDROCK_ENDPOINTS)["VpcEndpoints"]}),
    ),
    Case("aws.ec2.vpc_bedrock_endpoints", PASS, "bedrock-unused", one(VPC), says="shows no Bedrock use"),
    Case(
        "aws.ec2.vpc_bedrock_endpoints",
        FAIL,
        "bedrock-used-none",
        hosting(),
        says="bedrock or bedrock-runtime or bedrock-agent-runtime",
    ),
    Case(
        "aws.ec2.vpc_bedrock_endpoints",
        FAIL,
        "agent-runtime-missing",
        hosting(**{"VpcEndpoints": endpoints(*BEDROCK_ENDPOINTS[:-1])["VpcEndpoints"]}),
        says="no available interface endpoint for bedrock-agent-runtime,",
    ),
    Case(
        "aws.ec2.vpc_bedrock_endpoints",
        ERROR,
        "bedrock-unseen",
        lambda: Estate(make(VPC)).fail(collection_error(SETTINGS, operation="GetModelInvocationLoggingConfiguration")),
    ),
    Case(
        "aws.ec2.vpc_sagemaker_endpoints",
        FAIL,
        "none",
        one(VPC, {"VpcEndpoints": DROP}),
        says="sagemaker.api or sagemaker.runtime",
    ),
    Case(
        "aws.ec2.vpc_sagemaker_endpoints",
        FAIL,
        "runtime-missing",
        one(VPC, endpoints(("sagemaker.api", "Interface", "available"), ("s3", "Gateway", "available"))),
        says="sagemaker.runtime",
    ),
    Case(
        "aws.ec2.vpc_sagemaker_endpoints",
        FAIL,
        "runtime-pending",
        one(
            VPC,
            endpoints(
                ("sagemaker.api", "Interface", "available"), ("sagemaker.runtime", "Interface", "pendingAcceptance")
            ),
        ),
    ),
    Case(
        "aws.ec2.vpc_sagemaker_endpoints",
        PASS,
        "model-case-state",
        one(
            VPC, endpoints(("sagemaker.api", "Interface", "Available"), ("sagemaker.runtime", "Interface", "Available"))
        ),
    ),
    Case("aws.ec2.security_group_no_public_ingress", PASS, "internal", one(SG)),
    Case("aws.ec2.security_group_no_public_ingress", PASS, "no-rules", one(SG, {"IpPermissions": DROP})),
    Case(
        "aws.ec2.security_group_no_public_ingress",
        FAIL,
        "ssh-world",
        one(SG, {"IpPermissions": [OPEN_SSH]}),
        says="tcp 22 from 0.0.0.0/0",
    ),
    Case(
        "aws.ec2.security_group_no_public_ingress",
        FAIL,
        "ipv6-all",
        one(SG, {"IpPermissions": [OPEN_ALL_V6]}),
        says="all traffic from ::/0",
    ),
    Case(
        "aws.ec2.security_group_training_inference_separation",
        PASS,
        "training-only",
        sg_members("aws.sagemaker.training_job", "aws.sagemaker.processing_job"),
    ),
    Case("aws.ec2.security_group_training_inference_separation", PASS, "unused", sg_members()),
    Case(
        "aws.ec2.security_group_training_inference_separation",
        FAIL,
        "shared",
        sg_members("aws.sagemaker.training_job", "aws.sagemaker.model"),
        says="model member-1",
    ),
    Case(
        "aws.ec2.security_group_training_inference_separation",
        ERROR,
        "jobs-unlisted",
        sg_members("aws.sagemaker.model", unlisted="aws.sagemaker.training_job"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
