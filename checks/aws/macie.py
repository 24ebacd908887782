"""Amazon Macie check: a classification service keeps reading what the AI data buckets hold (DP-1).

A classification tag (aws.s3.bucket_classification_tag) is what people say about a bucket; Macie's reading of the
objects is stronger evidence of what it holds. Macie's own inventory of a region's buckets (DescribeBuckets) says,
per bucket, whether automated sensitive data discovery monitors it and whether recurring classification jobs analyse
it, criteria-based jobs included.
"""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

BUCKET = "aws.s3.bucket"
SESSION = "aws.macie.session"
MACIE_BUCKET = "aws.macie.bucket"
REGION = "aws.region"
# DescribeBuckets' fields that decide, and the sensitivity Macie scored (evidence only).
_FIELDS = (
    "automatedDiscoveryMonitoringStatus",
    "jobDetails.isMonitoredByJob",
    "jobDetails.isDefinedInJob",
    "jobDetails.lastJobId",
    "jobDetails.lastJobRunTime",
    "sensitivityScore",
)


def _session(bucket: Resource, ctx: CheckContext) -> tuple[Resource | None, dict[str, Any]]:
    """Macie's session in the bucket's region (raises Unseen when it could not be read), with its status."""
    sessions = ctx.resources(SESSION, account=bucket.account, region=bucket.region)
    status = shown(get(sessions[0].config, "status")) if sessions else "<not enabled>"
    return (sessions[0] if sessions else None), {f"{SESSION}[{bucket.region}].status": status}


def _inventory_entry(bucket: Resource, ctx: CheckContext) -> Resource | None:
    """The bucket's entry in Macie's inventory (raises Unseen when the inventory could not be listed)."""
    ctx.resources(MACIE_BUCKET, account=bucket.account, region=bucket.region)
    return next((r for r in ctx.related(bucket, "classified_by") if r.type == MACIE_BUCKET), None)


@check(
    id="aws.macie.bucket_sensitive_data_discovery",
    resource_types=BUCKET,
    severity=Severity.MEDIUM,
    title="Macie keeps classifying what AI data buckets hold",
    checklist=("DP-1",),
    remediation="Enable Macie in the bucket's region (`aws macie2 enable-macie`), then either enable automated "
    "sensitive data discovery (`aws macie2 update-automated-discovery-configuration --status ENABLED`, leaving "
    "the bucket out of its exclusions) or create a recurring job for it (`aws macie2 create-classification-job "
    "--job-type SCHEDULED --schedule-frequency dailySchedule={} --name <name> --s3-job-definition "
    "'bucketDefinitions=[{accountId=<account>,buckets=[<bucket>]}]'`).",
    reads=(
        "aws.macie.session.status",
        "classified_by.automatedDiscoveryMonitoringStatus",
        "classified_by.jobDetails",
    ),
)
def bucket_sensitive_data_discovery(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when Macie is ENABLED in the bucket's region and its inventory shows the bucket MONITORED by automated
    sensitive data discovery or monitored by a recurring (SCHEDULED) classification job; FAIL when Macie is off or
    PAUSED there, or only a one-time job (or nothing) analysed it; MANUAL when the bucket's region was not scanned
    or Macie's inventory (refreshed daily) does not list the bucket yet."""
    if not ctx.resources(REGION, account=bucket.account, region=bucket.region):
        return manual(
            f"{bucket.name} is in {bucket.region}, which this scan did not cover, so Macie there was not read; scan "
            "that region or attest its classification.",
            region=bucket.region,
        )
    session, evidence = _session(bucket, ctx)
    if session is None:
        return failed(f"{bucket.name} is in {bucket.region}, where Macie is not enabled.", **evidence)
    entry = _inventory_entry(bucket, ctx)
    status = get(session.config, "status")
    if status != "ENABLED":
        return failed(f"{bucket.name} is in {bucket.region}, where Macie is {shown(status)}.", **evidence)
    if entry is None:
        return manual(
            f"{bucket.name} is not yet in Macie's bucket inventory for {bucket.region} (it is refreshed daily); "
            "scan again tomorrow or attest its classification.",
            **evidence,
        )
    evidence.update({f"classified_by.{path}": shown(get(entry.config, path)) for path in _FIELDS})
    if get(entry.config, "automatedDiscoveryMonitoringStatus") == "MONITORED":
        score = get(entry.config, "sensitivityScore")
        scored = f" (sensitivity score {score})" if isinstance(score, int) else ""
        return passed(f"{bucket.name} is monitored by Macie's automated sensitive data discovery{scored}.", **evidence)
    job = shown(get(entry.config, "jobDetails.lastJobId"))
    if get(entry.config, "jobDetails.isMonitoredByJob") == "TRUE":
        return passed(f"{bucket.name} is analysed by a recurring Macie classification job (last {job}).", **evidence)
    if get(entry.config, "jobDetails.isDefinedInJob") == "TRUE":
        return failed(
            f"{bucket.name} was analysed only by a one-time Macie job ({job}), so data added since is not classified.",
            **evidence,
        )
    return failed(
        f"{bucket.name} is neither monitored by Macie's automated discovery nor analysed by any Macie job.", **evidence
    )
