"""The IAM actions the AWS collector needs, derived from its declarations.

The shipped policy (cspm_ai/permissions/aws-readonly-policy.json) must equal
`policy_document()`; a test also records every API call a scan makes and
proves each one is allowed, so a new call without a permission fails CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import botocore.session

from collectors.aws.specs import LIST_SPECS, ORGANIZATION, REFERENCED, ListSpec, Read, ReferencedSpec
from cspm_ai.config import DEFAULT_MEMBER_ROLE

# Where the IAM action is not named after the API operation.
_ACTION_FOR = {
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("budgets", "DescribeBudgets"): "budgets:ViewBudget",
    ("budgets", "DescribeNotificationsForBudget"): "budgets:ViewBudget",
}
# The IAM prefix where it differs from the boto3 client name.
_PREFIX = {
    "ce": "ce",
    "bedrock-agent": "bedrock",
    "bedrock-agentcore-control": "bedrock-agentcore",
    "resourcegroupstaggingapi": "tag",
}

# Calls made outside the declarations: identity and the enabled-region lookup.
_FIXED = (("sts", "get_caller_identity"), ("ec2", "describe_regions"))


@cache
def _operations(service: str) -> dict[str, str]:
    """boto3 method name -> API operation name; each service model is loaded once (loading is slow)."""
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(name): name for name in model.operation_names}


def _api_name(service: str, method: str) -> str:
    try:
        return _operations(service)[method]
    except KeyError:
        raise KeyError(f"{service} has no operation {method}") from None


def iam_action(service: str, method: str) -> str:
    """The IAM action that authorises boto3 `client(service).method(...)`."""
    api = _api_name(service, method)
    return _ACTION_FOR.get((service, api), f"{_PREFIX.get(service, service)}:{api}")


def collector_calls() -> Iterator[tuple[str, str]]:
    """Every (service, boto3 method) the collector's declarations can call in one account."""
    yield from _FIXED
    yield from region_worker_calls()
    yield from referenced_calls()


def region_worker_calls() -> Iterator[tuple[str, str]]:
    """What a region's worker process calls: its declared kinds, their reads and tags (phase one)."""
    yield from _spec_calls(list(LIST_SPECS))


def referenced_calls() -> Iterator[tuple[str, str]]:
    """What the scanning process calls after its region workers: the kinds they reference."""
    yield from _spec_calls(list(REFERENCED.values()))


def organization_calls() -> Iterator[tuple[str, str]]:
    """What an organization scan calls besides each account's collection: the account list and the organization's
    own kinds (AssumeRole, scoped to the member role, is a statement of its own)."""
    yield "organizations", "list_accounts"
    yield from _spec_calls(list(ORGANIZATION))


def _spec_calls(specs: list[ListSpec | ReferencedSpec]) -> Iterator[tuple[str, str]]:
    for spec in specs:
        if isinstance(spec, ListSpec):
            yield spec.service, spec.list_op
        if spec.describe_op:
            yield spec.service, spec.describe_op
        for read in (*spec.reads, *_tag_reads(spec)):
            yield from _read_calls(spec.service, read)


def _tag_reads(spec: ListSpec | ReferencedSpec) -> Iterator[Read]:
    """The call a kind's tags come from: one per resource, or one list for the region."""
    if spec.tags is not None and spec.tags.read is not None:
        yield spec.tags.read
    if spec.tags is not None and spec.tags.index is not None:
        yield spec.tags.index.read


def _read_calls(service: str, read: Read) -> Iterator[tuple[str, str]]:
    """A read's call and, for a child list, the call that reads each child."""
    service = read.service or service
    yield service, read.operation
    if read.each is not None:
        yield from _read_calls(service, read.each)


def required_actions() -> list[str]:
    return sorted({iam_action(service, method) for service, method in collector_calls()})


def policy_document() -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CspmAiReadOnly",
                "Effect": "Allow",
                "Action": required_actions(),
                "Resource": "*",
            }
        ],
    }


def management_policy_document(role: str = DEFAULT_MEMBER_ROLE) -> dict[str, object]:
    """What the management account (or delegated administrator) needs beyond the read-only policy, which it also
    needs to scan itself: list the organization and read its kinds, and assume the member role in each account."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CspmAiOrganizationRead",
                "Effect": "Allow",
                "Action": sorted({iam_action(service, method) for service, method in organization_calls()}),
                "Resource": "*",
            },
            {
                "Sid": "CspmAiAssumeMemberRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:*:iam::*:role/{role}",
            },
        ],
    }


def member_role_template(role: str = DEFAULT_MEMBER_ROLE) -> dict[str, object]:
    """The CloudFormation template (for a StackSet over the organization) of the member role: the read-only policy,
    trusting the management account, with an optional ExternalId condition."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cspm-ai member role: read-only access for `cspm-ai scan aws --organization`, assumed from "
        "the management account (or a delegated administrator). Generated by `make docs`; do not edit.",
        "Parameters": {
            "ManagementAccountId": {
                "Type": "String",
                "AllowedPattern": "^[0-9]{12}$",
                "Description": "The account cspm-ai scans from: the management account or a delegated administrator.",
            },
            "ExternalId": {
                "Type": "String",
                "Default": "",
                "NoEcho": True,
                "Description": "Required of the scanner as --external-id when set; empty = no ExternalId condition.",
            },
            "RoleName": {
                "Type": "String",
                "Default": role,
                "Description": "The member role's name (cspm-ai's --member-role).",
            },
        },
        "Conditions": {"HasExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]}},
        "Resources": {
            "MemberRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "Description": "cspm-ai: read-only posture audit of AI workloads",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {
                                    "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"}
                                },
                                "Action": "sts:AssumeRole",
                                "Condition": {
                                    "Fn::If": [
                                        "HasExternalId",
                                        {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                                        {"Ref": "AWS::NoValue"},
                                    ]
                                },
                            }
                        ],
                    },
                    "Policies": [{"PolicyName": "cspm-ai-readonly", "PolicyDocument": policy_document()}],
                },
            }
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["MemberRole", "Arn"]}}},
    }
