"""Helpers shared by the Google Cloud checks: proto3 JSON value tests, the project of a resource, regions, and the
data classification of stores (labels, Sensitive Data Protection).

Google's JSON (the proto3 mapping) omits false, 0, "" and empty lists, so a missing boolean is false
and a missing list is empty; int64 values arrive as strings and durations as "<seconds>s".
"""

from __future__ import annotations

import re
from typing import Any

from cspm_ai.doc import ABSENT, as_list, get, is_set
from cspm_ai.engine import Unseen
from cspm_ai.model import Resource, Verdict, failed, passed
from cspm_ai.registry import CheckContext

DEFAULT_COMPUTE_SA = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")
_DURATION = re.compile(r"^(\d+)(\.\d+)?s$")


def seconds(duration: Any) -> float | None:
    """A proto3 JSON Duration ("7776000s", "1.5s") in seconds; None when it is not one."""
    if not isinstance(duration, str):
        return None
    match = _DURATION.match(duration.strip())
    return float(match.group(1) + (match.group(2) or "")) if match else None


def project_of(resource: Resource, ctx: CheckContext) -> Resource | None:
    """The gcp.project resource of the resource's account (its project id), if collected."""
    projects = ctx.resources("gcp.project", account=resource.account)
    return projects[0] if projects else None


def project_number(project: Resource) -> str | None:
    """The project number from the project's `name` ("projects/123456789012")."""
    name = get(project.config, "name")
    if isinstance(name, str) and name.startswith("projects/") and name[len("projects/") :].isdigit():
        return name[len("projects/") :]
    return None


# Label keys that carry a data classification (Google labels allow lower case, digits, "-" and "_").
CLASSIFICATION_KEYS = (
    "data-classification",
    "data_classification",
    "classification",
    "data-sensitivity",
    "data_sensitivity",
    "sensitivity",
    "confidentiality",
)
DISCOVERY_CONFIG = "gcp.dlp.discovery_config"


def classification(store: Resource) -> tuple[str, str] | None:
    """(label key, value) of the store's classification label, if it has one with a value."""
    labels = get(store.config, "labels")
    if not isinstance(labels, dict):
        return None
    for key in CLASSIFICATION_KEYS:
        value = labels.get(key)
        if isinstance(value, str) and value:
            return key, value
    return None


def _full(pattern: Any, text: str) -> bool:
    """An empty or absent pattern matches everything; otherwise the whole text must match (an invalid pattern
    matches nothing)."""
    if not is_set(pattern):
        return True
    try:
        return re.fullmatch(str(pattern), text) is not None
    except re.error:
        return False


def _bucket_filter(target: Any, bucket: str) -> bool:
    if isinstance(get(target, "filter.others"), dict):
        return True
    if get(target, "filter.cloudStorageResourceReference.bucketName") == bucket:
        return True
    patterns = as_list(get(target, "filter.collection.includeRegexes.patterns"))
    return any(
        isinstance(get(p, "cloudStorageRegex"), dict) and _full(get(p, "cloudStorageRegex.bucketNameRegex"), bucket)
        for p in patterns
    )


def _dataset_filter(target: Any, project: str, dataset: str) -> bool:
    if isinstance(get(target, "filter.otherTables"), dict):
        return True
    reference = get(target, "filter.tableReference")
    if isinstance(reference, dict):
        return False  # one table, not the dataset
    for pattern in as_list(get(target, "filter.tables.includeRegexes.patterns")):
        whole = get(pattern, "tableIdRegex") in (ABSENT, "", ".*")
        if whole and _full(get(pattern, "datasetIdRegex"), dataset) and _full(get(pattern, "projectIdRegex"), project):
            return True
    return False


def sdp_coverage(store: Resource, ctx: CheckContext) -> str | None:
    """The name of a RUNNING Sensitive Data Protection discovery config of the store's project that profiles the
    whole store, or None. A config's targets are taken in order and the first whose filter matches decides (a
    matching target marked `disabled` excludes the store). Raises Unseen when the project's configs were not read."""
    is_bucket = store.type == "gcp.storage.bucket"
    kind = "cloudStorageTarget" if is_bucket else "bigQueryTarget"
    name = str(get(store.config, "name") or store.name)
    project = str(get(store.config, "datasetReference.projectId") or store.account)
    dataset = str(get(store.config, "datasetReference.datasetId") or store.name)
    for config in ctx.resources(DISCOVERY_CONFIG, account=store.account):
        if get(config.config, "status") != "RUNNING":
            continue
        for entry in as_list(get(config.config, "targets")):
            target = get(entry, kind)
            if not isinstance(target, dict):
                continue
            matches = _bucket_filter(target, name) if is_bucket else _dataset_filter(target, project, dataset)
            if matches:
                if not isinstance(get(target, "disabled"), dict):
                    return config.name
                break
    return None


def classified(store: Resource, ctx: CheckContext, what: str) -> Verdict:
    """DP-1 on a data store: a classification label, or Sensitive Data Protection profiling it (stronger evidence:
    the contents were inspected, not just declared)."""
    label = classification(store)
    try:
        config = sdp_coverage(store, ctx)
    except Unseen:
        if label is None:
            raise
        config = None
    evidence: dict[str, Any] = {
        "labels": {label[0]: label[1]} if label else {},
        "sensitiveDataProtection": config or "<none>",
    }
    if label and config:
        return passed(
            f"{store.name} is labelled {label[0]}={label[1]} and profiled by Sensitive Data Protection discovery "
            f"config {config}.",
            **evidence,
        )
    if config:
        return passed(
            f"{store.name} has no classification label, but Sensitive Data Protection discovery config {config} "
            f"profiles it, classifying its {what} by content.",
            **evidence,
        )
    if label:
        return passed(f"{store.name} is labelled {label[0]}={label[1]}.", **evidence)
    return failed(
        f"{store.name} has no classification label ({', '.join(CLASSIFICATION_KEYS[:2])}, ...) and no running "
        f"Sensitive Data Protection discovery config profiles it, so the sensitivity of its {what} is unknown.",
        **evidence,
    )
