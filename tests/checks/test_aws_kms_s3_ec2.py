"""KMS, S3 and EC2 checks on the resources AI workloads depend on, table-driven."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.checks.conftest import (
    DROP,
    ERROR,
    FAIL,
    MANUAL,
    PASS,
    REGION,
    Case,
    Estate,
    assert_case,
    collection_error,
    make,
    one,
    run,
)

KEY = "aws.kms.key"
BUCKET = "aws.s3.bucket"
VPC = "aws.ec2.vpc"
SG = "aws.ec2.security_group"
PAB = "PublicAccessBlockConfiguration"
SSE = "ServerSideEncryptionConfiguration.Rules.0.ApplyServerSideEncryptionByDefault"
HTTP_ONLY_DENY = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["s3:*"],
        "Resource": "arn:aws:s3:::acme-ml-artifacts/*",
        "Condition": {"Bool": {"aws:SecureTransport": False}},
    },
}
PARTIAL_DENY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-ml-artifacts/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
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
    # KMS
    Case("aws.kms.key_customer_managed", PASS, "customer", one(KEY)),
    Case("aws.kms.key_customer_managed", FAIL, "aws-managed", one(KEY, {"KeyManager": "AWS"}), says="AWS"),
    Case("aws.kms.key_customer_managed", FAIL, "absent", one(KEY, {"KeyManager": DROP})),
    Case("aws.kms.key_rotation_enabled", PASS, "rotating", one(KEY), says="365 days"),
    Case("aws.kms.key_rotation_enabled", FAIL, "off", one(KEY, {"KeyRotationEnabled": False})),
    Case(
        "aws.kms.key_rotation_enabled", FAIL, "absent", one(KEY, {"KeyRotationEnabled": DROP}), says="absent means off"
    ),
    Case(
        "aws.kms.key_rotation_enabled",
        PASS,
        "aws-managed",
        one(KEY, {"KeyManager": "AWS", "KeyRotationEnabled": DROP}),
        says="AWS rotates it",
    ),
    Case(
        "aws.kms.key_rotation_enabled",
        PASS,
        "asymmetric",
        one(
            KEY,
            {
                "KeySpec": "RSA_2048",
                "CustomerMasterKeySpec": "RSA_2048",
                "KeyUsage": "SIGN_VERIFY",
                "KeyRotationEnabled": DROP,
            },
        ),
        says="RSA_2048",
    ),
    Case(
        "aws.kms.key_rotation_enabled",
        PASS,
        "hmac",
        one(KEY, {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC", "KeyRotationEnabled": DROP}),
    ),
    Case(
        "aws.kms.key_rotation_enabled",
        MANUAL,
        "imported-material",
        one(KEY, {"Origin": "EXTERNAL", "KeyRotationEnabled": DROP}),
        says="EXTERNAL",
    ),
    # S3
    Case("aws.s3.bucket_sse_kms", PASS, "sse-kms", one(BUCKET)),
    Case("aws.s3.bucket_sse_kms", PASS, "dsse", one(BUCKET, {f"{SSE}.SSEAlgorithm": "aws:kms:dsse"})),
    Case("aws.s3.bucket_sse_kms", PASS, "aws-s3-key", one(BUCKET, {f"{SSE}.KMSMasterKeyID": DROP}), says="aws/s3"),
    Case(
        "aws.s3.bucket_sse_kms",
        FAIL,
        "sse-s3",
        one(BUCKET, {f"{SSE}.SSEAlgorithm": "AES256", f"{SSE}.KMSMasterKeyID": DROP}),
        says="AES256",
    ),
    Case("aws.s3.bucket_sse_kms", FAIL, "absent", one(BUCKET, {"ServerSideEncryptionConfiguration": DROP})),
    Case("aws.s3.bucket_secure_transport", PASS, "deny-http-and-old-tls", one(BUCKET), says="old TLS"),
    Case(
        "aws.s3.bucket_secure_transport",
        PASS,
        "deny-http-boolean-single-statement",
        one(BUCKET, {"Policy": HTTP_ONLY_DENY}),
    ),
    Case("aws.s3.bucket_secure_transport", FAIL, "no-policy", one(BUCKET, {"Policy": DROP}), says="<absent>"),
    Case("aws.s3.bucket_secure_transport", FAIL, "partial-deny", one(BUCKET, {"Policy": PARTIAL_DENY})),
    Case("aws.s3.bucket_secure_transport", FAIL, "unparsed-policy", one(BUCKET, {"Policy": "{not json"})),
    Case("aws.s3.bucket_versioning", PASS, "enabled", one(BUCKET)),
    Case("aws.s3.bucket_versioning", FAIL, "suspended", one(BUCKET, {"Versioning.Status": "Suspended"})),
    Case("aws.s3.bucket_versioning", FAIL, "never", one(BUCKET, {"Versioning": {}}), says="never enabled"),
    Case("aws.s3.bucket_replication", PASS, "enabled-rule", one(BUCKET), says="acme-ml-artifacts-dr"),
    Case("aws.s3.bucket_replication", FAIL, "absent", one(BUCKET, {"ReplicationConfiguration": DROP})),
    Case(
        "aws.s3.bucket_replication",
        FAIL,
        "disabled-rule",
        one(BUCKET, {"ReplicationConfiguration.Rules.0.Status": "Disabled"}),
    ),
    Case("aws.s3.bucket_public_access_block", PASS, "all-four", one(BUCKET)),
    Case("aws.s3.bucket_public_access_block", FAIL, "absent", one(BUCKET, {PAB: DROP}), says="absent means false"),
    Case(
        "aws.s3.bucket_public_access_block",
        FAIL,
        "policy-unblocked",
        one(BUCKET, {f"{PAB}.BlockPublicPolicy": False, f"{PAB}.RestrictPublicBuckets": DROP}),
        says="BlockPublicPolicy, RestrictPublicBuckets",
    ),
    # EC2
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
def test_supporting_resource_check(case: Case) -> None:
    assert_case(case)


def test_secure_transport_evidence_notes_tls_version() -> None:
    finding = run(next(c for c in CASES if c.label == "deny-http-and-old-tls"))
    assert finding.evidence == {
        "Policy.Statement.0.Condition.Bool.aws:SecureTransport": "false",
        "Policy.Statement.1.Condition.NumericLessThan.s3:TlsVersion": "1.2",
    }
