"""The AWS engine where Bedrock is not used or not offered (moto with the extensions): regions that do not offer
a service are not called, and an account that does not use Bedrock is scanned without an error and without a
Bedrock FAIL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws

from collectors.aws.specs import AGENTCORE_REGIONS, BEDROCK_AGENTS_REGIONS, bedrock_regions
from cspm_ai.engine import EvaluationSettings, Snapshot, evaluate
from cspm_ai.model import Status
from cspm_ai.registry import all_checks
from tests.collectors.aws.test_engine_bedrock import REGION, _collect, trust


def test_regions_that_do_not_offer_a_service_are_not_called() -> None:
    # eu-central-2 offers Bedrock and its agents, not AgentCore; af-south-1 offers Bedrock only.
    assert "eu-central-2" in BEDROCK_AGENTS_REGIONS and "eu-central-2" not in AGENTCORE_REGIONS
    assert "af-south-1" in bedrock_regions() and "af-south-1" not in BEDROCK_AGENTS_REGIONS
    calls: list[tuple[str, str]] = []

    def record(model: Any, context: dict[str, Any], **_: Any) -> None:
        calls.append((model.service_model.service_name, context["client_region"]))

    with mock_aws():
        session = boto3.Session()
        session.events.register("before-call.*.*", record)
        result = _collect(session, regions=("eu-central-2", "af-south-1"))
    assert result.errors == []
    called = set(calls)
    assert ("bedrock-agentcore-control", "eu-central-2") not in called
    assert ("bedrock-agent", "eu-central-2") in called and ("bedrock", "af-south-1") in called
    assert ("bedrock-agent", "af-south-1") not in called
    assert {r.region for r in result.resources if r.type == "aws.bedrock.settings"} == {"eu-central-2", "af-south-1"}


BEDROCK_CHECKS = ("aws.bedrock.", "aws.agentcore.")
BEDROCK_SUPPORT_CHECKS = (
    "aws.ec2.vpc_bedrock_endpoints",
    "aws.cloudtrail.bedrock_data_events",
    "aws.iam.user_no_bedrock_api_keys",
    "aws.iam.role_not_shared_across_agents",
)


def test_an_account_that_does_not_use_bedrock_gets_no_error_and_no_bedrock_fail() -> None:
    """SageMaker in a VPC, an IAM user with an access key, a trail: nothing of Bedrock, no model called."""
    from moto_fixtures.extensions import install

    with mock_aws():
        install()
        role = boto3.client("iam").create_role(RoleName="sm", AssumeRolePolicyDocument=trust("sagemaker.amazonaws.com"))
        ec2 = boto3.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        boto3.client("sagemaker").create_notebook_instance(
            NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=role["Role"]["Arn"], SubnetId=subnet
        )
        boto3.client("iam").create_user(UserName="analyst")
        boto3.client("iam").create_access_key(UserName="analyst")
        result = _collect(regions=(REGION, "eu-west-1"))
    assert result.errors == []
    assert not [r for r in result.resources if r.type.startswith(BEDROCK_CHECKS) and r.type != "aws.bedrock.settings"]
    snapshot = Snapshot(result.resources, result.relations, result.errors)
    checks = [c for c in all_checks("aws") if c.id.startswith(BEDROCK_CHECKS) or c.id in BEDROCK_SUPPORT_CHECKS]
    findings = evaluate(snapshot, checks, EvaluationSettings(scan_started_at=datetime.now(UTC)))
    judged = {(f.check_id, f.resource_name): f.status for f in findings}
    assert not [k for k, status in judged.items() if status in (Status.FAIL, Status.ERROR)], judged
    # The region-wide settings are judged in each scanned region, and pass because nothing uses Bedrock there.
    assert judged[("aws.bedrock.model_invocation_logging", REGION)] == Status.PASS
    assert judged[("aws.bedrock.enforced_guardrail", "eu-west-1")] == Status.PASS
    assert judged[("aws.ec2.vpc_bedrock_endpoints", vpc)] == Status.PASS
    assert judged[("aws.iam.user_no_bedrock_api_keys", "analyst")] == Status.PASS
