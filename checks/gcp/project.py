"""Project-level attestations that no API setting can show (yet)."""

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


@check(
    id="gcp.project.training_blast_radius",
    resource_types="gcp.project",
    severity=Severity.INFO,
    title="A compromised training job cannot reach production inference or other teams' data",
    checklist=("ZT-4",),
    remediation="Run training in its own project (or at least under its own service account) with no "
    "roles/aiplatform.user or admin grant on the serving project (`gcloud projects get-iam-policy <serving "
    "project> --flatten=bindings[].members --filter=bindings.members:<training sa>`), read-only access to its own "
    "buckets and datasets, and no network path to serving endpoints; record the review as an attestation.",
    reads=(),
)
def training_blast_radius(project: Resource, ctx: CheckContext) -> Verdict:
    """Always MANUAL until the attack-path analysis lands: whether a training job's identity and network can reach
    serving endpoints or other teams' data needs the paths through IAM grants (project, folder, organization and
    resource policies), service account impersonation and networks joined together, which no single API shows.
    The parts an API shows are judged elsewhere: dedicated service accounts (CL-02) and the separation of training
    and serving networks (ZT-2)."""
    return manual(
        f"{project.name} needs an attestation that its training jobs cannot reach production inference or other "
        "teams' data; the automated attack-path analysis for Google Cloud is not there yet."
    )
