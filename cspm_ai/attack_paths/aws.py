"""AWS attack paths: IAM roles, their identity policies and the resource policies of the targets, together.

What is evaluated, for every role in the inventory (the execution roles AI resources run as):

- identity policies: inline policies and attached managed policies (AWS managed ones included, as
  GetAccountAuthorizationDetails returns them), Allow and Deny with Action/NotAction and Resource/NotResource
  wildcards; a permissions boundary, when its document is in the inventory, must allow the call too;
- resource policies: S3 bucket policies (they can grant a role access on their own, in the same account) and KMS key
  policies (a key is usable only when its policy names the role, or delegates to the account and an identity policy
  allows the call);
- an unconditional Deny in any of them wins; a conditional Allow counts as a grant (some request meets it) and a
  conditional Deny does not take one away;
- can become: sts:AssumeRole into a role whose trust policy names the role (or its account, when the role's policy
  allows the call), and iam:PassRole of a role to a service the role can create compute in (SageMaker jobs and
  notebooks, Lambda, EC2, Glue, Bedrock agents, AgentCore runtimes), when the passed role trusts that service;
- can raise its own permissions: changing its own policies (iam:PutRolePolicy, AttachRolePolicy,
  DeleteRolePermissionsBoundary on itself; CreatePolicyVersion on its customer managed policies), or changing any
  user, group, role or policy of the account, or passing any role of the account to a service it can run code in.

Not evaluated: service control policies and resource control policies of AWS Organizations, session policies, VPC
endpoint policies, S3 access points and ACLs, KMS grants, and the policies of roles that are not in the inventory
(a role no AI resource runs as is not read).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cspm_ai.attack_paths.graph import (
    BECOME,
    BECOMES,
    CHANGE,
    ENDPOINT,
    ESCALATE,
    ESCALATION,
    IDENTITY,
    KEY,
    REACHES,
    READ,
    RUN,
    RUNS_AS,
    STORE,
    USE,
    WORKLOAD,
    WRITE,
    AttackGraph,
    Grant,
)
from cspm_ai.aws_policy import (
    PolicySource,
    Statement,
    action_covered,
    covers_resource,
    statements,
    wildcard_match,
)
from cspm_ai.doc import as_list, get
from cspm_ai.model import Resource

if TYPE_CHECKING:
    from cspm_ai.engine import Snapshot

ROLE = "aws.iam.role"
POLICY = "aws.iam.policy"
BUCKET = "aws.s3.bucket"
KMS_KEY = "aws.kms.key"
# Inference endpoints, and the calls that change what they serve.
ENDPOINT_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws.sagemaker.endpoint": (
        "sagemaker:UpdateEndpoint",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
        "sagemaker:DeleteEndpoint",
    ),
    "aws.bedrock.agent": ("bedrock:UpdateAgent", "bedrock:DeleteAgent"),
    "aws.agentcore.runtime": ("bedrock-agentcore:UpdateAgentRuntime", "bedrock-agentcore:DeleteAgentRuntime"),
}
STORE_ACTIONS = ((READ, "s3:GetObject"), (WRITE, "s3:PutObject"))
KEY_ACTION = "kms:Decrypt"
ASSUME = "sts:AssumeRole"
PASS_ROLE = "iam:PassRole"
# The calls that run code as a passed role, by the service that assumes it.
RUNS_PASSED_ROLE: dict[str, tuple[str, ...]] = {
    "sagemaker.amazonaws.com": (
        "sagemaker:CreateTrainingJob",
        "sagemaker:CreateProcessingJob",
        "sagemaker:CreateNotebookInstance",
    ),
    "lambda.amazonaws.com": ("lambda:CreateFunction",),
    "ec2.amazonaws.com": ("ec2:RunInstances",),
    "glue.amazonaws.com": ("glue:CreateDevEndpoint", "glue:CreateJob"),
    "bedrock.amazonaws.com": ("bedrock:CreateAgent",),
    "bedrock-agentcore.amazonaws.com": ("bedrock-agentcore:CreateAgentRuntime",),
}
SELF_ESCALATION = ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePermissionsBoundary")
POLICY_ESCALATION = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
# Changing any principal of the account: (kind of ARN, calls).
ACCOUNT_ESCALATION: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "user",
        (
            "iam:CreateAccessKey",
            "iam:CreateLoginProfile",
            "iam:UpdateLoginProfile",
            "iam:PutUserPolicy",
            "iam:AttachUserPolicy",
        ),
    ),
    ("group", ("iam:PutGroupPolicy", "iam:AttachGroupPolicy")),
    ("role", ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy")),
    ("policy", ("iam:CreatePolicyVersion",)),
)


def _via(source: PolicySource, stmt: Statement) -> str:
    sid = f" ({stmt.sid})" if stmt.sid else ""
    return f"{source.label} statement {stmt.index}{sid}"


def _sources(role: Resource, policies: dict[str, Resource]) -> tuple[list[PolicySource], list[str]]:
    """Inline and attached managed policies of a role, and the attached ARNs not in the inventory."""
    found = [
        PolicySource(
            f"inline policy {get(item, 'PolicyName', f'#{i}')}", f"RolePolicyList.{i}", get(item, "PolicyDocument")
        )
        for i, item in enumerate(as_list(get(role.config, "RolePolicyList")))
    ]
    missing: list[str] = []
    for attached in as_list(get(role.config, "AttachedManagedPolicies")):
        arn = get(attached, "PolicyArn")
        if not isinstance(arn, str):
            continue
        policy = policies.get(arn)
        if policy is None:
            missing.append(arn)
            continue
        name = get(policy.config, "PolicyName", policy.name)
        found.append(PolicySource(f"managed policy {name}", arn, get(policy.config, "Document")))
    return found, missing


@dataclass
class _Principal:
    """One role's evaluated policies: its Allow statements, its unconditional Denies, and its boundary."""

    resource: Resource
    allows: list[tuple[PolicySource, Statement]]
    denies: list[tuple[PolicySource, Statement]]
    boundary: list[tuple[PolicySource, Statement]] | None
    _by_action: dict[str, tuple[list[tuple[PolicySource, Statement]], list[Statement]]] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return self.resource.uid

    @property
    def account(self) -> str:
        return self.resource.account

    @property
    def partition(self) -> str:
        parts = self.arn.split(":")
        return parts[1] if len(parts) > 1 and parts[1] else "aws"

    def _for(self, action: str) -> tuple[list[tuple[PolicySource, Statement]], list[Statement]]:
        if action not in self._by_action:
            allows = [(src, s) for src, s in self.allows if action_covered(s, action)]
            denies = [s for _, s in self.denies if action_covered(s, action)]
            self._by_action[action] = (allows, denies)
        return self._by_action[action]

    def has_allow(self, action: str) -> bool:
        """Whether any Allow of the role's policies names `action` (on some resource)."""
        return bool(self._for(action)[0])

    def denied(self, action: str, resource: str) -> bool:
        return any(covers_resource(s, resource) for s in self._for(action)[1])

    def allowed(self, action: str, resource: str) -> tuple[PolicySource, Statement] | None:
        """The first Allow of `action` on `resource`, unless a Deny or the boundary takes it away."""
        if not self._for(action)[0] or self.denied(action, resource):
            return None
        return self.granted(action, resource)

    def granted(self, action: str, resource: str) -> tuple[PolicySource, Statement] | None:
        """`allowed` for a caller that has already found no Deny of `action` on `resource`."""
        grant = next(((src, s) for src, s in self._for(action)[0] if covers_resource(s, resource)), None)
        if grant is not None and not self.bounded(action, resource):
            return None
        return grant

    def allowed_anywhere(self, action: str) -> tuple[PolicySource, Statement] | None:
        """An Allow of `action` on some resource, unless an unconditional Deny takes it away everywhere."""
        allows, denies = self._for(action)
        if any(s.resources is not None and "*" in s.resources for s in denies):
            return None
        return allows[0] if allows and self.bounded(action, "*") else None

    def bounded(self, action: str, resource: str) -> bool:
        if self.boundary is None:
            return True
        return any(
            action_covered(s, action) and (resource == "*" or covers_resource(s, resource)) for _, s in self.boundary
        )


