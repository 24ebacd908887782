"""Project-level checks: the attestation no API setting can show, and what a compromised training job can reach."""

from __future__ import annotations

from checks._attack_paths import judge_workload, unless_unread
from cspm_ai.doc import get
from cspm_ai.model import Resource, Severity, Status, Verdict, manual, passed
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


TRAINING_TYPES = ("gcp.vertex.custom_job", "gcp.vertex.training_pipeline", "gcp.vertex.tuning_job")


@check(
    id="gcp.project.training_blast_radius",
    resource_types="gcp.project",
    severity=Severity.HIGH,
    title="A compromised training job cannot reach production inference or other teams' data",
    checklist=("ZT-4",),
    remediation="Run training in its own project (or at least under its own service account) with no "
    "roles/aiplatform.user, admin or basic role on the serving project (`gcloud projects remove-iam-policy-binding "
    "<serving project> --member=serviceAccount:<training sa> --role=roles/editor`), read-only access to its own "
    "buckets and datasets, and no role that impersonates other service accounts; `cspm-ai paths --from <training "
    "sa>` lists every path.",
    reads=(
        "gcp.vertex.custom_job",
        "gcp.vertex.training_pipeline",
        "gcp.vertex.tuning_job",
        "iamPolicy.bindings",
        "ancestorIamPolicies",
        "<gcp.storage.bucket>.iamPolicy.bindings",
        "<gcp.iam.service_account>.iamPolicy.bindings",
    ),
)
def training_blast_radius(project: Resource, ctx: CheckContext) -> Verdict:
    """From the attack graph (`cspm_ai.attack_paths.gcp`): FAIL when a custom job, training pipeline or tuning job
    of the project runs as a service account with a path to a Vertex AI endpoint not labelled as non-production that
    it can deploy to, another team's bucket, dataset or key, or setIamPolicy on a project (as
    `gcp.iam.ai_identity_blast_radius` judges it), the first path as evidence; MANUAL when a custom role is on the
    way; PASS when no training job has such a path, or the project runs no training. A failed list of a training kind
    makes it ERROR, and so does, short of a FAIL, a bucket or service account IAM policy that could not be read.
    Network paths (training and serving on one VPC) are ZT-2's."""
    jobs = sorted(
        (job for rtype in TRAINING_TYPES for job in ctx.resources(rtype, account=project.account)),
        key=lambda r: r.uid,
    )
    if not jobs:
        return passed(f"{project.name} runs no Vertex AI training job, so none can be compromised here.", jobs=0)
    labels = get(project.config, "labels")
    fallback = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    verdicts = [(job, judge_workload(ctx.attack_paths, job, fallback)) for job in jobs]
    for status in (Status.FAIL, Status.MANUAL):
        for job, verdict in verdicts:
            if verdict.status is status:
                found = Verdict(status, f"In {project.name}, {verdict.message}", {"job": job.uid, **verdict.evidence})
                return unless_unread(ctx, found)
    clean = passed(
        f"{project.name} has {len(jobs)} training job(s), none of whose service accounts has a path to a production "
        "endpoint, another team's data or a project's IAM policy.",
        jobs=[j.name for j in jobs],
    )
    return unless_unread(ctx, clean)
