"""Organization Policy checks: constraints that govern AI workloads, their data, Workbench and TLS are enforced."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import as_list, get
from cspm_ai.gcp import (
    AI_CONSTRAINTS,
    OLD_TLS_VERSIONS,
    TLS_CONSTRAINT,
    VERTEX_WORKBENCH_OTHER,
    VERTEX_WORKBENCH_REQUIRED,
)
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check


def constraint_of(policy: Resource) -> str:
    """The constraint a v2 Policy governs: its name is "projects/<p>/policies/<constraint without prefix>"."""
    name = get(policy.config, "name")
    tail = name.rsplit("/policies/", 1)[-1] if isinstance(name, str) else policy.name
    return tail if tail.startswith("constraints/") else f"constraints/{tail}"


def _enforcing(rule: Any) -> bool:
    """A rule that restricts: enforce true (boolean constraints), denyAll, or allowed/denied values (list ones)."""
    return (
        get(rule, "enforce") is True
        or get(rule, "denyAll") is True
        or bool(as_list(get(rule, "values.allowedValues")))
        or bool(as_list(get(rule, "values.deniedValues")))
    )


@check(
    id="gcp.orgpolicy.ai_constraints",
    resource_types="gcp.project",
    severity=Severity.MEDIUM,
    title="Organization policy constraints governing AI and data are enforced on the project",
    checklist=("CL-12",),
    remediation="Enforce the constraints at the organization or folder (inherited) or on the project, e.g. `gcloud "
    "org-policies set-policy policy.yaml` with `name: projects/<p>/policies/"
    "iam.disableServiceAccountKeyCreation` and `spec: {rules: [{enforce: true}]}`, or "
    "`gcloud resource-manager org-policies allow gcp.resourceLocations in:us-locations --project=<p>`.",
    reads=("gcp.orgpolicy.policy:name", "gcp.orgpolicy.policy:spec.rules"),
)
def ai_constraints(project: Resource, ctx: CheckContext) -> Verdict:
    """PASS when at least one effective gcp.orgpolicy.policy of the project, for a constraint that governs AI or
    data (resource locations, CMEK, service account keys, Workbench root/public IP, VM external IPs, Vertex AI
    models), has a spec.rules entry that restricts (enforce true, denyAll, allowedValues or deniedValues).
    Absent rules (or allowAll) restrict nothing: FAIL."""
    found: list[str] = []
    unenforced: list[str] = []
    for policy in ctx.resources("gcp.orgpolicy.policy", account=project.account):
        constraint = constraint_of(policy)
        if constraint not in AI_CONSTRAINTS:
            continue
        rules = as_list(get(policy.config, "spec.rules"))
        (found if any(_enforcing(r) for r in rules) else unenforced).append(constraint)
    evidence = {"enforced": sorted(found), "notEnforced": sorted(unenforced)}
    if found:
        return passed(
            f"{project.name} enforces {len(found)} AI and data constraint(s): {', '.join(sorted(found))}.", **evidence
        )
    return failed(
        f"{project.name} enforces none of the organization policy constraints that govern AI and data "
        f"({len(unenforced)} set without an enforcing rule).",
        **evidence,
    )


def _effective(project: Resource, ctx: CheckContext) -> dict[str, Resource]:
    """The project's effective policies by constraint."""
    return {constraint_of(p): p for p in ctx.resources("gcp.orgpolicy.policy", account=project.account)}


def _enforced(policy: Resource | None) -> bool:
    return policy is not None and any(_enforcing(r) for r in as_list(get(policy.config, "spec.rules")))