def _split(
    sources: Iterable[PolicySource],
) -> tuple[list[tuple[PolicySource, Statement]], list[tuple[PolicySource, Statement]]]:
    allows: list[tuple[PolicySource, Statement]] = []
    denies: list[tuple[PolicySource, Statement]] = []
    for source in sources:
        for stmt in statements(source.document) or ():
            if stmt.effect == "Allow" and (stmt.resources or stmt.not_resources):
                allows.append((source, stmt))
            elif stmt.effect == "Deny" and not stmt.conditional:
                denies.append((source, stmt))
    return allows, denies


def _principal(role: Resource, policies: dict[str, Resource], graph: AttackGraph) -> _Principal:
    sources, missing = _sources(role, policies)
    for arn in missing:
        graph.unknown(role.uid, f"managed policy {arn} is not in the inventory")
    for source in sources:
        if statements(source.document) is None:
            graph.unknown(role.uid, f"{source.label} has no readable Statement")
    allows, denies = _split(sources)
    # A boundary whose document is not in the inventory is not applied: the role may reach less than its paths say.
    boundary = None
    policy = policies.get(str(get(role.config, "PermissionsBoundary.PermissionsBoundaryArn", "")))
    if policy is not None:
        source = PolicySource(f"permissions boundary {policy.name}", policy.uid, get(policy.config, "Document"))
        boundary = _split([source])[0]
    return _Principal(role, allows, denies, boundary)


