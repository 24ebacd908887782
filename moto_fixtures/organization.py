"""A simulated AWS organization in moto: member accounts, the member role in some, SageMaker in each.

Built from the management account (moto's default account) the way a user would: CreateOrganization,
CreateAccount, then, through the OrganizationAccountAccessRole AWS puts in each account it creates, the
member role (with the trust policy of the shipped StackSet template) and a notebook instance. A member left
without the role is one the scan cannot enter (moto_fixtures.extensions makes AssumeRole of a missing role
AccessDenied, as AWS does).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import boto3

from cspm_ai.config import DEFAULT_MEMBER_ROLE
from moto_fixtures.extensions import install

ACCESS_ROLE = "OrganizationAccountAccessRole"
REGION = "us-east-1"


@dataclass(frozen=True)
class MemberSpec:
    name: str
    role: bool = True  # whether the member role is deployed there
    notebooks: tuple[str, ...] = ("nb",)
    external_id: str | None = None


@dataclass
class OrganizationManifest:
    management: str
    members: dict[str, str] = field(default_factory=dict)  # name -> account id
    notebooks: dict[str, list[str]] = field(default_factory=dict)  # account id -> notebook names

    def id_of(self, name: str) -> str:
        return self.members[name]


def member_session(session: boto3.Session, account: str, role: str = ACCESS_ROLE) -> boto3.Session:
    """A session in `account` through `role`, as the management account."""
    answer = session.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="estate"
    )
    creds = answer["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def trust_policy(management: str, external_id: str | None) -> dict[str, object]:
    """The member role's trust policy, as the StackSet template writes it."""
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{management}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def region_fence(regions: tuple[str, ...]) -> dict[str, object]:
    """The SCP that keeps SageMaker and Bedrock in `regions`."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["sagemaker:*", "bedrock:*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(regions)}},
            }
        ],
    }


def build_organization(
    session: boto3.Session,
    members: tuple[MemberSpec, ...],
    *,
    ai_regions: tuple[str, ...] = (),
    delegated: tuple[tuple[str, str], ...] = (),
) -> OrganizationManifest:
    """The organization, inside an active `mock_aws()`; `session` is the management account's. With `ai_regions`,
    an SCP attached to the root keeps AI services there; `delegated` registers (service principal, member name)
    delegated administrators."""
    install()
    org = session.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    management = session.client("sts", region_name=REGION).get_caller_identity()["Account"]
    manifest = OrganizationManifest(management)
    for spec in members:
        created = org.create_account(AccountName=spec.name, Email=f"{spec.name}@example.com")
        account = created["CreateAccountStatus"]["AccountId"]
        manifest.members[spec.name] = account
        inside = member_session(session, account)
        iam = inside.client("iam")
        if spec.role:
            # Through IAM rather than a stack of the template: moto's CloudFormation stores role policies in a shape
            # its GetAccountAuthorizationDetails cannot serialise (test_permissions.py deploys the template itself).
            iam.create_role(
                RoleName=DEFAULT_MEMBER_ROLE,
                AssumeRolePolicyDocument=json.dumps(trust_policy(management, spec.external_id)),
            )
        execution = iam.create_role(
            RoleName="notebook-execution",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sagemaker.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        sagemaker = inside.client("sagemaker", region_name=REGION)
        for notebook in spec.notebooks:
            sagemaker.create_notebook_instance(
                NotebookInstanceName=f"{spec.name}-{notebook}",
                InstanceType="ml.t3.medium",
                RoleArn=execution,
                DirectInternetAccess="Enabled",
            )
        manifest.notebooks[account] = [f"{spec.name}-{n}" for n in spec.notebooks]
    if ai_regions:
        root = org.list_roots()["Roots"][0]["Id"]
        policy = org.create_policy(
            Content=json.dumps(region_fence(ai_regions)),
            Description="AI services only in the allowed regions",
            Name="ai-regions",
            Type="SERVICE_CONTROL_POLICY",
        )["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=policy, TargetId=root)
    for principal, name in delegated:
        org.register_delegated_administrator(AccountId=manifest.members[name], ServicePrincipal=principal)
    return manifest
