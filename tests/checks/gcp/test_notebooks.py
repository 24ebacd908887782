"""Vertex AI Workbench instance checks, table-driven: every check passes, fails, and says what absence means."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case
from tests.checks.gcp_support import one

NB = "gcp.notebooks.instance"

CASES: list[Case] = [
    # CL-01 Workbench
    Case("gcp.notebooks.no_public_ip", PASS, "disabled", one(NB)),
    Case(
        "gcp.notebooks.no_public_ip",
        FAIL,
        "absent",
        one(NB, {"gceSetup.disablePublicIp": DROP}),
        says="absent means false",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
