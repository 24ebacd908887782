"""IAM checks, table-driven: execution role privilege, trust and separation; users' long-lived keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest

from tests.checks.aws.test_agentcore import RUNTIME as AGENTCORE_RUNTIME
from tests.checks.aws.test_bedrock import AGENT as BEDROCK_AGENT
from tests.checks.aws.test_bedrock import FUNCTION as LAMBDA_FUNCTION
from tests.checks.conftest import (
    ACCOUNT,
    DROP,
    ERROR,
    FAIL,
    MANUAL,
    PASS,
    ROLE_ARN,
    Case,
    Estate,
    assert_case,
    collection_error,
    make,
    run,
)

ROLE = "aws.iam.role"
USER = "aws.iam.user"
GROUP = "aws.iam.group"
POLICY = "aws.iam.policy"
SAGEMAKER_FULL = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def inline(*statements: dict[str, Any], key: str = "RolePolicyList", name: str = "extra") -> dict[str, Any]:
    return {key: [{"PolicyName": name, "PolicyDocument": doc(*statements)}]}


def managed_policy(arn: str, document: Any) -> Any:
    name = arn.rsplit("/", 1)[-1]
    return make(POLICY, {"PolicyName": name, "Arn": arn, "Document": document}, name=name, uid=arn)


def role(
    changes: dict[str, Any] | None = None,
    *,
    attached: list[Any] | None = None,
    missing_attached: list[str] = (),
    failed_attached: bool = False,
    used_by: tuple[str, ...] = (),
    unlisted: str | None = None,
) -> Callable[[], Estate]:
    """A role with attached managed policies (collected or not), used by the given SageMaker types."""

    def build() -> Estate:
        policies = list(attached or [])
        arns = [p.uid for p in policies] + list(missing_attached)
        config = {
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in arns],
            **(changes or {}),
        }
        target = make(ROLE, config)
        estate = Estate(target).add(*policies)
        for arn in arns:
            estate.link(target, "attached_policy", arn)
        if failed_attached:
            estate.fail(collection_error(POLICY, uid=policies[0].uid, operation="GetPolicyVersion"))
        for i, rtype in enumerate(used_by):
            user = make(rtype, name=f"user-{i}")
            estate.add(user).link(user, "uses_role", target)
        if unlisted:
            estate.fail(collection_error(unlisted, operation="List"))
        return estate

    return build


def user(
    changes: dict[str, Any] | None = None,
    *,
    attached: list[Any] | None = None,
    groups: list[tuple[dict[str, Any], list[Any]]] | None = None,
    group_names: list[str] = (),
    failed_group: bool = False,
) -> Callable[[], Estate]:
    """A user with attached policies and groups (each: its changes and attached managed policies)."""

    def build() -> Estate:
        attached_policies = list(attached or [])
        group_resources = [(make(GROUP, g, name=f"group-{i}"), pols) for i, (g, pols) in enumerate(groups or [])]
        names = [g.name for g, _ in group_resources] + list(group_names)
        config = {
            "AttachedManagedPolicies": [{"PolicyName": p.name, "PolicyArn": p.uid} for p in attached_policies],
            "GroupList": names,
            **(changes or {}),
        }
        target = make(USER, config)
        estate = Estate(target).add(*attached_policies)
        for p in attached_policies:
            estate.link(target, "attached_policy", p)
        for group, pols in group_resources:
            estate.add(group, *pols).link(target, "member_of", group)
            for p in pols:
                estate.link(group, "attached_policy", p)
        if failed_group:
            estate.fail(collection_error(GROUP, uid=group_resources[0][0].uid, operation="GetGroup"))
        return estate

    return build


TRAINING = ("aws.sagemaker.training_job",)
BOTH = ("aws.sagemaker.training_job", "aws.sagemaker.model")
SM_FULL_DOC = doc(allow(["sagemaker:*", "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"]))
ENCODED = quote(
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
    '"Resource":"arn:aws:s3:::acme-ml-artifacts/*"}]}'
)
TRUST = "AssumeRolePolicyDocument"


def trust(principal: Any, **extra: Any) -> dict[str, Any]:
    return {TRUST: doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})}


CREDENTIALS = "ServiceSpecificCredentials"
UPL = "UserPolicyList"
OTHER_ACCOUNT = "arn:aws:iam::444455556666:root"
SAML = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp-idp"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
DEPLOY = ["sagemaker:CreateEndpoint", "sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint"]
# AWS's documented "force MFA" statement: deny everything but managing one's own MFA device to a request without MFA.
FORCE_MFA = {
    "Sid": "DenyAllExceptListedIfNoMFA",
    "Effect": "Deny",
    "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices"],
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
}


def beside_bucket(build: Callable[[], Estate]) -> Callable[[], Estate]:
    """The principal's estate with the AI data bucket acme-ml-artifacts collected beside it."""
    return lambda: build().add(make("aws.s3.bucket"))


