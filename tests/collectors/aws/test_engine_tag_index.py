"""SageMaker tags from one Tagging API GetResources list per region instead of one ListTags per resource."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from collectors.aws import AwsSession, aws_collector
from cspm_ai.model import CollectionResult

REGIONS = ["us-east-1", "eu-west-1"]
ROLE = "arn:aws:iam::123456789012:role/sm-exec"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


@pytest.fixture()
def tagged_estate() -> Iterator[dict[str, dict[str, str]]]:
    """Per region: a tagged and an untagged notebook, a model (tags added after creation), and a user profile
    (one of the kinds moto_fixtures keeps itself); 120 tagged endpoint configs in us-east-1, so the list pages."""
    from moto_fixtures.extensions import install

    expected: dict[str, dict[str, str]] = {}
    with mock_aws():
        install()
        boto3.client("iam").create_role(RoleName="sm-exec", AssumeRolePolicyDocument=TRUST)
        for region in REGIONS:
            sm = boto3.client("sagemaker", region_name=region)
            tags = [{"Key": "team", "Value": f"ml-{region}"}, {"Key": "cost", "Value": "42"}]
            arn = sm.create_notebook_instance(
                NotebookInstanceName="tagged", InstanceType="ml.t3.medium", RoleArn=ROLE, Tags=tags
            )["NotebookInstanceArn"]
            expected[arn] = {"team": f"ml-{region}", "cost": "42"}
            arn = sm.create_notebook_instance(
                NotebookInstanceName="untagged", InstanceType="ml.t3.medium", RoleArn=ROLE
            )["NotebookInstanceArn"]
            expected[arn] = {}
            arn = sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})["ModelArn"]
            sm.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "later"}])
            expected[arn] = {"owner": "later"}
            domain = sm.create_domain(
                DomainName="d",
                AuthMode="IAM",
                DefaultUserSettings={"ExecutionRole": ROLE},
                SubnetIds=["subnet-0123456789abcdef0"],
                VpcId="vpc-0123456789abcdef0",
            )["DomainArn"]
            expected[domain] = {}
            profile = sm.create_user_profile(
                DomainId=domain.rsplit("/", 1)[1], UserProfileName="alice", Tags=[{"Key": "person", "Value": "alice"}]
            )["UserProfileArn"]
            expected[profile] = {"person": "alice"}
        sm = boto3.client("sagemaker", region_name="us-east-1")
        base = sm.create_model(ModelName="base", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
        expected[base["ModelArn"]] = {}
        for i in range(120):
            arn = sm.create_endpoint_config(
                EndpointConfigName=f"ec-{i:03d}",
                ProductionVariants=[{"VariantName": "v", "ModelName": "base", "InstanceType": "ml.m5.large"}],
                Tags=[{"Key": "n", "Value": str(i)}],
            )["EndpointConfigArn"]
            expected[arn] = {"n": str(i)}
        yield expected


def _collect(session: boto3.Session) -> CollectionResult:
    return aws_collector(session=AwsSession(boto_session=session), regions=REGIONS).collect()


def _calls(session: boto3.Session) -> list[tuple[str, str]]:
    made: list[tuple[str, str]] = []

    def record(model: Any, context: dict[str, Any], **_: Any) -> None:
        made.append((model.name, context["client_region"]))

    session.events.register("before-call.*.*", record)
    return made


def test_tags_come_from_one_paged_list_per_region(tagged_estate: dict[str, dict[str, str]]) -> None:
    session = boto3.Session()
    made = _calls(session)
    result = _collect(session)
    assert result.errors == []
    calls = Counter(made)
    stored = {r.uid: r.tags for r in result.resources if r.type.startswith("aws.sagemaker.")}
    assert stored == tagged_estate
    # The same as each resource's own ListTags says.
    for arn, tags in tagged_estate.items():
        sm = boto3.client("sagemaker", region_name=arn.split(":")[3])
        assert {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]} == tags
    assert not [c for c in calls if c[0] == "ListTags"]
    # us-east-1 holds over 100 tagged resources: two pages there, one in eu-west-1, each asked once.
    assert {c: n for c, n in calls.items() if c[0] == "GetResources"} == {
        ("GetResources", "us-east-1"): 2,
        ("GetResources", "eu-west-1"): 1,
    }


def test_a_failed_list_is_an_error_for_every_resource_it_would_have_tagged(
    tagged_estate: dict[str, dict[str, str]],
) -> None:
    def deny_in_eu(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context["client_region"] != "eu-west-1":
            return None
        body = {
            "Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform: tag:GetResources"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse("https://denied", 400, {}, None), body

    session = boto3.Session()
    session.events.register("before-call.resource-groups-tagging-api.GetResources", deny_in_eu)
    result = _collect(session)
    eu = {r.uid for r in result.resources if r.type.startswith("aws.sagemaker.") and r.region == "eu-west-1"}
    assert len(eu) == 5
    failed = {e.resource_uid: e for e in result.errors}
    # A model's tags come with it from Search, not from the list that failed.
    eu_models = {r.uid for r in result.resources if r.type == "aws.sagemaker.model" and r.region == "eu-west-1"}
    assert eu_models and set(failed) == eu - eu_models
    assert {r.uid: r.tags for r in result.resources if r.uid in eu_models} == {
        arn: tags for arn, tags in tagged_estate.items() if arn in eu_models
    }
    assert {(e.service, e.operation, e.code) for e in failed.values()} == {
        ("resourcegroupstaggingapi", "GetResources", "AccessDeniedException")
    }
    # us-east-1 is untouched: its tags are all there.
    us = {r.uid: r.tags for r in result.resources if r.type.startswith("aws.sagemaker.") and r.region == "us-east-1"}
    assert us == {arn: tags for arn, tags in tagged_estate.items() if ":us-east-1:" in arn}
