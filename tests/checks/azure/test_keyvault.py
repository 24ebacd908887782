"""Key Vault checks, table-driven: purge protection on vaults, rotation policies on keys."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import one
from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case

VAULT = "azure.keyvault.vault"
KEY = "azure.keyvault.key"

NOTIFY_ONLY = [{"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}}]
DATA_PLANE_CASING = [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "Rotate"}}]
ROTATE_NO_TRIGGER = [{"trigger": {}, "action": {"type": "rotate"}}]

CASES: list[Case] = [
    # CL-03 Key Vault
    Case("azure.keyvault.vault_purge_protection", PASS, "on", one(VAULT)),
    Case(
        "azure.keyvault.vault_purge_protection",
        PASS,
        "soft-delete-absent",
        one(VAULT, {"properties.enableSoftDelete": DROP}),
        says="on by default",
    ),
    Case(
        "azure.keyvault.vault_purge_protection",
        FAIL,
        "purge-absent",
        one(VAULT, {"properties.enablePurgeProtection": DROP}),
        says="absent means off",
    ),
    Case(
        "azure.keyvault.vault_purge_protection",
        FAIL,
        "purge-null",
        one(VAULT, {"properties.enablePurgeProtection": None}),
        says="absent means off",
    ),
    Case(
        "azure.keyvault.vault_purge_protection",
        FAIL,
        "soft-delete-off",
        one(VAULT, {"properties.enableSoftDelete": False}),
        says="enableSoftDelete false",
    ),
    Case("azure.keyvault.key_rotation_policy", PASS, "rotate-arm", one(KEY), says="timeAfterCreate P90D"),
    Case(
        "azure.keyvault.key_rotation_policy",
        PASS,
        "rotate-data-plane-casing",
        one(KEY, {"properties.rotationPolicy.lifetimeActions": DATA_PLANE_CASING}),
    ),
    Case(
        "azure.keyvault.key_rotation_policy",
        FAIL,
        "notify-only",
        one(KEY, {"properties.rotationPolicy.lifetimeActions": NOTIFY_ONLY}),
        says="actions notify",
    ),
    Case(
        "azure.keyvault.key_rotation_policy",
        FAIL,
        "rotate-without-trigger",
        one(KEY, {"properties.rotationPolicy.lifetimeActions": ROTATE_NO_TRIGGER}),
    ),
    Case(
        "azure.keyvault.key_rotation_policy",
        FAIL,
        "absent",
        one(KEY, {"properties.rotationPolicy": DROP}),
        says="no rotation policy",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
