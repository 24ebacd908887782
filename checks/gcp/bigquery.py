"""BigQuery checks on the datasets AI resources read and write: data classification."""

from __future__ import annotations

from checks.gcp._common import classified
from cspm_ai.model import Resource, Severity, Verdict
from cspm_ai.registry import CheckContext, check


@check(
    id="gcp.bigquery.dataset_classified",
    resource_types="gcp.bigquery.dataset",
    severity=Severity.MEDIUM,
    title="BigQuery datasets that AI resources read and write carry a data classification",
    checklist=("DP-1",),
    remediation="Label the dataset with the bq tool of the gcloud CLI: `bq update --set_label "
    "data-classification:<public|internal|confidential|restricted> <project>:<dataset>`; better, also profile "
    "it with Sensitive Data Protection discovery (console: Sensitive Data Protection > Discovery > BigQuery, or a "
    "discoveryConfigs.create request with a bigQueryTarget covering the dataset).",
    reads=("labels", "gcp.dlp.discovery_config:targets", "gcp.dlp.discovery_config:status"),
)
def dataset_classified(dataset: Resource, ctx: CheckContext) -> Verdict:
    """The datasets judged are those an AI resource names in a bq:// URI (a dataset's BigQuery source,
    request-response logging, monitoring tables). PASS when labels carry a classification (data-classification,
    data_classification, classification, data-sensitivity, data_sensitivity, sensitivity or confidentiality, with a
    value), or when a RUNNING Sensitive Data Protection discovery config of the dataset's project profiles all its
    tables (a bigQueryTarget whose filter is otherTables, or an includeRegexes pattern matching the project and
    dataset with no table restriction; the stronger evidence, since the contents were inspected). Neither: FAIL.
    Discovery configs that could not be read: ERROR unless a label decides."""
    return classified(dataset, ctx, "tables")
