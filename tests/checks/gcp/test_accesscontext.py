"""VPC Service Controls checks, table-driven: Vertex AI inside a service perimeter (or private endpoints only)."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, assert_case
from tests.checks.gcp_support import PROJ, collection_error, one, project_with

PROJECT = "gcp.project"
EP = "gcp.vertex.endpoint"
PERIMETER = "gcp.accesscontext.perimeter"

CASES: list[Case] = [
    # CL-07
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        PASS,
        "perimeter-other-account",
        project_with((PERIMETER, None, {"account": "organizations/222"})),
        says="ml_perimeter",
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        PASS,
        "all-endpoints-psc",
        project_with((EP, None, {}), (EP, None, {"name": "2"})),
        says="Private Service Connect",
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        FAIL,
        "perimeter-without-vertex",
        project_with((PERIMETER, {"status.restrictedServices": ["storage.googleapis.com"]}, {})),
        says="does not restrict",
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        FAIL,
        "perimeter-dry-run-only",
        project_with(
            (
                PERIMETER,
                {
                    "spec": {"resources": [PROJ], "restrictedServices": ["aiplatform.googleapis.com"]},
                    "status.resources": ["projects/210987654321"],
                },
                {},
            )
        ),
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        FAIL,
        "public-endpoint",
        project_with((EP, None, {}), (EP, {"privateServiceConnectConfig": DROP, "network": "x"}, {"name": "2"})),
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        PASS,
        "perimeters-unlisted-all-psc",
        lambda: project_with((EP, None, {}))().fail(collection_error(PERIMETER)),
    ),
    Case(
        "gcp.accesscontext.vertex_in_perimeter",
        ERROR,
        "perimeters-unlisted-public-endpoint",
        lambda: project_with((EP, {"privateServiceConnectConfig": DROP}, {}))().fail(collection_error(PERIMETER)),
    ),
    Case("gcp.accesscontext.vertex_in_perimeter", FAIL, "nothing", one(PROJECT), says="no service perimeter"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