def api_key(**changes: Any) -> dict[str, Any]:
    """A long-term Bedrock API key as ListServiceSpecificCredentials lists it (no secret; no ExpirationDate:
    it never expires)."""
    return {
        "UserName": "ci-bot",
        "Status": "Active",
        "ServiceCredentialAlias": f"BedrockAPIKey-7k2m-at-{ACCOUNT}",
        "CreateDate": "2025-03-01T10:00:00Z",
        "ServiceSpecificCredentialId": "ACCAEXAMPLEBEDROCK0001",
        "ServiceName": "bedrock.amazonaws.com",
        **changes,
    }


SM_INVOKE = inline(
    allow("sagemaker:InvokeEndpoint", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/*"), key="UserPolicyList"
)

CASES: list[Case] = [
    # CL-02: no admin or whole-service grants
    Case("aws.iam.execution_role_not_admin", PASS, "scoped", role()),
    Case(
        "aws.iam.execution_role_not_admin",
        FAIL,
        "administrator-access",
        role(missing_attached=[ADMIN]),
        says="AdministratorAccess",
    ),
    Case("aws.iam.execution_role_not_admin", FAIL, "star-star", role(inline(allow("*"))), says="allows *"),
    Case("aws.iam.execution_role_not_admin", FAIL, "service-star", role(inline(allow(["s3:GetObject", "s3:*"])))),
    Case(
        "aws.iam.execution_role_not_admin",
        FAIL,
        "managed-sagemaker-full",
        role(attached=[managed_policy(SAGEMAKER_FULL, SM_FULL_DOC)]),
        says="AmazonSageMakerFullAccess",
    ),
    Case(
        "aws.iam.execution_role_not_admin",
        FAIL,
        "not-action",
        role(inline({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})),
        says="every action except",
    ),
    Case(
        "aws.iam.execution_role_not_admin",
        PASS,
        "service-star-scoped",
        role(inline(allow("s3:*", ["arn:aws:s3:::acme-ml-artifacts", "arn:aws:s3:::acme-ml-artifacts/*"]))),
    ),
    Case(
        "aws.iam.execution_role_not_admin",
        PASS,
        "url-encoded-inline",
        role({"RolePolicyList": [{"PolicyName": "enc", "PolicyDocument": ENCODED}]}),
    ),
    Case(
        "aws.iam.execution_role_not_admin",
        FAIL,
        "unreadable-inline",
        role({"RolePolicyList": [{"PolicyName": "broken", "PolicyDocument": "{not json"}]}),
        says="broken",
    ),
    Case(
        "aws.iam.execution_role_not_admin",
        MANUAL,
        "attached-not-collected",
        role(missing_attached=[f"arn:aws:iam::{ACCOUNT}:policy/unknown"]),
        says="review by hand",
    ),
    Case(
        "aws.iam.execution_role_not_admin",
        ERROR,
        "attached-unreadable",
        role(
            attached=[managed_policy(f"arn:aws:iam::{ACCOUNT}:policy/ml", doc(allow("s3:GetObject")))],
            failed_attached=True,
        ),
    ),
    # CL-02: trust only the SageMaker service
    Case("aws.iam.execution_role_trust_sagemaker_only", PASS, "service", role()),
    Case(
        "aws.iam.execution_role_trust_sagemaker_only",
        PASS,
        "service-list",
        role(trust({"Service": ["sagemaker.amazonaws.com"]})),
    ),
    Case("aws.iam.execution_role_trust_sagemaker_only", FAIL, "aws-star", role(trust({"AWS": "*"})), says="AWS *"),
    Case(
        "aws.iam.execution_role_trust_sagemaker_only",
        FAIL,
        "account-root",
        role(trust({"Service": "sagemaker.amazonaws.com", "AWS": "arn:aws:iam::444455556666:root"})),
    ),
    Case(
        "aws.iam.execution_role_trust_sagemaker_only",
        FAIL,
        "other-service",
        role(trust({"Service": ["sagemaker.amazonaws.com", "ec2.amazonaws.com"]})),
        says="ec2.amazonaws.com",
    ),
    Case("aws.iam.execution_role_trust_sagemaker_only", FAIL, "principal-star", role(trust("*"))),
    Case(
        "aws.iam.execution_role_trust_sagemaker_only",
        FAIL,
        "not-principal",
        role(
            {
                TRUST: doc(
                    {
                        "Effect": "Allow",
                        "NotPrincipal": {"Service": "sagemaker.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                )
            }
        ),
    ),
    Case("aws.iam.execution_role_trust_sagemaker_only", FAIL, "absent", role({TRUST: DROP})),
    # The services of the resources that run as the role are the ones it may trust.
    Case(
        "aws.iam.execution_role_trust_sagemaker_only",
        PASS,
        "bedrock-agent-role",
        role(trust({"Service": "bedrock.amazonaws.com"}), used_by=(BEDROCK_AGENT,)),
        says="bedrock.amazonaws.com",
    ),
    Case(
        "aws.iam.execution_role_trust_sagemaker_only",
        FAIL,
        "bedrock-role-used-by-sagemaker",
        role(trust({"Service": "bedrock.amazonaws.com"}), used_by=TRAINING),
        says="Service bedrock.amazonaws.com",
    ),
    Case(
        "aws.iam.execution_role_trust_sagemaker_only",
        PASS,
        "agentcore-and-tool",
        role(
            trust({"Service": ["bedrock-agentcore.amazonaws.com", "lambda.amazonaws.com"]}),
            used_by=(AGENTCORE_RUNTIME, LAMBDA_FUNCTION),
        ),
    ),
    Case(
        "aws.iam.execution_role_trust_sagemaker_only",
        FAIL,
        "tool-role-trusting-sagemaker",
        role(used_by=(LAMBDA_FUNCTION,)),
        says="Service sagemaker.amazonaws.com",
    ),
    # CL-02: one role per agent
    Case("aws.iam.role_not_shared_across_agents", PASS, "one-agent", role(used_by=(BEDROCK_AGENT,)), says="only by"),
    Case("aws.iam.role_not_shared_across_agents", PASS, "no-agent", role(used_by=TRAINING), says="by no agent"),
    Case(
        "aws.iam.role_not_shared_across_agents",
        FAIL,
        "agent-and-runtime",
        role(used_by=(BEDROCK_AGENT, AGENTCORE_RUNTIME)),
        says="shared by 2 agents",
    ),
    Case(
        "aws.iam.role_not_shared_across_agents",
        ERROR,
        "runtimes-unlisted",
        role(used_by=(BEDROCK_AGENT,), unlisted=AGENTCORE_RUNTIME),
    ),
    # CL-02 / ZT-4: separate roles
    Case("aws.iam.role_not_shared_training_inference", PASS, "training-only", role(used_by=TRAINING)),
    Case("aws.iam.role_not_shared_training_inference", PASS, "unused", role(), says="neither"),
    Case("aws.iam.role_not_shared_training_inference", FAIL, "shared", role(used_by=BOTH), says="training_job user-0"),
    Case(
        "aws.iam.role_not_shared_training_inference",
        FAIL,
        "processing-and-model",
        role(used_by=("aws.sagemaker.processing_job", "aws.sagemaker.model")),
    ),
    Case(
        "aws.iam.role_not_shared_training_inference",
        ERROR,
        "models-unlisted",
        role(used_by=TRAINING, unlisted="aws.sagemaker.model"),
    ),
    # ZT-4: training roles cannot deploy
    Case(
        "aws.iam.training_role_cannot_deploy",
        PASS,
        "not-training",
        role(inline(allow("sagemaker:*")), used_by=("aws.sagemaker.model",)),
        says="not used by any training",
    ),
    Case("aws.iam.training_role_cannot_deploy", PASS, "scoped-training", role(used_by=TRAINING)),
    Case(
        "aws.iam.training_role_cannot_deploy",
        FAIL,
        "sagemaker-star",
        role(inline(allow("sagemaker:*")), used_by=TRAINING),
        says="sagemaker:CreateEndpoint",
    ),
    Case(
        "aws.iam.training_role_cannot_deploy",
        FAIL,
        "endpoint-wildcard",
        role(
            inline(allow("sagemaker:*Endpoint*", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/*")),
            used_by=("aws.sagemaker.processing_job",),
        ),
    ),
    Case(
        "aws.iam.training_role_cannot_deploy",
        FAIL,
        "create-endpoint-config-managed",
        role(
            attached=[
                managed_policy(f"arn:aws:iam::{ACCOUNT}:policy/deployer", doc(allow("SageMaker:CreateEndpointConfig")))
            ],
            used_by=TRAINING,
        ),
        says="CreateEndpointConfig",
    ),
    Case(
        "aws.iam.training_role_cannot_deploy",
        PASS,
        "denied-everywhere",
        role(inline(allow("sagemaker:*"), deny("sagemaker:*Endpoint*")), used_by=TRAINING),
    ),
    Case(
        "aws.iam.training_role_cannot_deploy",
        FAIL,
        "conditional-deny",
        role(
            inline(
                allow("sagemaker:*"),
                deny("sagemaker:*Endpoint*", Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}),
            ),
            used_by=TRAINING,
        ),
    ),
    Case(
        "aws.iam.training_role_cannot_deploy",
        MANUAL,
        "attached-not-collected",
        role(missing_attached=[f"arn:aws:iam::{ACCOUNT}:policy/unknown"], used_by=TRAINING),
    ),
    Case(
        "aws.iam.training_role_cannot_deploy",
        ERROR,
        "jobs-unlisted",
        role(used_by=TRAINING, unlisted="aws.sagemaker.processing_job"),
    ),
    # CL-08: no long-lived keys that reach SageMaker
    Case(
        "aws.iam.user_no_access_keys_for_ai",
        PASS,
        "no-keys",
        user({"AccessKeys": [], **SM_INVOKE}),
        says="no active access keys",
    ),
    Case("aws.iam.user_no_access_keys_for_ai", PASS, "keys-absent", user({"AccessKeys": DROP})),
    # CL-08: no long-term Bedrock API keys (ListServiceSpecificCredentials items)
    Case("aws.iam.user_no_bedrock_api_keys", PASS, "none", user(), says="no live Bedrock API key"),
    Case("aws.iam.user_no_bedrock_api_keys", PASS, "empty", user({CREDENTIALS: []})),
    Case(
        "aws.iam.user_no_bedrock_api_keys",
        FAIL,
        "never-expires",
        user({CREDENTIALS: [api_key()]}),
        says="1 of which never expire",
    ),
    Case(
        "aws.iam.user_no_bedrock_api_keys",
        FAIL,
        "expires-later",
        user({CREDENTIALS: [api_key(ExpirationDate="2025-09-01T10:00:00Z")]}),
    ),
    Case(
        "aws.iam.user_no_bedrock_api_keys",
        PASS,
        "expired",
        user({CREDENTIALS: [api_key(ExpirationDate="2025-05-31T10:00:00Z")]}),
    ),
    Case("aws.iam.user_no_bedrock_api_keys", PASS, "inactive", user({CREDENTIALS: [api_key(Status="Inactive")]})),
    Case(
        "aws.iam.user_no_bedrock_api_keys",
        PASS,
        "codecommit-credential",
        user({CREDENTIALS: [api_key(ServiceName="codecommit.amazonaws.com")]}),
    ),
    Case(
        "aws.iam.user_no_access_keys_for_ai",
        PASS,
        "inactive-key",
        user({"AccessKeys.0.Status": "Inactive", **SM_INVOKE}),
    ),
    Case(
        "aws.iam.user_no_access_keys_for_ai",
        PASS,
        "key-without-sagemaker",
        user(inline(allow("s3:GetObject", "arn:aws:s3:::acme-ml-artifacts/*"), key="UserPolicyList")),
        says="no policy grants",
    ),
    Case("aws.iam.user_no_access_keys_for_ai", FAIL, "inline-invoke", user(SM_INVOKE), says="150 days old"),
    Case(
        "aws.iam.user_no_access_keys_for_ai",
        FAIL,
        "group-inline",
        user(groups=[(inline(allow("sagemaker:List*"), key="GroupPolicyList"), [])]),
        says="group group-0",
    ),
    Case(
        "aws.iam.user_no_access_keys_for_ai",
        FAIL,
        "group-managed",
        user(groups=[({}, [managed_policy(SAGEMAKER_FULL, SM_FULL_DOC)])]),
    ),
    Case(
        "aws.iam.user_no_access_keys_for_ai",
        FAIL,
        "attached-admin-doc",
        user(attached=[managed_policy(ADMIN, doc(allow("*")))]),
    ),
    Case(
        "aws.iam.user_no_access_keys_for_ai",
        PASS,
        "denied",
        user(inline(allow("*"), deny("sagemaker:*"), key="UserPolicyList")),
    ),
    Case(
        "aws.iam.user_no_access_keys_for_ai",
        MANUAL,
        "group-not-collected",
        user(group_names=["legacy-admins"]),
        says="group legacy-admins",
    ),
    Case("aws.iam.user_no_access_keys_for_ai", ERROR, "group-unreadable", user(groups=[({}, [])], failed_group=True)),
    # ZT-3: sessions people hold
    Case("aws.iam.role_session_duration", PASS, "service-only", role(), says="only by AWS services"),
    Case(
        "aws.iam.role_session_duration",
        PASS,
        "service-only-long",
        role({"MaxSessionDuration": 43200}),
        says="only by AWS services",
    ),
    Case(
        "aws.iam.role_session_duration",
        PASS,
        "people-default",
        role(trust({"AWS": OTHER_ACCOUNT})),
        says="absent means the default 3600",
    ),
    Case(
        "aws.iam.role_session_duration",
        PASS,
        "people-one-hour",
        role({**trust({"AWS": OTHER_ACCOUNT}), "MaxSessionDuration": 3600}),
    ),
    Case(
        "aws.iam.role_session_duration",
        FAIL,
        "people-twelve-hours",
        role({**trust({"AWS": OTHER_ACCOUNT}), "MaxSessionDuration": 43200}),
        says="43200 seconds",
    ),
    Case(
        "aws.iam.role_session_duration",
        FAIL,
        "saml-four-hours",
        role({**trust({"Federated": SAML}, Action="sts:AssumeRoleWithSAML"), "MaxSessionDuration": 14400}),
        says=f"Federated {SAML}",
    ),
    Case(
        "aws.iam.role_session_duration",
        FAIL,
        "not-principal",
        role(
            {
                TRUST: doc({"Effect": "Allow", "NotPrincipal": {"AWS": OTHER_ACCOUNT}, "Action": "sts:AssumeRole"}),
                "MaxSessionDuration": 7200,
            }
        ),
        says="everyone outside a NotPrincipal",
    ),
    Case(
        "aws.iam.role_session_duration",
        PASS,
        "tag-session-only",
        role({**trust({"AWS": OTHER_ACCOUNT}, Action="sts:TagSession"), "MaxSessionDuration": 43200}),
    ),
    Case("aws.iam.role_session_duration", FAIL, "trust-unreadable", role({TRUST: "{not json"}), says="no readable"),
    Case(
        "aws.iam.role_session_duration",
        FAIL,
        "duration-unreadable",
        role({**trust({"AWS": OTHER_ACCOUNT}), "MaxSessionDuration": "3600"}),
        says="unreadable MaxSessionDuration",
    ),
    # ZT-3: step-up before deploying or exporting
    Case("aws.iam.deploy_export_requires_mfa", PASS, "user-no-policies", user(), says="cannot deploy"),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        FAIL,
        "user-sagemaker-star",
        user(inline(allow("sagemaker:*"), key="UserPolicyList")),
        says="sagemaker:CreateEndpoint without MFA",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "user-deploy-with-mfa",
        user(inline(allow(DEPLOY, Condition=MFA), key="UserPolicyList")),
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "user-deploy-mfa-age",
        user(inline(allow(DEPLOY, Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}), key=UPL)),
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        FAIL,
        "user-deploy-mfa-if-exists",
        user(inline(allow(DEPLOY, Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}), key=UPL)),
        says="without MFA",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "user-deploy-expiring",
        user(inline(allow(DEPLOY, Condition={"DateLessThan": {"aws:CurrentTime": "2025-07-01T00:00:00Z"}}), key=UPL)),
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "user-force-mfa-deny",
        user(inline(allow("sagemaker:*"), FORCE_MFA, key=UPL)),
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        FAIL,
        "user-deny-plain-bool",
        user(
            inline(
                allow("sagemaker:*"),
                {**FORCE_MFA, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": False}}},
                key=UPL,
            )
        ),
        says="without MFA",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        FAIL,
        "user-bedrock-alias",
        user(inline(allow("bedrock:CreateAgentAlias"), key=UPL)),
        says="bedrock:CreateAgentAlias",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        FAIL,
        "group-deploys",
        user(groups=[(inline(allow("sagemaker:UpdateEndpoint"), key="GroupPolicyList"), [])]),
        says="group group-0",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        FAIL,
        "user-reads-ai-bucket",
        beside_bucket(user(inline(allow("s3:GetObject", "arn:aws:s3:::acme-ml-artifacts/models/*"), key=UPL))),
        says="s3:GetObject on acme-ml-artifacts",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "user-reads-other-bucket",
        beside_bucket(user(inline(allow("s3:GetObject", "arn:aws:s3:::team-reports/*"), key=UPL))),
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "user-reads-ai-bucket-with-mfa",
        beside_bucket(user(inline(allow("s3:GetObject", "*", Condition=MFA), key=UPL))),
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        MANUAL,
        "user-policy-not-collected",
        user(attached=[], groups=None, group_names=["legacy-admins"]),
        says="group legacy-admins",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "service-role-admin",
        role(missing_attached=[ADMIN]),
        says="only by AWS services",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        FAIL,
        "people-role-deploys",
        role({**trust({"AWS": OTHER_ACCOUNT}), **inline(allow("sagemaker:*"))}),
        says=f"AWS {OTHER_ACCOUNT} without MFA",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "people-role-mfa-trust",
        role({**trust({"AWS": OTHER_ACCOUNT}, Condition=MFA), **inline(allow("sagemaker:*"))}),
        says="must present MFA",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        MANUAL,
        "saml-role-deploys",
        role({**trust({"Federated": SAML}, Action="sts:AssumeRoleWithSAML"), **inline(allow("sagemaker:*"))}),
        says="attest that the identity provider requires MFA",
    ),
    Case(
        "aws.iam.deploy_export_requires_mfa",
        PASS,
        "people-role-read-only",
        role({**trust({"AWS": OTHER_ACCOUNT}), **inline(allow(["sagemaker:Describe*", "sagemaker:List*"]))}),
    ),
    Case("aws.iam.deploy_export_requires_mfa", FAIL, "role-trust-unreadable", role({TRUST: 42}), says="no readable"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_iam_check(case: Case) -> None:
    assert_case(case)


def test_access_key_evidence_is_masked_with_age_at_scan_start() -> None:
    finding = run(next(c for c in CASES if c.label == "inline-invoke"))
    assert finding.evidence["AccessKeys.0"] == {
        "AccessKeyId": "****7QXZ",
        "Status": "Active",
        "age_days": 150,
        "LastUsedDate": "<absent>",
    }
    assert finding.evidence["UserPolicyList.0.PolicyDocument.Statement.0"] == "sagemaker:InvokeEndpoint"


def test_admin_evidence_names_policy_and_statement() -> None:
    finding = run(next(c for c in CASES if c.label == "managed-sagemaker-full"))
    assert finding.evidence == {f"attached_policy[{SAGEMAKER_FULL}].Document.Statement.0": "sagemaker:*"}


def test_bedrock_api_key_evidence_names_the_key_its_age_and_expiry() -> None:
    from tests.checks.conftest import run

    finding = run(next(c for c in CASES if c.label == "never-expires"))
    assert finding.evidence == {
        "ServiceSpecificCredentials.0": {
            "ServiceSpecificCredentialId": "ACCAEXAMPLEBEDROCK0001",
            "Status": "Active",
            "age_days": 92,
            "ExpirationDate": "never",
        }
    }


def test_step_up_evidence_names_each_ungated_statement_and_what_it_allows() -> None:
    finding = run(next(c for c in CASES if c.label == "people-role-deploys"))
    assert finding.evidence == {
        "AssumeRolePolicyDocument.Statement.0.Principal": [f"AWS {OTHER_ACCOUNT}"],
        "RolePolicyList.0.PolicyDocument.Statement.0": [
            "sagemaker:CreateEndpoint",
            "sagemaker:UpdateEndpoint",
            "sagemaker:CreateEndpointConfig",
            "sagemaker:DeleteEndpoint",
        ],
    }


# -- ZT-4: blast radius and attack paths ----------------------------------------------------------------------

BLAST = "aws.iam.ai_identity_blast_radius"
EXPOSED = "aws.iam.exposed_ai_identity_sensitive_data"
TRAINING = "aws.sagemaker.training_job"
BUCKET = "aws.s3.bucket"
ENDPOINT_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/churn-endpoint"
PAYMENTS = "arn:aws:s3:::payments-ledger"


def tagged(resource: Any, **tags: str) -> Any:
    return replace(resource, tags=tags)


def bucket(name: str, changes: dict[str, Any] | None = None, **tags: str) -> Any:
    return tagged(make(BUCKET, {"Policy": DROP, **(changes or {})}, name=name), **tags)


def radius(
    *statements: dict[str, Any],
    extra: tuple[Any, ...] = (),
    role_tags: dict[str, str] | None = None,
    changes: dict[str, Any] | None = None,
    runs: bool = True,
    missing: list[str] = (),
) -> Callable[[], Estate]:
    """The ML team's training role (with the base policy on its own bucket, and `statements`), the resources it might
    reach (its own bucket, `extra`), and a training job running as it."""

    def build() -> Estate:
        config: dict[str, Any] = {**(inline(*statements) if statements else {}), **(changes or {})}
        if missing:
            config["AttachedManagedPolicies"] = [{"PolicyName": "gone", "PolicyArn": arn} for arn in missing]
        target = tagged(make(ROLE, config), **(role_tags if role_tags is not None else {"team": "ml"}))
        estate = Estate(target).add(bucket("acme-ml-artifacts", team="ml"), *extra)
        for arn in missing:
            estate.link(target, "attached_policy", arn)
        if runs:
            job = make(TRAINING)
            estate.add(job).link(job, "uses_role", target)
        return estate

    return build


def admin_role_trusting(principal: str, kind: str = "AWS") -> Any:
    return make(
        ROLE,
        {
            TRUST: doc({"Effect": "Allow", "Principal": {kind: principal}, "Action": "sts:AssumeRole"}),
            "RolePolicyList": [{"PolicyName": "admin", "PolicyDocument": doc(allow("*"))}],
        },
        name="deploy-admin",
    )


def notebook(access: Any, *stores: Any, statements: tuple[dict[str, Any], ...] = ()) -> Callable[[], Estate]:
    """A notebook (DirectInternetAccess `access`) running as the base role, which reads acme-ml-artifacts."""

    def build() -> Estate:
        target = make("aws.sagemaker.notebook_instance", {"DirectInternetAccess": access})
        role = make(ROLE, inline(*statements) if statements else {})
        estate = Estate(target).add(role, *stores).link(target, "uses_role", role)
        return estate

    return build


CASES += [
    Case(BLAST, PASS, "own-team-only", radius(), says="all within team ml"),
    Case(BLAST, PASS, "not-an-execution-role", radius(allow("*"), runs=False), says="not the execution role"),
    Case(
        BLAST,
        FAIL,
        "changes-production-endpoint",
        radius(allow("sagemaker:UpdateEndpoint"), extra=(make("aws.sagemaker.endpoint"),)),
        says="sagemaker:UpdateEndpoint on endpoint churn-endpoint",
    ),
    Case(
        BLAST,
        PASS,
        "endpoint-tagged-dev",
        radius(allow("sagemaker:UpdateEndpoint"), extra=(tagged(make("aws.sagemaker.endpoint"), env="dev"),)),
    ),
    Case(
        BLAST,
        FAIL,
        "reads-other-teams-bucket",
        radius(allow("s3:GetObject", f"{PAYMENTS}/*"), extra=(bucket("payments-ledger", team="payments"),)),
        says="s3:GetObject on bucket payments-ledger tagged team=payments",
    ),
    Case(
        BLAST,
        PASS,
        "explicit-deny-wins",
        radius(
            allow("s3:*"),
            deny(["s3:GetObject", "s3:PutObject"], f"{PAYMENTS}/*"),
            extra=(bucket("payments-ledger", team="payments"),),
        ),
    ),
    Case(
        BLAST,
        FAIL,
        "bucket-policy-grants",
        radius(
            extra=(
                bucket(
                    "payments-ledger",
                    {
                        "Policy": doc(
                            {
                                "Sid": "LetMlRead",
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/sm-execution"},
                                "Action": "s3:GetObject",
                                "Resource": f"{PAYMENTS}/*",
                            }
                        )
                    },
                    team="payments",
                ),
            )
        ),
        says="via the bucket policy of payments-ledger statement 0",
    ),
    Case(
        BLAST,
        FAIL,
        "no-team-spans-two-teams",
        radius(allow("s3:GetObject"), extra=(bucket("payments-ledger", team="payments"),), role_tags={}),
    ),
    Case(
        BLAST,
        FAIL,
        "puts-its-own-policy",
        radius(allow("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/sm-execution")),
        says="iam:PutRolePolicy",
    ),
    Case(
        BLAST,
        FAIL,
        "assumes-an-admin-role",
        radius(extra=(admin_role_trusting(f"arn:aws:iam::{ACCOUNT}:role/sm-execution"),)),
        says="can become role deploy-admin",
    ),
    Case(
        BLAST,
        PASS,
        "trust-of-account-needs-its-own-grant",
        radius(extra=(admin_role_trusting(f"arn:aws:iam::{ACCOUNT}:root"),)),
    ),
    Case(
        BLAST,
        FAIL,
        "passes-a-role-it-runs-code-as",
        radius(
            allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/deploy-admin"),
            allow("sagemaker:CreateTrainingJob"),
            extra=(admin_role_trusting("sagemaker.amazonaws.com", "Service"),),
        ),
        says="iam:PassRole",
    ),
    Case(BLAST, MANUAL, "managed-policy-not-read", radius(missing=[f"arn:aws:iam::{ACCOUNT}:policy/gone"])),
    Case(
        EXPOSED,
        FAIL,
        "internet-notebook-reads-confidential",
        notebook(DROP, bucket("acme-ml-artifacts", DataClassification="confidential")),
        says="DirectInternetAccess Enabled",
    ),
    Case(
        EXPOSED,
        PASS,
        "private-notebook",
        notebook("Disabled", bucket("acme-ml-artifacts", DataClassification="confidential")),
    ),
    Case(
        EXPOSED,
        PASS,
        "internet-notebook-public-data",
        notebook("Enabled", bucket("acme-ml-artifacts", DataClassification="public")),
        says="reaches no data store classified as sensitive",
    ),
    Case(
        EXPOSED,
        ERROR,
        "role-unreadable",
        lambda: notebook("Enabled")().fail(collection_error(ROLE, uid=ROLE_ARN)),
    ),
]


def test_blast_radius_evidence_is_the_path_with_policy_statement_and_tags() -> None:
    finding = run(next(c for c in CASES if c.label == "reads-other-teams-bucket"))
    path = finding.evidence["paths"][0]
    assert path["path"] == (
        "role sm-execution, via inline policy extra statement 0, can s3:GetObject on bucket payments-ledger tagged "
        "team=payments."
    )
    assert path["hops"][0]["grants"] == [
        {"access": "read", "action": "s3:GetObject", "via": "inline policy extra statement 0"}
    ]
    assert finding.evidence["identity_team"] == "ml"


def test_a_notebook_path_starts_at_the_notebook() -> None:
    finding = run(next(c for c in CASES if c.label == "internet-notebook-reads-confidential"))
    assert finding.evidence["paths"][0]["path"].startswith("notebook instance research-nb runs as role sm-execution;")
