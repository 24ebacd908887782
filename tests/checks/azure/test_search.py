"""Azure AI Search checks, table-driven: network, local auth, customer-managed keys, private endpoints, replicas,
and what absence means for each."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import RG_ID, declare_type, one
from tests.checks.conftest import DROP, FAIL, PASS, Case, assert_case

SEARCH_ID = f"{RG_ID}/providers/Microsoft.Search/searchServices/srch-rag"
SEARCH = declare_type(
    "azure.search.service",
    {
        "id": SEARCH_ID,
        "name": "srch-rag",
        "type": "Microsoft.Search/searchServices",
        "location": "eastus",
        "tags": {"app": "support-bot"},
        "sku": {"name": "standard"},
        "identity": {"type": "SystemAssigned", "principalId": "d8d8d8d8-1111-2222-3333-444455556666"},
        "properties": {
            "replicaCount": 3,
            "partitionCount": 1,
            "status": "running",
            "statusDetails": "",
            "hostingMode": "default",
            "provisioningState": "succeeded",
            "publicNetworkAccess": "disabled",
            "networkRuleSet": {"ipRules": [], "bypass": "AzureServices"},
            "encryptionWithCmk": {"enforcement": "Enabled", "encryptionComplianceStatus": "Compliant"},
            "disableLocalAuth": True,
            "authOptions": None,
            "semanticSearch": "standard",
            "privateEndpointConnections": [
                {
                    "id": f"{SEARCH_ID}/privateEndpointConnections/pe-srch-rag",
                    "name": "pe-srch-rag",
                    "type": "Microsoft.Search/searchServices/privateEndpointConnections",
                    "properties": {
                        "privateEndpoint": {"id": f"{RG_ID}/providers/Microsoft.Network/privateEndpoints/pe-srch-rag"},
                        "privateLinkServiceConnectionState": {
                            "status": "Approved",
                            "description": "Auto-approved",
                            "actionsRequired": "None",
                        },
                        "groupId": "searchService",
                        "provisioningState": "Succeeded",
                    },
                }
            ],
            "sharedPrivateLinkResources": [],
        },
    },
    uid=f"{RG_ID}/providers/Microsoft.Search/searchServices/{{name}}",
    name="srch-rag",
)

CASES: list[Case] = [
    # CL-01
    Case("azure.search.service_public_network_disabled", PASS, "disabled", one(SEARCH)),
    Case(
        "azure.search.service_public_network_disabled",
        PASS,
        "perimeter",
        one(SEARCH, {"properties.publicNetworkAccess": "securedByPerimeter"}),
    ),
    Case(
        "azure.search.service_public_network_disabled",
        FAIL,
        "enabled",
        one(SEARCH, {"properties.publicNetworkAccess": "enabled"}),
        says="reachable from the internet",
    ),
    Case(
        "azure.search.service_public_network_disabled",
        FAIL,
        "absent",
        one(SEARCH, {"properties.publicNetworkAccess": DROP}),
        says="absent means enabled",
    ),
    # CL-08
    Case("azure.search.service_local_auth_disabled", PASS, "disabled", one(SEARCH), says="Microsoft Entra"),
    Case(
        "azure.search.service_local_auth_disabled",
        FAIL,
        "api-keys",
        one(SEARCH, {"properties.disableLocalAuth": False, "properties.authOptions": {"apiKeyOnly": {}}}),
        says="API keys are accepted",
    ),
    Case(
        "azure.search.service_local_auth_disabled",
        FAIL,
        "absent",
        one(SEARCH, {"properties.disableLocalAuth": DROP}),
        says="absent means false",
    ),
    # CL-03
    Case("azure.search.service_cmk_enforced", PASS, "enforced", one(SEARCH), says="Compliant"),
    Case(
        "azure.search.service_cmk_enforced",
        FAIL,
        "unspecified",
        one(SEARCH, {"properties.encryptionWithCmk.enforcement": "Unspecified"}),
    ),
    Case(
        "azure.search.service_cmk_enforced",
        FAIL,
        "enforced-but-non-compliant",
        one(SEARCH, {"properties.encryptionWithCmk.encryptionComplianceStatus": "NonCompliant"}),
        says="still encrypted with a Microsoft-managed key",
    ),
    Case(
        "azure.search.service_cmk_enforced",
        FAIL,
        "absent",
        one(SEARCH, {"properties.encryptionWithCmk": DROP}),
        says="absent means Unspecified",
    ),
    # CL-07
    Case("azure.search.service_private_endpoint", PASS, "approved", one(SEARCH), says="pe-srch-rag"),
    Case(
        "azure.search.service_private_endpoint",
        FAIL,
        "none",
        one(SEARCH, {"properties.privateEndpointConnections": []}),
        says="no private endpoint connections",
    ),
    Case(
        "azure.search.service_private_endpoint",
        FAIL,
        "rejected",
        one(
            SEARCH,
            {"properties.privateEndpointConnections.0.properties.privateLinkServiceConnectionState.status": "Rejected"},
        ),
        says="none Approved",
    ),
    # PH-4
    Case("azure.search.service_replicas", PASS, "three", one(SEARCH), says="3 replicas"),
    Case("azure.search.service_replicas", FAIL, "one", one(SEARCH, {"properties.replicaCount": 1})),
    Case(
        "azure.search.service_replicas",
        FAIL,
        "absent",
        one(SEARCH, {"properties.replicaCount": DROP}),
        says="absent means 1",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
