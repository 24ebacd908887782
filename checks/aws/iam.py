"""IAM checks: AI execution roles (privilege, trust, separation, sessions), users' long-lived keys and Bedrock API
keys, and step-up (MFA or an expiring grant) before deploying AI models or exporting AI data."""

from __future__ import annotations

import re
from typing import Any

from checks._attack_paths import identity_team, judge_exposed, judge_identity
from checks.aws._common import (
    GENAI_TYPES,
    INFERENCE_TYPES,
    TRAINING_TYPES,
    age_days,
    as_datetime,
    mask_key_id,
    require_listed,
    short_type,
)
from checks.aws.sagemaker import SAGEMAKER_TYPES
from cspm_ai.aws_policy import (
    Grant,
    PolicySource,
    Statement,
    action_covered,
    action_grants,
    covers_resource,
    denies_without_mfa,
    full_service_grants,
    service_grants,
    statements,
    step_up_condition,
    unreadable,
)
from cspm_ai.doc import ABSENT, as_list, display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

ROLE = "aws.iam.role"
USER = "aws.iam.user"
SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
# The service that assumes an execution role, by the kind of resource that runs as it.
SERVICE_PRINCIPALS = {
    "aws.sagemaker": SAGEMAKER_PRINCIPAL,
    "aws.bedrock": "bedrock.amazonaws.com",
    "aws.agentcore": "bedrock-agentcore.amazonaws.com",
    "aws.lambda": "lambda.amazonaws.com",
}
# Agents that act with their role's permissions: a role two of them share gives each the other's rights.
AGENT_TYPES = ("aws.bedrock.agent", "aws.agentcore.runtime")
# Every kind that can run as an execution role: SageMaker, Bedrock and AgentCore resources, and agents' tools.
ROLE_USER_TYPES = (*SAGEMAKER_TYPES, *GENAI_TYPES, "aws.lambda.function")
BEDROCK_API_KEYS = "bedrock.amazonaws.com"
DEPLOY_ACTIONS = (
    "sagemaker:CreateEndpoint",
    "sagemaker:UpdateEndpoint",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:DeleteEndpoint",
)
_ADMIN_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")
# ZT-3 step-up: calls that put a model or an agent into service (or take one out) ...
STEP_UP_DEPLOY = (
    *DEPLOY_ACTIONS,
    "bedrock:CreateAgentAlias",
    "bedrock:UpdateAgentAlias",
    "bedrock:CreateProvisionedModelThroughput",
    "bedrock-agentcore:CreateAgentRuntime",
    "bedrock-agentcore:UpdateAgentRuntime",
)
# ... and reading objects out of the AI data buckets (training data, model artifacts, captured requests, logs).
EXPORT_ACTION = "s3:GetObject"
BUCKET = "aws.s3.bucket"
# The calls that start a session of a role.
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
# AWS's default MaxSessionDuration, and the longest session an AI role that people assume should hand out.
DEFAULT_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 3600


def _inline(principal: Resource, key: str, prefix: str = "", owner: str = "") -> list[PolicySource]:
    """Inline policies (`RolePolicyList`, `UserPolicyList`, `GroupPolicyList`) as policy sources."""
    return [
        PolicySource(
            f"{owner}inline policy {get(item, 'PolicyName', f'#{i}')}",
            f"{prefix}{key}.{i}.PolicyDocument",
            get(item, "PolicyDocument"),
        )
        for i, item in enumerate(as_list(get(principal.config, key)))
    ]


def _managed(principal: Resource, ctx: CheckContext, owner: str = "") -> tuple[list[PolicySource], list[str]]:
    """Attached managed policies found in the inventory, and the attached ARNs that are not there."""
    policies = ctx.related(principal, "attached_policy")
    sources = [
        PolicySource(
            f"{owner}managed policy {get(p.config, 'PolicyName', p.name)}",
            f"attached_policy[{p.uid}].Document",
            get(p.config, "Document"),
        )
        for p in policies
    ]
    known = {p.uid for p in policies} | {a for p in policies if isinstance(a := get(p.config, "Arn"), str)}
    attached = [get(a, "PolicyArn") for a in as_list(get(principal.config, "AttachedManagedPolicies"))]
    missing = [arn for arn in attached if is_set(arn) and arn not in known]
    return sources, missing


