"""Security Command Center checks, table-driven: SCC is enabled for the project."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case
from tests.checks.gcp_support import one, project_with

PROJECT = "gcp.project"

CASES: list[Case] = [
    # CL-10
    Case("gcp.scc.enabled", PASS, "enabled", project_with(("gcp.scc.settings", None, {}))),
    Case(
        "gcp.scc.enabled",
        FAIL,
        "enabled-absent",
        project_with(("gcp.scc.settings", {"enabled": DROP}, {})),
        says="absent means false",
    ),
    Case("gcp.scc.enabled", FAIL, "no-settings", one(PROJECT), says="no Security Command Center state"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