def _every(grant: tuple[PolicySource, Statement], probe: str) -> bool:
    """Whether the grant's Resource takes in every ARN the probe stands for (`.../role/*`), not one of them."""
    return any(wildcard_match(p, probe) for p in grant[1].resources or ("*",))


def _names(principal: Any) -> list[str]:
    """Every AWS principal a statement's Principal names ("*" for anyone)."""
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    return [str(v) for v in as_list(principal.get("AWS"))]


def _matches(stmt: Statement, who: _Principal) -> str | None:
    """How a resource policy statement names the role: "direct" (its ARN or anyone) or "account" (its account)."""
    names = _names(stmt.principal)
    if "*" in names or who.arn in names:
        return "direct"
    root = f"arn:{who.partition}:iam::{who.account}:root"
    if root in names or who.account in names:
        return "account"
    return None


def _resource_policy(applicable: list[Statement], who: _Principal) -> tuple[str | None, Statement | None, bool]:
    """(how it names the role, the statement, denied) under a resource policy's statements that apply to the
    action and resource asked about (`_Builder.applicable`)."""
    found: tuple[str | None, Statement | None] = (None, None)
    for stmt in applicable:
        how = _matches(stmt, who)
        if how is None:
            continue
        if stmt.effect == "Deny" and not stmt.conditional:
            return None, stmt, True
        if stmt.effect == "Allow" and (found[0] is None or (how == "direct" and found[0] == "account")):
            found = (how, stmt)
    return found[0], found[1], False


