"""Subscription-wide checks that only an attestation can answer."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import one
from tests.checks.conftest import MANUAL, Case, assert_case

SUBSCRIPTION = "azure.subscription"

CASES: list[Case] = [
    # CL-11
    Case(
        "azure.subscription.incident_response_playbooks", MANUAL, "attestation", one(SUBSCRIPTION), says="attestation"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
