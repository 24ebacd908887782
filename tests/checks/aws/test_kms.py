"""KMS checks, table-driven: customer managed keys, rotated where AWS can rotate them."""

from __future__ import annotations

import pytest

from tests.checks.conftest import DROP, FAIL, MANUAL, PASS, Case, assert_case, one

KEY = "aws.kms.key"

CASES: list[Case] = [
    Case("aws.kms.key_customer_managed", PASS, "customer", one(KEY)),
    Case("aws.kms.key_customer_managed", FAIL, "aws-managed", one(KEY, {"KeyManager": "AWS"}), says="AWS"),
    Case("aws.kms.key_customer_managed", FAIL, "absent", one(KEY, {"KeyManager": DROP})),
    Case("aws.kms.key_rotation_enabled", PASS, "rotating", one(KEY), says="365 days"),
    Case("aws.kms.key_rotation_enabled", FAIL, "off", one(KEY, {"KeyRotationEnabled": False})),
    Case(
        "aws.kms.key_rotation_enabled", FAIL, "absent", one(KEY, {"KeyRotationEnabled": DROP}), says="absent means off"
    ),
    Case(
        "aws.kms.key_rotation_enabled",
        PASS,
        "aws-managed",
        one(KEY, {"KeyManager": "AWS", "KeyRotationEnabled": DROP}),
        says="AWS rotates it",
    ),
    Case(
        "aws.kms.key_rotation_enabled",
        PASS,
        "asymmetric",
        one(
            KEY,
            {
                "KeySpec": "RSA_2048",
                "CustomerMasterKeySpec": "RSA_2048",
                "KeyUsage": "SIGN_VERIFY",
                "KeyRotationEnabled": DROP,
            },
        ),
        says="RSA_2048",
    ),
    Case(
        "aws.kms.key_rotation_enabled",
        PASS,
        "hmac",
        one(KEY, {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC", "KeyRotationEnabled": DROP}),
    ),
    Case(
        "aws.kms.key_rotation_enabled",
        MANUAL,
        "imported-material",
        one(KEY, {"Origin": "EXTERNAL", "KeyRotationEnabled": DROP}),
        says="EXTERNAL",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
