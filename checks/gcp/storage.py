"""Cloud Storage checks on the buckets AI resources read and write: classification, location redundancy, versioning."""

from __future__ import annotations

from checks.gcp._common import classified
from cspm_ai.doc import ABSENT, display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

BUCKET = "gcp.storage.bucket"
REDUNDANT = ("multi-region", "dual-region")


@check(
    id="gcp.storage.bucket_classified",
    resource_types=BUCKET,
    severity=Severity.MEDIUM,
    title="Buckets that AI resources read and write carry a data classification",
    checklist=("DP-1",),
    remediation="Label the bucket with its classification: `gcloud storage buckets update gs://<bucket> "
    "--update-labels=data-classification=<public|internal|confidential|restricted>`; better, also profile it "
    "with Sensitive Data Protection discovery (console: Sensitive Data Protection > Discovery > Cloud Storage, or "
    "a discoveryConfigs.create request with a cloudStorageTarget naming it).",
    reads=("labels", "gcp.dlp.discovery_config:targets", "gcp.dlp.discovery_config:status"),
)
def bucket_classified(bucket: Resource, ctx: CheckContext) -> Verdict:
    """The buckets judged are those an AI resource names (artifacts, training data, outputs, agent packages). PASS
    when labels carry a classification (data-classification, data_classification, classification,
    data-sensitivity, data_sensitivity, sensitivity or confidentiality, with a value), or when a RUNNING Sensitive
    Data Protection discovery config of the bucket's project profiles it (a cloudStorageTarget whose filter is
    `others`, names the bucket, or has a bucketNameRegex matching the whole name; the stronger evidence, since the
    contents were inspected). Neither: FAIL. Discovery configs that could not be read: ERROR unless a label decides."""
    return classified(bucket, ctx, "objects")


@check(
    id="gcp.storage.bucket_multi_region",
    resource_types=BUCKET,
    severity=Severity.LOW,
    title="Buckets that AI resources read and write keep their data in more than one region",
    checklist=("PH-4",),
    remediation="The location is fixed at creation: create a dual-region or multi-region bucket (`gcloud storage "
    "buckets create gs://<bucket>-dr --location=us --default-storage-class=STANDARD`, or "
    "`--location=us --placement=us-central1,us-east1`), copy the data (`gcloud storage cp --recursive "
    "gs://<bucket>/* gs://<bucket>-dr/`), and point the AI resources at it.",
    reads=("locationType", "location"),
)
def bucket_multi_region(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when locationType is "dual-region" or "multi-region": Cloud Storage keeps the objects in two or more
    regions, so a regional outage loses no model artifact or training data. "region" (or locationType absent,
    which Cloud Storage always returns) keeps one region's copy only: FAIL."""
    kind = get(bucket.config, "locationType")
    evidence = {"locationType": shown(kind), "location": shown(get(bucket.config, "location"))}
    if kind in REDUNDANT:
        return passed(f"{bucket.name} is a {kind} bucket in {evidence['location']}.", **evidence)
    note = " (absent: no redundancy recorded)" if kind is ABSENT else ""
    return failed(
        f"{bucket.name} has locationType {display(kind)}{note}, so its data lives in {evidence['location']} only.",
        **evidence,
    )


@check(
    id="gcp.storage.bucket_versioning",
    resource_types=BUCKET,
    severity=Severity.LOW,
    title="Buckets that AI resources read and write are versioned",
    checklist=("PH-4",),
    remediation="Run `gcloud storage buckets update gs://<bucket> --versioning` and add a lifecycle rule deleting "
    "noncurrent versions after your retention period (`gcloud storage buckets update gs://<bucket> "
    "--lifecycle-file=lifecycle.json`).",
    reads=("versioning.enabled",),
)
def bucket_versioning(bucket: Resource, ctx: CheckContext) -> Verdict:
    """PASS when versioning.enabled is true, so an overwritten or deleted artifact or training file can be
    restored. Absent = versioning never enabled; false = suspended: FAIL."""
    value = get(bucket.config, "versioning.enabled")
    if value is True:
        return passed(f"{bucket.name} has versioning enabled.", **{"versioning.enabled": True})
    note = " (absent means never enabled)" if value is ABSENT else ""
    return failed(
        f"{bucket.name} has versioning.enabled {display(value)}{note}, so an overwritten artifact is lost.",
        **{"versioning.enabled": shown(value)},
    )
