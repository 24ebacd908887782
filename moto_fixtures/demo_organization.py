"""The demo's AWS organization in moto: a management account and two member accounts, one well configured, one not.

Built from the management account (moto's default account) the way a user would: CreateOrganization, an
organizational unit per member, CreateAccount, then, through the OrganizationAccountAccessRole AWS puts in each
account it creates, the member role `scan aws --organization` assumes and the account's estate.

- The management account runs no AI workloads; its trail, budget, GuardDuty, Security Hub and AWS Config are
  complete, and it holds the organization's cost anomaly monitors: one alerts the FinOps team, the one the ML
  team made alerts no one (its one FAIL, besides the organization's own).
- ml-production holds the good half of the AI estate (`build_aws_estate(bad=False)`) in the first region only,
  under complete account controls in every region: every finding there PASS.
- ml-sandbox holds the mixed estate (the bad resources beside the good ones they share roles, network and data
  with) in every region, under lax account controls: a trail of one region, nothing alerting on spend, GuardDuty,
  Security Hub and AWS Config in the first region alone.
- The organization keeps AI services in the first region with a service control policy on the production unit
  (CL-09 PASS), and delegates GuardDuty's administration to ml-production but Security Hub's to no one (CL-10 FAIL).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import boto3

from cspm_ai.config import DEFAULT_MEMBER_ROLE
from moto_fixtures.estate import EstateManifest, build_account_controls, build_aws_estate
from moto_fixtures.extensions import install
from moto_fixtures.organization import REGION, member_session, region_fence, trust_policy

PRODUCTION = "ml-production"
SANDBOX = "ml-sandbox"
SCP_NAME = "ai-allowed-regions"
# What the organization's own checks conclude (one organization, so one verdict each).
ORGANIZATION_EXPECTED = {
    "aws.organizations.scp_restricts_ai_regions": "PASS",
    "aws.organizations.security_services_delegated": "FAIL",
}


@dataclass(frozen=True)
class DemoOrganization:
    """What build_demo_organization made: each account's manifest, and a session into the sandbox for the drift."""

    organization_id: str
    management: EstateManifest
    production: EstateManifest
    sandbox: EstateManifest
    sandbox_session: boto3.Session

    @property
    def accounts(self) -> dict[str, str]:
        """Account name -> id ("management" for the management account)."""
        return {
            "management": self.management.account_id,
            PRODUCTION: self.production.account_id,
            SANDBOX: self.sandbox.account_id,
        }


def build_demo_organization(regions: Sequence[str], session: boto3.Session | None = None) -> DemoOrganization:
    """The organization, inside an active `mock_aws()`; `session` is the management account's. AI runs in the
    first of `regions` in production and in all of them in the sandbox; every account is judged in all of them."""
    install()
    session = session or boto3.Session()
    regions = tuple(regions)
    org = session.client("organizations", region_name=REGION)
    organization_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    management = build_account_controls(session, regions, controls="complete", silent_monitor=True)
    units: dict[str, str] = {}
    members: dict[str, boto3.Session] = {}
    for name in (PRODUCTION, SANDBOX):
        units[name] = org.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
        account = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=units[name])
        members[name] = member_session(session, account)
        # Through IAM rather than a stack of the StackSet template (see moto_fixtures/organization.py).
        members[name].client("iam").create_role(
            RoleName=DEFAULT_MEMBER_ROLE,
            AssumeRolePolicyDocument=json.dumps(trust_policy(management.account_id, None)),
        )
    production = build_aws_estate(
        members[PRODUCTION], regions=regions[:1], bad=False, controls="complete", account_regions=regions
    )
    sandbox = build_aws_estate(members[SANDBOX], regions=regions, controls="lax")
    policy = org.create_policy(
        Content=json.dumps(region_fence(regions[:1])),
        Description="AI services only in the allowed regions",
        Name=SCP_NAME,
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy, TargetId=units[PRODUCTION])
    org.register_delegated_administrator(AccountId=production.account_id, ServicePrincipal="guardduty.amazonaws.com")
    return DemoOrganization(organization_id, management, production, sandbox, members[SANDBOX])
