"""The IAM policy shipped for the AWS collector is what its declarations derive, and it only reads."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest

from collectors.aws.permissions import collector_calls, iam_action, policy_document


def shipped_policy() -> dict[str, object]:
    return json.loads(files("cspm_ai").joinpath("permissions/aws-readonly-policy.json").read_text())


def test_shipped_aws_policy_is_what_the_collector_declares() -> None:
    assert shipped_policy() == policy_document()


def test_shipped_aws_policy_only_reads() -> None:
    actions = policy_document()["Statement"][0]["Action"]  # type: ignore[index]
    verbs = {a.split(":", 1)[1] for a in actions}
    assert all(re.match(r"^(Describe|Get|List|View|Search)", v) for v in verbs), verbs


def test_an_action_is_named_after_its_api_operation_unless_iam_names_it_otherwise() -> None:
    assert iam_action("sagemaker", "list_notebook_instances") == "sagemaker:ListNotebookInstances"
    assert iam_action("s3", "get_bucket_encryption") == "s3:GetEncryptionConfiguration"
    assert iam_action("budgets", "describe_budgets") == "budgets:ViewBudget"
    # Identity and the enabled-region lookup are made outside the declarations, and still need their actions.
    assert {("sts", "get_caller_identity"), ("ec2", "describe_regions")} <= set(collector_calls())


# --------------------------------------------------------------------------- an organization scan


def shipped_text(name: str) -> str:
    return files("cspm_ai").joinpath(f"permissions/{name}").read_text()


def test_the_management_policy_is_derived_reads_only_and_assumes_only_the_member_role() -> None:
    from collectors.aws.permissions import management_policy_document, organization_calls

    document = management_policy_document()
    assert json.loads(shipped_text("aws-organization-policy.json")) == document
    read, assume = document["Statement"]  # type: ignore[misc]
    assert {iam_action(s, m) for s, m in organization_calls()} == set(read["Action"])
    assert "organizations:ListAccounts" in read["Action"] and "organizations:DescribePolicy" in read["Action"]
    assert all(re.match(r"^organizations:(Describe|List)", a) for a in read["Action"])
    assert (assume["Action"], assume["Resource"]) == ("sts:AssumeRole", "arn:*:iam::*:role/CspmAiAuditRole")


# What a CloudFormation template may hold at its top level, and the pseudo parameters Ref may name.
TEMPLATE_SECTIONS = {
    "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions",
    "Transform", "Resources", "Outputs",
}  # fmt: skip
PSEUDO = {"AWS::NoValue", "AWS::Partition", "AWS::AccountId", "AWS::Region", "AWS::StackName"}


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {str(node["Ref"])} if "Ref" in node else set()
        if "Fn::Sub" in node:
            found |= set(re.findall(r"\$\{([^}!]+)\}", str(node["Fn::Sub"])))
        return found | {r for value in node.values() for r in _refs(value)}
    if isinstance(node, list):
        return {r for value in node for r in _refs(value)}
    return set()


def test_the_member_role_stackset_template_is_cloudformation_with_the_read_only_policy() -> None:
    import yaml

    from collectors.aws.permissions import member_role_template

    template = yaml.safe_load(shipped_text("aws-member-role.stackset.yaml"))
    assert template == member_role_template()
    assert set(template) <= TEMPLATE_SECTIONS and template["AWSTemplateFormatVersion"] == "2010-09-09"
    [(name, role)] = template["Resources"].items()
    assert role["Type"] == "AWS::IAM::Role"
    # Every Ref and ${} names a parameter, a resource or a pseudo parameter; every condition used is declared.
    assert _refs(template) <= set(template["Parameters"]) | set(template["Resources"]) | PSEUDO
    assert template["Parameters"]["RoleName"]["Default"] == "CspmAiAuditRole"
    [policy] = role["Properties"]["Policies"]
    assert policy["PolicyDocument"] == policy_document() == shipped_policy()
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"]["AWS"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"}
    when, with_id, without = trust["Condition"]["Fn::If"]
    assert when in template["Conditions"] and without == {"Ref": "AWS::NoValue"}
    assert with_id == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert template["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": [name, "Arn"]}


def test_the_template_deploys_and_its_role_opens_only_to_the_management_account_with_the_external_id() -> None:
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from moto_fixtures.organization import MemberSpec, build_organization, member_session

    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        org = build_organization(session, (MemberSpec("member", role=False, notebooks=()),))
        member = member_session(session, org.id_of("member"))
        member.client("cloudformation").create_stack(
            StackName="cspm-ai-member-role",
            TemplateBody=shipped_text("aws-member-role.stackset.yaml"),
            Parameters=[
                {"ParameterKey": "ManagementAccountId", "ParameterValue": org.management},
                {"ParameterKey": "ExternalId", "ParameterValue": "s3cret-id"},
            ],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        iam = member.client("iam")
        role = iam.get_role(RoleName="CspmAiAuditRole")["Role"]
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"AWS": f"arn:aws:iam::{org.management}:root"}
        assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "s3cret-id"}}
        assert iam.list_role_policies(RoleName="CspmAiAuditRole")["PolicyNames"] == ["cspm-ai-readonly"]
        sts = session.client("sts")
        with pytest.raises(ClientError, match="AccessDenied"):
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="cspm-ai")
        assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="cspm-ai", ExternalId="s3cret-id")["Credentials"]
