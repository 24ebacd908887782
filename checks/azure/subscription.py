"""Subscription-level attestation: incident response playbooks for AI scenarios (no API can show them)."""

from __future__ import annotations

from cspm_ai.model import Resource, Severity, Verdict, manual
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
