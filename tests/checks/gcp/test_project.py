"""Project-wide checks that only an attestation can answer."""

from __future__ import annotations

import pytest

from tests.checks.conftest import MANUAL, Case, assert_case
from tests.checks.gcp_support import one

PROJECT = "gcp.project"

CASES: list[Case] = [
    # CL-11
    Case("gcp.project.incident_response_playbooks", MANUAL, "always", one(PROJECT), says="attestation"),
    # ZT-4: MANUAL until the attack-path analysis, whatever the project holds.
    Case("gcp.project.training_blast_radius", MANUAL, "always", one(PROJECT), says="attack-path analysis"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
