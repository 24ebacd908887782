"""Macie check, table-driven: automated discovery or a recurring job keeps classifying an AI data bucket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.conftest import (
    ACCOUNT,
    ERROR,
    FAIL,
    MANUAL,
    PASS,
    REGION,
    Case,
    Estate,
    assert_case,
    collection_error,
    declare_type,
    make,
)

BUCKET = "aws.s3.bucket"
CHECK = "aws.macie.bucket_sensitive_data_discovery"
SESSION = declare_type(
    "aws.macie.session",
    {
        "createdAt": "2025-01-10T10:00:00Z",
        "findingPublishingFrequency": "FIFTEEN_MINUTES",
        "serviceRole": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie",
        "status": "ENABLED",
        "updatedAt": "2025-01-10T10:00:00Z",
    },
    uid=f"arn:aws:macie2:{{region}}:{ACCOUNT}:session",
    name=REGION,
)
# A bucket in Macie's inventory (DescribeBuckets), monitored by automated sensitive data discovery.
INVENTORY = declare_type(
    "aws.macie.bucket",
    {
        "accountId": ACCOUNT,
        "bucketArn": "arn:aws:s3:::acme-ml-artifacts",
        "bucketCreatedAt": "2024-11-01T10:00:00Z",
        "bucketName": "acme-ml-artifacts",
        "region": REGION,
        "automatedDiscoveryMonitoringStatus": "MONITORED",
        "lastAutomatedDiscoveryTime": "2025-05-31T02:00:00Z",
        "sensitivityScore": 72,
        "classifiableObjectCount": 1240,
        "jobDetails": {"isDefinedInJob": "FALSE", "isMonitoredByJob": "FALSE"},
        "lastUpdated": "2025-06-01T00:00:00Z",
    },
    uid=f"arn:aws:macie2:{{region}}:{ACCOUNT}:bucket/{{name}}",
    name="acme-ml-artifacts",
)
JOB = "3f1e9a0c5b7d42e8a6c4b2d0e8f6a4c2"
RECURRING = {
    "automatedDiscoveryMonitoringStatus": "NOT_MONITORED",
    "sensitivityScore": 50,
    "jobDetails": {
        "isDefinedInJob": "TRUE",
        "isMonitoredByJob": "TRUE",
        "lastJobId": JOB,
        "lastJobRunTime": "2025-05-31T03:00:00Z",
    },
}
ONE_TIME = {**RECURRING, "jobDetails": {**RECURRING["jobDetails"], "isMonitoredByJob": "FALSE"}}
UNWATCHED = {"automatedDiscoveryMonitoringStatus": "NOT_MONITORED", "sensitivityScore": 50}


def bucket(
    inventory: dict[str, Any] | None = None,
    *,
    session: dict[str, Any] | None = None,
    macie: bool = True,
    listed: bool = True,
    region: str = REGION,
    unlisted: str | None = None,
) -> Callable[[], Estate]:
    """An AI data bucket in a scanned region, Macie's session there and the bucket's entry in Macie's inventory."""

    def build() -> Estate:
        target = make(BUCKET, region=region)
        estate = Estate(target).add(make("aws.region"))
        if macie:
            estate.add(make(SESSION, session))
        if macie and listed:
            entry = make(INVENTORY, inventory)
            estate.add(entry).link(target, "classified_by", entry)
        if unlisted:
            operation = "GetMacieSession" if unlisted == SESSION else "DescribeBuckets"
            estate.fail(collection_error(unlisted, operation=operation, region=REGION))
        return estate

    return build


CASES: list[Case] = [
    Case(
        CHECK, PASS, "automated-discovery", bucket(), says="automated sensitive data discovery (sensitivity score 72)"
    ),
    Case(CHECK, PASS, "recurring-job", bucket(RECURRING), says=f"recurring Macie classification job (last {JOB})"),
    Case(CHECK, FAIL, "one-time-job", bucket(ONE_TIME), says="only by a one-time Macie job"),
    Case(CHECK, FAIL, "unwatched", bucket(UNWATCHED), says="neither monitored"),
    Case(CHECK, FAIL, "macie-off", bucket(macie=False), says="where Macie is not enabled"),
    Case(CHECK, FAIL, "macie-paused", bucket(session={"status": "PAUSED"}), says="where Macie is PAUSED"),
    Case(CHECK, MANUAL, "not-inventoried-yet", bucket(listed=False), says="not yet in Macie's bucket inventory"),
    Case(CHECK, MANUAL, "region-not-scanned", bucket(macie=False, region="eu-west-1"), says="did not cover"),
    Case(CHECK, ERROR, "session-unread", bucket(macie=False, unlisted=SESSION)),
    Case(CHECK, ERROR, "inventory-unlisted", bucket(listed=False, unlisted=INVENTORY)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