def _role_policies(role: Resource, ctx: CheckContext) -> tuple[list[PolicySource], list[str]]:
    managed, missing = _managed(role, ctx)
    return _inline(role, "RolePolicyList") + managed, missing


def _user_policies(user: Resource, ctx: CheckContext) -> tuple[list[PolicySource], list[str]]:
    """The user's inline and attached policies plus those of its groups; missing = not in the inventory."""
    sources, missing = _managed(user, ctx)
    sources = _inline(user, "UserPolicyList") + sources
    groups = ctx.related(user, "member_of")
    for group in groups:
        owner = f"group {group.name} "
        group_managed, group_missing = _managed(group, ctx, owner)
        sources += _inline(group, "GroupPolicyList", f"member_of[{group.uid}].", owner) + group_managed
        missing += group_missing
    names = {g.name for g in groups} | {n for g in groups if isinstance(n := get(g.config, "GroupName"), str)}
    missing += [f"group {n}" for n in as_list(get(user.config, "GroupList")) if isinstance(n, str) and n not in names]
    return sources, missing


def _grant_evidence(grants: list[Grant]) -> dict[str, Any]:
    return {g.where(): g.pattern for g in grants}


def _unjudgeable(resource: Resource, broken: list[PolicySource]) -> Verdict:
    return failed(
        f"{resource.name} could not be judged because {broken[0].label} has no readable Statement.",
        **{s.path: "<unreadable>" for s in broken},
    )


def _unseen_policies(resource: Resource, missing: list[str], claim: str) -> Verdict:
    verb = "is" if len(missing) == 1 else "are"
    return manual(
        f"{resource.name} {claim} in the policies read, but {', '.join(missing)} {verb} not in the "
        "inventory, so review by hand.",
        not_in_inventory=missing,
    )


@check(
    id="aws.iam.execution_role_not_admin",
    resource_types=ROLE,
    severity=Severity.HIGH,
    title="AI execution roles have no administrator or whole-service permissions",
    checklist=("CL-02",),
    remediation="Detach AdministratorAccess (`aws iam detach-role-policy --role-name <role> --policy-arn "
    "arn:aws:iam::aws:policy/AdministratorAccess`) and replace `*` or `<service>:*` on Resource `*` "
    "with the specific actions and bucket/key ARNs the workload needs (`aws iam put-role-policy`); "
    "IAM Access Analyzer policy generation can draft them from CloudTrail.",
    reads=("AttachedManagedPolicies", "RolePolicyList", "attached_policy.Document"),
)
def execution_role_not_admin(role: Resource, ctx: CheckContext) -> Verdict:
    """FAIL on AdministratorAccess or an Allow of `*`, `<service>:*` or NotAction on Resource `*`; no policies = no
    permissions.
    """
    for i, attached in enumerate(as_list(get(role.config, "AttachedManagedPolicies"))):
        arn = get(attached, "PolicyArn")
        if isinstance(arn, str) and _ADMIN_POLICY.match(arn):
            return failed(
                f"{role.name} has the AWS managed AdministratorAccess policy attached.",
                **{f"AttachedManagedPolicies.{i}.PolicyArn": arn},
            )
    sources, missing = _role_policies(role, ctx)
    broken = unreadable(sources)
    if broken:
        return _unjudgeable(role, broken)
    grants = full_service_grants(sources)
    if grants:
        return failed(
            f"{role.name} is over-privileged: {grants[0].describe()} on Resource *.", **_grant_evidence(grants)
        )
    if missing:
        return _unseen_policies(role, missing, "grants no `*` or `<service>:*` on Resource *")
    return passed(
        f"{role.name} grants no `*` or `<service>:*` on Resource * in its {len(sources)} policy document(s).",
        policies_read=[s.label for s in sources],
    )


def _foreign_principals(principal: Any, services: frozenset[str]) -> list[str]:
    """Principals other than the expected service principals in a trust statement's Principal."""
    if not isinstance(principal, dict):
        return [f"Principal {principal!r}"]
    foreign: list[str] = []
    for kind, values in principal.items():
        for value in as_list(values):
            if kind != "Service" or not isinstance(value, str) or value not in services:
                foreign.append(f"{kind} {value}")
    return foreign


def _expected_services(role: Resource, ctx: CheckContext) -> frozenset[str]:
    """The services that run the resources using the role; SageMaker's when nothing collected uses it."""
    users = {".".join(r.type.split(".")[:2]) for r in ctx.referrers(role, "uses_role")}
    found = frozenset(SERVICE_PRINCIPALS[u] for u in users if u in SERVICE_PRINCIPALS)
    return found or frozenset({SAGEMAKER_PRINCIPAL})


