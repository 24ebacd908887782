"""AWS Organizations checks: what the organization enforces over every account (read by `scan aws --organization`)."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import as_list, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

ORGANIZATION = "aws.organizations.organization"
POLICY = "aws.organizations.policy"
# IAM prefixes of the AI services an SCP may fence in.
AI_PREFIXES = ("sagemaker:", "bedrock:", "bedrock-agentcore:")
_REGION_KEY = "aws:requestedregion"
_DELEGATED = {"GuardDuty": "GuardDutyDelegatedAdministrators", "Security Hub": "SecurityHubDelegatedAdministrators"}


def _covers_ai(actions: list[Any]) -> bool:
    return any(isinstance(a, str) and (a == "*" or a.lower().startswith(AI_PREFIXES)) for a in actions)


def ai_restriction(statement: Any) -> list[str] | None:
    """What a Deny statement leaves AI services: [] when it denies them outright, the regions it leaves them when
    it denies them outside aws:RequestedRegion (StringNotEquals or StringNotLike), None when it does neither
    (not a Deny, AI actions not covered, or another condition that may let them through)."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return None
    if "NotAction" in statement:
        # "Deny everything but these" covers AI unless AI is among the exempted actions.
        if _covers_ai(as_list(statement.get("NotAction"))):
            return None
    elif not _covers_ai(as_list(statement.get("Action"))):
        return None
    condition = statement.get("Condition")
    if not condition:
        return []
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    operator, clause = next(iter(condition.items()))
    if operator not in ("StringNotEquals", "StringNotLike") or not isinstance(clause, dict) or len(clause) != 1:
        return None
    key, regions = next(iter(clause.items()))
    if key.lower() != _REGION_KEY:
        return None
    return sorted(str(r) for r in as_list(regions))


@check(
    id="aws.organizations.scp_restricts_ai_regions",
    resource_types=ORGANIZATION,
    severity=Severity.MEDIUM,
    title="A service control policy keeps the organization's AI services in allowed regions",
    checklist=("CL-09",),
    remediation="Create a service control policy that denies `sagemaker:*`, `bedrock:*` and `bedrock-agentcore:*` "
    "where `aws:RequestedRegion` is not one of your allowed regions (`StringNotEquals`), and attach it to the "
    "root or to the organizational units that hold AI workloads (`aws organizations create-policy --type "
    "SERVICE_CONTROL_POLICY`, then `attach-policy`).",
    reads=(f"{POLICY}.Content.Statement", f"{POLICY}.Targets"),
)
def scp_restricts_ai_regions(org: Resource, ctx: CheckContext) -> Verdict:
    """PASS when an attached SCP denies the AI services outright or outside a list of regions (all of them allowed
    ones, when allowed regions are configured). FAIL when no attached SCP does, or when one leaves AI services a
    region outside the allowed ones. An SCP attached to no target restricts nothing."""
    allowed = ctx.allowed_regions
    fences: dict[str, list[str]] = {}
    targets: dict[str, list[str]] = {}
    for policy in ctx.resources(POLICY, account=org.account):
        attached = [
            str(t.get("Name") or t.get("TargetId"))
            for t in as_list(get(policy.config, "Targets"))
            if isinstance(t, dict) and (t.get("Name") or t.get("TargetId"))
        ]
        if not attached:
            continue
        for statement in as_list(get(policy.config, "Content.Statement")):
            regions = ai_restriction(statement)
            if regions is not None:
                fences[policy.name] = regions
                targets[policy.name] = attached
                break
    evidence: dict[str, Any] = {
        f"{POLICY}[{name}]": {"regions": shown(regions) or "denied everywhere", "Targets": targets[name]}
        for name, regions in fences.items()
    }
    if not fences:
        return failed(f"No service control policy attached in {org.name} restricts AI services or their regions.")
    for name, regions in fences.items():
        outside = sorted(set(regions) - allowed) if allowed is not None else []
        if outside:
            return failed(
                f"Service control policy {name} in {org.name} leaves AI services {', '.join(outside)}, outside the "
                f"allowed regions.",
                **evidence,
            )
    name, regions = next(iter(fences.items()))
    where = f"outside {', '.join(regions)}" if regions else "everywhere"
    return passed(
        f"Service control policy {name} denies AI services {where} in {org.name} (attached to "
        f"{', '.join(targets[name])}).",
        **evidence,
    )


@check(
    id="aws.organizations.security_services_delegated",
    resource_types=ORGANIZATION,
    severity=Severity.MEDIUM,
    title="GuardDuty and Security Hub have a delegated administrator for the organization",
    checklist=("CL-10",),
    remediation="From the management account, run `aws guardduty enable-organization-admin-account "
    "--admin-account-id <security account>` and `aws securityhub enable-organization-admin-account "
    "--admin-account-id <security account>`, then turn on auto-enable for new member accounts in both.",
    reads=tuple(_DELEGATED.values()),
)
def security_services_delegated(org: Resource, ctx: CheckContext) -> Verdict:
    """PASS when both GuardDuty and Security Hub name a delegated administrator account (so one security account
    sees and enables them across the organization); FAIL naming the service that has none (absent = none)."""
    admins = {
        service: [str(a.get("Id")) for a in as_list(get(org.config, key)) if isinstance(a, dict)]
        for service, key in _DELEGATED.items()
    }
    evidence = {key: admins[service] for service, key in _DELEGATED.items()}
    missing = [service for service, ids in admins.items() if not ids]
    if missing:
        verb = "has" if len(missing) == 1 else "have"
        return failed(f"{' and '.join(missing)} {verb} no delegated administrator in {org.name}.", **evidence)
    named = "; ".join(f"{service}: {', '.join(ids)}" for service, ids in admins.items())
    return passed(f"{org.name} delegates GuardDuty and Security Hub administration ({named}).", **evidence)
