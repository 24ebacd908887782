"""Cloud KMS checks, table-driven: keys rotate at least every 90 days, absence cases included."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, FAIL, MANUAL, PASS, Case, assert_case
from tests.checks.gcp_support import one

KEY = "gcp.kms.crypto_key"

CASES: list[Case] = [
    # CL-03 key rotation
    Case("gcp.kms.key_rotation", PASS, "ninety-days", one(KEY), says="every 90 days"),
    Case("gcp.kms.key_rotation", PASS, "thirty-days", one(KEY, {"rotationPeriod": "2592000s"})),
    Case(
        "gcp.kms.key_rotation", FAIL, "one-year", one(KEY, {"rotationPeriod": "31536000s"}), says="longer than 90 days"
    ),
    Case(
        "gcp.kms.key_rotation",
        FAIL,
        "absent",
        one(KEY, {"rotationPeriod": DROP, "nextRotationTime": DROP}),
        says="absent means no automatic rotation",
    ),
    Case(
        "gcp.kms.key_rotation",
        MANUAL,
        "asymmetric",
        one(KEY, {"purpose": "ASYMMETRIC_SIGN", "rotationPeriod": DROP, "primary": DROP}),
        says="attest",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
