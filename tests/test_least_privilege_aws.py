"""A scan run as an IAM user holding only the shipped read-only policy succeeds under moto's IAM
enforcement, and a policy missing one action makes exactly that call an ERROR, never a PASS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin

from collectors.aws import aws_collector
from collectors.aws.session import AwsSession
from cspm_ai.inventory import Inventory
from cspm_ai.model import Finding, Status
from cspm_ai.scan import run_scan
from moto_fixtures.estate import build_aws_estate
from moto_fixtures.extensions import install

REGIONS = ("us-east-1",)

# moto authorises some calls under another action than the one AWS checks: it takes S3's encryption,
# replication and public-access-block reads for s3:ListBucket (its ACTION_MAP lacks them), budget
# reads under the operation's name instead of budgets:ViewBudget, and the Tagging API's GetResources
# under its endpoint prefix (tagging) instead of its IAM prefix (tag). The shipped policy holds the real
# names; for moto's enforcement each real name is also granted under moto's name, and only then.
MOTO_ACTION_NAMES = (
    ("s3:GetEncryptionConfiguration", "s3:ListBucket"),
    ("s3:GetReplicationConfiguration", "s3:ListBucket"),
    ("s3:GetBucketPublicAccessBlock", "s3:ListBucket"),
    ("budgets:ViewBudget", "budgets:DescribeBudgets"),
    ("budgets:ViewBudget", "budgets:DescribeNotificationsForBudget"),
    ("tag:GetResources", "tagging:GetResources"),
)
# moto cannot check SigV4 signatures of these REST-JSON services under enforcement (it answers
# SignatureDoesNotMatch whatever the policy: always for GuardDuty, Security Hub and Macie, for most calls of Bedrock,
# Agents for Bedrock and AgentCore); tests/test_e2e_aws.py proves their calls are in the policy.
# Their reads fail, so the checks of these services (and findings on their resources) are not judged here.
MOTO_UNVERIFIABLE = frozenset(
    {"guardduty", "securityhub", "bedrock", "bedrock-agent", "bedrock-agentcore-control", "macie2"}
)
# The same services as check ids and resource types name them (`aws.<namespace>.<rest>`).
UNVERIFIABLE_NAMESPACES = frozenset({"guardduty", "securityhub", "bedrock", "agentcore", "macie"})
# Checks of other services that judge what those services hold: whether a region uses Bedrock, which agents
# share a role. Unable to see it, they are ERROR here, as they should be.
READS_UNVERIFIABLE = frozenset(
    {
        "aws.ec2.vpc_bedrock_endpoints",
        "aws.cloudtrail.bedrock_data_events",
        "aws.iam.role_not_shared_across_agents",
        "aws.iam.ai_identity_blast_radius",
        "aws.config.rules_cover_ai_services",
    }
)


def service_of(name: str) -> str:
    """The service a check id or resource type belongs to: `aws.<service>.<rest>`."""
    return name.split(".")[1]


def unverifiable(finding: Finding) -> bool:
    """A finding on a resource of those services, or by a check of theirs or one that reads what they hold."""
    return (
        service_of(finding.check_id) in UNVERIFIABLE_NAMESPACES
        or service_of(finding.resource_type) in UNVERIFIABLE_NAMESPACES
        or finding.check_id in READS_UNVERIFIABLE
    )


def shipped_policy() -> dict:
    return json.loads(files("cspm_ai").joinpath("permissions/aws-readonly-policy.json").read_text())


@pytest.fixture()
def enforced(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with mock_aws():
        install()
        build_aws_estate(regions=REGIONS, hostile=False)
        yield
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)


def as_moto_enforces(policy: dict) -> dict:
    actions = policy["Statement"][0]["Action"]
    extra = sorted({moto for real, moto in MOTO_ACTION_NAMES if real in actions})
    return {**policy, "Statement": [{**policy["Statement"][0], "Action": actions + extra}]}


def _scan_as(policy: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    policy = as_moto_enforces(policy)
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="cspm-auditor")
    iam.put_user_policy(UserName="cspm-auditor", PolicyName="cspm-ai-readonly", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="cspm-auditor")["AccessKey"]
    # From here on moto checks every request against the caller's IAM policies.
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    session = boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1"
    )
    inventory = Inventory.open(f"sqlite:///{tmp_path / 'inv.db'}")
    try:
        scan = run_scan(inventory, [aws_collector(session=AwsSession(boto_session=session), regions=REGIONS)])
        return scan, inventory.findings(scan.id), inventory.errors(scan.id)
    finally:
        inventory.close()


def test_a_scan_under_the_shipped_policy_succeeds(
    enforced: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan, findings, errors = _scan_as(shipped_policy(), tmp_path, monkeypatch)
    assert {e.service for e in errors} <= MOTO_UNVERIFIABLE
    assert all(e.code in ("403", "SignatureDoesNotMatch") for e in errors)
    verifiable = [f for f in findings if not unverifiable(f)]
    assert len(verifiable) > 50 and not [f for f in verifiable if f.status is Status.ERROR]


def test_the_moto_name_table_grants_nothing_the_shipped_policy_does_not() -> None:
    assert {real for real, _ in MOTO_ACTION_NAMES} <= set(shipped_policy()["Statement"][0]["Action"])


def test_enforcement_is_real_a_missing_action_is_an_error_naming_it(
    enforced: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = shipped_policy()
    statement = policy["Statement"][0]
    statement["Action"] = [a for a in statement["Action"] if a != "sagemaker:ListNotebookInstances"]
    scan, findings, errors = _scan_as(policy, tmp_path, monkeypatch)
    assert scan.status == "incomplete"
    denied = {(e.service, e.operation) for e in errors if e.service not in MOTO_UNVERIFIABLE}
    assert denied == {("sagemaker", "ListNotebookInstances")}
    notebook_checks = [f for f in findings if f.resource_type == "aws.sagemaker.notebook_instance"]
    assert notebook_checks and all(f.status is Status.ERROR for f in notebook_checks)
    others = [f for f in findings if f.resource_type != "aws.sagemaker.notebook_instance" and not unverifiable(f)]
    assert others and all(f.status is not Status.ERROR for f in others)
    # A region-wide check that asks which AI services a region uses cannot tell without the notebooks either.
    [rules] = [f for f in findings if f.check_id == "aws.config.rules_cover_ai_services"]
    assert rules.status is Status.ERROR and "sagemaker:ListNotebookInstances" in rules.message