@check(
    id="gcp.orgpolicy.vertex_workbench_constraints",
    resource_types="gcp.project",
    severity=Severity.MEDIUM,
    title="Organization policy constraints for Vertex AI and Workbench are enforced on the project",
    checklist=("PH-3",),
    remediation="Enforce each missing constraint at the organization, folder or project: `gcloud resource-manager "
    "org-policies enable-enforce ainotebooks.restrictPublicIp --project=<p>`, `gcloud resource-manager "
    "org-policies enable-enforce ainotebooks.disableRootAccess --project=<p>` and `gcloud resource-manager "
    "org-policies allow vertexai.allowedModels publishers/google/models/<model>:predict --project=<p>` (or "
    "`gcloud org-policies set-policy policy.yaml` with the rules).",
    reads=("gcp.orgpolicy.policy:name", "gcp.orgpolicy.policy:spec.rules"),
)
def vertex_workbench_constraints(project: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the project's effective policies enforce constraints/ainotebooks.restrictPublicIp,
    constraints/ainotebooks.disableRootAccess and constraints/vertexai.allowedModels (a rule with enforce true,
    denyAll, allowedValues or deniedValues): Organization Policy then refuses a Workbench instance with a public IP
    or root access and a Model Garden model outside the list, at creation, whoever makes the change. A constraint
    with no policy, rules absent or allowAll restricts nothing: FAIL naming it. Other Workbench constraints
    (file downloads, terminal, auto-upgrade, VPC networks, access mode, environments) are listed when enforced.
    What this proves: the guard rails are in force for new resources; existing ones created before stay as they
    are (the checks of CL-01 judge those)."""
    policies = _effective(project, ctx)
    missing = [c for c in VERTEX_WORKBENCH_REQUIRED if not _enforced(policies.get(c))]
    others = [c for c in VERTEX_WORKBENCH_OTHER if _enforced(policies.get(c))]
    evidence = {
        "required": list(VERTEX_WORKBENCH_REQUIRED),
        "notEnforced": missing,
        "otherEnforced": others,
    }
    if missing:
        return failed(
            f"{project.name} does not enforce {', '.join(missing)} (no policy, or rules that restrict nothing), so "
            "nothing stops that drift in Vertex AI and Workbench.",
            **evidence,
        )
    extra = f", and {len(others)} other Workbench constraint(s)" if others else ""
    return passed(
        f"{project.name} enforces the Workbench public IP and root access constraints and the Vertex AI model "
        f"allow list{extra}.",
        **evidence,
    )


@check(
    id="gcp.orgpolicy.tls_versions_restricted",
    resource_types="gcp.project",
    severity=Severity.MEDIUM,
    title="Google Cloud APIs refuse TLS 1.0 and 1.1 for the project",
    checklist=("CL-04",),
    remediation="Deny the old versions at the organization, folder or project: `gcloud resource-manager org-policies "
    "deny gcp.restrictTLSVersion TLS_VERSION_1 TLS_VERSION_1_1 --project=<p>` (or `--organization=<id>`); "
    "check first that no client still negotiates TLS 1.0 or 1.1.",
    reads=("gcp.orgpolicy.policy:name", "gcp.orgpolicy.policy:spec.rules"),
)
def tls_versions_restricted(project: Resource, ctx: CheckContext) -> Verdict:
    """What this proves: whether the TLS floor a project can set is raised to 1.2. Google Cloud's APIs
    (*.googleapis.com, Vertex AI's regional and prediction hosts among them) accept TLS 1.0 and 1.1 by default, and no
    Vertex AI, Cloud Storage or BigQuery resource setting changes that; the list constraint
    constraints/gcp.restrictTLSVersion is the one place the floor is set. PASS when its effective policy for the
    project denies both TLS_VERSION_1 and TLS_VERSION_1_1 (deniedValues of a rule): requests to Google Cloud
    hostnames then need TLS 1.2 or later. No policy, rules absent, allowAll, or a deny list missing either version:
    FAIL. Not covered: custom domains and load balancers in front of models (their SSL policies) and traffic inside
    a VPC to a VPC-peered private endpoint."""
    policy = _effective(project, ctx).get(TLS_CONSTRAINT)
    denied: set[str] = set()
    for rule in as_list(get(policy.config, "spec.rules")) if policy else []:
        denied.update(str(v) for v in as_list(get(rule, "values.deniedValues")))
    missing = [v for v in OLD_TLS_VERSIONS if v not in denied]
    evidence = {"constraint": TLS_CONSTRAINT, "deniedValues": sorted(denied), "stillAccepted": missing}
    if not missing:
        return passed(
            f"{project.name} denies TLS 1.0 and 1.1 on Google Cloud APIs through {TLS_CONSTRAINT}, so calls need TLS "
            "1.2 or later.",
            **evidence,
        )
    note = "has no policy" if policy is None else "does not deny " + " and ".join(missing)
    return failed(
        f"{project.name}: {TLS_CONSTRAINT} {note}, so Google Cloud APIs still accept TLS 1.0 and 1.1 from its clients.",
        **evidence,
    )
