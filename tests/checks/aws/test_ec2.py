"""EC2 checks on the networks AI workloads run in, table-driven: endpoints, ingress, separation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.checks.conftest import (
    DROP,
    ERROR,
    FAIL,
    PASS,
    REGION,
    Case,
    Estate,
    assert_case,
    collection_error,
    make,
    one,
)

VPC = "aws.ec2.vpc"
SG = "aws.ec2.security_group"
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


CASES: list[Case] = [
    Case("aws.ec2.vpc_sagemaker_endpoints", PASS, "both", one(VPC)),
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
