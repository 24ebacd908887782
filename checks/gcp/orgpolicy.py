"""Organization Policy checks: constraints that govern AI workloads and their data are enforced."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import as_list, get
from cspm_ai.gcp import AI_CONSTRAINTS
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
