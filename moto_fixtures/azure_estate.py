"""A realistic mixed Azure AI estate, replayed as Azure Resource Manager JSON on a `responses` mock.

`register_azure_estate(rsps)` registers every ARM GET the Azure collector makes (the paths and
api-versions of docs/architecture.md, "Azure resource types") in the shape ARM really answers:
list envelopes `{"value": [...], "nextLink": <absolute URL>}`, item envelopes `id`/`name`/`type`/
`location`/`tags`/`identity`/`sku`/`kind`/`systemData`/`properties`, lowerCamelCase keys and
PascalCase enums (see /work/shared/reference/azure-gcp-api-shapes.md). Good and bad resources sit
side by side; the returned `AzureEstateManifest` says what each check should conclude.

Nothing here talks to Azure, and no secret in it is, or ever was, a working credential.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

import responses
from responses import matchers

from collectors.azure.arm import rbac_action

__all__ = [
    "API_VERSIONS",
    "AZURE_HOSTILE_STRINGS",
    "DENIED_SUBSCRIPTION_ID",
    "PROD_SUBSCRIPTION_ID",
    "AzureEstateManifest",
    "azure_routes",
    "register_azure_estate",
    "register_management_groups",
]

PASS = "PASS"
FAIL = "FAIL"

PROD_SUBSCRIPTION_ID = "11111111-2222-3333-4444-555555555555"
DENIED_SUBSCRIPTION_ID = "99999999-8888-7777-6666-555555555555"
TENANT_ID = "72f988bf-0000-4000-8000-0000000000aa"
DEFAULT_ARM_ENDPOINT = "https://management.azure.com"

# docs/architecture.md, "Azure resource types": one api-version per resource type.
API_VERSIONS: dict[str, str] = {
    "subscriptions": "2022-12-01",
    "ml": "2025-06-01",
    "cognitive": "2025-06-01",
    "keyvault": "2023-07-01",
    "storage": "2023-05-01",
    "containerregistry": "2023-07-01",
    "authorization": "2022-04-01",
    "security": "2024-01-01",
    "policy": "2023-04-01",
    "consumption": "2023-05-01",
    "search": "2025-05-01",
    "deployments": "2025-04-01",
    "schedules": "2020-10-01",
    "purview": "2021-07-01",
    "diagnostics": "2021-05-01-preview",
}

AZURE_HOSTILE_STRINGS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "=cmd|' /C calc'!A0",
    "\u001b[31mred alert\u001b[0m",
)

# Deterministic fakes shaped like the real thing so secret detectors fire.
_FAKES = random.Random(20260611)
_ALNUM = string.ascii_letters + string.digits


def _fake(alphabet: str, length: int) -> str:
    return "".join(_FAKES.choice(alphabet) for _ in range(length))


_TAG_API_KEY = _fake("0123456789abcdef", 32)  # shaped like a Cognitive Services account key
_OPENAI_API_KEY = "sk-proj-" + _fake(_ALNUM, 40)
# The shapes redaction used to miss: a compound name, a plain KEY holding 32 hex digits, JSON inside a string,
# a bearer token in a curl line and a service-account key file base64-wrapped at 76 columns in a heredoc.
_PGPASSWORD = "Pg-" + _fake(_ALNUM, 21) + "!"
_AZURE_OPENAI_KEY = _fake("0123456789abcdef", 32)
_BATCH_DB_PASSWORD = "Db-" + _fake(_ALNUM, 21) + "#"
_GATEWAY_BEARER = _fake("0123456789abcdef", 40)
_KEY_FILE = json.dumps(
    {
        "type": "service_account",
        "project_id": "contoso-ml-bridge",
        "private_key_id": _fake("0123456789abcdef", 40),
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQ"
        + _fake(_ALNUM + "+/", 200)
        + "\n-----END PRIVATE KEY-----\n",
        "client_email": "azure-bridge@contoso-ml-bridge.iam.gserviceaccount.com",
        "client_id": "104829374650192837465",
        "token_uri": "https://oauth2.googleapis.com/token",
    },
    indent=2,
)
_WRAPPED_KEY_FILE = base64.encodebytes(_KEY_FILE.encode()).decode()  # `base64 sa.json`: 76 columns
# A blob SAS URL pasted into an AI Foundry connection's target: its signature is the secret.
_BLOB_SIGNATURE = base64.b64encode(bytes(_FAKES.randrange(256) for _ in range(32))).decode()
_BLOB_SAS = (
    "sv=2024-11-04&ss=b&srt=co&sp=rl&se=2027-01-01T00:00:00Z&st=2026-03-01T00:00:00Z&spr=https&sig="
    + _BLOB_SIGNATURE.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
)
_LEAKY_SETUP_SCRIPT = (
    "#!/bin/bash\nset -euo pipefail\n"
    "cat > /home/azureuser/.config/gcp-sa.json.b64 <<'EOF'\n"
    f"{_WRAPPED_KEY_FILE}"
    "EOF\n"
    "base64 -d /home/azureuser/.config/gcp-sa.json.b64 > /home/azureuser/.config/gcp-sa.json\n"
    f'curl -sf -H "Authorization: Bearer {_GATEWAY_BEARER}" https://llm-gateway.contoso.example.com/v1/models\n'
)
# The good practice: the script reads its secrets from Key Vault with the compute's identity.
_CLEAN_SETUP_SCRIPT = (
    "#!/bin/bash\nset -euo pipefail\naz login --identity\n"
    "export PGPASSWORD=$(az keyvault secret show --vault-name kv-secure-ml --name pg-password --query value -o tsv)\n"
    "pip install -r /mnt/batch/tasks/shared/requirements.txt\n"
)


def _base64_forms(secret: str) -> tuple[str, ...]:
    """What `secret` looks like inside any base64 text encoding it, at each of the three byte alignments:
    a setup script is stored base64-encoded, so a secret it leaked would show only in these forms."""
    forms = []
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + secret.encode()).decode()
        forms.append(encoded[(pad * 4 + 2) // 3 : (pad + len(secret.encode())) // 3 * 4])
    return tuple(forms)


# Script-borne secrets are listed as themselves and as they would look inside the base64 scriptData.
_SCRIPT_SECRETS = (_GATEWAY_BEARER, *_WRAPPED_KEY_FILE.splitlines()[:-1])
_PLANTED = (
    _TAG_API_KEY,
    _OPENAI_API_KEY,
    _PGPASSWORD,
    _AZURE_OPENAI_KEY,
    _BATCH_DB_PASSWORD,
    *_SCRIPT_SECRETS,
    _BLOB_SAS.rsplit("sig=", 1)[1],
    *(form for secret in _SCRIPT_SECRETS for form in _base64_forms(secret)),
)

# The Microsoft cloud security benchmark initiative (a built-in policy set definition, tenant-wide GUID).
MCSB_INITIATIVE = "1f3afdf9-d0c9-4c3d-847f-89da613e70a8"
# Built-in role definitions (tenant-wide GUIDs).
OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
AML_DATA_SCIENTIST_ROLE = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
READER_ROLE = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
BLOB_READER_ROLE = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
PURVIEW_PRINCIPAL = "3c3c3c3c-0000-4000-8000-00000000003c"
PURVIEW_ASSIGNMENT = "6d5c4b3a-0000-4000-8000-0000000000d1"
COGNITIVE_CONTRIBUTOR_ROLE = "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68"
OWNER_ASSIGNMENT = "3c1d9a7e-5b2f-4e8a-9c6d-0a1b2c3d4e5f"
DATA_SCIENTIST_ASSIGNMENT = "7a2e4c6b-1d3f-4a5b-8c9d-e0f1a2b3c4d5"
READER_ASSIGNMENT = "9c8d7e6f-2a3b-4c5d-8e9f-a0b1c2d3e4f5"
OPERATOR_ASSIGNMENT = "1e2f3a4b-5c6d-4e7f-8a9b-c0d1e2f3a4b5"
CONTRIBUTOR_ROLE = "b24988ac-6180-42a0-ab88-20f7382dd24c"
# ZT-4: the open cluster's (and open endpoint's) identity holds Contributor over the secure team's resource group and
# reads its confidential storage; the secure instance's identity reads only that storage.
SHARED_CONTRIBUTOR_ASSIGNMENT = "2f3e4d5c-6b7a-4c8d-9e0f-a1b2c3d4e5f6"
SHARED_READER_ASSIGNMENT = "4a5b6c7d-8e9f-4a0b-8c1d-e2f3a4b5c6d7"
CI_READER_ASSIGNMENT = "5b6c7d8e-9f0a-4b1c-9d2e-f3a4b5c6d7e8"
SHARED_PRINCIPAL = "e4e4e4e4-0000-4000-8000-000000000001"
CI_PRINCIPAL = "a1a1a1a1-0000-4000-8000-000000000003"

# The notActions of the built-in roles that have any (Contributor may not assign roles).
_NOT_ACTIONS = {
    CONTRIBUTOR_ROLE: [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action",
    ]
}

_SYSTEM_DATA = {
    "createdAt": "2026-03-02T09:15:27.1234567Z",
    "createdBy": "ml-platform@contoso.com",
    "createdByType": "User",
    "lastModifiedAt": "2026-05-20T16:40:03.7654321Z",
    "lastModifiedBy": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "lastModifiedByType": "Application",
}


@dataclass(frozen=True)
class AzureEstateManifest:
    """What register_azure_estate replays and what each check should conclude about it."""

    subscription_ids: tuple[str, ...]
    prod_subscription_id: str
    denied_subscription_id: str
    arm_endpoint: str
    secrets: tuple[str, ...]
    hostile_strings: tuple[str, ...]
    # Logical name -> ARM id as ARM returns it.
    resource_ids: dict[str, str] = field(default_factory=dict)
    # (check_id, resource name) -> "PASS" | "FAIL"; subscription-level checks use the subscription id.
    expected: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def check_ids(self) -> tuple[str, ...]:
        """The checks the estate exercises: every check id its expectations name, in order of first mention."""
        return tuple(dict.fromkeys(check_id for check_id, _ in self.expected))


@dataclass(frozen=True)
class _Route:
    path: str
    api_version: str
    body: Any
    status: int = 200
    extra_query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()


def _tracked(
    rid: str,
    rtype: str,
    location: str,
    properties: dict[str, Any],
    *,
    tags: dict[str, str] | None = None,
    identity: dict[str, Any] | None = None,
    sku: dict[str, Any] | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": rid,
        "name": rid.rsplit("/", 1)[1],
        "type": rtype,
        "location": location,
        "tags": tags if tags is not None else {},
    }
    if identity is not None:
        item["identity"] = identity
    if sku is not None:
        item["sku"] = sku
    if kind is not None:
        item["kind"] = kind
    item["systemData"] = dict(_SYSTEM_DATA)
    item["properties"] = properties
    return item


_WS_TYPE = "Microsoft.MachineLearningServices/workspaces"
_AI_ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"


def _uai(principal: str, client: str) -> dict[str, str]:
    return {"principalId": principal, "clientId": client}


@dataclass(frozen=True)
class _OnlineEndpoint:
    """An online endpoint of a workspace, as the estate varies it."""

    name: str
    public_network_access: str
    auth_mode: str
    identity: dict[str, Any]
    env: dict[str, str]
    tags: dict[str, str]


def _deployment_name(endpoint: str) -> str:
    """An online endpoint's blue deployment, named after it (chat-open-ep: chat-open-blue)."""
    return f"{endpoint.removesuffix('-ep')}-blue"


def _leaks(variables: dict[str, str]) -> bool:
    return any(secret in value for value in variables.values() for secret in _PLANTED)


