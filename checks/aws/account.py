"""Account-level attestation: incident response playbooks for AI scenarios (no API can show them)."""

from __future__ import annotations

from cspm_ai.model import Resource, Severity, Verdict, manual
from cspm_ai.registry import CheckContext, check

ACCOUNT = "aws.account"


@check(
    id="aws.account.incident_response_playbooks",
    resource_types=ACCOUNT,
    severity=Severity.INFO,
    title="Incident response playbooks for AI scenarios exist and are tested",
    checklist=("CL-11",),
    remediation="Write playbooks for AI incidents (leaked endpoint or training credentials, model or training data "
    "exfiltration, data poisoning, prompt injection or abuse of an endpoint, runaway GPU spend), "
    "exercise them at least yearly (e.g. with AWS Fault Injection Service or a tabletop), and keep "
    "the exercise records (date, scenario, participants, lessons) as audit evidence.",
    reads=(),
)
def incident_response_playbooks(account: Resource, ctx: CheckContext) -> Verdict:
    """Always MANUAL: no AWS API shows whether AI playbooks exist or were exercised."""
    return manual(
        f"{account.name} needs an attestation: attach the AI incident response playbooks, the date and report "
        "of the last exercise, and the owner who signs them off.",
        evidence_required=["AI incident response playbooks", "last exercise date and report", "accountable owner"],
    )