@check(
    id="aws.iam.execution_role_trust_sagemaker_only",
    resource_types=ROLE,
    severity=Severity.MEDIUM,
    title="AI execution roles can be assumed only by the AI service that runs as them",
    checklist=("CL-02",),
    remediation="Limit the trust policy to the service: `aws iam update-assume-role-policy --role-name <role> "
    '--policy-document \'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"<sagemaker|bedrock|bedrock-agentcore|lambda>.amazonaws.com"},"Action":"sts:AssumeRole"}]}\'`; '
    "give people and pipelines their own roles instead.",
    reads=("AssumeRolePolicyDocument", "uses_role<-"),
)
def execution_role_trust_sagemaker_only(role: Resource, ctx: CheckContext) -> Verdict:
    """PASS when every Allow in the trust policy names only the service principals of the resources using the role
    (SageMaker, Bedrock, AgentCore, Lambda for agent tools; SageMaker when none is collected); an unreadable
    policy fails. The id keeps its first name: it was written for SageMaker roles.
    """
    services = _expected_services(role, ctx)
    stmts = statements(get(role.config, "AssumeRolePolicyDocument"))
    if stmts is None:
        return failed(
            f"{role.name} has no readable AssumeRolePolicyDocument to judge.",
            AssumeRolePolicyDocument=shown(get(role.config, "AssumeRolePolicyDocument")),
        )
    evidence: dict[str, Any] = {}
    foreign: list[str] = []
    for stmt in (s for s in stmts if s.effect == "Allow"):
        path = f"AssumeRolePolicyDocument.Statement.{stmt.index}"
        if stmt.not_principal is not None:
            evidence[f"{path}.NotPrincipal"] = stmt.not_principal
            foreign.append("everyone outside a NotPrincipal")
            continue
        evidence[f"{path}.Principal"] = stmt.principal
        foreign += _foreign_principals(stmt.principal, services)
    if foreign:
        return failed(f"{role.name} can also be assumed by {', '.join(foreign)}.", **evidence)
    if not evidence:
        return passed(f"{role.name} has no Allow statement in its trust policy, so no principal can assume it.")
    return passed(f"{role.name} can be assumed only by {', '.join(sorted(services))}.", **evidence)


def _role_users(role: Resource, ctx: CheckContext, types: tuple[str, ...]) -> list[Resource]:
    require_listed(ctx, types, role.account)
    return [r for r in ctx.referrers(role, "uses_role") if r.type in types]


def _names(resources: list[Resource]) -> list[str]:
    return [f"{short_type(r.type)} {r.name}" for r in resources]


