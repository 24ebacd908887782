"""Project-level attestations that no API setting can show."""

from __future__ import annotations

from cspm_ai.model import Resource, Severity, Verdict, manual
from cspm_ai.registry import CheckContext, check


@check(
    id="gcp.project.incident_response_playbooks",
    resource_types="gcp.project",
    severity=Severity.INFO,
    title="AI incident response playbooks exist and are exercised",
    checklist=("CL-11",),
    remediation="Write playbooks for AI incidents (leaked service account key, model or data exfiltration, prompt "
    "abuse, runaway spend) naming owners and the gcloud steps (`gcloud iam service-accounts keys "
    "delete`, `gcloud ai endpoints undeploy-model`), route Security Command Center findings to the "
    "on-call channel, and rehearse them at least yearly.",
    reads=(),
)
def incident_response_playbooks(project: Resource, ctx: CheckContext) -> Verdict:
    """Always MANUAL: whether playbooks exist and are rehearsed is not in any API."""
    return manual(f"{project.name} needs an attestation that AI incident response playbooks exist and were exercised.")
