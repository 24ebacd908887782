"""The helpers shared by the Google Cloud checks: proto3 durations, project numbers, the default compute account."""

from __future__ import annotations

from typing import Any

import pytest

from checks.gcp._common import DEFAULT_COMPUTE_SA, project_number, seconds
from tests.checks.gcp_support import DEFAULT_SA, PROJECT_NUMBER, SERVING_SA, make


@pytest.mark.parametrize(
    ("duration", "expected"),
    [("7776000s", 7776000.0), ("1.5s", 1.5), (" 30s ", 30.0), ("0s", 0.0)],
)
def test_seconds_of_a_proto3_duration(duration: str, expected: float) -> None:
    assert seconds(duration) == expected


@pytest.mark.parametrize("duration", ["90d", "7776000", "-5s", "", None, 7776000, ["30s"]])
def test_seconds_of_anything_else_is_none(duration: Any) -> None:
    assert seconds(duration) is None


def test_project_number_comes_from_the_project_name() -> None:
    assert project_number(make("gcp.project")) == PROJECT_NUMBER
    assert project_number(make("gcp.project", {"name": "projects/ml-prod-4521"})) is None
    assert project_number(make("gcp.project", {"name": 123456789012})) is None


def test_the_default_compute_service_account_is_recognised_by_its_form() -> None:
    assert DEFAULT_COMPUTE_SA.match(DEFAULT_SA)
    assert not DEFAULT_COMPUTE_SA.match(SERVING_SA)
    assert not DEFAULT_COMPUTE_SA.match(f"{PROJECT_NUMBER}@cloudservices.gserviceaccount.com")
