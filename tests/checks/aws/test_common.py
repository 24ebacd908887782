"""The helpers shared by the AWS checks: strict booleans, key references, timestamps, ages and masks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from checks.aws._common import age_days, as_datetime, is_true, keys_for, mask_key_id, short_type
from tests.checks.conftest import KEY_ARN, KEY_ID, make

SCAN_START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["true", "True", 1, [True], {"x": True}, None, False])
def test_only_a_real_true_is_true(value: Any) -> None:
    assert is_true(True)
    assert not is_true(value)


def test_short_type_is_the_last_segment() -> None:
    assert short_type("aws.sagemaker.training_job") == "training_job"
    assert short_type("aws.account") == "account"


def test_a_key_reference_names_keys_by_arn_id_or_id_suffix_and_an_alias_keeps_all() -> None:
    key = make("aws.kms.key")
    other = make("aws.kms.key", {"KeyId": "other", "Arn": "arn:aws:kms:us-east-1:111122223333:key/other"}, name="other")
    keys = [key, other]
    assert keys_for(KEY_ARN, keys) == [key]
    assert keys_for(KEY_ID, keys) == [key]
    assert keys_for(f"arn:aws:kms:us-east-1:444455556666:key/{KEY_ID}", keys) == [key]
    assert keys_for("alias/ml-data", keys) == keys


def test_timestamps_as_stored_are_read_timezone_aware() -> None:
    assert as_datetime("2025-01-02T12:00:00Z") == datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
    assert as_datetime("2025-01-02T12:00:00") == datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
    assert as_datetime(datetime(2025, 1, 2, 12, 0)) == datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
    assert [as_datetime(v) for v in ("2025-13-45", "", None, 1735819200)] == [None, None, None, None]


def test_a_key_created_during_the_scan_is_zero_days_old_not_negative() -> None:
    scan_start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert age_days((scan_start + timedelta(minutes=3)).isoformat(), scan_start) == 0
    assert age_days((scan_start - timedelta(days=150, hours=1)).isoformat(), scan_start) == 150


def test_age_of_an_unreadable_timestamp_is_unknown() -> None:
    assert age_days("yesterday", SCAN_START) is None
    assert age_days("2025-05-31T12:00:00Z", SCAN_START.replace(tzinfo=None)) == 1


def test_access_key_ids_keep_only_their_last_four_characters() -> None:
    assert mask_key_id("AKIAIOSFODNN7EXAMPLE") == "****MPLE"
    assert mask_key_id("****************7QXZ") == "****7QXZ"
    assert [mask_key_id(v) for v in ("abc", "AKIA****", None, 1234)] == ["<unreadable>"] * 4
