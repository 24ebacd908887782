"""Subscription-level checks: incident response playbooks for AI scenarios (no API can show them), and the
assume-breach review of what a compromised training job can reach."""

from __future__ import annotations

from checks.azure._common import identity_principals
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
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
    "--name <ws>-training|<ws>-serving --resource-group <rg>`), keep training in its own workspace or managed "
    "network without write access to production endpoints and other teams' data stores, and attest the review: "
    '`cspm-ai attest ZT-4 --by "<name, role>" --evidence <review document> --expires <YYYY-MM-DD> --provider '
    "azure --account <subscription id>`.",
    reads=("azure.ml.workspace", "azure.ml.compute.identity", "azure.ml.online_endpoint.identity"),
)
def assume_breach_review(subscription: Resource, ctx: CheckContext) -> Verdict:
    """An account-level check, MANUAL until the attack-path analysis: what a compromised training job can reach
    (networks, identities, data) needs that analysis or a person's review. What the inventory already shows
    decides: a compute and an online endpoint or deployment running as the same identity FAIL (training code holds
    the production inference identity); a subscription without Machine Learning workspaces PASSes (no training
    runs there). A failed workspace, compute or endpoint list makes it ERROR."""
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
            "inference identity (the full attack-path analysis is still to come).",
            shared_identity=identity,
            shared_by=[compute.uid, serving.uid],
        )
    return manual(
        f"{subscription.name} has {len(workspaces)} Machine Learning workspace(s); until the attack-path analysis "
        "lands, attest that a compromised training job cannot reach production inference or other teams' data.",
        workspaces=sorted(w.name for w in workspaces),
        evidence_required=["identities of training and serving", "network paths between them", "data store access"],
    )
