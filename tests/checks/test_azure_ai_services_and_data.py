"""Azure AI services accounts, Key Vault and storage checks, table-driven, absence cases included."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import load_azure_checks, one
from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case

AI = "azure.cognitive.account"
VAULT = "azure.keyvault.vault"
KEY = "azure.keyvault.key"
STORAGE = "azure.storage.account"

NOTIFY_ONLY = [{"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}}]
DATA_PLANE_CASING = [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "Rotate"}}]
ROTATE_NO_TRIGGER = [{"trigger": {}, "action": {"type": "rotate"}}]

CASES: list[Case] = [
    # CL-01
    Case("azure.cognitive.account_public_network_disabled", PASS, "disabled", one(AI)),
    Case(
        "azure.cognitive.account_public_network_disabled",
        FAIL,
        "enabled",
        one(AI, {"properties.publicNetworkAccess": "Enabled"}),
    ),
    Case(
        "azure.cognitive.account_public_network_disabled",
        FAIL,
        "absent",
        one(AI, {"properties.publicNetworkAccess": DROP}),
        says="absent means Enabled",
    ),
    # CL-08
    Case("azure.cognitive.account_local_auth_disabled", PASS, "disabled", one(AI)),
    Case(
        "azure.cognitive.account_local_auth_disabled",
        FAIL,
        "false",
        one(AI, {"properties.disableLocalAuth": False}),
        says="accepts its API keys",
    ),
    Case(
        "azure.cognitive.account_local_auth_disabled",
        FAIL,
        "absent",
        one(AI, {"properties.disableLocalAuth": DROP}),
        says="absent means false",
    ),
    Case(
        "azure.cognitive.account_local_auth_disabled",
        FAIL,
        "string-true",
        one(AI, {"properties.disableLocalAuth": "true"}),
        says="'true'",
    ),
    # CL-03
    Case("azure.cognitive.account_cmk_encryption", PASS, "key-vault", one(AI), says="cmk-aoai"),
    Case(
        "azure.cognitive.account_cmk_encryption",
        FAIL,
        "platform-key",
        one(AI, {"properties.encryption": {"keySource": "Microsoft.CognitiveServices"}}),
    ),
    Case(
        "azure.cognitive.account_cmk_encryption",
        FAIL,
        "absent",
        one(AI, {"properties.encryption": DROP}),
        says="absent means Microsoft-managed keys",
    ),
    # CL-05
    Case("azure.cognitive.account_diagnostic_settings", PASS, "audit", one(AI), says="audit"),
    Case("azure.cognitive.account_diagnostic_settings", FAIL, "none", one(AI, {"diagnosticSettings": []})),
    Case(
        "azure.cognitive.account_diagnostic_settings",
        FAIL,
        "key-absent",
        one(AI, {"diagnosticSettings": DROP}),
        says="no diagnosticSettings recorded",
    ),
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
    # CL-04 storage
    Case("azure.storage.account_tls12_https_only", PASS, "tls12", one(STORAGE)),
    Case(
        "azure.storage.account_tls12_https_only",
        PASS,
        "tls13-https-absent",
        one(STORAGE, {"properties.minimumTlsVersion": "TLS1_3", "properties.supportsHttpsTrafficOnly": DROP}),
    ),
    Case(
        "azure.storage.account_tls12_https_only",
        FAIL,
        "tls10",
        one(STORAGE, {"properties.minimumTlsVersion": "TLS1_0"}),
    ),
    Case(
        "azure.storage.account_tls12_https_only",
        FAIL,
        "tls-absent",
        one(STORAGE, {"properties.minimumTlsVersion": DROP}),
        says="absent means TLS1_0",
    ),
    Case(
        "azure.storage.account_tls12_https_only",
        FAIL,
        "http-allowed",
        one(STORAGE, {"properties.supportsHttpsTrafficOnly": False}),
        says="plain HTTP",
    ),
    Case(
        "azure.storage.account_tls12_https_only",
        FAIL,
        "https-flag-a-string",
        one(STORAGE, {"properties.supportsHttpsTrafficOnly": "false"}),
        says="not a boolean",
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _azure_checks() -> None:
    load_azure_checks()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
