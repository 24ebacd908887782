"""Cloud Storage checks on the buckets AI resources use, table-driven: classification (labels or Sensitive Data
Protection), location redundancy and versioning, and what absence means."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, Estate, assert_case
from tests.checks.gcp_support import PROJECT_ID, collection_error, declare_type, make, one

BUCKET = declare_type(
    "gcp.storage.bucket",
    {
        "kind": "storage#bucket",
        "selfLink": "https://www.googleapis.com/storage/v1/b/ml-prod-art",
        "id": "ml-prod-art",
        "name": "ml-prod-art",
        "projectNumber": "123456789012",
        "metageneration": "4",
        "location": "NAM4",
        "storageClass": "STANDARD",
        "etag": "CAQ=",
        "timeCreated": "2024-03-04T10:00:00.123Z",
        "updated": "2025-02-01T10:00:00.456Z",
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": True, "lockedTime": "2024-06-02T10:00:00.123Z"},
            "publicAccessPrevention": "enforced",
        },
        "locationType": "dual-region",
        "versioning": {"enabled": True},
        "labels": {"data-classification": "confidential", "team": "ml"},
        "rpo": "DEFAULT",
    },
    uid="{name}",
    name="ml-prod-art",
    region="nam4",
    host="storage",
)
SDP = "gcp.dlp.discovery_config"
UNLABELLED = {"labels": {"team": "ml"}}


def with_sdp(bucket: dict[str, object] | None, *configs: dict[str, object]) -> Callable[[], Estate]:
    """A bucket and the project's Sensitive Data Protection discovery configs (changes to the base config each)."""

    def build() -> Estate:
        estate = Estate(make(BUCKET, bucket))
        for i, changes in enumerate(configs):
            estate.add(make(SDP, changes, name=f"cfg-{i}"))
        return estate

    return build


def sdp_unread() -> Estate:
    return Estate(make(BUCKET, UNLABELLED)).fail(collection_error(SDP, operation="dlp.jobTriggers.list"))


def by_reference(bucket: str) -> dict[str, object]:
    return {"targets": [{"cloudStorageTarget": {"filter": {"cloudStorageResourceReference": {"bucketName": bucket}}}}]}


CASES: list[Case] = [
    # DP-1
    Case("gcp.storage.bucket_classified", PASS, "label", one(BUCKET), says="data-classification=confidential"),
    Case(
        "gcp.storage.bucket_classified",
        PASS,
        "label-and-profiled",
        with_sdp(None, {}),
        says="and profiled by Sensitive Data Protection",
    ),
    Case(
        "gcp.storage.bucket_classified",
        PASS,
        "profiled-by-regex",
        with_sdp(UNLABELLED, {}),
        says="profiles it",
    ),
    Case("gcp.storage.bucket_classified", PASS, "profiled-by-name", with_sdp(UNLABELLED, by_reference("ml-prod-art"))),
    Case(
        "gcp.storage.bucket_classified",
        PASS,
        "profiled-by-catch-all",
        with_sdp(UNLABELLED, {"targets": [{"cloudStorageTarget": {"filter": {"others": {}}}}]}),
    ),
    Case(
        "gcp.storage.bucket_classified",
        PASS,
        "label-with-sdp-unread",
        lambda: Estate(make(BUCKET)).fail(collection_error(SDP, operation="dlp.jobTriggers.list")),
    ),
    Case("gcp.storage.bucket_classified", FAIL, "unlabelled", one(BUCKET, UNLABELLED), says="no classification label"),
    Case("gcp.storage.bucket_classified", FAIL, "no-labels", one(BUCKET, {"labels": DROP})),
    Case("gcp.storage.bucket_classified", FAIL, "empty-value", one(BUCKET, {"labels": {"data-classification": ""}})),
    Case("gcp.storage.bucket_classified", FAIL, "profiles-other-bucket", with_sdp(UNLABELLED, by_reference("other"))),
    Case(
        "gcp.storage.bucket_classified",
        FAIL,
        "regex-matches-only-part",
        with_sdp(
            UNLABELLED,
            {
                "targets": [
                    {
                        "cloudStorageTarget": {
                            "filter": {
                                "collection": {
                                    "includeRegexes": {"patterns": [{"cloudStorageRegex": {"bucketNameRegex": "ml"}}]}
                                }
                            }
                        }
                    }
                ]
            },
        ),
    ),
    Case("gcp.storage.bucket_classified", FAIL, "paused", with_sdp(UNLABELLED, {"status": "PAUSED"})),
    Case(
        "gcp.storage.bucket_classified",
        FAIL,
        "excluded-by-disabled-target",
        with_sdp(
            UNLABELLED,
            {
                "targets": [
                    {
                        "cloudStorageTarget": {
                            "filter": {"cloudStorageResourceReference": {"bucketName": "ml-prod-art"}},
                            "disabled": {},
                        }
                    },
                    {"cloudStorageTarget": {"filter": {"others": {}}}},
                ]
            },
        ),
    ),
    Case("gcp.storage.bucket_classified", ERROR, "sdp-unread", sdp_unread),
    # PH-4
    Case("gcp.storage.bucket_multi_region", PASS, "dual-region", one(BUCKET), says="dual-region"),
    Case(
        "gcp.storage.bucket_multi_region",
        PASS,
        "multi-region",
        one(BUCKET, {"location": "US", "locationType": "multi-region"}),
    ),
    Case(
        "gcp.storage.bucket_multi_region",
        FAIL,
        "region",
        one(BUCKET, {"location": "US-CENTRAL1", "locationType": "region"}),
        says="US-CENTRAL1 only",
    ),
    Case("gcp.storage.bucket_multi_region", FAIL, "absent", one(BUCKET, {"locationType": DROP}), says="absent"),
    Case("gcp.storage.bucket_versioning", PASS, "enabled", one(BUCKET), says="versioning enabled"),
    Case(
        "gcp.storage.bucket_versioning",
        FAIL,
        "never-enabled",
        one(BUCKET, {"versioning": DROP}),
        says="absent means never enabled",
    ),
    Case("gcp.storage.bucket_versioning", FAIL, "suspended", one(BUCKET, {"versioning": {"enabled": False}})),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


def test_classification_evidence_names_the_label_and_the_profiling_config() -> None:
    finding = assert_case(next(c for c in CASES if c.label == "label-and-profiled"))
    assert finding.evidence == {
        "labels": {"data-classification": "confidential"},
        "sensitiveDataProtection": "AI data profiles",
    }
    assert finding.account == PROJECT_ID
