"""Organizations checks, table-driven: an attached SCP fencing AI services into allowed regions (CL-09), and
delegated administrators of GuardDuty and Security Hub (CL-10)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checks.conftest import ERROR, FAIL, PASS, Case, Estate, assert_case, collection_error, declare_type, make

ORGANIZATION = declare_type(
    "aws.organizations.organization",
    {
        "Id": "o-exampleorg",
        "Arn": "arn:aws:organizations::123456789012:organization/o-exampleorg",
        "FeatureSet": "ALL",
        "MasterAccountId": "123456789012",
        "GuardDutyDelegatedAdministrators": [{"Id": "222233334444", "Name": "security", "Status": "ACTIVE"}],
        "SecurityHubDelegatedAdministrators": [{"Id": "222233334444", "Name": "security", "Status": "ACTIVE"}],
    },
    uid="arn:aws:organizations::123456789012:organization/{name}",
    name="o-exampleorg",
    is_global=True,
)
REGION_FENCE = {
    "Effect": "Deny",
    "Action": ["sagemaker:*", "bedrock:*"],
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}},
}
POLICY = declare_type(
    "aws.organizations.policy",
    {
        "PolicySummary": {"Id": "p-abcd1234", "Name": "ai-regions", "Type": "SERVICE_CONTROL_POLICY"},
        "Content": {"Version": "2012-10-17", "Statement": [REGION_FENCE]},
        "Targets": [{"TargetId": "r-ab12", "Name": "Root", "Type": "ROOT"}],
    },
    uid="arn:aws:organizations::123456789012:policy/o-exampleorg/service_control_policy/{name}",
    name="ai-regions",
    is_global=True,
)
FULL_ACCESS: dict[str, Any] = {
    "Content.Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    "PolicySummary.Name": "FullAWSAccess",
}
SCP = "aws.organizations.scp_restricts_ai_regions"
DELEGATED = "aws.organizations.security_services_delegated"
EU = frozenset({"eu-west-1", "eu-central-1"})


def org(*policies: dict[str, Any], unlisted: bool = False) -> Any:
    def build() -> Estate:
        estate = Estate(make(ORGANIZATION))
        for index, changes in enumerate(policies):
            estate.add(make(POLICY, changes, name=f"scp-{index}"))
        if unlisted:
            estate.fail(collection_error(POLICY, operation="ListPolicies"))
        return estate

    return build


CASES: list[Case] = [
    # CL-09: an attached SCP keeps AI services in allowed regions
    Case(SCP, PASS, "region-fence", org({}), says="outside eu-central-1, eu-west-1"),
    Case(SCP, PASS, "region-fence-within-allowed", org({}), allowed_regions=EU),
    Case(
        SCP,
        PASS,
        "denied-outright",
        org({"Content.Statement": [{"Effect": "Deny", "Action": "bedrock:*", "Resource": "*"}]}),
        says="everywhere",
    ),
    Case(
        SCP,
        PASS,
        "not-action-region-deny",
        org(
            {
                "Content.Statement": [
                    {
                        "Effect": "Deny",
                        "NotAction": ["iam:*", "organizations:*", "sts:*"],
                        "Resource": "*",
                        "Condition": {"StringNotLike": {"aws:RequestedRegion": ["eu-*"]}},
                    }
                ]
            }
        ),
    ),
    Case(SCP, FAIL, "only-full-access", org(FULL_ACCESS), says="No service control policy"),
    Case(SCP, FAIL, "no-policies", org()),
    Case(SCP, FAIL, "fence-attached-nowhere", org({"Targets": []})),
    Case(
        SCP,
        FAIL,
        "fence-leaves-a-region-outside-allowed",
        org({}),
        allowed_regions=frozenset({"eu-west-1"}),
        says="leaves AI services eu-central-1",
    ),
    Case(
        SCP,
        FAIL,
        "not-action-exempts-ai",
        org({"Content.Statement": [{**REGION_FENCE, "Action": None, "NotAction": ["sagemaker:*"]}]}),
    ),
    Case(
        SCP,
        FAIL,
        "other-condition",
        org({"Content.Statement": [{**REGION_FENCE, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}),
    ),
    Case(SCP, ERROR, "policies-unlisted", org(unlisted=True)),
    # CL-10: GuardDuty and Security Hub have a delegated administrator
    Case(DELEGATED, PASS, "both", org(), says="222233334444"),
    Case(
        DELEGATED,
        FAIL,
        "no-security-hub-admin",
        lambda: Estate(make(ORGANIZATION, {"SecurityHubDelegatedAdministrators": []})),
        says="Security Hub has no delegated administrator",
    ),
    Case(
        DELEGATED,
        FAIL,
        "neither",
        lambda: Estate(
            make(ORGANIZATION, {"SecurityHubDelegatedAdministrators": [], "GuardDutyDelegatedAdministrators": []})
        ),
        says="GuardDuty and Security Hub have no",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
