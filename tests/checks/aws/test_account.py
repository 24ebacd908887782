"""Account-wide checks that only an attestation can answer."""

from __future__ import annotations

import pytest

from tests.checks.conftest import MANUAL, Case, assert_case, one

CASES: list[Case] = [
    # CL-11 attestation only
    Case("aws.account.incident_response_playbooks", MANUAL, "attest", one("aws.account"), says="attestation"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
