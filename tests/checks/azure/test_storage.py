"""Storage account checks, table-driven: TLS 1.2 or later and HTTPS only, absence cases included."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import one
from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case

STORAGE = "azure.storage.account"

CASES: list[Case] = [
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


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