class _Builder:
    def __init__(self, snapshot: Snapshot, graph: AttackGraph) -> None:
        self.snap = snapshot
        self.graph = graph
        self.policies: dict[str, Resource] = {}
        for policy in snapshot.by_type.get(POLICY, ()):
            self.policies[policy.uid] = policy
            arn = get(policy.config, "Arn")
            if isinstance(arn, str):
                self.policies[arn] = policy
        self.principals = [_principal(r, self.policies, graph) for r in snapshot.by_type.get(ROLE, ())]
        self.roles = {p.arn: p for p in self.principals}
        # Each resource and trust policy parsed once (a role is evaluated against every bucket, key and role).
        self.parsed: dict[str, list[Statement]] = {}
        self.applying: dict[tuple[str, str, str, str], list[Statement]] = {}

    def policy(self, resource: Resource, key: str) -> list[Statement]:
        """The statements of a policy document in the resource's config (none when absent or unreadable)."""
        cache_key = f"{resource.uid}\x00{key}"
        if cache_key not in self.parsed:
            self.parsed[cache_key] = statements(get(resource.config, key)) or []
        return self.parsed[cache_key]

    def applicable(self, resource: Resource, key: str, action: str, target: str) -> list[Statement]:
        """The statements of a resource policy that apply to `action` on `target`: the same for every role, so
        worked out once per (resource, action) rather than once per role."""
        cache_key = (resource.uid, key, action, target)
        if cache_key not in self.applying:
            # A conditional Deny never counts (`_resource_policy`), so it is not kept.
            self.applying[cache_key] = [
                s
                for s in self.policy(resource, key)
                if not (s.effect == "Deny" and s.conditional)
                and action_covered(s, action)
                and covers_resource(s, target)
            ]
        return self.applying[cache_key]

    def build(self) -> None:
        for principal in self.principals:
            self.graph.add_node(
                principal.arn,
                f"role {principal.resource.name}",
                IDENTITY,
                provider="aws",
                account=principal.account,
                resource=principal.resource,
            )
        self.workloads()
        for principal in self.principals:
            self.endpoints(principal)
            self.stores(principal)
            self.keys(principal)
            self.escalation(principal)
            self.assume(principal)
            self.pass_role(principal)

    # -- workloads ---------------------------------------------------------------------------------------------

    def _workload(self, resource: Resource, role_arn: str, why: str) -> None:
        if role_arn not in self.roles:
            return
        label = f"{resource.type.rsplit('.', 1)[-1].replace('_', ' ')} {resource.name}"
        self.graph.add_node(resource.uid, label, WORKLOAD, provider="aws", account=resource.account, resource=resource)
        self.graph.add_edge(resource.uid, role_arn, RUNS_AS, Grant(RUN, "sts:AssumeRole", why))

    def workloads(self) -> None:
        for rel in self.snap.relations:
            if rel.kind == "uses_role" and rel.src in self.snap.by_uid:
                self._workload(self.snap.by_uid[rel.src], rel.dst, "its execution role")
        # An endpoint runs its models' containers, each as its model's execution role.
        for endpoint in self.snap.by_type.get("aws.sagemaker.endpoint", ()):
            for config in self.snap.outgoing.get((endpoint.uid, "uses_endpoint_config"), ()):
                for model in self.snap.outgoing.get((config, "uses_model"), ()):
                    model_name = model.rsplit("/", 1)[-1]
                    for role in self.snap.outgoing.get((model, "uses_role"), ()):
                        self._workload(endpoint, role, f"the execution role of its model {model_name}")

    # -- targets ---------------------------------------------------------------------------------------------

    def _target(self, resource: Resource, kind: str, label: str) -> None:
        self.graph.add_node(resource.uid, label, kind, provider="aws", account=resource.account, resource=resource)

    def endpoints(self, who: _Principal) -> None:
        for rtype, actions in ENDPOINT_ACTIONS.items():
            for endpoint in self.snap.by_type.get(rtype, ()):
                if endpoint.account != who.account:
                    continue
                for action in actions:
                    grant = who.allowed(action, endpoint.uid)
                    if grant is not None:
                        kind = rtype.rsplit(".", 1)[-1].replace("_", " ")
                        self._target(endpoint, ENDPOINT, f"{kind} {endpoint.name}")
                        self.graph.add_edge(who.arn, endpoint.uid, REACHES, Grant(CHANGE, action, _via(*grant)))
                        break

    def stores(self, who: _Principal) -> None:
        for bucket in self.snap.by_type.get(BUCKET, ()):
            objects = f"{bucket.uid}/*"
            for access, action in STORE_ACTIONS:
                applicable = self.applicable(bucket, "Policy", action, objects)
                if not (applicable or who.has_allow(action)) or who.denied(action, objects):
                    continue  # nothing grants it, or the role's own Deny takes it away
                how, stmt, denied = _resource_policy(applicable, who)
                if denied:
                    continue
                own = who.granted(action, objects)
                same_account = bucket.account == who.account
                if own is not None and (same_account or how is not None):
                    via = _via(*own) + (
                        f" and bucket policy statement {stmt.index}" if stmt and not same_account else ""
                    )
                elif how == "direct" and stmt is not None and same_account and who.bounded(action, objects):
                    via = f"the bucket policy of {bucket.name} statement {stmt.index}"
                else:
                    continue
                self._target(bucket, STORE, f"bucket {bucket.name}")
                self.graph.add_edge(who.arn, bucket.uid, REACHES, Grant(access, action, via))

    def keys(self, who: _Principal) -> None:
        for key in self.snap.by_type.get(KMS_KEY, ()):
            if who.denied(KEY_ACTION, key.uid):
                continue
            how, stmt, denied = _resource_policy(self.applicable(key, "Policy", KEY_ACTION, key.uid), who)
            if denied or stmt is None:
                continue  # a key policy that names neither the role nor its account lets nobody in
            own = who.allowed(KEY_ACTION, key.uid)
            if how == "direct" and who.bounded(KEY_ACTION, key.uid):
                via = f"the key policy of {key.name} statement {stmt.index}"
            elif how == "account" and own is not None and key.account == who.account:
                via = f"{_via(*own)}, which the key policy statement {stmt.index} delegates to IAM"
            else:
                continue
            alias = get(key.config, "AliasName")
            self._target(key, KEY, f"key {alias if isinstance(alias, str) else key.name}")
            self.graph.add_edge(who.arn, key.uid, REACHES, Grant(USE, KEY_ACTION, via))

    # -- can become ------------------------------------------------------------------------------------------

    def assume(self, who: _Principal) -> None:
        for target in self.principals:
            if target.arn == who.arn:
                continue
            for stmt in self.policy(target.resource, "AssumeRolePolicyDocument"):
                if stmt.effect != "Allow" or not action_covered(stmt, ASSUME):
                    continue
                how = _matches(stmt, who)
                own = who.allowed(ASSUME, target.arn)
                if (
                    how == "direct"
                    and (who.account == target.account or own is not None)
                    and not who.denied(ASSUME, target.arn)
                ):
                    via = f"the trust policy of {target.resource.name} statement {stmt.index}"
                elif how == "account" and own is not None:
                    via = f"{_via(*own)} and the trust policy of {target.resource.name} statement {stmt.index}"
                else:
                    continue
                self.graph.add_edge(who.arn, target.arn, BECOMES, Grant(BECOME, ASSUME, via))
                break

    def _creates(self, who: _Principal) -> dict[str, tuple[str, tuple[PolicySource, Statement]]]:
        """For each service, a call `who` may make that runs code as a role passed to it."""
        found: dict[str, tuple[str, tuple[PolicySource, Statement]]] = {}
        for service, actions in RUNS_PASSED_ROLE.items():
            for action in actions:
                grant = who.allowed_anywhere(action)
                if grant is not None:
                    found[service] = (action, grant)
                    break
        return found

    def pass_role(self, who: _Principal) -> None:
        creates = self._creates(who)
        if not creates:
            return
        for target in self.principals:
            if target.arn == who.arn:
                continue
            passing = who.allowed(PASS_ROLE, target.arn)
            if passing is None:
                continue
            for stmt in self.policy(target.resource, "AssumeRolePolicyDocument"):
                services = as_list(get(stmt.principal, "Service")) if isinstance(stmt.principal, dict) else []
                usable = [s for s in services if s in creates]
                if stmt.effect == "Allow" and usable:
                    action, create = creates[usable[0]]
                    via = f"{_via(*passing)} ({PASS_ROLE}) with {_via(*create)} ({action})"
                    self.graph.add_edge(who.arn, target.arn, BECOMES, Grant(BECOME, PASS_ROLE, via))
                    break
        probe = f"arn:{who.partition}:iam::{who.account}:role/*"
        passing = who.allowed(PASS_ROLE, probe)
        if passing is not None and _every(passing, probe):
            service, (action, create) = next(iter(creates.items()))
            via = f"{_via(*passing)} passes any role of the account to {service} with {_via(*create)} ({action})"
            self._escalate(who, PASS_ROLE, via)

    # -- can raise its own permissions ------------------------------------------------------------------------

    def _escalate(self, who: _Principal, action: str, via: str) -> None:
        uid = f"escalation:aws:{who.account}"
        self.graph.add_node(
            uid, f"more permissions in account {who.account}", ESCALATION, provider="aws", account=who.account
        )
        self.graph.add_edge(who.arn, uid, REACHES, Grant(ESCALATE, action, via))

    def escalation(self, who: _Principal) -> None:
        for action in SELF_ESCALATION:
            grant = who.allowed(action, who.arn)
            if grant is not None:
                self._escalate(who, action, f"{_via(*grant)} on itself")
        for attached in as_list(get(who.resource.config, "AttachedManagedPolicies")):
            arn = get(attached, "PolicyArn")
            if not isinstance(arn, str) or ":iam::aws:" in arn:
                continue
            for action in POLICY_ESCALATION:
                grant = who.allowed(action, arn)
                if grant is not None:
                    self._escalate(who, action, f"{_via(*grant)} on its own policy {arn.rsplit('/', 1)[-1]}")
        for kind, actions in ACCOUNT_ESCALATION:
            probe = f"arn:{who.partition}:iam::{who.account}:{kind}/*"
            for action in actions:
                grant = who.allowed(action, probe)
                if grant is not None and _every(grant, probe):
                    self._escalate(who, action, f"{_via(*grant)} on every {kind} of the account")
                    break


def build(snapshot: Snapshot, graph: AttackGraph) -> None:
    """Add the AWS part of the snapshot to the graph."""
    _Builder(snapshot, graph).build()
