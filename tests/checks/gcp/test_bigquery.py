"""BigQuery checks on the datasets AI resources use, table-driven: a classification label or Sensitive Data
Protection profiling the whole dataset."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, Estate, assert_case
from tests.checks.gcp_support import PROJECT_ID, collection_error, declare_type, make, one

DATASET = declare_type(
    "gcp.bigquery.dataset",
    {
        "kind": "bigquery#dataset",
        "etag": "h2Ub6k9bQ4mR1mXyK1uBvA==",
        "id": f"{PROJECT_ID}:ml",
        "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{PROJECT_ID}/datasets/ml",
        "datasetReference": {"datasetId": "ml", "projectId": PROJECT_ID},
        "labels": {"data_classification": "restricted"},
        "access": [
            {"role": "WRITER", "specialGroup": "projectWriters"},
            {"role": "OWNER", "specialGroup": "projectOwners"},
        ],
        "creationTime": "1709546400123",
        "lastModifiedTime": "1772445600456",
        "location": "US",
        "type": "DEFAULT",
    },
    uid=f"projects/{PROJECT_ID}/datasets/{{name}}",
    name="ml",
    region="us",
    host="bigquery",
)
SDP = "gcp.dlp.discovery_config"
UNLABELLED = {"labels": DROP}


def tables(**pattern: str) -> dict[str, object]:
    return {"targets": [{"bigQueryTarget": {"filter": {"tables": {"includeRegexes": {"patterns": [pattern]}}}}}]}


def with_sdp(dataset: dict[str, object] | None, *configs: dict[str, object]) -> Callable[[], Estate]:
    def build() -> Estate:
        estate = Estate(make(DATASET, dataset))
        for i, changes in enumerate(configs):
            estate.add(make(SDP, changes, name=f"cfg-{i}"))
        return estate

    return build


CASES: list[Case] = [
    # DP-1
    Case("gcp.bigquery.dataset_classified", PASS, "label", one(DATASET), says="data_classification=restricted"),
    Case("gcp.bigquery.dataset_classified", PASS, "other-tables", with_sdp(UNLABELLED, {}), says="profiles it"),
    Case(
        "gcp.bigquery.dataset_classified",
        PASS,
        "dataset-regex",
        with_sdp(UNLABELLED, tables(projectIdRegex=PROJECT_ID, datasetIdRegex="ml|training")),
    ),
    Case("gcp.bigquery.dataset_classified", FAIL, "unlabelled", one(DATASET, UNLABELLED), says="no classification"),
    Case(
        "gcp.bigquery.dataset_classified",
        FAIL,
        "some-tables-only",
        with_sdp(UNLABELLED, tables(datasetIdRegex="ml", tableIdRegex="customers_.*")),
    ),
    Case(
        "gcp.bigquery.dataset_classified",
        FAIL,
        "one-table",
        with_sdp(
            UNLABELLED,
            {
                "targets": [
                    {
                        "bigQueryTarget": {
                            "filter": {"tableReference": {"projectId": PROJECT_ID, "datasetId": "ml", "tableId": "t"}}
                        }
                    }
                ]
            },
        ),
    ),
    Case(
        "gcp.bigquery.dataset_classified",
        FAIL,
        "storage-only-config",
        with_sdp(UNLABELLED, {"targets": [{"cloudStorageTarget": {"filter": {"others": {}}}}]}),
    ),
    Case(
        "gcp.bigquery.dataset_classified",
        ERROR,
        "sdp-unread",
        lambda: Estate(make(DATASET, UNLABELLED)).fail(collection_error(SDP, operation="dlp.jobTriggers.list")),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