class _Builder:
    def __init__(self, arm_endpoint: str, denied_subscription: bool, throttle: bool) -> None:
        self.endpoint = arm_endpoint.rstrip("/")
        self.denied = denied_subscription
        self.throttle = throttle
        self.sub = PROD_SUBSCRIPTION_ID
        self.routes: list[_Route] = []
        self.ids: dict[str, str] = {}
        self.expected: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------ helpers

    def rg(self, name: str) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{name}"

    def add(self, path: str, api: str, body: Any, **kw: Any) -> None:
        self.routes.append(_Route(path, api, body, **kw))

    def add_list(
        self,
        path: str,
        api: str,
        items: list[dict[str, Any]],
        *,
        page_key: str | None = None,
        page_values: tuple[str, ...] = (),
    ) -> None:
        """A list; with page_key, split into one page per item after the first, linked by absolute nextLinks."""
        if not page_key:
            self.add(path, api, {"value": items})
            return
        pages = [items[:1]] + [[item] for item in items[1:]]
        for number, page in enumerate(pages):
            extra = () if number == 0 else ((page_key, page_values[number - 1]),)
            body: dict[str, Any] = {"value": page}
            if number + 1 < len(pages):
                body["nextLink"] = f"{self.endpoint}{path}?api-version={api}&{page_key}={page_values[number]}"
            self.add(path, api, body, extra_query=extra)

    def network_id(self, path: str) -> str:
        """The ARM id of a resource under Microsoft.Network in the shared network resource group."""
        return f"{self.rg('rg-network')}/providers/Microsoft.Network/{path}"

    def expect(self, check_id: str, name: str, status: str) -> None:
        assert check_id.startswith("azure."), check_id
        self.expected[(check_id, name)] = status

    def diagnostic_settings(self, resource_id: str, settings: list[dict[str, Any]]) -> None:
        self.add(
            f"{resource_id}/providers/Microsoft.Insights/diagnosticSettings",
            API_VERSIONS["diagnostics"],
            {"value": settings},
        )

    def law_setting(self, resource_id: str, name: str, group: str) -> dict[str, Any]:
        law_workspaces = f"{self.rg('rg-monitoring')}/providers/Microsoft.OperationalInsights/workspaces"
        return {
            "id": f"{resource_id}/providers/microsoft.insights/diagnosticSettings/{name}",
            "type": "Microsoft.Insights/diagnosticSettings",
            "name": name,
            "location": None,
            "kind": None,
            "identity": None,
            "properties": {
                "storageAccountId": None,
                "serviceBusRuleId": None,
                "workspaceId": f"{law_workspaces}/law-security",
                "eventHubAuthorizationRuleId": None,
                "eventHubName": None,
                "marketplacePartnerId": None,
                "logAnalyticsDestinationType": None,
                "metrics": [
                    {
                        "timeGrain": None,
                        "category": "AllMetrics",
                        "enabled": True,
                        "retentionPolicy": {"enabled": False, "days": 0},
                    }
                ],
                "logs": [
                    {
                        "category": None,
                        "categoryGroup": group,
                        "enabled": True,
                        "retentionPolicy": {"enabled": False, "days": 0},
                    }
                ],
            },
        }

    # ------------------------------------------------------------------ the estate

    def build(self) -> AzureEstateManifest:
        self.subscriptions()
        self.storage_and_registries()
        self.key_vaults()
        self.workspaces()
        self.ml_registry()
        self.cognitive()
        self.search_services()
        self.deployment_history()
        self.authorization()
        self.security_policy_budgets()
        self.denied_subscription()
        return AzureEstateManifest(
            subscription_ids=(PROD_SUBSCRIPTION_ID, DENIED_SUBSCRIPTION_ID),
            prod_subscription_id=PROD_SUBSCRIPTION_ID,
            denied_subscription_id=DENIED_SUBSCRIPTION_ID,
            arm_endpoint=self.endpoint,
            secrets=_PLANTED,
            hostile_strings=AZURE_HOSTILE_STRINGS,
            resource_ids=dict(self.ids),
            expected=dict(self.expected),
        )

    def subscriptions(self) -> None:
        def sub(sid: str, display: str, tags: dict[str, str]) -> dict[str, Any]:
            return {
                "id": f"/subscriptions/{sid}",
                "authorizationSource": "RoleBased",
                "managedByTenants": [],
                "tags": tags,
                "subscriptionId": sid,
                "tenantId": TENANT_ID,
                "displayName": display,
                "state": "Enabled",
                "subscriptionPolicies": {
                    "locationPlacementId": "Public_2014-09-01",
                    "quotaId": "EnterpriseAgreement_2014-09-01",
                    "spendingLimit": "Off",
                },
            }

        prod = sub(PROD_SUBSCRIPTION_ID, "prod", {"env": "prod"})
        denied = sub(DENIED_SUBSCRIPTION_ID, "research-sandbox", {"owner": AZURE_HOSTILE_STRINGS[0]})
        api = API_VERSIONS["subscriptions"]
        self.add("/subscriptions", api, {"value": [prod, denied], "count": {"type": "Total", "value": 2}})
        self.add(f"/subscriptions/{PROD_SUBSCRIPTION_ID}", api, prod)
        self.add(f"/subscriptions/{DENIED_SUBSCRIPTION_ID}", api, denied)
        self.ids["subscription:prod"] = prod["id"]
        self.ids["subscription:denied"] = denied["id"]

    def storage_and_registries(self) -> None:
        self.storage_accounts()
        self.container_registries()
        self.purview()

    def purview(self) -> None:
        """The Microsoft Purview account that classifies the estate's data; its identity reads the secure storage."""
        pv_type = "Microsoft.Purview/accounts"
        rid = f"{self.rg('rg-governance')}/providers/{pv_type}/pv-contoso"
        self.ids["purview"] = rid
        account = _tracked(
            rid,
            pv_type,
            "eastus2",
            {
                "cloudConnectors": {},
                "createdAt": "2026-02-10T08:00:00.0000000Z",
                "createdBy": "data-governance@contoso.com",
                "createdByObjectId": "3b3b3b3b-0000-4000-8000-00000000003b",
                "endpoints": {
                    "catalog": "https://pv-contoso.purview.azure.com/catalog",
                    "guardian": "https://pv-contoso.purview.azure.com/guardian",
                    "scan": "https://pv-contoso.purview.azure.com/scan",
                },
                "friendlyName": "pv-contoso",
                "managedResourceGroupName": "managed-rg-pv-contoso",
                "managedResources": {},
                "privateEndpointConnections": [],
                "provisioningState": "Succeeded",
                "publicNetworkAccess": "Enabled",
            },
            tags={"owner": "data-governance"},
            identity={"type": "SystemAssigned", "principalId": PURVIEW_PRINCIPAL, "tenantId": TENANT_ID},
            sku={"name": "Standard", "capacity": 1},
        )
        self.add_list(f"/subscriptions/{self.sub}/providers/{pv_type}", API_VERSIONS["purview"], [account])

    def storage_accounts(self) -> None:
        sa_type = "Microsoft.Storage/storageAccounts"
        accounts = []
        for logical, rg, location, name, tls, tags in (
            (
                "storage:good",
                "rg-ml-secure",
                "eastus2",
                "stsecureml",
                "TLS1_2",
                {"env": "prod", "DataClassification": "Confidential"},
            ),
            (
                "storage:bad",
                "rg-ml-open",
                "westeurope",
                "stopenml",
                "TLS1_0",
                {"env": "dev", "owner": AZURE_HOSTILE_STRINGS[2]},
            ),
        ):
            rid = f"{self.rg(rg)}/providers/{sa_type}/{name}"
            self.ids[logical] = rid
            good = tls == "TLS1_2"
            accounts.append(
                _tracked(
                    rid,
                    sa_type,
                    location,
                    {
                        "keyCreationTime": {
                            "key1": "2026-03-02T09:15:27.0000000Z",
                            "key2": "2026-03-02T09:15:27.0000000Z",
                        },
                        "allowCrossTenantReplication": False,
                        "privateEndpointConnections": [],
                        "minimumTlsVersion": tls,
                        "allowBlobPublicAccess": not good,
                        "allowSharedKeyAccess": not good,
                        "publicNetworkAccess": "Disabled" if good else "Enabled",
                        "isHnsEnabled": False,
                        "networkAcls": {
                            "bypass": "AzureServices",
                            "virtualNetworkRules": [],
                            "ipRules": [],
                            "defaultAction": "Deny" if good else "Allow",
                        },
                        "supportsHttpsTrafficOnly": True,
                        "encryption": {
                            "requireInfrastructureEncryption": False,
                            "keySource": "Microsoft.Storage",
                            "services": {
                                "file": {"keyType": "Account", "enabled": True},
                                "blob": {"keyType": "Account", "enabled": True},
                            },
                        },
                        "accessTier": "Hot",
                        "provisioningState": "Succeeded",
                        "creationTime": "2026-03-02T09:15:26.9876543Z",
                        "primaryEndpoints": {
                            "blob": f"https://{name}.blob.core.windows.net/",
                            "dfs": f"https://{name}.dfs.core.windows.net/",
                        },
                        "primaryLocation": location,
                        "statusOfPrimary": "available",
                    },
                    tags=tags,
                    sku={"name": "Standard_RAGZRS" if good else "Standard_LRS", "tier": "Standard"},
                    kind="StorageV2",
                )
            )
            self.expect("azure.storage.account_tls12_https_only", name, PASS if good else FAIL)
            self.expect("azure.storage.account_classified", name, PASS if good else FAIL)
        self.add_list(f"/subscriptions/{self.sub}/providers/{sa_type}", API_VERSIONS["storage"], accounts)

    def container_registries(self) -> None:
        cr_type = "Microsoft.ContainerRegistry/registries"
        registries = []
        for logical, rg, location, name, good in (
            ("acr:good", "rg-ml-secure", "eastus2", "crsecureml", True),
            ("acr:bad", "rg-ml-open", "westeurope", "cropenml", False),
        ):
            rid = f"{self.rg(rg)}/providers/{cr_type}/{name}"
            self.ids[logical] = rid
            registries.append(
                _tracked(
                    rid,
                    cr_type,
                    location,
                    {
                        "loginServer": f"{name}.azurecr.io",
                        "creationDate": "2026-03-02T09:16:01.1234567Z",
                        "provisioningState": "Succeeded",
                        "adminUserEnabled": not good,
                        "policies": {
                            "quarantinePolicy": {"status": "disabled"},
                            "trustPolicy": {"type": "Notary", "status": "disabled"},
                            "retentionPolicy": {"days": 7, "status": "disabled"},
                            "exportPolicy": {"status": "enabled"},
                        },
                        "encryption": {"status": "disabled"},
                        "dataEndpointEnabled": False,
                        "dataEndpointHostNames": [],
                        "privateEndpointConnections": [],
                        "publicNetworkAccess": "Disabled" if good else "Enabled",
                        "networkRuleBypassOptions": "AzureServices",
                        "zoneRedundancy": "Disabled",
                        "anonymousPullEnabled": False,
                    },
                    tags={"env": "prod" if good else "dev"},
                    sku={"name": "Premium" if good else "Basic", "tier": "Premium" if good else "Basic"},
                )
            )
        self.add_list(f"/subscriptions/{self.sub}/providers/{cr_type}", API_VERSIONS["containerregistry"], registries)

    def key_vaults(self) -> None:
        self.vaults()
        self.vault_keys()

    def vaults(self) -> None:
        kv_type = "Microsoft.KeyVault/vaults"
        vaults = []
        for logical, rg, location, name, good in (
            ("vault:good", "rg-ml-secure", "eastus2", "kv-secure-ml", True),
            ("vault:bad", "rg-ml-open", "westeurope", "kv-open-ml", False),
        ):
            rid = f"{self.rg(rg)}/providers/{kv_type}/{name}"
            self.ids[logical] = rid
            props: dict[str, Any] = {
                "sku": {"family": "A", "name": "premium" if good else "standard"},
                "tenantId": TENANT_ID,
                "accessPolicies": [],
                "enabledForDeployment": False,
                "enabledForDiskEncryption": False,
                "enabledForTemplateDeployment": False,
                "enableSoftDelete": True,
                "softDeleteRetentionInDays": 90,
                "enableRbacAuthorization": True,
                "vaultUri": f"https://{name}.vault.azure.net/",
                "provisioningState": "Succeeded",
                "publicNetworkAccess": "Disabled" if good else "Enabled",
                "networkAcls": {
                    "bypass": "AzureServices",
                    "defaultAction": "Deny" if good else "Allow",
                    "ipRules": [],
                    "virtualNetworkRules": [],
                },
            }
            if good:
                props["enablePurgeProtection"] = True  # absent, not false, when never enabled
            vaults.append(
                _tracked(
                    rid, kv_type, location, props, tags={"env": "prod"} if good else {"note": AZURE_HOSTILE_STRINGS[1]}
                )
            )
            self.expect("azure.keyvault.vault_purge_protection", name, PASS if good else FAIL)
        self.add_list(f"/subscriptions/{self.sub}/providers/{kv_type}", API_VERSIONS["keyvault"], vaults)

    def vault_keys(self) -> None:
        """Keys are read one by one, where a workspace or an AI account's encryption points."""
        good_vault = self.ids["vault:good"]
        for logical, key, version, rotation in (
            ("key:workspace", "ws-cmk", "4f1c2a9e8b7d6c5e4f3a2b1c0d9e8f7a", True),
            ("key:openai", "aoai-cmk", "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d", False),
        ):
            kid = f"{good_vault}/keys/{key}"
            self.ids[logical] = kid
            props: dict[str, Any] = {
                "attributes": {
                    "enabled": True,
                    "exportable": False,
                    "created": 1772442927,
                    "updated": 1772442927,
                    "recoveryLevel": "Recoverable+Purgeable",
                },
                "kty": "RSA",
                "keyOps": ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
                "keySize": 2048,
                "keyUri": f"https://kv-secure-ml.vault.azure.net/keys/{key}",
                "keyUriWithVersion": f"https://kv-secure-ml.vault.azure.net/keys/{key}/{version}",
            }
            if rotation:
                # ARM spells the action types lower-case ('rotate' | 'notify'); the data plane PascalCase.
                props["rotationPolicy"] = {
                    "attributes": {"expiryTime": "P1Y", "created": 1772442927, "updated": 1772442927},
                    "lifetimeActions": [
                        {"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}},
                        {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}},
                    ],
                }
            self.add(
                kid,
                API_VERSIONS["keyvault"],
                _tracked(kid, "Microsoft.KeyVault/vaults/keys", "eastus2", props, tags={}),
            )
            self.expect("azure.keyvault.key_rotation_policy", key, PASS if rotation else FAIL)

    def workspaces(self) -> None:
        """Two workspaces (locked down, open), their online and batch endpoints, and their computes."""
        self.workspace_identities()
        good_id = f"{self.rg('rg-ml-secure')}/providers/{_WS_TYPE}/mlw-secure"
        bad_id = f"{self.rg('rg-ml-open')}/providers/{_WS_TYPE}/mlw-open"
        self.ids["workspace:good"], self.ids["workspace:bad"] = good_id, bad_id
        hub_id = f"{self.rg('rg-ml-secure')}/providers/{_WS_TYPE}/hub-secure"
        project_id = f"{self.rg('rg-ml-secure')}/providers/{_WS_TYPE}/proj-secure"
        self.ids["workspace:hub"], self.ids["workspace:project"] = hub_id, project_id
        self.workspace_list(good_id, bad_id)
        secure_endpoints, open_endpoints = self.online_endpoint_specs()
        self.workspace_endpoints(good_id, secure_endpoints, "eastus2", good=True)
        self.workspace_endpoints(bad_id, open_endpoints, "westeurope", good=False)
        self.computes(good_id, bad_id)
        self.workspace_connections()
        self.schedules()

    def workspace_identities(self) -> None:
        uai_type = "Microsoft.ManagedIdentity/userAssignedIdentities"
        uai_ws = f"{self.rg('rg-ml-secure')}/providers/{uai_type}/uai-mlw-secure"
        uai_ci = f"{self.rg('rg-ml-secure')}/providers/{uai_type}/uai-ci-secure"
        uai_shared = f"{self.rg('rg-ml-open')}/providers/{uai_type}/uai-open-shared"
        self.ids.update({"identity:workspace": uai_ws, "identity:compute": uai_ci, "identity:shared": uai_shared})

    def workspace_list(self, good_id: str, bad_id: str) -> None:
        """Both workspaces, their expectations and their diagnostic settings."""
        api = API_VERSIONS["ml"]
        good = self.secure_workspace(good_id)
        bad = self.open_workspace(bad_id)
        hub_id, project_id = self.ids["workspace:hub"], self.ids["workspace:project"]
        hub, project = self.foundry_hub(hub_id, project_id), self.foundry_hub_project(project_id, hub_id)
        # Paged with $skip, one workspace a page; throttled first if asked.
        path = f"/subscriptions/{self.sub}/providers/{_WS_TYPE}"
        if self.throttle:
            self.add(
                path,
                api,
                {
                    "error": {
                        "code": "TooManyRequests",
                        "message": "The request is being throttled. Please retry after 1 second.",
                    }
                },
                status=429,
                headers=(("Retry-After", "1"),),
            )
        self.add_list(path, api, [good, bad, hub, project], page_key="$skip", page_values=("1", "2", "3"))

        for check in (
            "workspace_public_network_disabled",
            "workspace_managed_network_isolation",
            "workspace_cmk_encryption",
            "workspace_private_endpoint",
            "workspace_diagnostic_settings",
            "workspace_identity_datastores",
            "separate_identities",
            "workspace_storage_geo_redundant",
        ):
            self.expect(f"azure.ml.{check}", "mlw-secure", PASS)
            self.expect(f"azure.ml.{check}", "mlw-open", FAIL)
            # The AI Foundry hub is locked down; its project inherits the hub's network, encryption and storage.
            self.expect(f"azure.ml.{check}", "hub-secure", PASS)
            self.expect(f"azure.ml.{check}", "proj-secure", PASS)

        self.diagnostic_settings(good_id, [self.law_setting(good_id, "mlw-secure-audit", "audit")])
        self.diagnostic_settings(bad_id, [])
        self.diagnostic_settings(hub_id, [self.law_setting(hub_id, "hub-secure-audit", "audit")])
        self.diagnostic_settings(project_id, [self.law_setting(project_id, "proj-secure-audit", "audit")])
        for empty in (hub_id, project_id):
            for kind in ("onlineEndpoints", "batchEndpoints", "computes"):
                self.add_list(f"{empty}/{kind}", api, [])

    def foundry_hub(self, rid: str, project_id: str) -> dict[str, Any]:
        """An AI Foundry hub (a workspace of kind Hub): managed network, private endpoint, customer-managed key."""
        uai_ws = self.ids["identity:workspace"]
        return _tracked(
            rid,
            _WS_TYPE,
            "eastus2",
            {
                "friendlyName": "Secure AI Foundry hub",
                "description": "Shared hub for the support agents",
                "storageAccount": self.ids["storage:good"],
                "keyVault": self.ids["vault:good"],
                "containerRegistry": self.ids["acr:good"],
                "applicationInsights": f"{self.rg('rg-ml-secure')}/providers/Microsoft.Insights/components/appi-hub",
                "hbiWorkspace": True,
                "encryption": self.secure_workspace_encryption(),
                "publicNetworkAccess": "Disabled",
                "managedNetwork": self.workspace_managed_network(),
                "privateEndpointConnections": [
                    {**pe, "id": f"{rid}/privateEndpointConnections/pe-hub-secure", "name": "pe-hub-secure"}
                    for pe in self.workspace_private_endpoints(rid)
                ],
                "privateLinkCount": 1,
                "systemDatastoresAuthMode": "Identity",
                "workspaceHubConfig": {
                    "defaultWorkspaceResourceGroup": self.rg("rg-ml-secure"),
                    "additionalWorkspaceStorageAccounts": [],
                },
                "associatedWorkspaces": [project_id],
                "enableDataIsolation": True,
                "provisioningState": "Succeeded",
                "workspaceId": "6a5b4c3d-2e1f-4a9b-8c7d-6e5f4a3b2c1d",
                "tenantId": TENANT_ID,
                "storageHnsEnabled": False,
            },
            tags={"env": "prod"},
            identity={
                "type": "SystemAssigned,UserAssigned",
                "principalId": "a1a1a1a1-0000-4000-8000-00000000000d",
                "tenantId": TENANT_ID,
                "userAssignedIdentities": {
                    uai_ws: _uai("a1a1a1a1-0000-4000-8000-000000000002", "c1c1c1c1-0000-4000-8000-000000000002")
                },
            },
            sku={"name": "Basic", "tier": "Basic"},
            kind="Hub",
        )

    def foundry_hub_project(self, rid: str, hub_id: str) -> dict[str, Any]:
        """A hub-based project: it names its hub and shares the hub's storage, vault, network and key."""
        return _tracked(
            rid,
            _WS_TYPE,
            "eastus2",
            {
                "friendlyName": "Support agents",
                "hubResourceId": hub_id,
                "storageAccount": self.ids["storage:good"],
                "keyVault": self.ids["vault:good"],
                "applicationInsights": f"{self.rg('rg-ml-secure')}/providers/Microsoft.Insights/components/appi-hub",
                "publicNetworkAccess": "Disabled",
                "systemDatastoresAuthMode": "Identity",
                "discoveryUrl": "https://eastus2.api.azureml.ms/discovery",
                "enableDataIsolation": True,
                "provisioningState": "Succeeded",
                "workspaceId": "7b6c5d4e-3f2a-4b1c-9d8e-7f6a5b4c3d2e",
                "tenantId": TENANT_ID,
                "v1LegacyMode": False,
            },
            tags={"env": "prod"},
            identity={
                "type": "SystemAssigned",
                "principalId": "a1a1a1a1-0000-4000-8000-00000000000e",
                "tenantId": TENANT_ID,
            },
            sku={"name": "Basic", "tier": "Basic"},
            kind="Project",
        )

    def secure_workspace(self, rid: str) -> dict[str, Any]:
        uai_ws = self.ids["identity:workspace"]
        insights = f"{self.rg('rg-ml-secure')}/providers/Microsoft.Insights/components"
        return _tracked(
            rid,
            _WS_TYPE,
            "eastus2",
            {
                "friendlyName": "Secure ML workspace",
                "description": "Fraud models (production)",
                "storageAccount": self.ids["storage:good"],
                "keyVault": self.ids["vault:good"],
                "containerRegistry": self.ids["acr:good"],
                "applicationInsights": f"{insights}/appi-mlw-secure",
                "hbiWorkspace": True,
                "encryption": self.secure_workspace_encryption(),
                "publicNetworkAccess": "Disabled",
                "allowPublicAccessWhenBehindVnet": False,
                "managedNetwork": self.workspace_managed_network(),
                "privateEndpointConnections": self.workspace_private_endpoints(rid),
                "privateLinkCount": 1,
                "v1LegacyMode": False,
                "systemDatastoresAuthMode": "Identity",
                "primaryUserAssignedIdentity": uai_ws,
                "enableDataIsolation": True,
                "serverlessComputeSettings": {"serverlessComputeNoPublicIP": True},
                "provisioningState": "Succeeded",
                "workspaceId": "0d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
                "tenantId": TENANT_ID,
                "storageHnsEnabled": False,
                "mlFlowTrackingUri": f"azureml://eastus2.api.azureml.ms/mlflow/v1.0{rid}",
            },
            tags={"env": "prod", "cost-center": "ml-42"},
            identity={
                "type": "SystemAssigned,UserAssigned",
                "principalId": "a1a1a1a1-0000-4000-8000-000000000001",
                "tenantId": TENANT_ID,
                "userAssignedIdentities": {
                    uai_ws: _uai("a1a1a1a1-0000-4000-8000-000000000002", "c1c1c1c1-0000-4000-8000-000000000002")
                },
            },
            sku={"name": "Basic", "tier": "Basic"},
            kind="Default",
        )

    def workspace_managed_network(self) -> dict[str, Any]:
        """Managed virtual network that allows only approved outbound: Key Vault privately, and PyPI."""
        return {
            "isolationMode": "AllowOnlyApprovedOutbound",
            "networkId": "2f6b1c9e-3a4d-4e5f-8a7b-6c5d4e3f2a1b",
            "status": {"status": "Active", "sparkReady": False},
            "firewallSku": "Standard",
            "managedNetworkKind": "V1",
            "outboundRules": {
                "kv": {
                    "type": "PrivateEndpoint",
                    "category": "UserDefined",
                    "status": "Active",
                    "destination": {
                        "serviceResourceId": self.ids["vault:good"],
                        "subresourceTarget": "vault",
                        "sparkEnabled": False,
                    },
                },
                "pypi": {
                    "type": "FQDN",
                    "category": "UserDefined",
                    "status": "Active",
                    "destination": "pypi.org",
                },
            },
        }

    def workspace_private_endpoints(self, rid: str) -> list[dict[str, Any]]:
        return [
            {
                "id": f"{rid}/privateEndpointConnections/pe-mlw-secure",
                "name": "pe-mlw-secure",
                "type": f"{_WS_TYPE}/privateEndpointConnections",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateEndpoint": {"id": self.network_id("privateEndpoints/pe-mlw-secure")},
                    "privateLinkServiceConnectionState": {
                        "status": "Approved",
                        "description": "Auto-Approved",
                        "actionsRequired": "None",
                    },
                },
            }
        ]

    def open_workspace(self, rid: str) -> dict[str, Any]:
        insights = f"{self.rg('rg-ml-open')}/providers/Microsoft.Insights/components"
        return _tracked(
            rid,
            _WS_TYPE,
            "westeurope",
            {
                "friendlyName": "open ws " + AZURE_HOSTILE_STRINGS[1],
                "description": AZURE_HOSTILE_STRINGS[0] + " " + AZURE_HOSTILE_STRINGS[3],
                "storageAccount": self.ids["storage:bad"],
                "keyVault": self.ids["vault:bad"],
                "containerRegistry": self.ids["acr:bad"],
                "applicationInsights": f"{insights}/appi-mlw-open",
                "hbiWorkspace": False,
                "publicNetworkAccess": "Enabled",
                "allowPublicAccessWhenBehindVnet": True,
                "privateEndpointConnections": [],
                "privateLinkCount": 0,
                "v1LegacyMode": True,
                "systemDatastoresAuthMode": "AccessKey",
                "enableDataIsolation": False,
                "provisioningState": "Succeeded",
                "workspaceId": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
                "tenantId": TENANT_ID,
                "storageHnsEnabled": False,
                "mlFlowTrackingUri": f"azureml://westeurope.api.azureml.ms/mlflow/v1.0{rid}",
            },
            tags={
                "env": "dev",
                "owner": AZURE_HOSTILE_STRINGS[0],
                "note": AZURE_HOSTILE_STRINGS[1],
                "formula": AZURE_HOSTILE_STRINGS[2],
                "color": AZURE_HOSTILE_STRINGS[3],
            },
            identity={
                "type": "SystemAssigned",
                "principalId": "b2b2b2b2-0000-4000-8000-000000000001",
                "tenantId": TENANT_ID,
            },
            sku={"name": "Basic", "tier": "Basic"},
            kind="Default",
        )

    def secure_workspace_encryption(self) -> dict[str, Any]:
        """The customer-managed key the secure workspace and the secure hub share, through the workspace identity."""
        return {
            "status": "Enabled",
            "identity": {"userAssignedIdentity": self.ids["identity:workspace"]},
            "keyVaultProperties": {
                "keyVaultArmId": self.ids["vault:good"],
                "keyIdentifier": "https://kv-secure-ml.vault.azure.net/keys/ws-cmk/4f1c2a9e8b7d6c5e4f3a2b1c0d9e8f7a",
                "identityClientId": "",
            },
        }

    def system_identity(self, owner: str) -> dict[str, Any]:
        """The system-assigned identity of an endpoint that has no identity of its own to share. Azure creates one
        service principal per resource, so each has its own principalId."""
        return {
            "type": "SystemAssigned",
            "principalId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"system-assigned:{owner}")),
            "tenantId": TENANT_ID,
        }

    def shared_identity(self) -> dict[str, Any]:
        """The user-assigned identity the open online endpoint shares with the open cluster."""
        return {
            "type": "UserAssigned",
            "tenantId": TENANT_ID,
            "userAssignedIdentities": {
                self.ids["identity:shared"]: _uai(SHARED_PRINCIPAL, "f5f5f5f5-0000-4000-8000-000000000001")
            },
        }

    def online_endpoint_specs(self) -> tuple[list[_OnlineEndpoint], list[_OnlineEndpoint]]:
        """The secure workspace's online endpoints, then the open workspace's."""
        # Look-alikes only: an endpoint URL, a token budget, a key's name.
        look_alikes = {
            "AZURE_OPENAI_ENDPOINT": "https://aoai-secure.openai.azure.com/",
            "MAX_TOKENS": "4096",
            "CMK_KEY_NAME": "ws-cmk",
        }
        secure = [
            _OnlineEndpoint(
                "chat-secure-ep",
                "Disabled",
                "AADToken",
                self.system_identity("chat-secure-ep"),
                look_alikes,
                {"env": "prod"},
            ),
            _OnlineEndpoint(
                "embed-secure-ep", "Disabled", "AADToken", self.system_identity("embed-secure-ep"), {}, {"env": "prod"}
            ),
        ]
        exposed = [
            _OnlineEndpoint(
                "chat-open-ep",
                "Enabled",
                "Key",
                self.shared_identity(),
                {"OPENAI_API_KEY": _OPENAI_API_KEY, "PGPASSWORD": _PGPASSWORD, "AZURE_OPENAI_KEY": _AZURE_OPENAI_KEY},
                {"owner": AZURE_HOSTILE_STRINGS[0], "api_key": _TAG_API_KEY},
            ),
            _OnlineEndpoint(
                "embed-open-ep",
                "Disabled",
                "Key",
                self.system_identity("embed-open-ep"),
                {},
                {"formula": AZURE_HOSTILE_STRINGS[2]},
            ),
        ]
        return secure, exposed

    def workspace_endpoints(self, ws_id: str, endpoints: list[_OnlineEndpoint], location: str, good: bool) -> None:
        """A workspace's online endpoints (paged with $skipToken), one deployment each, and its batch endpoint."""
        items = []
        for ep in endpoints:
            eid = f"{ws_id}/onlineEndpoints/{ep.name}"
            self.ids[f"online_endpoint:{ep.name}"] = eid
            items.append(self.online_endpoint(eid, ep, location, good))
            self.expect(
                "azure.ml.online_endpoint_private", ep.name, PASS if ep.public_network_access == "Disabled" else FAIL
            )
            self.expect("azure.ml.online_endpoint_entra_auth", ep.name, PASS if ep.auth_mode == "AADToken" else FAIL)
            self.online_deployment(ws_id, eid, ep, location, good)
        self.add_list(
            f"{ws_id}/onlineEndpoints",
            API_VERSIONS["ml"],
            items,
            page_key="$skipToken",
            page_values=("eyJza2lwIjoxLCJ0YWtlIjoxfQ",),
        )
        self.batch_endpoint(ws_id, location)

    def online_endpoint(self, eid: str, ep: _OnlineEndpoint, location: str, good: bool) -> dict[str, Any]:
        suffix = AZURE_HOSTILE_STRINGS[3] if not good else ""
        return _tracked(
            eid,
            f"{_WS_TYPE}/onlineEndpoints",
            location,
            {
                "authMode": ep.auth_mode,
                "description": f"Scoring for {ep.name} {suffix}".strip(),
                "properties": {"azureml.onlineendpointid": eid},
                "scoringUri": f"https://{ep.name}.{location}.inference.ml.azure.com/score",
                "openapiUri": f"https://{ep.name}.{location}.inference.ml.azure.com/swagger.json",
                "traffic": {_deployment_name(ep.name): 100},
                "mirrorTraffic": {},
                "publicNetworkAccess": ep.public_network_access,
                "provisioningState": "Succeeded",
                "compute": None,
                "keys": None,
            },
            tags=ep.tags,
            identity=copy.deepcopy(ep.identity),
            sku={"name": "Default", "tier": "Free"},
            kind="Managed",
        )

    def online_deployment(self, ws_id: str, eid: str, ep: _OnlineEndpoint, location: str, good: bool) -> None:
        """One deployment per endpoint: the secure ones serve a registry model on two instances and collect their
        inputs and outputs; the open ones run one instance, collect nothing, and one bakes its model into the image."""
        name = _deployment_name(ep.name)
        did = f"{eid}/deployments/{name}"
        self.ids[f"online_deployment:{ep.name}/{name}"] = did
        self.expect("azure.ml.no_secrets_in_configuration", name, FAIL if _leaks(ep.env) else PASS)
        model_in_image = ep.name == "embed-open-ep"
        for check in (
            "online_deployment_data_collection",
            "online_deployment_monitored",
            "online_deployment_redundant",
        ):
            self.expect(f"azure.ml.{check}", name, PASS if good else FAIL)
        self.expect("azure.ml.deployment_registered_model", name, FAIL if model_in_image else PASS)
        props: dict[str, Any] = {
            "endpointComputeType": "Managed",
            "description": "blue deployment",
            "model": f"azureml://registries/mlr-shared/models/{ep.name.split('-')[0]}-model/versions/3",
            "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/12",
            "environmentVariables": {"LOG_LEVEL": "INFO", **ep.env},
            "codeConfiguration": {"codeId": f"{ws_id}/codes/score/versions/1", "scoringScript": "score.py"},
            "instanceType": "Standard_DS3_v2",
            "scaleSettings": {"scaleType": "Default"},
            "requestSettings": {"requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1},
            "livenessProbe": {
                "initialDelay": "PT10M",
                "period": "PT10S",
                "timeout": "PT2S",
                "successThreshold": 1,
                "failureThreshold": 30,
            },
            "appInsightsEnabled": good,
            "egressPublicNetworkAccess": "Disabled" if good else "Enabled",
            "dataCollector": self.data_collector() if good else None,
            "properties": {},
            "provisioningState": "Succeeded",
        }
        if model_in_image:
            # Bring-your-own-container: no model asset, the weights ship inside the image.
            del props["model"], props["codeConfiguration"]
            props["environmentId"] = f"{ws_id}/environments/embed-open-image/versions/4"
        self.add_list(
            f"{eid}/deployments",
            API_VERSIONS["ml"],
            [
                _tracked(
                    did,
                    f"{_WS_TYPE}/onlineEndpoints/deployments",
                    location,
                    props,
                    tags={},
                    identity=None,
                    sku={"name": "Default", "tier": "Standard", "capacity": 2 if good else 1},
                    kind="Managed",
                )
            ],
        )

    @staticmethod
    def data_collector() -> dict[str, Any]:
        """Inputs and outputs collected to the workspace's default data store, hourly."""
        return {
            "collections": {
                "model_inputs": {"dataCollectionMode": "Enabled", "samplingRate": 1.0},
                "model_outputs": {"dataCollectionMode": "Enabled", "samplingRate": 1.0},
            },
            "requestLogging": {"captureHeaders": ["x-request-id"]},
            "rollingRate": "Hour",
        }

    def batch_endpoint(self, ws_id: str, location: str) -> None:
        """One batch endpoint per workspace (no publicNetworkAccess on batch endpoints)."""
        api = API_VERSIONS["ml"]
        batch = f"batch-{ws_id.rsplit('/', 1)[1]}"
        bid = f"{ws_id}/batchEndpoints/{batch}"
        self.ids[f"batch_endpoint:{batch}"] = bid
        self.add_list(
            f"{ws_id}/batchEndpoints",
            api,
            [
                _tracked(
                    bid,
                    f"{_WS_TYPE}/batchEndpoints",
                    location,
                    {
                        "authMode": "AADToken",
                        "description": "nightly scoring",
                        "defaults": {"deploymentName": f"nightly-{ws_id.rsplit('-', 1)[1]}"},
                        "properties": {},
                        "scoringUri": f"https://{batch}.{location}.inference.ml.azure.com/jobs",
                        "openapiUri": None,
                        "provisioningState": "Succeeded",
                        "keys": None,
                    },
                    tags={},
                    identity=self.system_identity(batch),
                    sku={"name": "Default", "tier": "Free"},
                )
            ],
        )
        self.batch_deployment(ws_id, bid, batch, location)

    def batch_deployment(self, ws_id: str, bid: str, batch: str, location: str) -> None:
        api = API_VERSIONS["ml"]
        good = ws_id.endswith("-secure")
        name = f"nightly-{ws_id.rsplit('-', 1)[1]}"
        bdid = f"{bid}/deployments/{name}"
        self.ids[f"batch_deployment:{batch}/{name}"] = bdid
        variables = {"LOG_LEVEL": "INFO"}
        if not good:
            # JSON inside a string: the database settings, password included, in one variable.
            variables["DB_CONFIG"] = json.dumps({"host": "10.20.0.5", "user": "scorer", "password": _BATCH_DB_PASSWORD})
        self.expect("azure.ml.no_secrets_in_configuration", name, FAIL if _leaks(variables) else PASS)
        # The open workspace scores with a pickle straight from its data store, not a registered model.
        model: dict[str, Any] = (
            {"referenceType": "Id", "assetId": f"{ws_id}/models/scorer/versions/2"}
            if good
            else {
                "referenceType": "DataPath",
                "datastoreId": f"{ws_id}/datastores/workspaceblobstore",
                "path": "models/scorer/model.pkl",
            }
        )
        self.expect("azure.ml.deployment_registered_model", name, PASS if good else FAIL)
        self.add_list(
            f"{bid}/deployments",
            api,
            [
                _tracked(
                    bdid,
                    f"{_WS_TYPE}/batchEndpoints/deployments",
                    location,
                    {
                        "description": "nightly scoring deployment",
                        "model": model,
                        "compute": f"{ws_id}/computes/batch-cluster",
                        "codeConfiguration": {
                            "codeId": f"{ws_id}/codes/batch-score/versions/1",
                            "scoringScript": "batch_score.py",
                        },
                        "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/12",
                        "environmentVariables": variables,
                        "miniBatchSize": 10,
                        "maxConcurrencyPerInstance": 1,
                        "outputAction": "AppendRow",
                        "outputFileName": "predictions.csv",
                        "errorThreshold": -1,
                        "loggingLevel": "Info",
                        "retrySettings": {"maxRetries": 3, "timeout": "PT30S"},
                        "resources": {"instanceCount": 1},
                        "properties": {},
                        "provisioningState": "Succeeded",
                    },
                    tags={},
                    identity=None,
                    sku=None,
                    kind=None,
                )
            ],
        )

    def workspace_connections(self) -> None:
        """Connections of the workspaces and the AI Foundry hub: Entra ID to Azure OpenAI from the hub; a key to AI
        Search from its project; a PAT to Git (no identity would do) and a SAS URL to blob storage from the open
        workspace."""
        api = API_VERSIONS["ml"]
        good, bad = self.ids["workspace:good"], self.ids["workspace:bad"]
        hub, project = self.ids["workspace:hub"], self.ids["workspace:project"]
        search = f"{self.rg('rg-ai')}/providers/Microsoft.Search/searchServices/srch-secure"
        aoai = f"{self.rg('rg-ai')}/providers/{_AI_ACCOUNT_TYPE}/aoai-secure"  # listed later, in cognitive()
        connections: dict[str, list[tuple[str, str, str, str, str | None]]] = {
            good: [],
            hub: [("hub-aoai", "AAD", "AzureOpenAI", "https://aoai-secure.openai.azure.com/", aoai)],
            project: [
                ("proj-search-key", "ApiKey", "CognitiveSearch", "https://srch-secure.search.windows.net", search)
            ],
            bad: [
                ("git-pat", "PAT", "Git", "https://github.com/contoso/fraud-models", None),
                (
                    "train-sas",
                    "SAS",
                    "AzureBlob",
                    f"https://stopenml.blob.core.windows.net/train?{_BLOB_SAS}",
                    self.ids["storage:bad"],
                ),
            ],
        }
        verdicts = {
            "hub-aoai": (PASS, PASS),
            "proj-search-key": (FAIL, PASS),
            "git-pat": (PASS, PASS),
            "train-sas": (FAIL, FAIL),
        }
        for ws, items in connections.items():
            listed = []
            for name, auth, category, target, resource in items:
                metadata = {"ApiType": "Azure", "ResourceId": resource} if resource else {}
                cid = f"{ws}/connections/{name}"
                self.ids[f"ml_connection:{name}"] = cid
                listed.append(
                    {
                        "id": cid,
                        "name": name,
                        "type": f"{_WS_TYPE}/connections",
                        "systemData": dict(_SYSTEM_DATA),
                        "properties": {
                            "authType": auth,
                            "category": category,
                            "target": target,
                            "isSharedToAll": True,
                            "sharedUserList": [],
                            "metadata": metadata,
                            "useWorkspaceManagedIdentity": auth == "AAD",
                            "createdByWorkspaceArmId": ws,
                            "group": "AzureAI" if category in ("AzureOpenAI", "CognitiveSearch") else "Azure",
                        },
                    }
                )
                identity, secrets = verdicts[name]
                self.expect("azure.ml.connection_identity_auth", name, identity)
                self.expect("azure.ml.no_secrets_in_configuration", name, secrets)
            self.add_list(f"{ws}/connections", api, listed)

    def schedules(self) -> None:
        """Model monitors on the secure workspace's deployments (named by ARM id and by azureml:<endpoint>:
        <deployment>); the open workspace schedules only its nightly batch scoring."""
        api = API_VERSIONS["ml"]
        good, bad = self.ids["workspace:good"], self.ids["workspace:bad"]
        chat = self.ids["online_deployment:chat-secure-ep/chat-secure-blue"]
        monitors = [
            self.schedule(good, "chat-secure-monitor", self.monitor_action(chat)),
            self.schedule(
                good, "embed-secure-monitor", self.monitor_action("azureml:embed-secure-ep:embed-secure-blue")
            ),
        ]
        batch = {
            "actionType": "InvokeBatchEndpoint",
            "endpointInvocationDefinition": {
                "endpoint": f"{bad}/batchEndpoints/batch-mlw-open",
                "deployment": "nightly-open",
            },
        }
        self.add_list(f"{good}/schedules", api, monitors)
        self.add_list(f"{bad}/schedules", api, [self.schedule(bad, "nightly-scoring", batch)])
        for empty in (self.ids["workspace:hub"], self.ids["workspace:project"]):
            self.add_list(f"{empty}/schedules", api, [])

    @staticmethod
    def monitor_action(deployment: str) -> dict[str, Any]:
        return {
            "actionType": "CreateMonitor",
            "monitorDefinition": {
                "computeConfiguration": {
                    "computeType": "ServerlessSpark",
                    "instanceType": "standard_e4s_v3",
                    "runtimeVersion": "3.4",
                    "computeIdentity": {"computeIdentityType": "AmlToken"},
                },
                "monitoringTarget": {"taskType": "Classification", "deploymentId": deployment},
                "signals": {
                    "data-drift": {"signalType": "DataDrift", "mode": "Enabled"},
                    "prediction-drift": {"signalType": "PredictionDrift", "mode": "Enabled"},
                    "data-quality": {"signalType": "DataQuality", "mode": "Enabled"},
                },
                "alertNotificationSettings": {"emailNotificationSettings": {"emails": ["ml-oncall@contoso.com"]}},
            },
        }

    @staticmethod
    def schedule(ws: str, name: str, action: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"{ws}/schedules/{name}",
            "name": name,
            "type": f"{_WS_TYPE}/schedules",
            "systemData": dict(_SYSTEM_DATA),
            "properties": {
                "displayName": name,
                "description": "",
                "properties": {},
                "tags": {},
                "isEnabled": True,
                "trigger": {
                    "triggerType": "Recurrence",
                    "frequency": "Day",
                    "interval": 1,
                    "schedule": {"hours": [3], "minutes": [0]},
                    "startTime": "2026-03-10T03:00:00",
                    "timeZone": "UTC",
                },
                "action": action,
                "provisioningState": "Succeeded",
            },
        }

    def computes(self, good_id: str, bad_id: str) -> None:
        """A locked-down instance and an exposed cluster sharing the open endpoint's identity."""
        api = API_VERSIONS["ml"]
        ci_id = f"{good_id}/computes/ci-secure"
        cl_id = f"{bad_id}/computes/aml-open-cluster"
        self.ids["compute:good"], self.ids["compute:bad"] = ci_id, cl_id
        scripted_id = f"{bad_id}/computes/ci-open-scripts"
        self.ids["compute:scripted"] = scripted_id
        self.add_list(f"{good_id}/computes", api, [self.compute_instance(ci_id)])
        self.add_list(f"{bad_id}/computes", api, [self.compute_cluster(cl_id), self.scripted_instance(scripted_id)])
        for check in ("compute_no_public_ip", "compute_no_public_ssh", "compute_local_auth_disabled"):
            self.expect(f"azure.ml.{check}", "ci-secure", PASS)
            self.expect(f"azure.ml.{check}", "aml-open-cluster", FAIL)
            self.expect(f"azure.ml.{check}", "ci-open-scripts", FAIL)
        self.expect("azure.ml.no_secrets_in_configuration", "ci-secure", PASS)
        self.expect("azure.ml.no_secrets_in_configuration", "aml-open-cluster", PASS)  # clusters run no scripts
        self.expect("azure.ml.no_secrets_in_configuration", "ci-open-scripts", FAIL)

    @staticmethod
    def setup_scripts(creation: str | None = None, startup: str | None = None) -> dict[str, Any]:
        """`setupScripts` as ARM returns it: inline scripts, base64 in scriptData."""
        scripts = {}
        for key, text in (("creationScript", creation), ("startupScript", startup)):
            if text is not None:
                scripts[key] = {
                    "scriptSource": "inline",
                    "scriptData": base64.b64encode(text.encode()).decode(),
                    "scriptArguments": "",
                    "timeout": "15m",
                }
        return {"scripts": scripts}

    def scripted_instance(self, rid: str) -> dict[str, Any]:
        """A shared compute instance whose startup script carries a key file and a gateway token."""
        return _tracked(
            rid,
            f"{_WS_TYPE}/computes",
            "westeurope",
            {
                "computeType": "ComputeInstance",
                "computeLocation": "westeurope",
                "description": "shared exploration box",
                "provisioningState": "Succeeded",
                "disableLocalAuth": False,
                "isAttachedCompute": False,
                "properties": {
                    "vmSize": "STANDARD_DS3_V2",
                    "applicationSharingPolicy": "Shared",
                    "sshSettings": {"sshPublicAccess": "Enabled", "adminUserName": "azureuser", "sshPort": 50000},
                    "enableNodePublicIp": True,
                    "computeInstanceAuthorizationType": "personal",
                    "setupScripts": self.setup_scripts(startup=_LEAKY_SETUP_SCRIPT),
                    "connectivityEndpoints": {"publicIpAddress": "20.61.14.7", "privateIpAddress": "10.30.0.4"},
                    "state": "Running",
                },
            },
            tags={"env": "dev"},
            identity=None,
            sku={"name": "Basic", "tier": "Basic"},
        )

    def compute_instance(self, rid: str) -> dict[str, Any]:
        return _tracked(
            rid,
            f"{_WS_TYPE}/computes",
            "eastus2",
            {
                "computeType": "ComputeInstance",
                "computeLocation": "eastus2",
                "description": "data scientist workstation",
                "provisioningState": "Succeeded",
                "disableLocalAuth": True,
                "isAttachedCompute": False,
                "properties": {
                    "vmSize": "STANDARD_DS3_V2",
                    "subnet": {"id": self.network_id("virtualNetworks/vnet-ml/subnets/compute")},
                    "applicationSharingPolicy": "Personal",
                    "sshSettings": {"sshPublicAccess": "Disabled", "adminUserName": "azureuser", "sshPort": 22},
                    "enableNodePublicIp": False,
                    "computeInstanceAuthorizationType": "personal",
                    "personalComputeInstanceSettings": {
                        "assignedUser": {
                            "objectId": "0a0a0a0a-0000-4000-8000-00000000000a",
                            "tenantId": TENANT_ID,
                        }
                    },
                    "setupScripts": self.setup_scripts(creation=_CLEAN_SETUP_SCRIPT),
                    "connectivityEndpoints": {"publicIpAddress": None, "privateIpAddress": "10.20.1.4"},
                    "osImageMetadata": {
                        "currentImageVersion": "26.04.01",
                        "latestImageVersion": "26.04.01",
                        "isLatestOsImageVersion": True,
                    },
                    "state": "Running",
                },
            },
            tags={"env": "prod"},
            identity={
                "type": "UserAssigned",
                "tenantId": TENANT_ID,
                "userAssignedIdentities": {
                    self.ids["identity:compute"]: _uai(CI_PRINCIPAL, "c1c1c1c1-0000-4000-8000-000000000003")
                },
            },
            sku={"name": "Basic", "tier": "Basic"},
        )

    def compute_cluster(self, rid: str) -> dict[str, Any]:
        return _tracked(
            rid,
            f"{_WS_TYPE}/computes",
            "westeurope",
            {
                "computeType": "AmlCompute",
                "computeLocation": "westeurope",
                "description": AZURE_HOSTILE_STRINGS[2],
                "provisioningState": "Succeeded",
                "disableLocalAuth": False,
                "isAttachedCompute": False,
                "properties": {
                    "vmSize": "STANDARD_NC6S_V3",
                    "vmPriority": "Dedicated",
                    "osType": "Linux",
                    "isolatedNetwork": False,
                    "scaleSettings": {
                        "maxNodeCount": 4,
                        "minNodeCount": 0,
                        "nodeIdleTimeBeforeScaleDown": "PT5M",
                    },
                    "remoteLoginPortPublicAccess": "Enabled",
                    "enableNodePublicIp": True,
                    "allocationState": "Steady",
                    "currentNodeCount": 0,
                    "targetNodeCount": 0,
                },
            },
            tags={"owner": AZURE_HOSTILE_STRINGS[1]},
            identity=self.shared_identity(),
            sku={"name": "Basic", "tier": "Basic"},
        )

    def ml_registry(self) -> None:
        reg_type = "Microsoft.MachineLearningServices/registries"
        rid = f"{self.rg('rg-ml-secure')}/providers/{reg_type}/mlr-shared"
        self.ids["ml_registry"] = rid
        self.add_list(
            f"/subscriptions/{self.sub}/providers/{reg_type}",
            API_VERSIONS["ml"],
            [
                _tracked(
                    rid,
                    reg_type,
                    "eastus2",
                    {
                        "discoveryUrl": "https://eastus2.api.azureml.ms/registrymanagement/v1.0/registries/mlr-shared/discovery",
                        "intellectualPropertyPublisher": "contoso",
                        "managedResourceGroup": {
                            "resourceId": f"/subscriptions/{self.sub}/resourceGroups/azureml-rg-mlr-shared"
                        },
                        "mlFlowRegistryUri": "azureml://eastus2.api.azureml.ms/mlflow/v1.0" + rid,
                        "publicNetworkAccess": "Disabled",
                        "regionDetails": [
                            {
                                "location": "eastus2",
                                "acrDetails": [{"systemCreatedAcrAccount": {"acrAccountSku": "Premium"}}],
                                "storageAccountDetails": [
                                    {
                                        "systemCreatedStorageAccount": {
                                            "storageAccountType": "Standard_LRS",
                                            "storageAccountHnsEnabled": False,
                                        }
                                    }
                                ],
                            }
                        ],
                        "registryPrivateEndpointConnections": [],
                    },
                    tags={"env": "prod"},
                    identity={
                        "type": "SystemAssigned",
                        "principalId": "a1a1a1a1-0000-4000-8000-000000000009",
                        "tenantId": TENANT_ID,
                    },
                    sku={"name": "P3", "tier": "Basic"},
                    kind="Registry",
                )
            ],
        )

    def cognitive(self) -> None:
        cs_type = _AI_ACCOUNT_TYPE
        uai = f"{self.rg('rg-ai')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-aoai"
        good_id = f"{self.rg('rg-ai')}/providers/{cs_type}/aoai-secure"
        bad_id = f"{self.rg('rg-ai-dev')}/providers/{cs_type}/ais-open"
        self.ids.update({"cognitive:good": good_id, "cognitive:bad": bad_id, "identity:openai": uai})
        good = self.secure_ai_account(good_id, uai)
        bad = self.open_ai_account(bad_id)
        self.add_list(f"/subscriptions/{self.sub}/providers/{cs_type}", API_VERSIONS["cognitive"], [good, bad])
        self.diagnostic_settings(good_id, [self.law_setting(good_id, "aoai-secure-logs", "allLogs")])
        self.diagnostic_settings(bad_id, [])
        for check in (
            "account_public_network_disabled",
            "account_local_auth_disabled",
            "account_cmk_encryption",
            "account_diagnostic_settings",
            "account_private_endpoint",
            "account_managed_identity",
            "account_outbound_restricted",
        ):
            self.expect(f"azure.cognitive.{check}", "aoai-secure", PASS)
            self.expect(f"azure.cognitive.{check}", "ais-open", FAIL)
        self.ai_deployments()
        self.rai_policies()
        self.foundry_projects()

    def secure_ai_account(self, rid: str, uai: str) -> dict[str, Any]:
        good = _tracked(
            rid,
            _AI_ACCOUNT_TYPE,
            "eastus2",
            {
                "endpoint": "https://aoai-secure.openai.azure.com/",
                "customSubDomainName": "aoai-secure",
                "provisioningState": "Succeeded",
                "publicNetworkAccess": "Disabled",
                "disableLocalAuth": True,
                "restrictOutboundNetworkAccess": True,
                "allowedFqdnList": ["stsecureml.blob.core.windows.net"],
                "networkAcls": {
                    "defaultAction": "Deny",
                    "bypass": "AzureServices",
                    "ipRules": [],
                    "virtualNetworkRules": [],
                },
                "encryption": {
                    "keySource": "Microsoft.KeyVault",
                    "keyVaultProperties": {
                        "keyName": "aoai-cmk",
                        "keyVersion": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
                        "keyVaultUri": "https://kv-secure-ml.vault.azure.net/",
                        "identityClientId": "c1c1c1c1-0000-4000-8000-000000000005",
                    },
                },
                "privateEndpointConnections": [
                    {
                        "id": f"{rid}/privateEndpointConnections/pe-aoai",
                        "name": "pe-aoai",
                        "type": f"{_AI_ACCOUNT_TYPE}/privateEndpointConnections",
                        "properties": {
                            "groupIds": ["account"],
                            "privateEndpoint": {"id": self.network_id("privateEndpoints/pe-aoai")},
                            "privateLinkServiceConnectionState": {
                                "status": "Approved",
                                "description": "",
                                "actionsRequired": "None",
                            },
                            "provisioningState": "Succeeded",
                        },
                    }
                ],
                "capabilities": [{"name": "VirtualNetworks"}, {"name": "CustomerManagedKey"}],
                "dateCreated": "2026-03-02T09:20:11.1234567Z",
            },
            tags={"env": "prod"},
            identity={
                "type": "SystemAssigned, UserAssigned",
                "principalId": "a1a1a1a1-0000-4000-8000-000000000005",
                "tenantId": TENANT_ID,
                "userAssignedIdentities": {
                    uai: _uai("a1a1a1a1-0000-4000-8000-000000000006", "c1c1c1c1-0000-4000-8000-000000000005")
                },
            },
            sku={"name": "S0"},
            kind="OpenAI",
        )
        good["etag"] = '"0a000b00-0000-0200-0000-66a1b2c30000"'
        return good

    def open_ai_account(self, rid: str) -> dict[str, Any]:
        """An account left at its defaults: public, keys on (disableLocalAuth absent), platform-managed key."""
        bad = _tracked(
            rid,
            _AI_ACCOUNT_TYPE,
            "westeurope",
            {
                "endpoint": "https://ais-open.cognitiveservices.azure.com/",
                "customSubDomainName": "ais-open",
                "provisioningState": "Succeeded",
                "publicNetworkAccess": "Enabled",
                "networkAcls": {"defaultAction": "Allow", "ipRules": [], "virtualNetworkRules": []},
                "privateEndpointConnections": [],
                "capabilities": [{"name": "VirtualNetworks"}],
                "dateCreated": "2026-04-11T12:00:41.7654321Z",
                "allowProjectManagement": True,
                "defaultProject": "agents-prod",
                "associatedProjects": ["agents-prod", "agents-dev"],
            },
            tags={
                "owner": AZURE_HOSTILE_STRINGS[0],
                "api_key": _TAG_API_KEY,
                "formula": AZURE_HOSTILE_STRINGS[2],
                "banner": AZURE_HOSTILE_STRINGS[3],
            },
            identity={"type": "None"},
            sku={"name": "S0"},
            kind="AIServices",
        )
        bad["etag"] = '"0a000b00-0000-0200-0000-66a1b2c40000"'
        # Deployed from a template in April, then changed by hand in the portal.
        bad["systemData"].update(
            {
                "lastModifiedAt": "2026-05-20T16:40:03.7654321Z",
                "lastModifiedBy": "dev@contoso.com",
                "lastModifiedByType": "User",
            }
        )
        return bad

    def ai_deployments(self) -> None:
        """Model deployments: pinned and filtered on the secure account; auto-upgraded, on the legacy default filter
        or a lenient one, on the open account."""
        good, bad = self.ids["cognitive:good"], self.ids["cognitive:bad"]
        for account, deployments in (
            (
                good,
                [
                    ("gpt-4o-prod", ("OpenAI", "gpt-4o", "2024-11-20"), "strict-filter", "NoAutoUpgrade", True),
                    (
                        "embed-large",
                        ("OpenAI", "text-embedding-3-large", "1"),
                        "Microsoft.DefaultV2",
                        "OnceCurrentVersionExpired",
                        True,
                    ),
                ],
            ),
            (
                bad,
                [
                    (
                        "gpt-4o-mini-dev",
                        ("OpenAI", "gpt-4o-mini", "2024-07-18"),
                        "Microsoft.Default",
                        "OnceNewDefaultVersionAvailable",
                        False,
                    ),
                    # A partner model on a lenient filter; versionUpgradeOption left out (the service default).
                    ("phi-chat", ("Microsoft", "Phi-4", "7"), "lenient-filter", None, False),
                ],
            ),
        ):
            items = []
            for name, (fmt, model, version), policy, upgrade, ok in deployments:
                did = f"{account}/deployments/{name}"
                self.ids[f"ai_deployment:{name}"] = did
                props: dict[str, Any] = {
                    "model": {"format": fmt, "name": model, "version": version},
                    "currentCapacity": 100 if ok else 10,
                    "capabilities": {"chatCompletion": "true"} if "embed" not in name else {"embeddings": "true"},
                    "raiPolicyName": policy,
                    "rateLimits": [
                        {"key": "request", "renewalPeriod": 10, "count": 100 if ok else 10},
                        {"key": "token", "renewalPeriod": 60, "count": 100000 if ok else 10000},
                    ],
                    "provisioningState": "Succeeded",
                }
                if upgrade is not None:
                    props["versionUpgradeOption"] = upgrade
                items.append(
                    {
                        "id": did,
                        "type": f"{_AI_ACCOUNT_TYPE}/deployments",
                        "name": name,
                        "sku": {"name": "GlobalStandard" if ok else "Standard", "capacity": 100 if ok else 10},
                        "systemData": dict(_SYSTEM_DATA),
                        "etag": '"2b3c4d5e-0000-0200-0000-66a1b2c50000"',
                        "properties": props,
                    }
                )
                for check in ("deployment_content_filter", "deployment_version_pinned"):
                    self.expect(f"azure.cognitive.{check}", name, PASS if ok else FAIL)
            self.add_list(f"{account}/deployments", API_VERSIONS["cognitive"], items)

    @staticmethod
    def content_filters(off: tuple[str, ...] = (), jailbreak: bool | None = True) -> list[dict[str, Any]]:
        """contentFilters as ARM lists them: the four harm categories at medium on prompts and completions (those in
        `off` disabled), Jailbreak (on, off, or left out with None) and protected material."""
        filters: list[dict[str, Any]] = []
        for source in ("Prompt", "Completion"):
            for name in ("Hate", "Sexual", "Violence", "Selfharm"):
                on = name not in off
                filters.append(
                    {"name": name, "blocking": on, "enabled": on, "severityThreshold": "Medium", "source": source}
                )
        if jailbreak is not None:
            filters.append({"name": "Jailbreak", "blocking": jailbreak, "enabled": jailbreak, "source": "Prompt"})
        filters.append({"name": "Protected Material Text", "blocking": True, "enabled": True, "source": "Completion"})
        filters.append({"name": "Protected Material Code", "blocking": False, "enabled": True, "source": "Completion"})
        return filters

    def rai_policies(self) -> None:
        """Each account lists Microsoft's two defaults and its own policy: strict (secure), lenient (open)."""
        for account, custom, off, jailbreak in (
            (self.ids["cognitive:good"], "strict-filter", (), True),
            (self.ids["cognitive:bad"], "lenient-filter", ("Hate", "Violence"), False),
        ):
            system = [
                self.rai_policy(
                    account, "Microsoft.Default", "SystemManaged", None, self.content_filters(jailbreak=None)
                ),
                self.rai_policy(account, "Microsoft.DefaultV2", "SystemManaged", None, self.content_filters()),
            ]
            mine = self.rai_policy(
                account, custom, "UserManaged", "Microsoft.DefaultV2", self.content_filters(off, jailbreak)
            )
            mine["systemData"] = dict(_SYSTEM_DATA)
            self.add_list(f"{account}/raiPolicies", API_VERSIONS["cognitive"], [*system, mine])
            self.expect("azure.cognitive.rai_policy_filters_enabled", custom, PASS if not off else FAIL)
        for name in ("Microsoft.Default", "Microsoft.DefaultV2"):
            self.expect("azure.cognitive.rai_policy_filters_enabled", name, PASS)

    @staticmethod
    def rai_policy(
        account: str, name: str, managed: str, base: str | None, filters: list[dict[str, Any]]
    ) -> dict[str, Any]:
        props: dict[str, Any] = {"type": managed, "mode": "Blocking" if managed == "UserManaged" else "Default"}
        if base:
            props["basePolicyName"] = base
        props["contentFilters"] = filters
        return {
            "id": f"{account}/raiPolicies/{name}",
            "name": name,
            "type": f"{_AI_ACCOUNT_TYPE}/raiPolicies",
            "etag": '"3c4d5e6f-0000-0200-0000-66a1b2c60000"',
            "properties": props,
        }

    def foundry_projects(self) -> None:
        """The open AI Foundry resource's two projects (one without an identity) and the connections of the
        account and its projects: a key to Azure OpenAI, Entra ID to AI Search, a SAS URL to blob storage."""
        good, bad = self.ids["cognitive:good"], self.ids["cognitive:bad"]
        api = API_VERSIONS["cognitive"]
        self.add_list(f"{good}/projects", api, [])
        self.add_list(f"{good}/connections", api, [])
        projects = []
        for name, identity in (
            (
                "agents-prod",
                {
                    "type": "SystemAssigned",
                    "principalId": "a1a1a1a1-0000-4000-8000-00000000000c",
                    "tenantId": TENANT_ID,
                },
            ),
            ("agents-dev", {"type": "None"}),
        ):
            pid = f"{bad}/projects/{name}"
            self.ids[f"foundry_project:{name}"] = pid
            projects.append(
                _tracked(
                    pid,
                    f"{_AI_ACCOUNT_TYPE}/projects",
                    "westeurope",
                    {
                        "provisioningState": "Succeeded",
                        "displayName": name,
                        "description": "support agents" if name == "agents-prod" else "agent experiments",
                        "endpoints": {"AI Foundry API": f"https://ais-open.services.ai.azure.com/api/projects/{name}"},
                        "isDefault": name == "agents-prod",
                    },
                    tags={"env": "prod" if name == "agents-prod" else "dev"},
                    identity=identity,
                )
            )
            self.expect("azure.cognitive.account_managed_identity", name, PASS if name == "agents-prod" else FAIL)
        self.add_list(f"{bad}/projects", api, projects)
        self.add_list(
            f"{bad}/connections",
            api,
            [
                self.ai_connection(
                    f"{bad}/connections/aoai-key",
                    "ApiKey",
                    "AzureOpenAI",
                    "https://aoai-secure.openai.azure.com/",
                    {"ApiType": "Azure", "ApiVersion": "2024-10-21", "ResourceId": good},
                )
            ],
        )
        self.expect("azure.cognitive.connection_identity_auth", "aoai-key", FAIL)
        self.expect("azure.cognitive.connection_no_secrets", "aoai-key", PASS)
        search = f"{self.rg('rg-ai')}/providers/Microsoft.Search/searchServices/srch-secure"
        self.add_list(
            f"{bad}/projects/agents-prod/connections",
            api,
            [
                self.ai_connection(
                    f"{bad}/projects/agents-prod/connections/search-entra",
                    "AAD",
                    "CognitiveSearch",
                    "https://srch-secure.search.windows.net",
                    {"ApiType": "Azure", "ResourceId": search, "location": "eastus2"},
                )
            ],
        )
        self.expect("azure.cognitive.connection_identity_auth", "search-entra", PASS)
        self.expect("azure.cognitive.connection_no_secrets", "search-entra", PASS)
        self.add_list(
            f"{bad}/projects/agents-dev/connections",
            api,
            [
                self.ai_connection(
                    f"{bad}/projects/agents-dev/connections/blob-sas",
                    "SAS",
                    "AzureBlob",
                    f"https://stopenml.blob.core.windows.net/docs?{_BLOB_SAS}",
                    {"ResourceId": self.ids["storage:bad"], "AccountName": "stopenml", "ContainerName": "docs"},
                )
            ],
        )
        self.expect("azure.cognitive.connection_identity_auth", "blob-sas", FAIL)
        self.expect("azure.cognitive.connection_no_secrets", "blob-sas", FAIL)

    @staticmethod
    def ai_connection(cid: str, auth: str, category: str, target: str, metadata: dict[str, str]) -> dict[str, Any]:
        """A connection as ARM lists it: its credentials are never in the answer (listsecrets is a POST)."""
        return {
            "id": cid,
            "name": cid.rsplit("/", 1)[1],
            "type": f"{_AI_ACCOUNT_TYPE}/{'projects/' if '/projects/' in cid else ''}connections",
            "systemData": dict(_SYSTEM_DATA),
            "properties": {
                "authType": auth,
                "category": category,
                "target": target,
                "isSharedToAll": True,
                "sharedUserList": [],
                "metadata": metadata,
                "error": None,
            },
        }

    def search_services(self) -> None:
        """The AI Search services the Foundry projects retrieve from: one locked down, one left at its defaults."""
        st = "Microsoft.Search/searchServices"
        good_id = f"{self.rg('rg-ai')}/providers/{st}/srch-secure"
        bad_id = f"{self.rg('rg-ai-dev')}/providers/{st}/srch-open"
        self.ids["search:good"], self.ids["search:bad"] = good_id, bad_id
        good = _tracked(
            good_id,
            st,
            "eastus2",
            {
                "replicaCount": 3,
                "partitionCount": 1,
                "endpoint": "https://srch-secure.search.windows.net",
                "status": "running",
                "statusDetails": "",
                "hostingMode": "default",
                "computeType": "default",
                "provisioningState": "succeeded",
                "publicNetworkAccess": "disabled",
                "networkRuleSet": {"ipRules": [], "bypass": "AzureServices"},
                "dataExfiltrationProtections": [],
                "encryptionWithCmk": {"enforcement": "Enabled", "encryptionComplianceStatus": "Compliant"},
                "disableLocalAuth": True,
                "authOptions": None,
                "semanticSearch": "standard",
                "privateEndpointConnections": [
                    {
                        "id": f"{good_id}/privateEndpointConnections/pe-srch-secure",
                        "name": "pe-srch-secure",
                        "type": f"{st}/privateEndpointConnections",
                        "properties": {
                            "privateEndpoint": {"id": self.network_id("privateEndpoints/pe-srch-secure")},
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
                "eTag": "W/\"datetime'2026-03-02T09%3A40%3A11.1234567Z'\"",
                "upgradeAvailable": "notAvailable",
            },
            # Terraform writes through the API, not ARM deployments: its provenance shows only as this tag.
            tags={"env": "prod", "managed-by": "terraform"},
            identity={
                "type": "SystemAssigned",
                "principalId": "a1a1a1a1-0000-4000-8000-00000000000f",
                "tenantId": TENANT_ID,
            },
            sku={"name": "standard"},
        )
        bad = _tracked(
            bad_id,
            st,
            "westeurope",
            {
                "replicaCount": 1,
                "partitionCount": 1,
                "endpoint": "https://srch-open.search.windows.net",
                "status": "running",
                "statusDetails": "",
                "hostingMode": "default",
                "provisioningState": "succeeded",
                "publicNetworkAccess": "enabled",
                "networkRuleSet": {"ipRules": [], "bypass": "None"},
                "encryptionWithCmk": {"enforcement": "Unspecified", "encryptionComplianceStatus": "Compliant"},
                "disableLocalAuth": False,
                "authOptions": {"apiKeyOnly": {}},
                "semanticSearch": "free",
                "privateEndpointConnections": [],
                "sharedPrivateLinkResources": [],
                "upgradeAvailable": "notAvailable",
            },
            tags={"env": "dev", "owner": AZURE_HOSTILE_STRINGS[1]},
            sku={"name": "basic"},
        )
        self.add_list(f"/subscriptions/{self.sub}/providers/{st}", API_VERSIONS["search"], [good, bad])
        for check in (
            "service_public_network_disabled",
            "service_local_auth_disabled",
            "service_cmk_enforced",
            "service_private_endpoint",
            "service_replicas",
        ):
            self.expect(f"azure.search.{check}", "srch-secure", PASS)
            self.expect(f"azure.search.{check}", "srch-open", FAIL)

    def deployment_history(self) -> None:
        """Each resource group holding AI resources has its deployment history read: templates wrote the secure
        workspaces, hub, project, registry and OpenAI account; the open AI services account was deployed, then
        changed by hand; the open workspace and search service were never deployed."""
        api = API_VERSIONS["deployments"]
        ids = self.ids
        ml = f"{self.rg('rg-ml-secure')}/providers/Microsoft.MachineLearningServices"
        histories = {
            "rg-ml-secure": [
                self.deployment(
                    "rg-ml-secure",
                    "ml-platform-20260302",
                    "Succeeded",
                    "2026-03-02T09:20:41.5550001Z",
                    [
                        ids["storage:good"],
                        ids["vault:good"],
                        ids["workspace:good"],
                        f"{ids['workspace:good']}/computes/ci-secure",
                        ids["workspace:hub"],
                        ids["workspace:project"],
                        f"{ml}/registries/mlr-shared",
                    ],
                ),
                # An earlier run that failed validation wrote nothing.
                self.deployment("rg-ml-secure", "ml-platform-20260301", "Failed", "2026-03-01T17:02:11.0000001Z", []),
            ],
            "rg-ml-open": [
                self.deployment(
                    "rg-ml-open", "storage-open", "Succeeded", "2026-03-05T11:00:00.0000001Z", [ids["storage:bad"]]
                )
            ],
            "rg-ai": [
                self.deployment(
                    "rg-ai",
                    "ai-services",
                    "Succeeded",
                    "2026-03-02T09:25:00.0000001Z",
                    [ids["cognitive:good"], f"{ids['cognitive:good']}/deployments/gpt-4o-prod"],
                )
            ],
            "rg-ai-dev": [
                self.deployment(
                    "rg-ai-dev", "ai-dev-sandbox", "Succeeded", "2026-04-11T12:05:00.0000001Z", [ids["cognitive:bad"]]
                )
            ],
        }
        for group, deployments in histories.items():
            self.add_list(f"{self.rg(group)}/providers/Microsoft.Resources/deployments", api, deployments)
        check = "azure.resources.ai_resource_deployed_by_iac"
        for name in ("mlw-secure", "hub-secure", "proj-secure", "mlr-shared", "aoai-secure", "srch-secure"):
            self.expect(check, name, PASS)
        for name in ("mlw-open", "ais-open", "srch-open"):
            self.expect(check, name, FAIL)

    def deployment(self, group: str, name: str, state: str, at: str, outputs: list[str]) -> dict[str, Any]:
        """A resource group deployment as ARM lists it: what the template wrote is in outputResources."""
        namespaces = sorted({rid.split("/providers/")[1].split("/")[0] for rid in outputs})
        return {
            "id": f"{self.rg(group)}/providers/Microsoft.Resources/deployments/{name}",
            "name": name,
            "type": "Microsoft.Resources/deployments",
            "tags": {"pipeline": "ml-platform-infra"} if group.startswith("rg-ml") else {},
            "properties": {
                "templateHash": str(10911584915271183512 + len(name)),
                "parameters": {"environment": {"type": "String", "value": "dev" if "dev" in group else "prod"}},
                "mode": "Incremental",
                "provisioningState": state,
                "timestamp": at,
                "duration": "PT4M31.2208765S",
                "correlationId": f"5c4b3a29-0000-4000-8000-{len(outputs):06d}{len(name):06d}",
                "providers": [{"namespace": ns, "resourceTypes": []} for ns in namespaces],
                "dependencies": [],
                "outputResources": [{"id": rid} for rid in outputs],
                "validationLevel": "Template",
            },
        }

    def authorization(self) -> None:
        self.role_assignments()
        self.role_definitions()

    def role_assignments(self) -> None:
        api = API_VERSIONS["authorization"]
        ra = "Microsoft.Authorization/roleAssignments"
        sub_scope = f"/subscriptions/{self.sub}"
        ws_scope = self.ids["workspace:good"]
        owner = self.role_assignment(
            sub_scope,
            OWNER_ASSIGNMENT,
            OWNER_ROLE,
            "5e5e5e5e-0000-4000-8000-00000000005e",
            "ServicePrincipal",
            "ci pipeline " + AZURE_HOSTILE_STRINGS[1],
        )
        scientist = self.role_assignment(
            ws_scope,
            DATA_SCIENTIST_ASSIGNMENT,
            AML_DATA_SCIENTIST_ROLE,
            "6f6f6f6f-0000-4000-8000-00000000006f",
            "Group",
            "fraud data science team",
        )
        reader = self.role_assignment(
            sub_scope,
            READER_ASSIGNMENT,
            READER_ROLE,
            "7a7a7a7a-0000-4000-8000-00000000007a",
            "Group",
            "security auditors",
        )
        # Made by Privileged Identity Management when an eligible engineer activated the role, for eight hours.
        operator = self.role_assignment(
            self.ids["cognitive:good"],
            OPERATOR_ASSIGNMENT,
            COGNITIVE_CONTRIBUTOR_ROLE,
            "8b8b8b8b-0000-4000-8000-00000000008b",
            "User",
            "",
        )
        operator["properties"]["description"] = None
        # Purview scans the secure storage with its managed identity.
        purview = self.role_assignment(
            self.ids["storage:good"],
            PURVIEW_ASSIGNMENT,
            BLOB_READER_ROLE,
            PURVIEW_PRINCIPAL,
            "ServicePrincipal",
            "Purview scanning",
        )
        self.ids.update(
            {
                "role_assignment:owner": owner["id"],
                "role_assignment:data_scientist": scientist["id"],
                "role_assignment:reader": reader["id"],
                "role_assignment:operator": operator["id"],
            }
        )
        identities = self.identity_assignments()
        self.add_list(f"{sub_scope}/providers/{ra}", api, [owner, scientist, reader, operator, purview, *identities])
        self.expect("azure.authorization.no_broad_privileged_roles", OWNER_ASSIGNMENT, FAIL)
        self.expect("azure.authorization.no_broad_privileged_roles", SHARED_CONTRIBUTOR_ASSIGNMENT, FAIL)
        for passing in (
            DATA_SCIENTIST_ASSIGNMENT,
            READER_ASSIGNMENT,
            OPERATOR_ASSIGNMENT,
            PURVIEW_ASSIGNMENT,
            SHARED_READER_ASSIGNMENT,
            CI_READER_ASSIGNMENT,
        ):
            self.expect("azure.authorization.no_broad_privileged_roles", passing, PASS)
        self.schedule_instances([owner, scientist, reader, operator, purview, *identities])

    def identity_assignments(self) -> list[dict[str, Any]]:
        """ZT-4: the roles the AI managed identities hold, and what each identity's attack paths conclude. The open
        cluster and the open endpoint share an identity with Contributor over the secure team's resource group
        (it can redeploy the production endpoints there) that also reads the confidential storage (the open endpoint
        takes public traffic); the secure instance's identity reads only that storage."""
        shared = self.role_assignment(
            self.rg("rg-ml-secure"),
            SHARED_CONTRIBUTOR_ASSIGNMENT,
            CONTRIBUTOR_ROLE,
            SHARED_PRINCIPAL,
            "ServicePrincipal",
            "open cluster pipeline",
        )
        shared_reader = self.role_assignment(
            self.ids["storage:good"],
            SHARED_READER_ASSIGNMENT,
            BLOB_READER_ROLE,
            SHARED_PRINCIPAL,
            "ServicePrincipal",
            "open endpoint reads features",
        )
        ci_reader = self.role_assignment(
            self.ids["storage:good"], CI_READER_ASSIGNMENT, BLOB_READER_ROLE, CI_PRINCIPAL, "ServicePrincipal", ""
        )
        blast, exposed = (
            "azure.authorization.ai_identity_blast_radius",
            "azure.authorization.exposed_ai_identity_sensitive_data",
        )
        for name, blast_status, exposed_status in (
            ("aml-open-cluster", FAIL, FAIL),
            ("chat-open-ep", FAIL, FAIL),
            ("ci-secure", PASS, PASS),
            ("chat-secure-ep", PASS, PASS),
            ("ais-open", PASS, PASS),
            ("aoai-secure", PASS, PASS),
        ):
            self.expect(blast, name, blast_status)
            self.expect(exposed, name, exposed_status)
        for name in ("mlw-secure", "mlw-open", "hub-secure", "proj-secure", "embed-secure-ep", "batch-mlw-secure"):
            self.expect(blast, name, PASS)
        return [shared, shared_reader, ci_reader]

    def schedule_instances(self, assignments: list[dict[str, Any]]) -> None:
        """Privileged Identity Management's view of the active assignments: the operator's activation ends after
        eight hours; the owner's and the data scientists' are standing (no end)."""
        sub_scope = f"/subscriptions/{self.sub}"
        instances = []
        for ra in assignments:
            props = ra["properties"]
            activated = ra["name"] == OPERATOR_ASSIGNMENT
            instance_props: dict[str, Any] = {
                "scope": props["scope"],
                "roleDefinitionId": props["roleDefinitionId"],
                "principalId": props["principalId"],
                "principalType": props["principalType"],
                "roleAssignmentScheduleId": f"{props['scope']}/providers/Microsoft.Authorization/"
                f"RoleAssignmentSchedules/{ra['name']}",
                "originRoleAssignmentId": ra["id"],
                "status": "Provisioned",
                "startDateTime": "2026-06-11T08:00:00.000Z" if activated else "2026-03-02T09:30:00.123Z",
                "endDateTime": "2026-06-11T16:00:00.000Z" if activated else None,
                "assignmentType": "Activated" if activated else "Assigned",
                "memberType": "Direct",
                "createdOn": "2026-06-11T08:00:00.000Z" if activated else "2026-03-02T09:30:00.123Z",
                "condition": None,
                "conditionVersion": None,
            }
            if activated:
                instance_props["linkedRoleEligibilityScheduleId"] = (
                    f"{props['scope']}/providers/Microsoft.Authorization/RoleEligibilitySchedules/"
                    "4d3c2b1a-0000-4000-8000-0000000000e1"
                )
                instance_props["linkedRoleEligibilityScheduleInstanceId"] = (
                    f"{props['scope']}/providers/Microsoft.Authorization/RoleEligibilityScheduleInstances/"
                    "4d3c2b1a-0000-4000-8000-0000000000e2"
                )
            instances.append(
                {
                    "properties": instance_props,
                    "name": ra["name"],
                    "id": f"{sub_scope}/providers/Microsoft.Authorization/RoleAssignmentScheduleInstances/{ra['name']}",
                    "type": "Microsoft.Authorization/RoleAssignmentScheduleInstances",
                }
            )
        self.add_list(
            f"{sub_scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances",
            API_VERSIONS["schedules"],
            instances,
        )
        check = "azure.authorization.deploy_export_roles_time_bound"
        self.expect(check, OWNER_ASSIGNMENT, FAIL)
        self.expect(check, DATA_SCIENTIST_ASSIGNMENT, FAIL)
        self.expect(check, READER_ASSIGNMENT, PASS)
        self.expect(check, OPERATOR_ASSIGNMENT, PASS)
        self.expect(check, PURVIEW_ASSIGNMENT, PASS)
        self.expect(check, SHARED_CONTRIBUTOR_ASSIGNMENT, FAIL)
        self.expect(check, SHARED_READER_ASSIGNMENT, PASS)
        self.expect(check, CI_READER_ASSIGNMENT, PASS)

    def role_assignment(
        self, scope: str, name: str, role: str, principal: str, ptype: str, desc: str
    ) -> dict[str, Any]:
        ra = "Microsoft.Authorization/roleAssignments"
        role_definitions = f"/subscriptions/{self.sub}/providers/Microsoft.Authorization/roleDefinitions"
        return {
            "properties": {
                "roleDefinitionId": f"{role_definitions}/{role}",
                "principalId": principal,
                "principalType": ptype,
                "scope": scope,
                "condition": None,
                "conditionVersion": None,
                "createdOn": "2026-03-02T09:30:00.1234567Z",
                "updatedOn": "2026-03-02T09:30:00.1234567Z",
                "createdBy": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                "updatedBy": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                "delegatedManagedIdentityResourceId": None,
                "description": desc,
            },
            "id": f"{scope}/providers/{ra}/{name}",
            "type": ra,
            "name": name,
        }

    def role_definitions(self) -> None:
        """The built-in roles the assignments name, read one by one."""
        api = API_VERSIONS["authorization"]
        rd = "Microsoft.Authorization/roleDefinitions"
        for role, role_name, desc, actions, data_actions in (
            (
                OWNER_ROLE,
                "Owner",
                ("Grants full access to manage all resources, including the ability to assign roles in Azure RBAC."),
                ["*"],
                [],
            ),
            (
                AML_DATA_SCIENTIST_ROLE,
                "AzureML Data Scientist",
                (
                    "Can perform all actions within an Azure Machine Learning workspace, except for creating or "
                    "deleting compute resources and modifying the workspace itself."
                ),
                [
                    "Microsoft.MachineLearningServices/workspaces/*/read",
                    "Microsoft.MachineLearningServices/workspaces/*/action",
                    "Microsoft.MachineLearningServices/workspaces/*/delete",
                    "Microsoft.MachineLearningServices/workspaces/*/write",
                ],
                ["Microsoft.MachineLearningServices/workspaces/*"],
            ),
            (READER_ROLE, "Reader", "View all resources, but does not allow you to make any changes.", ["*/read"], []),
            (
                CONTRIBUTOR_ROLE,
                "Contributor",
                "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
                "manage assignments in Azure Blueprints, or share image galleries.",
                ["*"],
                [],
            ),
            (
                BLOB_READER_ROLE,
                "Storage Blob Data Reader",
                "Allows for read access to Azure Storage blob containers and data",
                [
                    "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                    "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
                ],
                ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
            ),
            (
                COGNITIVE_CONTRIBUTOR_ROLE,
                "Cognitive Services Contributor",
                "Lets you create, read, update, delete and manage keys of Cognitive Services.",
                [
                    "Microsoft.Authorization/*/read",
                    "Microsoft.CognitiveServices/*",
                    "Microsoft.Features/features/read",
                    "Microsoft.Insights/alertRules/*",
                    "Microsoft.Insights/diagnosticSettings/*",
                    "Microsoft.Insights/metrics/read",
                    "Microsoft.Resources/deployments/*",
                    "Microsoft.Resources/subscriptions/resourceGroups/read",
                    "Microsoft.Support/*",
                ],
                [],
            ),
        ):
            rid = f"/subscriptions/{self.sub}/providers/{rd}/{role}"
            self.ids[f"role_definition:{role_name}"] = rid
            self.add(
                rid,
                api,
                {
                    "id": rid,
                    "type": rd,
                    "name": role,
                    "properties": {
                        "roleName": role_name,
                        "type": "BuiltInRole",
                        "description": desc,
                        "assignableScopes": ["/"],
                        "permissions": [
                            {
                                "actions": actions,
                                "notActions": _NOT_ACTIONS.get(role, []),
                                "dataActions": data_actions,
                                "notDataActions": [],
                            }
                        ],
                        "createdOn": "2015-02-02T21:55:09.8806423Z",
                        "updatedOn": "2025-11-04T19:22:37.6520814Z",
                        "createdBy": None,
                        "updatedBy": None,
                    },
                },
            )

    def security_policy_budgets(self) -> None:
        self.defender_plans()
        self.policy_assignments()
        self.budgets()

    def defender_plans(self) -> None:
        sub_scope = f"/subscriptions/{self.sub}"
        pricing = "Microsoft.Security/pricings"
        plans = []
        for name, tier, sub_plan, extensions in (
            ("AI", "Free", None, None),
            (
                "CloudPosture",
                "Standard",
                None,
                [
                    {"name": "AgentlessVmScanning", "isEnabled": "True"},
                    {"name": "SensitiveDataDiscovery", "isEnabled": "True"},
                ],
            ),
            (
                "StorageAccounts",
                "Standard",
                "DefenderForStorageV2",
                [
                    {"name": "OnUploadMalwareScanning", "isEnabled": "True"},
                    {"name": "SensitiveDataDiscovery", "isEnabled": "False"},
                ],
            ),
            ("KeyVaults", "Standard", "PerKeyVault", None),
        ):
            props: dict[str, Any] = {
                "pricingTier": tier,
                "freeTrialRemainingTime": "PT0S" if tier == "Standard" else "P30D",
            }
            if tier == "Standard":
                props["enablementTime"] = "2026-03-02T10:00:00.0000000Z"
            if sub_plan:
                props["subPlan"] = sub_plan
            if extensions:
                props["extensions"] = extensions
            pid = f"{sub_scope}/providers/{pricing}/{name}"
            self.ids[f"pricing:{name}"] = pid
            plans.append({"id": pid, "name": name, "type": pricing, "properties": props})
            self.expect("azure.security.defender_plan_enabled", name, PASS if tier == "Standard" else FAIL)
        self.add_list(f"{sub_scope}/providers/{pricing}", API_VERSIONS["security"], plans)
        self.expect("azure.security.defender_for_ai_present", self.sub, FAIL)

    def policy_assignments(self) -> None:
        """The benchmark initiative on the subscription, its sandbox resource groups excluded; a remediating AI
        built-in on the AI resource group; a location rule (no AI definition) on the AI sandbox group."""
        sub_scope = f"/subscriptions/{self.sub}"
        pa = "Microsoft.Authorization/policyAssignments"
        paid = f"{sub_scope}/providers/{pa}/SecurityCenterBuiltIn"
        self.ids["policy_assignment"] = paid
        benchmark = {
            "id": paid,
            "name": "SecurityCenterBuiltIn",
            "type": pa,
            "properties": {
                "displayName": "ASC Default (subscription: " + self.sub + ")",
                "description": "Microsoft cloud security benchmark " + AZURE_HOSTILE_STRINGS[0],
                "policyDefinitionId": f"/providers/Microsoft.Authorization/policySetDefinitions/{MCSB_INITIATIVE}",
                "definitionVersion": "57.*.*",
                "scope": sub_scope,
                "notScopes": [self.rg("rg-ml-open"), self.rg("rg-ai-dev")],
                "parameters": {},
                "metadata": {
                    "assignedBy": "Security Center",
                    "createdBy": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                    "createdOn": "2026-03-02T10:00:00.0000000Z",
                },
                "enforcementMode": "Default",
                "nonComplianceMessages": [],
            },
        }
        builtin = "/providers/Microsoft.Authorization/policyDefinitions"
        local_auth = {
            "id": f"{self.rg('rg-ai')}/providers/{pa}/ai-disable-local-auth",
            "name": "ai-disable-local-auth",
            "type": pa,
            "location": "eastus2",
            "identity": {
                "type": "SystemAssigned",
                "principalId": "a1a1a1a1-0000-4000-8000-000000000010",
                "tenantId": TENANT_ID,
            },
            "properties": {
                "displayName": "Configure Cognitive Services accounts to disable local authentication methods",
                "policyDefinitionId": f"{builtin}/14de9e63-1b31-492e-a5a3-c3f7fd57f555",
                "definitionVersion": "1.*.*",
                "scope": self.rg("rg-ai"),
                "notScopes": [],
                "parameters": {"effect": {"value": "Modify"}},
                "enforcementMode": "Default",
                "nonComplianceMessages": [{"message": "AI services accounts must use Microsoft Entra ID only."}],
            },
        }
        locations = {
            "id": f"{self.rg('rg-ai-dev')}/providers/{pa}/allowed-locations",
            "name": "allowed-locations",
            "type": pa,
            "properties": {
                "displayName": "Allowed locations",
                "policyDefinitionId": f"{builtin}/e56962a6-4747-49cd-b67b-bf8b01975c4c",
                "definitionVersion": "1.*.*",
                "scope": self.rg("rg-ai-dev"),
                "notScopes": [],
                "parameters": {"listOfAllowedLocations": {"value": ["westeurope", "northeurope"]}},
                "enforcementMode": "Default",
                "nonComplianceMessages": [],
            },
        }
        self.add_list(f"{sub_scope}/providers/{pa}", API_VERSIONS["policy"], [benchmark, local_auth, locations])
        self.expect("azure.policy.assignments_monitor_compliance", self.sub, PASS)
        self.benchmark_initiative()
        for name in ("mlw-secure", "hub-secure", "proj-secure", "aoai-secure", "srch-secure"):
            self.expect("azure.policy.ai_resources_watched", name, PASS)
        for name in ("mlw-open", "ais-open", "srch-open"):
            self.expect("azure.policy.ai_resources_watched", name, FAIL)

    def benchmark_initiative(self) -> None:
        """The benchmark initiative, read because an assignment names it. Abridged: the real one has about 220
        members; these are the shape, with AI members whose effect is a parameter, fixed, or left to the
        definition's default, and members for other services."""
        rid = f"/providers/Microsoft.Authorization/policySetDefinitions/{MCSB_INITIATIVE}"
        builtin = "/providers/Microsoft.Authorization/policyDefinitions"

        def member(guid: str, reference: str, group: str, effect: str | None) -> dict[str, Any]:
            parameters = {"effect": {"value": f"[parameters('{effect}')]"}} if effect else {}
            return {
                "policyDefinitionId": f"{builtin}/{guid}",
                "definitionVersion": "1.*.*",
                "policyDefinitionReferenceId": reference,
                "parameters": parameters,
                "groupNames": [f"Azure_Security_Benchmark_v3.0_{group}"],
            }

        def parameter(default: str, allowed: list[str], name: str) -> dict[str, Any]:
            return {
                "type": "string",
                "defaultValue": default,
                "allowedValues": allowed,
                "metadata": {"displayName": name},
            }

        self.add(
            rid,
            API_VERSIONS["policy"],
            {
                "properties": {
                    "displayName": "Microsoft cloud security benchmark",
                    "policyType": "BuiltIn",
                    "description": "The Microsoft cloud security benchmark initiative: the policies behind the "
                    "benchmark's recommendations.",
                    "metadata": {"version": "57.56.0", "category": "Security Center"},
                    "version": "57.56.0",
                    "parameters": {
                        "mlPrivateLinkEffect": parameter(
                            "Audit", ["Audit", "Disabled"], "Azure Machine Learning workspaces should use private link"
                        ),
                        "aiRestrictNetworkEffect": parameter(
                            "Audit",
                            ["Audit", "Deny", "Disabled"],
                            "Azure AI Services resources should restrict network access",
                        ),
                        "mlCmkEffect": parameter(
                            "Disabled",
                            ["Audit", "Deny", "Disabled"],
                            "Azure Machine Learning workspaces should be encrypted with a customer-managed key",
                        ),
                        "keysExpirationSetEffect": parameter(
                            "Audit", ["Audit", "Deny", "Disabled"], "Key Vault keys should have an expiration date"
                        ),
                    },
                    "policyDefinitions": [
                        member(
                            "152b15f7-8e1f-4c1f-ab71-8c010ba5dbc0",
                            "keysExpirationSet",
                            "DP-6",
                            "keysExpirationSetEffect",
                        ),
                        member("45e05259-1eb5-4f70-9574-baf73e9d219b", "mlPrivateLink", "NS-2", "mlPrivateLinkEffect"),
                        member("ba769a63-b8cc-4b2d-abf6-ac33c7204be8", "mlCmk", "DP-5", "mlCmkEffect"),
                        member(
                            "037eea7a-bd0a-46c5-9a66-03aea78705d3",
                            "aiRestrictNetwork",
                            "NS-2",
                            "aiRestrictNetworkEffect",
                        ),
                        member("71ef260a-8f18-47b7-abcb-62d0673d94dc", "aiDisableLocalAuth", "IM-1", None),
                        member("b4330a05-a843-4bc8-bf9a-cacce50c67f4", "searchResourceLogs", "LT-3", None),
                        member("ee980b6d-0eca-4501-8d54-f6290fd512c3", "searchPublicNetworkAccess", "NS-2", None),
                    ],
                    "policyDefinitionGroups": [
                        {
                            "name": group,
                            "additionalMetadataId": f"/providers/Microsoft.PolicyInsights/policyMetadata/{group}",
                        }
                        for group in (
                            f"Azure_Security_Benchmark_v3.0_{g}" for g in ("DP-5", "DP-6", "IM-1", "LT-3", "NS-2")
                        )
                    ],
                    "versions": ["57.56.0", "57.55.0"],
                },
                "id": rid,
                "type": "Microsoft.Authorization/policySetDefinitions",
                "name": MCSB_INITIATIVE,
            },
        )

    def budgets(self) -> None:
        sub_scope = f"/subscriptions/{self.sub}"
        bt = "Microsoft.Consumption/budgets"
        bid = f"{sub_scope}/providers/{bt}/ml-monthly"
        self.ids["budget"] = bid
        self.add_list(
            f"{sub_scope}/providers/{bt}",
            API_VERSIONS["consumption"],
            [
                {
                    "id": bid,
                    "name": "ml-monthly",
                    "type": bt,
                    "eTag": '"1d34d016a593709"',
                    "properties": {
                        "category": "Cost",
                        "amount": 25000,
                        "timeGrain": "Monthly",
                        "timePeriod": {"startDate": "2026-01-01T00:00:00Z", "endDate": "2027-12-31T00:00:00Z"},
                        "currentSpend": {"amount": 11234.56, "unit": "USD"},
                        "notifications": {
                            "Actual_GreaterThan_80_Percent": {
                                "enabled": True,
                                "operator": "GreaterThan",
                                "threshold": 80,
                                "locale": "en-us",
                                "contactEmails": ["finops@contoso.com"],
                                "contactRoles": ["Owner"],
                                "contactGroups": [],
                                "thresholdType": "Actual",
                            },
                        },
                    },
                }
            ],
        )
        self.expect("azure.consumption.budget_alerts", self.sub, PASS)
        # The open cluster and the open chat endpoint share one identity: a compromised training job holds the
        # production inference identity.
        self.expect("azure.subscription.assume_breach_review", self.sub, FAIL)

    def denied_subscription(self) -> None:
        """Every resource read in the second subscription: 403 AuthorizationFailed, or empty when allowed."""
        for path, api in _subscription_lists(DENIED_SUBSCRIPTION_ID):
            if not self.denied:
                self.add(path, api, {"value": []})
                continue
            self.add(
                path,
                api,
                {
                    "error": {
                        "code": "AuthorizationFailed",
                        "message": (
                            "The client 'cspm-reader@contoso.com' with object id "
                            "'0c0c0c0c-0000-4000-8000-00000000000c' "
                            f"does not have authorization to perform action '{rbac_action(path)}' over scope "
                            f"'/subscriptions/{DENIED_SUBSCRIPTION_ID}' or the scope is invalid. "
                            "If access was recently granted, please refresh your credentials."
                        ),
                    }
                },
                status=403,
            )


def _subscription_lists(sub: str) -> list[tuple[str, str]]:
    """Every subscription-scope list the collector reads in a subscription."""
    return [
        (f"/subscriptions/{sub}/providers/{rtype}", API_VERSIONS[key])
        for rtype, key in (
            ("Microsoft.MachineLearningServices/workspaces", "ml"),
            ("Microsoft.MachineLearningServices/registries", "ml"),
            ("Microsoft.CognitiveServices/accounts", "cognitive"),
            ("Microsoft.KeyVault/vaults", "keyvault"),
            ("Microsoft.Storage/storageAccounts", "storage"),
            ("Microsoft.ContainerRegistry/registries", "containerregistry"),
            ("Microsoft.Authorization/roleAssignments", "authorization"),
            ("Microsoft.Security/pricings", "security"),
            ("Microsoft.Authorization/policyAssignments", "policy"),
            ("Microsoft.Consumption/budgets", "consumption"),
            ("Microsoft.Search/searchServices", "search"),
            ("Microsoft.Authorization/roleAssignmentScheduleInstances", "schedules"),
            ("Microsoft.Purview/accounts", "purview"),
        )
    ]


def _build(
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT, denied_subscription: bool = True, throttle: bool = False
) -> tuple[_Builder, AzureEstateManifest]:
    builder = _Builder(arm_endpoint, denied_subscription, throttle)
    return builder, builder.build()


def register_azure_estate(
    rsps: responses.RequestsMock,
    *,
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT,
    denied_subscription: bool = True,
    throttle: bool = False,
) -> AzureEstateManifest:
    """Register every ARM GET of the estate on `rsps` (api-version pinned) and describe it."""
    builder, manifest = _build(arm_endpoint, denied_subscription, throttle)
    for route in builder.routes:
        query = {"api-version": route.api_version, **dict(route.extra_query)}
        rsps.add(
            responses.GET,
            f"{builder.endpoint}{route.path}",
            json=route.body,
            status=route.status,
            headers=dict(route.headers) or None,
            match=[matchers.query_param_matcher(query)],
        )
    return manifest


# The management groups `register_management_groups` replays. MANAGEMENT_GROUP holds the prod subscription in a
# nested group and a disabled one in another (with an empty group under it); the denied subscription is in
# RESEARCH_GROUP, with one the identity cannot list at all. Reading FORBIDDEN_GROUP is refused.
MANAGEMENT_GROUP = "mg-ai"
RESEARCH_GROUP = "mg-research"
FORBIDDEN_GROUP = "mg-finance"
RETIRED_SUBSCRIPTION_ID = "77777777-6666-5555-4444-333333333333"
HIDDEN_SUBSCRIPTION_ID = "55555555-4444-3333-2222-111111111111"
_MG_API = "2020-05-01"
_MG = "/providers/Microsoft.Management/managementGroups"


def _descendant(uid: str, display: str, parent: str) -> dict[str, Any]:
    kind = "Microsoft.Management/managementGroups" + ("/subscriptions" if uid.startswith("/subscriptions/") else "")
    return {
        "id": uid,
        "type": kind,
        "name": uid.rsplit("/", 1)[1],
        "properties": {"displayName": display, "parent": {"id": f"{_MG}/{parent}"}},
    }


def register_management_groups(rsps: responses.RequestsMock, *, arm_endpoint: str = DEFAULT_ARM_ENDPOINT) -> None:
    """Register the descendants of MANAGEMENT_GROUP (two pages) and RESEARCH_GROUP, the refused FORBIDDEN_GROUP,
    and a subscriptions list that adds the disabled RETIRED_SUBSCRIPTION_ID. Register before
    `register_azure_estate`: responses answers the first call with the first registration that matches (a scan
    lists subscriptions once)."""
    endpoint = arm_endpoint.rstrip("/")
    path = f"{_MG}/{MANAGEMENT_GROUP}/descendants"
    first = [
        _descendant(f"{_MG}/mg-ai-prod", "AI production", MANAGEMENT_GROUP),
        _descendant(f"/subscriptions/{PROD_SUBSCRIPTION_ID}", "prod", "mg-ai-prod"),
        _descendant(f"{_MG}/mg-ai-retired", "AI retired", MANAGEMENT_GROUP),
    ]
    second = [
        _descendant(f"/subscriptions/{RETIRED_SUBSCRIPTION_ID}", "ml-2023", "mg-ai-retired"),
        _descendant(f"{_MG}/mg-ai-archive", "AI archive", "mg-ai-retired"),
    ]
    token = "eyJuZXh0IjoibWctYWktcmV0aXJlZCJ9"
    pages = [
        (
            {"api-version": _MG_API},
            {"value": first, "nextLink": f"{endpoint}{path}?api-version={_MG_API}&$skiptoken={token}"},
        ),
        ({"api-version": _MG_API, "$skiptoken": token}, {"value": second, "nextLink": None}),
    ]
    for query, body in pages:
        rsps.add(responses.GET, f"{endpoint}{path}", json=body, match=[matchers.query_param_matcher(query)])
    research = [
        _descendant(f"/subscriptions/{DENIED_SUBSCRIPTION_ID}", "research-sandbox", RESEARCH_GROUP),
        _descendant(f"/subscriptions/{HIDDEN_SUBSCRIPTION_ID}", "research-gpu", RESEARCH_GROUP),
    ]
    rsps.add(
        responses.GET,
        f"{endpoint}{_MG}/{RESEARCH_GROUP}/descendants",
        json={"value": research, "nextLink": None},
        match=[matchers.query_param_matcher({"api-version": _MG_API})],
    )
    action = rbac_action(path)
    refused = {
        "error": {
            "code": "AuthorizationFailed",
            "message": (
                "The client 'cspm-reader@contoso.com' with object id '0c0c0c0c-0000-4000-8000-00000000000c' does not "
                f"have authorization to perform action '{action}' over scope '{_MG}/{FORBIDDEN_GROUP}' or the scope "
                "is invalid. If access was recently granted, please refresh your credentials."
            ),
        }
    }
    rsps.add(
        responses.GET,
        f"{endpoint}{_MG}/{FORBIDDEN_GROUP}/descendants",
        json=refused,
        status=403,
        match=[matchers.query_param_matcher({"api-version": _MG_API})],
    )
    builder, _ = _build(arm_endpoint)
    listed = next(r.body for r in builder.routes if r.path == "/subscriptions")
    retired = {
        **copy.deepcopy(listed["value"][0]),
        "id": f"/subscriptions/{RETIRED_SUBSCRIPTION_ID}",
        "subscriptionId": RETIRED_SUBSCRIPTION_ID,
        "displayName": "ml-2023",
        "state": "Disabled",
        "tags": {},
    }
    rsps.add(
        responses.GET,
        f"{endpoint}/subscriptions",
        json={"value": [*listed["value"], retired], "count": {"type": "Total", "value": 3}},
        match=[matchers.query_param_matcher({"api-version": API_VERSIONS["subscriptions"]})],
    )


def azure_routes() -> list[tuple[str, str]]:
    """Every (path, api-version) register_azure_estate registers (defaults), in registration order, once each."""
    builder, _ = _build()
    seen: dict[tuple[str, str], None] = {}
    for route in builder.routes:
        seen.setdefault((route.path, route.api_version), None)
    return list(seen)
