"""GuardDuty checks, table-driven: a detector enabled in every scanned region."""

from __future__ import annotations

import pytest

from tests.checks.conftest import ERROR, FAIL, PASS, Case, assert_case, in_region, member

DETECTOR = "aws.guardduty.detector"

CASES: list[Case] = [
    # CL-10 GuardDuty
    Case("aws.guardduty.enabled", PASS, "enabled", in_region(member(DETECTOR))),
    Case(
        "aws.guardduty.enabled",
        FAIL,
        "disabled",
        in_region(member(DETECTOR, {"Status": "DISABLED"})),
        says="DISABLED",
    ),
    Case("aws.guardduty.enabled", FAIL, "none", in_region(), says="no GuardDuty detector"),
    Case("aws.guardduty.enabled", FAIL, "other-region-only", in_region(member(DETECTOR, region="eu-west-1"))),
    Case("aws.guardduty.enabled", ERROR, "detectors-unlisted", in_region(unlisted=(DETECTOR, "ListDetectors"))),
    Case(
        "aws.guardduty.enabled",
        PASS,
        "other-region-unlisted",
        in_region(member(DETECTOR), unlisted=(DETECTOR, "ListDetectors"), where="eu-west-1"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
