"""Azure AI services (Cognitive Services) account checks, table-driven, absence cases included."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import one
from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case

AI = "azure.cognitive.account"

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
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