@check(
    id="aws.iam.role_not_shared_training_inference",
    resource_types=ROLE,
    severity=Severity.MEDIUM,
    title="Training and inference use separate execution roles",
    checklist=("CL-02", "ZT-4"),
    remediation="Create a dedicated inference role with only the model artifact bucket, ECR and key permissions "
    "(`aws iam create-role`), recreate the models with `--execution-role-arn <inference-role>`, and "
    "keep the current role for training and processing jobs only.",
    reads=("uses_role<-",),
)
def role_not_shared_training_inference(role: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when training or processing jobs and models all use the role; a role nobody uses is not shared."""
    training = _role_users(role, ctx, TRAINING_TYPES)
    inference = _role_users(role, ctx, INFERENCE_TYPES)
    evidence = {"uses_role<-training": _names(training), "uses_role<-inference": _names(inference)}
    if training and inference:
        return failed(
            f"{role.name} is used both for training ({_names(training)[0]}) and for inference "
            f"({_names(inference)[0]}).",
            **evidence,
        )
    used = "training only" if training else "inference only" if inference else "neither training nor inference"
    return passed(f"{role.name} is used for {used}.", **evidence)


@check(
    id="aws.iam.training_role_cannot_deploy",
    resource_types=ROLE,
    severity=Severity.HIGH,
    title="Training execution roles cannot create or change endpoints",
    checklist=("ZT-4",),
    remediation="Remove sagemaker:CreateEndpoint, UpdateEndpoint, CreateEndpointConfig and DeleteEndpoint (and "
    "`sagemaker:*`) from the training role's policies, or add an explicit Deny for them on Resource "
    "`*` (`aws iam put-role-policy`); deploy from a separate pipeline role.",
    reads=("RolePolicyList", "attached_policy.Document", "uses_role<-"),
)
def training_role_cannot_deploy(role: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when a role used by training or processing jobs may create, update or delete endpoints or create endpoint
    configs.
    """
    training = _role_users(role, ctx, TRAINING_TYPES)
    if not training:
        return passed(f"{role.name} is not used by any training or processing job.", **{"uses_role<-training": []})
    sources, missing = _role_policies(role, ctx)
    broken = unreadable(sources)
    if broken:
        return _unjudgeable(role, broken)
    grants = {action: action_grants(sources, action) for action in DEPLOY_ACTIONS}
    allowed = [action for action, found in grants.items() if found]
    evidence = {
        "uses_role<-training": _names(training),
        **_grant_evidence([g for found in grants.values() for g in found]),
    }
    if allowed:
        first = grants[allowed[0]][0]
        return failed(
            f"{role.name}, used by {_names(training)[0]}, can call {', '.join(allowed)} ({first.describe()}).",
            **evidence,
        )
    if missing:
        return _unseen_policies(role, missing, "cannot create or change endpoints")
    return passed(f"{role.name}, used by {_names(training)[0]}, cannot create, update or delete endpoints.", **evidence)


def _active_keys(user: Resource, ctx: CheckContext) -> dict[str, Any]:
    """Evidence for each Active access key: masked id, age at scan start, last use."""
    found: dict[str, Any] = {}
    for i, key in enumerate(as_list(get(user.config, "AccessKeys"))):
        if get(key, "Status") != "Active":
            continue
        found[f"AccessKeys.{i}"] = {
            "AccessKeyId": mask_key_id(get(key, "AccessKeyId")),
            "Status": "Active",
            "age_days": age_days(get(key, "CreateDate"), ctx.scan_started_at),
            "LastUsedDate": str(shown(get(key, "LastUsedDate"))),
        }
    return found


@check(
    id="aws.iam.user_no_access_keys_for_ai",
    resource_types=USER,
    severity=Severity.HIGH,
    title="No IAM user with active access keys can reach SageMaker",
    checklist=("CL-08",),
    remediation="Move the person or tool to federated access (IAM Identity Center, or a role assumed through OIDC "
    "for CI), then deactivate and delete the keys: `aws iam update-access-key --user-name <user> "
    "--access-key-id <id> --status Inactive` and `aws iam delete-access-key ...`.",
    reads=("AccessKeys", "UserPolicyList", "GroupList", "attached_policy.Document", "member_of.GroupPolicyList"),
)
def user_no_access_keys_for_ai(user: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the user has an Active access key and any policy (own or group) allows a sagemaker action; AccessKeys
    absent = none.
    """
    keys = _active_keys(user, ctx)
    if not keys:
        total = len(as_list(get(user.config, "AccessKeys")))
        return passed(f"{user.name} has no active access keys.", AccessKeys=f"{total} key(s), none Active")
    sources, missing = _user_policies(user, ctx)
    broken = unreadable(sources)
    if broken:
        return _unjudgeable(user, broken)
    grants = service_grants(sources, "sagemaker")
    ages = [k["age_days"] for k in keys.values() if isinstance(k["age_days"], int)]
    oldest = f" (oldest {max(ages)} days old)" if ages else ""
    evidence = {**keys, **_grant_evidence(grants)}
    if grants:
        return failed(
            f"{user.name} has {len(keys)} active access key(s){oldest} and {grants[0].describe()}.", **evidence
        )
    if missing:
        return _unseen_policies(user, missing, "cannot reach SageMaker")
    return passed(
        f"{user.name} has {len(keys)} active access key(s){oldest} but no policy grants it any sagemaker action.",
        **evidence,
    )


@check(
    id="aws.iam.role_not_shared_across_agents",
    resource_types=ROLE,
    severity=Severity.MEDIUM,
    title="Each agent runs as its own execution role",
    checklist=("CL-02",),
    remediation="Create a role per agent with only the models, knowledge bases and tools that agent needs "
    "(`aws iam create-role`), then `aws bedrock-agent update-agent --agent-id <id> ... --agent-resource-role-arn "
    "<new-role>` (or `aws bedrock-agentcore-control update-agent-runtime ... --role-arn <new-role>`).",
    reads=("uses_role<-",),
)
def role_not_shared_across_agents(role: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when two or more Bedrock agents or AgentCore runtimes run as the role: each holds the union of their
    permissions and CloudTrail cannot tell them apart; a role no agent uses is not shared."""
    agents = _role_users(role, ctx, AGENT_TYPES)
    evidence = {"uses_role<-agents": _names(agents)}
    if len(agents) > 1:
        return failed(f"{role.name} is shared by {len(agents)} agents: {', '.join(_names(agents))}.", **evidence)
    used = f"only by {_names(agents)[0]}" if agents else "by no agent"
    return passed(f"{role.name} is used {used}.", **evidence)


def _live_api_keys(user: Resource, ctx: CheckContext) -> dict[str, Any]:
    """Evidence for each Bedrock API key that can still authenticate: Active and not expired at scan start."""
    found: dict[str, Any] = {}
    started = as_datetime(ctx.scan_started_at)
    for i, key in enumerate(as_list(get(user.config, "ServiceSpecificCredentials"))):
        if get(key, "ServiceName") != BEDROCK_API_KEYS or get(key, "Status") != "Active":
            continue
        expires = as_datetime(get(key, "ExpirationDate"))
        if expires is not None and started is not None and expires <= started:
            continue
        found[f"ServiceSpecificCredentials.{i}"] = {
            "ServiceSpecificCredentialId": str(shown(get(key, "ServiceSpecificCredentialId"))),
            "Status": "Active",
            "age_days": age_days(get(key, "CreateDate"), ctx.scan_started_at),
            # ExpirationDate absent: the key never expires.
            "ExpirationDate": str(shown(get(key, "ExpirationDate"))) if expires else "never",
        }
    return found


@check(
    id="aws.iam.user_no_bedrock_api_keys",
    resource_types=USER,
    severity=Severity.HIGH,
    title="No IAM user holds a live long-term Bedrock API key",
    checklist=("CL-08",),
    remediation="Use short-term Bedrock API keys (valid up to 12 hours, from the caller's own session) or signed "
    "requests from a role; then `aws iam update-service-specific-credential --user-name <user> "
    "--service-specific-credential-id <id> --status Inactive` and `aws iam delete-service-specific-credential "
    "--user-name <user> --service-specific-credential-id <id>`.",
    reads=("ServiceSpecificCredentials",),
)
def user_no_bedrock_api_keys(user: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the user has an Active service-specific credential for bedrock.amazonaws.com whose ExpirationDate is
    absent (it never expires) or after the scan started; Inactive or expired keys cannot authenticate;
    ServiceSpecificCredentials absent = none."""
    keys = _live_api_keys(user, ctx)
    if not keys:
        total = len(as_list(get(user.config, "ServiceSpecificCredentials")))
        return passed(
            f"{user.name} has no live Bedrock API key.", ServiceSpecificCredentials=f"{total} key(s), none live"
        )
    never = [k for k in keys.values() if k["ExpirationDate"] == "never"]
    tail = f", {len(never)} of which never expire(s)" if never else ""
    return failed(f"{user.name} holds {len(keys)} live long-term Bedrock API key(s){tail}.", **keys)


# -- ZT-3: sessions and step-up ------------------------------------------------------------------------------

TRUST = "AssumeRolePolicyDocument"


def _people(principal: Any) -> list[str]:
    """The principals of a trust statement other than AWS services: accounts, users, roles, federated identities."""
    if not isinstance(principal, dict):
        return [f"Principal {principal}"]
    return [f"{kind} {value}" for kind, values in principal.items() if kind != "Service" for value in as_list(values)]


def _assumed_by_people(role: Resource) -> list[tuple[Statement, list[str]]] | None:
    """The trust policy's Allow statements that let someone other than an AWS service start a session, each with
    those principals; None when the policy cannot be read."""
    stmts = statements(get(role.config, TRUST))
    if stmts is None:
        return None
    found: list[tuple[Statement, list[str]]] = []
    for stmt in stmts:
        if stmt.effect != "Allow" or not any(action_covered(stmt, a) for a in ASSUME_ACTIONS):
            continue
        if stmt.not_principal is not None:
            found.append((stmt, ["everyone outside a NotPrincipal"]))
        elif people := _people(stmt.principal):
            found.append((stmt, people))
    return found


def _trust_evidence(people: list[tuple[Statement, list[str]]]) -> dict[str, Any]:
    return {f"{TRUST}.Statement.{stmt.index}.Principal": who for stmt, who in people}


def _unreadable_trust(role: Resource) -> Verdict:
    return failed(
        f"{role.name} has no readable AssumeRolePolicyDocument to judge.", **{TRUST: shown(get(role.config, TRUST))}
    )


@check(
    id="aws.iam.role_session_duration",
    resource_types=ROLE,
    severity=Severity.LOW,
    title=f"AI roles that people can assume hand out sessions of at most {MAX_SESSION_SECONDS // 3600} hour",
    checklist=("ZT-3",),
    remediation=f"Run `aws iam update-role --role-name <role> --max-session-duration {MAX_SESSION_SECONDS}`; "
    "people who need longer re-authenticate (and re-pass MFA) instead of holding one long session.",
    reads=("MaxSessionDuration", "AssumeRolePolicyDocument"),
)
def role_session_duration(role: Resource, ctx: CheckContext) -> Verdict:
    """PASS when MaxSessionDuration (read from ListRoles) is at most 3600 seconds, or when only AWS services can
    assume the role (MaxSessionDuration bounds the sessions people and tools request; a service renews its own
    short credentials); absent = AWS's default, 3600; an unreadable trust policy fails."""
    people = _assumed_by_people(role)
    if people is None:
        return _unreadable_trust(role)
    duration = get(role.config, "MaxSessionDuration")
    evidence = {"MaxSessionDuration": shown(duration), **_trust_evidence(people)}
    if not people:
        return passed(f"{role.name} can be assumed only by AWS services, so no person holds one of its sessions.")
    value = DEFAULT_SESSION_SECONDS if duration is ABSENT or duration is None else duration
    note = f" (absent means the default {DEFAULT_SESSION_SECONDS})" if duration is ABSENT or duration is None else ""
    if not isinstance(value, int) or isinstance(value, bool):
        return failed(f"{role.name} has an unreadable MaxSessionDuration {display(duration)}.", **evidence)
    who = people[0][1][0]
    if value > MAX_SESSION_SECONDS:
        return failed(
            f"{role.name}, which {who} can assume, hands out sessions of up to {value} seconds{note}, more than "
            f"{MAX_SESSION_SECONDS}.",
            **evidence,
        )
    return passed(
        f"{role.name}, which {who} can assume, hands out sessions of at most {value} seconds{note}.", **evidence
    )


def _ungated(sources: list[PolicySource], action: str, resource: str = "*") -> list[Grant]:
    """Grants of `action` on `resource` that need neither MFA nor an expiry, unless a Deny takes away every
    request made without MFA."""
    for source in sources:
        for stmt in statements(source.document) or ():
            if (
                stmt.effect == "Deny"
                and action_covered(stmt, action)
                and covers_resource(stmt, resource)
                and denies_without_mfa(stmt.condition)
            ):
                return []
    grants = [g for g in action_grants(sources, action) if resource == "*" or covers_resource(g.statement, resource)]
    return [g for g in grants if step_up_condition(g.statement.condition) is None]


def _step_up_gaps(principal: Resource, ctx: CheckContext, sources: list[PolicySource]) -> dict[str, Grant]:
    """What the principal can do without MFA or an expiring grant: each deploy call, and reading each AI data
    bucket's objects, with the first grant allowing it."""
    gaps: dict[str, Grant] = {}
    for action in STEP_UP_DEPLOY:
        if found := _ungated(sources, action):
            gaps[action] = found[0]
    for bucket in ctx.resources(BUCKET, account=principal.account):
        if found := _ungated(sources, EXPORT_ACTION, f"{bucket.uid}/*"):
            gaps[f"{EXPORT_ACTION} on {bucket.name}"] = found[0]
    return gaps


def _gap_evidence(gaps: dict[str, Grant]) -> dict[str, list[str]]:
    """Each ungated statement, with what it lets the principal do."""
    evidence: dict[str, list[str]] = {}
    for what, grant in gaps.items():
        evidence.setdefault(grant.where(), []).append(what)
    return evidence


def _role_step_up(role: Resource, gaps: dict[str, Grant], people: list[tuple[Statement, list[str]]]) -> Verdict:
    """A role that can deploy or export without a gated grant: the trust policy decides whether people need MFA."""
    what, grant = next(iter(gaps.items()))
    evidence: dict[str, Any] = {**_trust_evidence(people), **_gap_evidence(gaps)}
    open_doors = [(stmt, who) for stmt, who in people if step_up_condition(stmt.condition) is None]
    for stmt, _ in people:
        if gate := step_up_condition(stmt.condition):
            evidence[f"{TRUST}.Statement.{stmt.index}.Condition"] = gate
    if not open_doors:
        return passed(
            f"{role.name} can call {what}, but whoever assumes it must present MFA or hold an expiring grant.",
            **evidence,
        )
    who = [w for _, names in open_doors for w in names]
    if all(w.startswith("Federated ") for w in who):
        return manual(
            f"{role.name} can call {what} and is assumed through {', '.join(who)}, whose MFA IAM cannot see; "
            "attest that the identity provider requires MFA for this role.",
            **evidence,
        )
    return failed(
        f"{role.name} can be assumed by {who[0]} without MFA, and then {grant.describe()} ({what}).", **evidence
    )


@check(
    id="aws.iam.deploy_export_requires_mfa",
    resource_types=(USER, ROLE),
    severity=Severity.MEDIUM,
    title="Deploying AI models and exporting AI data need MFA or an expiring grant",
    checklist=("ZT-3",),
    remediation="Add to the Allow statements of deploy calls (sagemaker:CreateEndpoint, UpdateEndpoint, "
    "bedrock:CreateAgentAlias, ...) and of s3:GetObject on AI data buckets the condition "
    '`"Bool": {"aws:MultiFactorAuthPresent": "true"}` (or a `DateLessThan` on `aws:CurrentTime` for a temporary '
    'grant), or attach a Deny of them with `"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}`; for a '
    "role people assume, put the MFA condition on its trust policy (`aws iam update-assume-role-policy`).",
    reads=(
        "UserPolicyList",
        "RolePolicyList",
        "attached_policy.Document",
        "member_of.GroupPolicyList",
        "AssumeRolePolicyDocument",
        "<aws.s3.bucket>",
    ),
)
def deploy_export_requires_mfa(principal: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when a user, or a role people can assume without MFA, may deploy (SageMaker endpoints, Bedrock agent
    aliases and provisioned throughput, AgentCore runtimes) or read objects of an AI data bucket through an Allow
    with neither an MFA condition (Bool aws:MultiFactorAuthPresent true, aws:MultiFactorAuthAge) nor an expiry
    (aws:CurrentTime, aws:EpochTime), and no Deny takes away requests made without MFA; a role only AWS services
    assume passes; a role assumed only through federation is MANUAL (the identity provider holds the MFA)."""
    people: list[tuple[Statement, list[str]]] = []
    if principal.type == ROLE:
        found = _assumed_by_people(principal)
        if found is None:
            return _unreadable_trust(principal)
        if not found:
            return passed(f"{principal.name} can be assumed only by AWS services, so no person acts through it.")
        people = found
        sources, missing = _role_policies(principal, ctx)
    else:
        sources, missing = _user_policies(principal, ctx)
    broken = unreadable(sources)
    if broken:
        return _unjudgeable(principal, broken)
    gaps = _step_up_gaps(principal, ctx, sources)
    if gaps and principal.type == ROLE:
        return _role_step_up(principal, gaps, people)
    if gaps:
        what, grant = next(iter(gaps.items()))
        return failed(
            f"{principal.name} can call {what} without MFA or an expiry: {grant.describe()}.", **_gap_evidence(gaps)
        )
    if missing:
        return _unseen_policies(principal, missing, "cannot deploy or export without MFA or an expiring grant")
    return passed(
        f"{principal.name} cannot deploy AI models or read AI data buckets without MFA or an expiring grant.",
        policies_read=[s.label for s in sources],
    )


# -- ZT-4: blast radius and attack paths ----------------------------------------------------------------------

NOTEBOOK = "aws.sagemaker.notebook_instance"
DOMAIN = "aws.sagemaker.domain"


@check(
    id="aws.iam.ai_identity_blast_radius",
    resource_types=ROLE,
    severity=Severity.HIGH,
    title="A compromised AI execution role cannot change production endpoints, reach other teams' data or raise its "
    "own permissions",
    checklist=("ZT-4",),
    remediation="Scope the role to its own team's buckets and keys (`aws iam put-role-policy` with bucket and key "
    "ARNs, no `*`), remove sagemaker:UpdateEndpoint/DeleteEndpoint and iam:PassRole, iam:Put*Policy and "
    "iam:Attach*Policy, narrow trust policies that let it assume other roles (`aws iam update-assume-role-policy`), "
    "and add explicit Denies or bucket and key policy conditions (`aws:PrincipalTag/team`) for what it must never "
    "reach; `cspm-ai paths --from <role ARN>` lists every path.",
    reads=(
        "RolePolicyList",
        "attached_policy.Document",
        "PermissionsBoundary",
        "AssumeRolePolicyDocument",
        "<aws.s3.bucket>.Policy",
        "<aws.kms.key>.Policy",
        "uses_role<-",
        "Tags",
    ),
)
def ai_identity_blast_radius(role: Resource, ctx: CheckContext) -> Verdict:
    """Evaluates the role's identity policies together with bucket policies, key policies and the trust policies of
    the other roles (`cspm_ai.attack_paths.aws`: explicit Deny wins, a permissions boundary in the inventory limits,
    conditional Allows count). FAIL when a path, through every role it can assume or pass, leads to a SageMaker
    endpoint, Bedrock agent or AgentCore runtime not tagged as non-production that it can update or delete, to a
    bucket or key tagged with another team (team or owner tag; with no team of its own, to those of two teams), or to
    more permissions (changing its own or any principal's policies, passing any role); the evidence names each policy
    statement. A role no AI resource runs as PASSes; a managed policy not in the inventory makes a clean result
    MANUAL."""
    # Which AI resources run as the role (and so its team, and whether it is an AI identity at all) cannot be
    # answered while one of them may be unread: ERROR naming that read, as for the other role-usage checks.
    require_listed(ctx, ROLE_USER_TYPES, role.account)
    graph = ctx.attack_paths
    workloads = graph.workloads_of(role.uid)
    if not workloads:
        return passed(f"{role.name} is not the execution role of any AI resource in the scan.", workloads=[])
    verdict = judge_identity(graph, role.uid, f"{role.name}", identity_team(graph, role.uid))
    evidence = {"runs": [graph.label(w) for w in workloads], **verdict.evidence}
    return Verdict(verdict.status, verdict.message, evidence)


def _exposure(resource: Resource) -> dict[str, str] | None:
    """The settings that make a notebook or Studio domain reachable from the internet; None when they do not."""
    if resource.type == NOTEBOOK:
        access = get(resource.config, "DirectInternetAccess")
        value = "Enabled" if access is ABSENT or access is None else access
        return {"DirectInternetAccess": str(value)} if value != "Disabled" else None
    mode = get(resource.config, "AppNetworkAccessType")
    value = "PublicInternetOnly" if mode is ABSENT or mode is None else mode
    return {"AppNetworkAccessType": str(value)} if value != "VpcOnly" else None


@check(
    id="aws.iam.exposed_ai_identity_sensitive_data",
    resource_types=(NOTEBOOK, DOMAIN),
    severity=Severity.CRITICAL,
    title="No internet-reachable notebook or Studio domain runs as an identity that reaches sensitive data",
    checklist=("ZT-4",),
    remediation="Take the notebook or domain off the internet (recreate the notebook with "
    "`--direct-internet-access Disabled` in a private subnet; `aws sagemaker update-domain --domain-id <id> "
    "--app-network-access-type VpcOnly`), or give it a role without access to buckets classified as sensitive "
    "(`aws sagemaker update-notebook-instance --role-arn <narrow role>`); `cspm-ai paths --from <ARN>` lists "
    "the paths.",
    reads=("DirectInternetAccess", "AppNetworkAccessType", "uses_role", "<aws.s3.bucket>.Tags"),
)
def exposed_ai_identity_sensitive_data(resource: Resource, ctx: CheckContext) -> Verdict:
    """Internet-reachable: a notebook instance with DirectInternetAccess Enabled (absent = the default, Enabled), a
    Studio domain with AppNetworkAccessType PublicInternetOnly (absent = the default). Sensitive: a bucket whose
    classification tag (DataClassification, ...) names anything but public data. FAIL when such a resource's
    execution role (a domain's default one) can read or write a sensitive bucket, directly or through the roles it
    can become, the path as evidence; PASS when it is not reachable or reaches no sensitive bucket; MANUAL when the
    role's reach is not fully known."""
    ctx.related(resource, "uses_role")  # a role that could not be read makes this ERROR, not a PASS
    return judge_exposed(ctx.attack_paths, resource, _exposure(resource))
