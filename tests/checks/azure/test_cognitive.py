"""Azure AI services (Cognitive Services, AI Foundry) checks, table-driven, absence cases included: accounts,
deployments and their content filters, RAI policies, projects and connections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.azure_support import RG_ID, collection_error, declare_type, make, one, stored
from tests.checks.conftest import DROP, ERROR, FAIL, MANUAL, PASS, Case, Estate, assert_case

AI = "azure.cognitive.account"
AI_ID = f"{RG_ID}/providers/Microsoft.CognitiveServices/accounts/contoso-aoai"
_SYSTEM_DATA = {
    "createdBy": "ml-platform@contoso.com",
    "createdByType": "User",
    "createdAt": "2025-03-01T09:00:00Z",
    "lastModifiedBy": "ml-platform@contoso.com",
    "lastModifiedByType": "User",
    "lastModifiedAt": "2025-05-01T09:00:00Z",
}


def content_filters(jailbreak: bool = True) -> list[dict[str, Any]]:
    """Every harm category blocked at medium on prompts and completions, and (by default) jailbreak detection."""
    filters: list[dict[str, Any]] = [
        {"name": name, "blocking": True, "enabled": True, "severityThreshold": "Medium", "source": source}
        for source in ("Prompt", "Completion")
        for name in ("Hate", "Sexual", "Violence", "Selfharm")
    ]
    if jailbreak:
        filters.append({"name": "Jailbreak", "blocking": True, "enabled": True, "source": "Prompt"})
        filters.append({"name": "Indirect Attack", "blocking": True, "enabled": True, "source": "Prompt"})
    filters.append({"name": "Protected Material Text", "blocking": True, "enabled": True, "source": "Completion"})
    return filters


RAI = declare_type(
    "azure.cognitive.rai_policy",
    {
        "id": f"{AI_ID}/raiPolicies/strict-filter",
        "name": "strict-filter",
        "type": "Microsoft.CognitiveServices/accounts/raiPolicies",
        "etag": '"00000000-0000-0000-0000-000000000001"',
        "systemData": _SYSTEM_DATA,
        "properties": {
            "type": "UserManaged",
            "mode": "Blocking",
            "basePolicyName": "Microsoft.DefaultV2",
            "contentFilters": content_filters(),
        },
    },
    uid=f"{AI_ID}/raiPolicies/{{name}}",
    name="strict-filter",
)
DEPLOYMENT = declare_type(
    "azure.cognitive.deployment",
    {
        "id": f"{AI_ID}/deployments/gpt-4o",
        "name": "gpt-4o",
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": "GlobalStandard", "capacity": 50},
        "systemData": _SYSTEM_DATA,
        "properties": {
            "model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"},
            "versionUpgradeOption": "NoAutoUpgrade",
            "currentCapacity": 50,
            "raiPolicyName": "strict-filter",
            "capabilities": {"chatCompletion": "true", "maxContextToken": "128000"},
            "rateLimits": [{"key": "request", "renewalPeriod": 10, "count": 50}],
            "provisioningState": "Succeeded",
        },
    },
    uid=f"{AI_ID}/deployments/{{name}}",
    name="gpt-4o",
)
PROJECT = declare_type(
    "azure.cognitive.project",
    {
        "id": f"{AI_ID}/projects/support-bot",
        "name": "support-bot",
        "type": "Microsoft.CognitiveServices/accounts/projects",
        "location": "eastus",
        "tags": {},
        "etag": '"00000000-0000-0000-0000-000000000002"',
        "identity": {"type": "SystemAssigned", "principalId": "c7c7c7c7-1111-2222-3333-444455556666"},
        "systemData": _SYSTEM_DATA,
        "properties": {
            "provisioningState": "Succeeded",
            "displayName": "Support bot",
            "description": "Customer support agent",
            "endpoints": {"AI Foundry API": "https://contoso-aoai.services.ai.azure.com/api/projects/support-bot"},
            "isDefault": True,
        },
    },
    uid=f"{AI_ID}/projects/{{name}}",
    name="support-bot",
)
SEARCH_ID = f"{RG_ID}/providers/Microsoft.Search/searchServices/srch-rag"


def connection_base(connection_id: str, name: str, rtype: str) -> dict[str, Any]:
    return {
        "id": connection_id,
        "name": name,
        "type": rtype,
        "systemData": _SYSTEM_DATA,
        "properties": {
            "authType": "AAD",
            "category": "CognitiveSearch",
            "target": "https://srch-rag.search.windows.net",
            "isSharedToAll": True,
            "metadata": {"ApiType": "Azure", "ResourceId": SEARCH_ID, "location": "eastus"},
        },
    }


CONNECTION = declare_type(
    "azure.cognitive.connection",
    connection_base(f"{AI_ID}/connections/srch-rag", "srch-rag", "Microsoft.CognitiveServices/accounts/connections"),
    uid=f"{AI_ID}/connections/{{name}}",
    name="srch-rag",
)
PROJECT_CONNECTION = declare_type(
    "azure.cognitive.project_connection",
    connection_base(
        f"{AI_ID}/projects/support-bot/connections/srch-rag",
        "srch-rag",
        "Microsoft.CognitiveServices/accounts/projects/connections",
    ),
    uid=f"{AI_ID}/projects/support-bot/connections/{{name}}",
    name="srch-rag",
)


def deployed(policy: str, changes: dict[str, Any] | None = None, listed: bool = True) -> Callable[[], Estate]:
    """A deployment naming RAI policy `policy`, with that policy (varied by `changes`) listed by its account."""

    def build() -> Estate:
        deployment = make(DEPLOYMENT, {"properties.raiPolicyName": policy})
        estate = Estate(deployment)
        if listed:
            rai = make(RAI, changes, name=policy)
            estate.add(rai).link(deployment, "uses_rai_policy", rai)
        else:
            estate.link(deployment, "uses_rai_policy", f"{AI_ID}/raiPolicies/{policy}")
        return estate

    return build


def policies_unlisted() -> Estate:
    deployment = make(DEPLOYMENT)
    return (
        Estate(deployment)
        .link(deployment, "uses_rai_policy", f"{AI_ID}/raiPolicies/strict-filter")
        .fail(collection_error(RAI, uid=f"{AI_ID}/raiPolicies/strict-filter"))
    )


def filters_without(name: str, source: str) -> list[dict[str, Any]]:
    return [f for f in content_filters() if (f["name"], f["source"]) != (name, source)]


def filters_with(name: str, source: str, **flags: bool) -> list[dict[str, Any]]:
    return [{**f, **flags} if (f["name"], f["source"]) == (name, source) else f for f in content_filters()]


SAS = (
    "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-31T00:00:00Z&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A%3D"
)

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
    # CL-07
    Case("azure.cognitive.account_private_endpoint", PASS, "approved", one(AI), says="pe-aoai"),
    Case(
        "azure.cognitive.account_private_endpoint",
        FAIL,
        "pending",
        one(
            AI,
            {"properties.privateEndpointConnections.0.properties.privateLinkServiceConnectionState.status": "Pending"},
        ),
        says="none Approved",
    ),
    Case(
        "azure.cognitive.account_private_endpoint",
        FAIL,
        "absent",
        one(AI, {"properties.privateEndpointConnections": DROP}),
        says="no private endpoint connections",
    ),
    # CL-08 managed identity, on accounts and on AI Foundry projects
    Case("azure.cognitive.account_managed_identity", PASS, "system", one(AI), says="SystemAssigned"),
    Case(
        "azure.cognitive.account_managed_identity",
        PASS,
        "both-spelt-with-a-space",
        one(AI, {"identity.type": "SystemAssigned, UserAssigned"}),
    ),
    Case("azure.cognitive.account_managed_identity", FAIL, "none", one(AI, {"identity": {"type": "None"}})),
    Case(
        "azure.cognitive.account_managed_identity",
        FAIL,
        "absent",
        one(AI, {"identity": DROP}),
        says="absent means none",
    ),
    Case("azure.cognitive.account_managed_identity", PASS, "project", one(PROJECT)),
    Case("azure.cognitive.account_managed_identity", FAIL, "project-absent", one(PROJECT, {"identity": DROP})),
    # ZT-2 outbound
    Case("azure.cognitive.account_outbound_restricted", PASS, "restricted", one(AI), says="allowedFqdnList"),
    Case(
        "azure.cognitive.account_outbound_restricted",
        FAIL,
        "false",
        one(AI, {"properties.restrictOutboundNetworkAccess": False}),
    ),
    Case(
        "azure.cognitive.account_outbound_restricted",
        FAIL,
        "absent",
        one(AI, {"properties.restrictOutboundNetworkAccess": DROP}),
        says="absent means false",
    ),
    # MS-2 content filters: the policy itself
    Case("azure.cognitive.rai_policy_filters_enabled", PASS, "all-on", one(RAI), says="jailbreak"),
    Case(
        "azure.cognitive.rai_policy_filters_enabled",
        FAIL,
        "hate-off-on-completions",
        one(RAI, {"properties.contentFilters": filters_with("Hate", "Completion", enabled=False)}),
        says="Hate on completions off",
    ),
    Case(
        "azure.cognitive.rai_policy_filters_enabled",
        FAIL,
        "jailbreak-annotates-only",
        one(RAI, {"properties.contentFilters": filters_with("Jailbreak", "Prompt", blocking=False)}),
        says="Jailbreak on prompts annotates without blocking",
    ),
    Case(
        "azure.cognitive.rai_policy_filters_enabled",
        PASS,
        "unlisted-filter-inherits-default-v2",
        one(RAI, {"properties.contentFilters": filters_without("Violence", "Prompt")}),
    ),
    Case(
        "azure.cognitive.rai_policy_filters_enabled",
        FAIL,
        "unlisted-jailbreak-on-legacy-default",
        one(
            RAI,
            {
                "properties.basePolicyName": "Microsoft.Default",
                "properties.contentFilters": filters_without("Jailbreak", "Prompt"),
            },
        ),
        says="Jailbreak on prompts not configured",
    ),
    Case(
        "azure.cognitive.rai_policy_filters_enabled",
        FAIL,
        "no-filters-no-base",
        one(RAI, {"properties.contentFilters": DROP, "properties.basePolicyName": DROP}),
        says="not configured",
    ),
    Case(
        "azure.cognitive.rai_policy_filters_enabled",
        PASS,
        "system-managed",
        one(RAI, {"properties.type": "SystemManaged", "properties.contentFilters": []}, name="Microsoft.Default"),
        says="Microsoft manages",
    ),
    # MS-2 content filters: what each deployment uses
    Case("azure.cognitive.deployment_content_filter", PASS, "custom-strict", deployed("strict-filter"), says="blocks"),
    Case(
        "azure.cognitive.deployment_content_filter",
        FAIL,
        "custom-with-filters-off",
        deployed("lenient", {"properties.contentFilters": filters_with("Sexual", "Prompt", enabled=False)}),
        says="Sexual on prompts off",
    ),
    Case(
        "azure.cognitive.deployment_content_filter",
        PASS,
        "built-in-v2-unlisted",
        deployed("Microsoft.DefaultV2", listed=False),
    ),
    Case(
        "azure.cognitive.deployment_content_filter",
        FAIL,
        "legacy-default-unlisted",
        deployed("Microsoft.Default", listed=False),
        says="Jailbreak on prompts not configured",
    ),
    Case(
        "azure.cognitive.deployment_content_filter",
        MANUAL,
        "unknown-name-unlisted",
        deployed("team-filter", listed=False),
        says="does not list",
    ),
    Case(
        "azure.cognitive.deployment_content_filter",
        FAIL,
        "absent",
        one(DEPLOYMENT, {"properties.raiPolicyName": DROP}),
        says="no content filter",
    ),
    Case("azure.cognitive.deployment_content_filter", ERROR, "policy-unread", policies_unlisted),
    # MS-1 pinned model versions
    Case("azure.cognitive.deployment_version_pinned", PASS, "no-auto-upgrade", one(DEPLOYMENT), says="2024-11-20"),
    Case(
        "azure.cognitive.deployment_version_pinned",
        PASS,
        "upgrade-at-retirement",
        one(DEPLOYMENT, {"properties.versionUpgradeOption": "OnceCurrentVersionExpired"}),
    ),
    Case(
        "azure.cognitive.deployment_version_pinned",
        FAIL,
        "auto-upgrade",
        one(DEPLOYMENT, {"properties.versionUpgradeOption": "OnceNewDefaultVersionAvailable"}),
    ),
    Case(
        "azure.cognitive.deployment_version_pinned",
        FAIL,
        "option-absent",
        one(DEPLOYMENT, {"properties.versionUpgradeOption": DROP}),
        says="absent means OnceNewDefaultVersionAvailable",
    ),
    Case(
        "azure.cognitive.deployment_version_pinned",
        FAIL,
        "version-absent",
        one(DEPLOYMENT, {"properties.model.version": DROP}),
        says="not pinned",
    ),
    # CL-08 connections
    Case("azure.cognitive.connection_identity_auth", PASS, "entra", one(CONNECTION), says="Microsoft Entra ID"),
    Case(
        "azure.cognitive.connection_identity_auth",
        FAIL,
        "api-key-to-search",
        one(CONNECTION, {"properties.authType": "ApiKey"}),
        says="where Microsoft Entra ID",
    ),
    Case(
        "azure.cognitive.connection_identity_auth",
        FAIL,
        "sas-to-blob",
        one(
            PROJECT_CONNECTION,
            {
                "properties.authType": "SAS",
                "properties.category": "AzureBlob",
                "properties.target": "https://st.blob.core.windows.net/docs",
            },
        ),
    ),
    Case(
        "azure.cognitive.connection_identity_auth",
        PASS,
        "key-where-no-identity-would-do",
        one(
            PROJECT_CONNECTION,
            {
                "properties.authType": "ApiKey",
                "properties.category": "ApiKey",
                "properties.target": "https://api.example.com",
            },
        ),
        says="accepts no Microsoft Entra token",
    ),
    Case(
        "azure.cognitive.connection_identity_auth",
        FAIL,
        "key-to-azure-container-registry",
        one(
            CONNECTION,
            {
                "properties.authType": "UsernamePassword",
                "properties.category": "ContainerRegistry",
                "properties.target": "crml.azurecr.io",
            },
        ),
    ),
    Case(
        "azure.cognitive.connection_identity_auth",
        PASS,
        "password-to-another-registry",
        one(
            CONNECTION,
            {
                "properties.authType": "UsernamePassword",
                "properties.category": "ContainerRegistry",
                "properties.target": "https://index.docker.io/v1/",
            },
        ),
    ),
    Case(
        "azure.cognitive.connection_identity_auth",
        PASS,
        "no-credential",
        one(CONNECTION, {"properties.authType": "None"}),
    ),
    Case(
        "azure.cognitive.connection_identity_auth",
        FAIL,
        "auth-absent",
        one(CONNECTION, {"properties.authType": DROP}),
        says="(required)",
    ),
    # MS-4 connections
    Case("azure.cognitive.connection_no_secrets", PASS, "clean", stored(CONNECTION), says="no secret-looking"),
    Case(
        "azure.cognitive.connection_no_secrets",
        FAIL,
        "sas-in-target",
        stored(
            PROJECT_CONNECTION,
            {
                "properties.category": "AzureBlob",
                "properties.authType": "None",
                "properties.target": f"https://st.blob.core.windows.net/docs?{SAS}",
            },
        ),
        says="azure_sas_signature",
    ),
    Case(
        "azure.cognitive.connection_no_secrets",
        FAIL,
        "key-in-metadata",
        stored(CONNECTION, {"properties.metadata.api_key": "0123456789abcdef0123456789abcdef"}),
        says="secret_by_name",
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
