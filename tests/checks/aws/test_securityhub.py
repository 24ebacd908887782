"""Security Hub checks, table-driven: the hub enabled in every scanned region."""

from __future__ import annotations

import pytest

from tests.checks.conftest import ERROR, FAIL, PASS, Case, assert_case, in_region, member

HUB = "aws.securityhub.hub"

CASES: list[Case] = [
    # CL-10 Security Hub
    Case("aws.securityhub.enabled", PASS, "hub", in_region(member(HUB))),
    Case("aws.securityhub.enabled", FAIL, "none", in_region(), says="does not have Security Hub"),
    Case("aws.securityhub.enabled", ERROR, "hub-unreadable", in_region(unlisted=(HUB, "DescribeHub"))),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
