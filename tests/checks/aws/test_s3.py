"""S3 checks on the buckets AI workloads keep data and models in, table-driven."""

from __future__ import annotations

import pytest

from tests.checks.aws.test_bedrock import tagged
from tests.checks.conftest import DROP, FAIL, PASS, Case, Estate, assert_case, one, run

BUCKET = "aws.s3.bucket"
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

CASES: list[Case] = [
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
    # DP-1: a classification label on the data store
    Case(
        "aws.s3.bucket_classification_tag",
        PASS,
        "labelled",
        lambda: Estate(tagged(BUCKET, {"team": "ml", "DataClassification": "confidential"})),
        says="DataClassification=confidential",
    ),
    Case(
        "aws.s3.bucket_classification_tag",
        PASS,
        "snake-case-key",
        lambda: Estate(tagged(BUCKET, {"data_classification": "restricted"})),
    ),
    Case(
        "aws.s3.bucket_classification_tag",
        FAIL,
        "other-tags",
        lambda: Estate(tagged(BUCKET, {"team": "ml", "cost-center": "42"})),
        says="tag keys: cost-center, team",
    ),
    Case(
        "aws.s3.bucket_classification_tag",
        FAIL,
        "blank-label",
        lambda: Estate(tagged(BUCKET, {"DataClassification": " "})),
    ),
    Case("aws.s3.bucket_classification_tag", FAIL, "no-tags", one(BUCKET, {"Tags": DROP}), says="tag keys: none"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


def test_secure_transport_evidence_notes_tls_version() -> None:
    finding = run(next(c for c in CASES if c.label == "deny-http-and-old-tls"))
    assert finding.evidence == {
        "Policy.Statement.0.Condition.Bool.aws:SecureTransport": "false",
        "Policy.Statement.1.Condition.NumericLessThan.s3:TlsVersion": "1.2",
    }
