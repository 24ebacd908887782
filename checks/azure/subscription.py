"""Subscription-level checks: incident response playbooks for AI scenarios (no API can show them), and what a
compromised training job can reach (the attack graph)."""

from __future__ import annotations

from checks._attack_paths import judge_workload
from checks.azure._common import identity_principals
from cspm_ai.model import Resource, Severity, Status, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

SUBSCRIPTION = "azure.subscription"


@check(
    id="azure.subscription.incident_response_playbooks",
    resource_types=SUBSCRIPTION,
    severity=Severity.INFO,
    title="Incident response playbooks for AI scenarios exist and are tested",
    checklist=("CL-11",),
    remediation="Write playbooks for AI incidents (leaked endpoint keys or workspace credentials, model or training "
    "data exfiltration, data poisoning, prompt injection or abuse of an Azure OpenAI deployment, runaway "
    "GPU spend), automate the first steps with Microsoft Sentinel playbooks or Defender for Cloud "
    "workflow automation, exercise them at least yearly, and keep the exercise records as evidence.",
    reads=(),
)
def incident_response_playbooks(subscription: Resource, ctx: CheckContext) -> Verdict:
    """Always MANUAL: no Azure API shows whether AI playbooks exist or were exercised."""
    return manual(
        f"{subscription.name} needs an attestation: attach the AI incident response playbooks, the date and report "
        "of the last exercise, and the owner who signs them off.",
        evidence_required=["AI incident response playbooks", "last exercise date and report", "accountable owner"],
    )


WORKSPACE = "azure.ml.workspace"
COMPUTE = "azure.ml.compute"
SERVING = ("azure.ml.online_endpoint", "azure.ml.online_deployment")
ASSIGNMENT = "azure.authorization.role_assignment"


def _shared_identity(subscription: Resource, ctx: CheckContext) -> tuple[Resource, Resource, str] | None:
    """A compute (where training runs) and an online endpoint or deployment (production inference) that run as the
    same identity: a user-assigned identity's ARM id or a system identity's principalId."""
    computes = ctx.resources(COMPUTE, account=subscription.account)
    serving = [r for rtype in SERVING for r in ctx.resources(rtype, account=subscription.account)]
    by_identity = {key: compute for compute in computes for key in identity_principals(compute)}
    for resource in sorted(serving, key=lambda r: r.uid):
        for key, name in identity_principals(resource).items():
            if key in by_identity:
                return by_identity[key], resource, name
    return None


@check(
    id="azure.subscription.assume_breach_review",
    resource_types=SUBSCRIPTION,
    severity=Severity.HIGH,
    title="A compromised training job cannot reach production inference or other teams' data",
    checklist=("ZT-4",),
    remediation="Give training computes and online endpoints separate user-assigned identities (`az identity create "
    "--name <ws>-training|<ws>-serving --resource-group <rg>`), and give the training identity task roles on its "
    'own team\'s data only (`az role assignment create --assignee <principal id> --role "Storage Blob Data Reader" '
    "--scope <storage account id>`), with no write access to production endpoints, other teams' data stores or "
    "role assignments (`az role assignment delete --ids <assignment id>`); `cspm-ai paths --from <compute id>` "
    "lists every path.",
    reads=(
        "azure.ml.workspace",
        "azure.ml.compute.identity",
        "azure.ml.online_endpoint.identity",
        "<azure.authorization.role_assignment>",
    ),
)
def assume_breach_review(subscription: Resource, ctx: CheckContext) -> Verdict:
    """What a compromised training job can reach, from the attack graph (`cspm_ai.attack_paths.azure`): FAIL when a
    compute (where training runs) and an online endpoint or deployment run as the same identity (training code holds
    the production inference identity), or when a compute's identity has a path to a production endpoint it can
    change, another team's storage or key, or role assignments (as `azure.authorization.ai_identity_blast_radius`
    judges it), the first such path as evidence; MANUAL when a role definition on the way was not read; PASS when no
    compute has such a path, or the subscription has no Machine Learning workspace (no training runs there). A failed
    workspace, compute, endpoint or role assignment list makes it ERROR."""
    workspaces = ctx.resources(WORKSPACE, account=subscription.account)
    if not workspaces:
        return passed(
            f"{subscription.name} has no Machine Learning workspace, so no training job of its own runs here.",
            workspaces=0,
        )
    shared = _shared_identity(subscription, ctx)
    if shared is not None:
        compute, serving, identity = shared
        return failed(
            f"{subscription.name} has compute {compute.name} and {serving.type.rsplit('.', 1)[-1]} {serving.name} "
            f"running as the same identity {identity}, so a compromised training job holds the production "
            "inference identity.",
            shared_identity=identity,
            shared_by=[compute.uid, serving.uid],
        )
    ctx.resources(ASSIGNMENT, account=subscription.account)
    computes = sorted(ctx.resources(COMPUTE, account=subscription.account), key=lambda r: r.uid)
    verdicts = [(c, judge_workload(ctx.attack_paths, c, dict(subscription.tags))) for c in computes]
    for status in (Status.FAIL, Status.MANUAL):
        for compute, verdict in verdicts:
            if verdict.status is status:
                return Verdict(
                    status,
                    f"In {subscription.name}, {verdict.message}",
                    {"compute": compute.uid, **verdict.evidence},
                )
    return passed(
        f"{subscription.name} has {len(computes)} compute(s), none of whose identities has a path to a production "
        "endpoint, another team's data or role assignments.",
        computes=[c.name for c in computes],
    )
