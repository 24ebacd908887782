"""Recorded ARM GET responses and an Azure estate builder for the Azure check tests.

Each resource type has one base item in the real ARM shape (the GET JSON kept whole,
plus the keys docs/architecture.md adds, e.g. `diagnosticSettings`), describing a
*secure* resource. Cases vary it with dotted-path changes (DROP deletes a key) and
evaluate one check through the real engine via `tests.checks.conftest.assert_case`.

The types below are the ones several check modules share; a check that introduces a new
type declares its base item in its own test module with `declare_type`.

Test modules name their tables `CASES`; tests/test_registry.py lints every registered
check against them, live or staged.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import Any

import checks.azure
from collectors.kernel import Record, to_resource
from cspm_ai.model import CollectionError, Resource
from tests.checks.conftest import DROP, Case, Estate, _set, register_type

SUB_ID = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
RG = "rg-ml-prod"
LOCATION = "eastus"
SUB = f"/subscriptions/{SUB_ID}"
RG_ID = f"{SUB}/resourceGroups/{RG}"
WS_ID = f"{RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod"
KV_ID = f"{RG_ID}/providers/Microsoft.KeyVault/vaults/kv-ml-prod"
ST_ID = f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/stmlprod001"
LAW_ID = f"{RG_ID}/providers/Microsoft.OperationalInsights/workspaces/law-security"
UAI_TRAIN = f"{RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-ml-training"
UAI_SERVE = f"{RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-ml-serving"
KEY_URI = "https://kv-ml-prod.vault.azure.net/keys/cmk-ml/aabbccddee112233445566778899aabb"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
UAA = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
AML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
ASSIGNMENT_GUID = "b0f43c54-e787-4862-89b1-a653fa9cf747"

_SYSTEM_DATA = {
    "createdBy": "ml-platform@contoso.com",
    "createdByType": "User",
    "createdAt": "2025-03-01T09:00:00Z",
    "lastModifiedBy": "ml-platform@contoso.com",
    "lastModifiedByType": "User",
    "lastModifiedAt": "2025-05-01T09:00:00Z",
}


def _diag(resource_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{resource_id}/providers/microsoft.insights/diagnosticSettings/to-law",
            "type": "Microsoft.Insights/diagnosticSettings",
            "name": "to-law",
            "properties": {
                "workspaceId": LAW_ID,
                "logAnalyticsDestinationType": None,
                "metrics": [
                    {"category": "AllMetrics", "enabled": False, "retentionPolicy": {"enabled": False, "days": 0}}
                ],
                "logs": [
                    {
                        "category": None,
                        "categoryGroup": "audit",
                        "enabled": True,
                        "retentionPolicy": {"enabled": False, "days": 0},
                    }
                ],
            },
        }
    ]


def _uai(*ids: str) -> dict[str, Any]:
    return {
        "type": "UserAssigned",
        "userAssignedIdentities": {
            uid: {"principalId": f"0000000{i}-aaaa-bbbb-cccc-000000000000", "clientId": f"1111111{i}-aaaa-bbbb-cccc-0"}
            for i, uid in enumerate(ids)
        },
    }


# type -> (ARM id template, default name, global?)
TYPES: dict[str, tuple[str, str, bool]] = {
    "azure.subscription": (SUB, "ml-prod-subscription", True),
    "azure.ml.workspace": (
        f"{RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/{{name}}",
        "mlw-prod",
        False,
    ),
    "azure.ml.online_endpoint": (f"{WS_ID}/onlineEndpoints/{{name}}", "churn-ep", False),
    "azure.ml.online_deployment": (f"{WS_ID}/onlineEndpoints/churn-ep/deployments/{{name}}", "blue", False),
    "azure.ml.batch_endpoint": (f"{WS_ID}/batchEndpoints/{{name}}", "churn-batch", False),
    "azure.ml.compute": (f"{WS_ID}/computes/{{name}}", "ci-alice", False),
    "azure.ml.registry": (
        f"{RG_ID}/providers/Microsoft.MachineLearningServices/registries/{{name}}",
        "mlreg-prod",
        False,
    ),
    "azure.cognitive.account": (
        f"{RG_ID}/providers/Microsoft.CognitiveServices/accounts/{{name}}",
        "contoso-aoai",
        False,
    ),
    "azure.keyvault.vault": (f"{RG_ID}/providers/Microsoft.KeyVault/vaults/{{name}}", "kv-ml-prod", False),
    "azure.keyvault.key": (f"{KV_ID}/keys/{{name}}", "cmk-ml", False),
    "azure.storage.account": (f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/{{name}}", "stmlprod001", False),
    "azure.authorization.role_assignment": (
        f"{WS_ID}/providers/Microsoft.Authorization/roleAssignments/{{name}}",
        ASSIGNMENT_GUID,
        True,
    ),
    "azure.authorization.role_definition": (
        f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{{name}}",
        OWNER,
        True,
    ),
    "azure.security.pricing": (f"{SUB}/providers/Microsoft.Security/pricings/{{name}}", "AI", True),
    "azure.policy.assignment": (
        f"{SUB}/providers/Microsoft.Authorization/policyAssignments/{{name}}",
        "mcsb-initiative",
        True,
    ),
    "azure.consumption.budget": (f"{SUB}/providers/Microsoft.Consumption/budgets/{{name}}", "ai-monthly", True),
}

BASE: dict[str, dict[str, Any]] = {
    "azure.subscription": {
        "id": SUB,
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": SUB_ID,
        "tenantId": TENANT,
        "displayName": "ml-prod-subscription",
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "EnterpriseAgreement_2014-09-01",
            "spendingLimit": "Off",
        },
        "tags": {},
    },
    "azure.ml.workspace": {
        "id": WS_ID,
        "name": "mlw-prod",
        "type": "Microsoft.MachineLearningServices/workspaces",
        "location": LOCATION,
        "tags": {"owner": "ml-platform"},
        "kind": "Default",
        "sku": {"name": "Basic", "tier": "Basic"},
        "systemData": _SYSTEM_DATA,
        "identity": {
            "type": "SystemAssigned",
            "principalId": "3f2a1b0c-1111-2222-3333-444455556666",
            "tenantId": TENANT,
        },
        "properties": {
            "friendlyName": "mlw-prod",
            "keyVault": KV_ID,
            "storageAccount": ST_ID,
            "applicationInsights": f"{RG_ID}/providers/microsoft.insights/components/appi-ml-prod",
            "containerRegistry": f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/crmlprod",
            "encryption": {
                "status": "Enabled",
                "identity": {"userAssignedIdentity": UAI_TRAIN},
                "keyVaultProperties": {"keyVaultArmId": KV_ID, "keyIdentifier": KEY_URI, "identityClientId": ""},
            },
            "hbiWorkspace": True,
            "serviceProvisionedResourceGroup": "mlw-prod_0b1f64711bf04dda",
            "privateLinkCount": 1,
            "allowPublicAccessWhenBehindVnet": False,
            "publicNetworkAccess": "Disabled",
            "v1LegacyMode": False,
            "systemDatastoresAuthMode": "Identity",
            "managedNetwork": {
                "isolationMode": "AllowOnlyApprovedOutbound",
                "networkId": "7a1b2c3d",
                "status": {"status": "Active", "sparkReady": False},
                "firewallSku": "Standard",
                "managedNetworkKind": "V1",
                "outboundRules": {"pypi": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"}},
            },
            "privateEndpointConnections": [
                {
                    "id": f"{WS_ID}/privateEndpointConnections/pe-mlw-prod",
                    "name": "pe-mlw-prod",
                    "type": "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateEndpoint": {"id": f"{RG_ID}/providers/Microsoft.Network/privateEndpoints/pe-mlw-prod"},
                        "privateLinkServiceConnectionState": {
                            "status": "Approved",
                            "description": "Auto-Approved",
                            "actionsRequired": "None",
                        },
                    },
                }
            ],
            "enableDataIsolation": True,
            "provisioningState": "Succeeded",
            "workspaceId": "5c1d2e3f-aaaa-bbbb-cccc-0123456789ab",
            "tenantId": TENANT,
            "storageHnsEnabled": False,
        },
        "diagnosticSettings": _diag(WS_ID),
    },
    "azure.ml.online_endpoint": {
        "id": f"{WS_ID}/onlineEndpoints/churn-ep",
        "name": "churn-ep",
        "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
        "location": LOCATION,
        "kind": "Managed",
        "tags": {},
        "systemData": _SYSTEM_DATA,
        "identity": _uai(UAI_SERVE),
        "sku": {"name": "Default", "tier": "Free"},
        "properties": {
            "authMode": "AADToken",
            "provisioningState": "Succeeded",
            "scoringUri": "https://churn-ep.eastus.inference.ml.azure.com/score",
            "swaggerUri": "https://churn-ep.eastus.inference.ml.azure.com/swagger.json",
            "traffic": {"blue": 100},
            "mirrorTraffic": {},
            "publicNetworkAccess": "Disabled",
            "compute": None,
            "description": "churn scoring",
            "properties": {},
            "keys": None,
        },
    },
    "azure.ml.online_deployment": {
        "id": f"{WS_ID}/onlineEndpoints/churn-ep/deployments/blue",
        "name": "blue",
        "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
        "location": LOCATION,
        "kind": "Managed",
        "tags": {},
        "sku": {"name": "Default", "tier": "Standard", "capacity": 2},
        "properties": {
            "endpointComputeType": "Managed",
            "instanceType": "Standard_DS3_v2",
            "model": f"{WS_ID}/models/churn/versions/3",
            "egressPublicNetworkAccess": "Disabled",
            "appInsightsEnabled": True,
            "dataCollector": {
                "collections": {
                    "model_inputs": {"dataCollectionMode": "Enabled", "samplingRate": 1.0},
                    "model_outputs": {"dataCollectionMode": "Enabled", "samplingRate": 1.0},
                },
                "requestLogging": {"captureHeaders": []},
                "rollingRate": "Hour",
            },
            "provisioningState": "Succeeded",
        },
    },
    "azure.ml.batch_endpoint": {
        "id": f"{WS_ID}/batchEndpoints/churn-batch",
        "name": "churn-batch",
        "type": "Microsoft.MachineLearningServices/workspaces/batchEndpoints",
        "location": LOCATION,
        "kind": "Batch",
        "tags": {},
        "properties": {
            "authMode": "AADToken",
            "defaults": {"deploymentName": "nightly"},
            "scoringUri": "https://churn-batch.eastus.inference.ml.azure.com/jobs",
            "provisioningState": "Succeeded",
        },
    },
    "azure.ml.compute": {
        "id": f"{WS_ID}/computes/ci-alice",
        "name": "ci-alice",
        "type": "Microsoft.MachineLearningServices/workspaces/computes",
        "location": LOCATION,
        "tags": {},
        "systemData": _SYSTEM_DATA,
        "identity": _uai(UAI_TRAIN),
        "properties": {
            "computeType": "ComputeInstance",
            "provisioningState": "Succeeded",
            "description": "alice's instance",
            "disableLocalAuth": True,
            "isAttachedCompute": False,
            "computeLocation": LOCATION,
            "properties": {
                "vmSize": "STANDARD_DS3_V2",
                "subnet": {"id": f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet-ml/subnets/compute"},
                "applicationSharingPolicy": "Personal",
                "enableNodePublicIp": False,
                "sshSettings": {"sshPublicAccess": "Disabled", "adminUserName": "azureuser", "sshPort": 4001},
                "computeInstanceAuthorizationType": "personal",
                "personalComputeInstanceSettings": {
                    "assignedUser": {"objectId": "9a8b7c6d-0000-1111-2222-333344445555", "tenantId": TENANT}
                },
                "connectivityEndpoints": {"publicIpAddress": None, "privateIpAddress": "10.1.2.4"},
                "osImageMetadata": {
                    "currentImageVersion": "25.04.07",
                    "latestImageVersion": "25.04.07",
                    "isLatestOsImageVersion": True,
                },
                "state": "Running",
            },
        },
    },
    "azure.ml.registry": {
        "id": f"{RG_ID}/providers/Microsoft.MachineLearningServices/registries/mlreg-prod",
        "name": "mlreg-prod",
        "type": "Microsoft.MachineLearningServices/registries",
        "location": LOCATION,
        "tags": {},
        "properties": {"publicNetworkAccess": "Disabled", "regionDetails": [{"location": LOCATION}]},
    },
    "azure.cognitive.account": {
        "id": f"{RG_ID}/providers/Microsoft.CognitiveServices/accounts/contoso-aoai",
        "name": "contoso-aoai",
        "type": "Microsoft.CognitiveServices/accounts",
        "location": LOCATION,
        "kind": "OpenAI",
        "sku": {"name": "S0"},
        "etag": '"0a00b1c2-0000-0100-0000-6650a1b20000"',
        "tags": {},
        "systemData": _SYSTEM_DATA,
        "identity": {
            "type": "SystemAssigned",
            "principalId": "b5cf119e-1111-2222-3333-444455556666",
            "tenantId": TENANT,
        },
        "properties": {
            "endpoint": "https://contoso-aoai.openai.azure.com/",
            "customSubDomainName": "contoso-aoai",
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Disabled",
            "disableLocalAuth": True,
            "restrictOutboundNetworkAccess": True,
            "allowedFqdnList": ["stmlprod001.blob.core.windows.net"],
            "networkAcls": {
                "defaultAction": "Deny",
                "bypass": "AzureServices",
                "ipRules": [],
                "virtualNetworkRules": [],
            },
            "encryption": {
                "keySource": "Microsoft.KeyVault",
                "keyVaultProperties": {
                    "keyName": "cmk-aoai",
                    "keyVersion": "891cf236d2414738",
                    "keyVaultUri": "https://kv-ml-prod.vault.azure.net/",
                    "identityClientId": None,
                },
            },
            "privateEndpointConnections": [
                {
                    "id": f"{RG_ID}/providers/Microsoft.CognitiveServices/accounts/contoso-aoai/"
                    "privateEndpointConnections/pe-aoai",
                    "name": "pe-aoai",
                    "type": "Microsoft.CognitiveServices/accounts/privateEndpointConnections",
                    "properties": {
                        "groupIds": ["account"],
                        "privateEndpoint": {"id": f"{RG_ID}/providers/Microsoft.Network/privateEndpoints/pe-aoai"},
                        "privateLinkServiceConnectionState": {
                            "status": "Approved",
                            "description": "Auto-Approved",
                            "actionsRequired": "None",
                        },
                        "provisioningState": "Succeeded",
                    },
                }
            ],
        },
        "diagnosticSettings": _diag(f"{RG_ID}/providers/Microsoft.CognitiveServices/accounts/contoso-aoai"),
    },
    "azure.keyvault.vault": {
        "id": KV_ID,
        "name": "kv-ml-prod",
        "type": "Microsoft.KeyVault/vaults",
        "location": LOCATION,
        "tags": {},
        "systemData": _SYSTEM_DATA,
        "properties": {
            "sku": {"family": "A", "name": "premium"},
            "tenantId": TENANT,
            "accessPolicies": [],
            "enabledForDeployment": False,
            "enabledForDiskEncryption": False,
            "enabledForTemplateDeployment": False,
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": 90,
            "enablePurgeProtection": True,
            "enableRbacAuthorization": True,
            "vaultUri": "https://kv-ml-prod.vault.azure.net/",
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Disabled",
            "networkAcls": {
                "bypass": "AzureServices",
                "defaultAction": "Deny",
                "ipRules": [],
                "virtualNetworkRules": [],
            },
        },
    },
    "azure.keyvault.key": {
        "id": f"{KV_ID}/keys/cmk-ml",
        "name": "cmk-ml",
        "type": "Microsoft.KeyVault/vaults/keys",
        "location": LOCATION,
        "tags": {},
        "properties": {
            "attributes": {
                "enabled": True,
                "created": 1735722000,
                "updated": 1735722000,
                "recoveryLevel": "Recoverable",
                "exportable": False,
            },
            "kty": "RSA-HSM",
            "keyOps": ["wrapKey", "unwrapKey"],
            "keySize": 3072,
            "keyUri": "https://kv-ml-prod.vault.azure.net/keys/cmk-ml",
            "keyUriWithVersion": KEY_URI,
            "rotationPolicy": {
                "attributes": {"expiryTime": "P1Y", "created": 1735722000, "updated": 1735722000},
                "lifetimeActions": [
                    {"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}},
                    {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}},
                ],
            },
        },
    },
    "azure.storage.account": {
        "id": ST_ID,
        "name": "stmlprod001",
        "type": "Microsoft.Storage/storageAccounts",
        "location": LOCATION,
        "kind": "StorageV2",
        "sku": {"name": "Standard_ZRS", "tier": "Standard"},
        "tags": {"DataClassification": "Confidential"},
        "identity": {"type": "None"},
        "properties": {
            "minimumTlsVersion": "TLS1_2",
            "supportsHttpsTrafficOnly": True,
            "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": False,
            "isHnsEnabled": False,
            "publicNetworkAccess": "Disabled",
            "accessTier": "Hot",
            "networkAcls": {
                "bypass": "AzureServices",
                "defaultAction": "Deny",
                "ipRules": [],
                "virtualNetworkRules": [],
            },
            "encryption": {
                "keySource": "Microsoft.Storage",
                "requireInfrastructureEncryption": True,
                "services": {
                    "blob": {"enabled": True, "keyType": "Account"},
                    "file": {"enabled": True, "keyType": "Account"},
                },
            },
            "primaryEndpoints": {"blob": "https://stmlprod001.blob.core.windows.net/"},
            "provisioningState": "Succeeded",
            "creationTime": "2025-03-01T09:00:00Z",
        },
    },
    "azure.authorization.role_assignment": {
        "id": f"{WS_ID}/providers/Microsoft.Authorization/roleAssignments/{ASSIGNMENT_GUID}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": ASSIGNMENT_GUID,
        "properties": {
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{AML_DATA_SCIENTIST}",
            "principalId": "ce2ce14e-85d7-4629-bdbc-454d0519d987",
            "principalType": "Group",
            "scope": WS_ID,
            "condition": None,
            "conditionVersion": None,
            "createdOn": "2025-03-02T09:00:00Z",
            "updatedOn": "2025-03-02T09:00:00Z",
            "createdBy": "5a6b7c8d-0000-1111-2222-333344445555",
            "updatedBy": None,
            "delegatedManagedIdentityResourceId": None,
            "description": "data scientists",
        },
    },
    "azure.authorization.role_definition": {
        "id": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
        "name": OWNER,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Owner",
            "type": "BuiltInRole",
            "description": "Grants full access to manage all resources, including the ability to assign "
            "roles in Azure RBAC.",
            "assignableScopes": ["/"],
            "permissions": [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}],
            "createdOn": "2015-02-02T21:55:09Z",
            "updatedOn": "2021-11-11T20:13:45Z",
        },
    },
    "azure.security.pricing": {
        "id": f"{SUB}/providers/Microsoft.Security/pricings/AI",
        "name": "AI",
        "type": "Microsoft.Security/pricings",
        "properties": {
            "pricingTier": "Standard",
            "freeTrialRemainingTime": "PT0S",
            "enablementTime": "2025-03-01T09:00:00Z",
            "deprecated": False,
            "extensions": [{"name": "AIPromptEvidence", "isEnabled": "True"}],
        },
    },
    "azure.policy.assignment": {
        "id": f"{SUB}/providers/Microsoft.Authorization/policyAssignments/mcsb-initiative",
        "name": "mcsb-initiative",
        "type": "Microsoft.Authorization/policyAssignments",
        "location": LOCATION,
        "identity": {
            "type": "SystemAssigned",
            "principalId": "e6d2d7a4-0000-1111-2222-333344445555",
            "tenantId": TENANT,
        },
        "properties": {
            "displayName": "Microsoft cloud security benchmark",
            "policyDefinitionId": "/providers/Microsoft.Authorization/policySetDefinitions/"
            "1f3afdf9-d0c9-4c3d-847f-89da613e70a8",
            "scope": SUB,
            "notScopes": [],
            "parameters": {},
            "enforcementMode": "Default",
            "nonComplianceMessages": [],
        },
    },
    "azure.consumption.budget": {
        "id": f"{SUB}/providers/Microsoft.Consumption/budgets/ai-monthly",
        "name": "ai-monthly",
        "type": "Microsoft.Consumption/budgets",
        "eTag": '"1d34d016a593709"',
        "properties": {
            "category": "Cost",
            "amount": 20000,
            "timeGrain": "Monthly",
            "timePeriod": {"startDate": "2025-01-01T00:00:00Z", "endDate": "2027-12-31T00:00:00Z"},
            "filter": {},
            "currentSpend": {"amount": 8120.45, "unit": "USD"},
            "notifications": {
                "Actual_GreaterThan_80_Percent": {
                    "enabled": True,
                    "operator": "GreaterThan",
                    "threshold": 80,
                    "thresholdType": "Actual",
                    "locale": "en-us",
                    "contactEmails": ["ml-finops@contoso.com"],
                    "contactRoles": ["Owner"],
                    "contactGroups": [],
                }
            },
        },
    },
}


def declare_type(rtype: str, base: Mapping[str, Any], *, uid: str, name: str, is_global: bool = False) -> str:
    """Declare an Azure resource type from the test module of the check that introduces it.

    `base` is a *secure* resource's ARM item as the collector stores it; `uid` an ARM id template with
    `{name}`; `name` the default name; `is_global` for types recorded in region "global". Returns `rtype`.
    """
    return register_type("azure", TYPES, BASE, rtype, (uid, name, is_global), base)


def load_azure_checks() -> None:
    """Import every Azure check module (registering its checks); `all_checks()` skips Azure on purpose."""
    for module in pkgutil.iter_modules(checks.azure.__path__):
        importlib.import_module(f"checks.azure.{module.name}")


def make(
    rtype: str,
    changes: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    region: str = LOCATION,
    uid: str | None = None,
) -> Resource:
    """A resource from its base ARM item, with `changes` applied ({"dotted.path": value or DROP})."""
    template, default_name, is_global = TYPES[rtype]
    name = name or default_name
    config = copy.deepcopy(BASE[rtype])
    if "name" in config:
        config["name"] = name
    resource_id = uid or template.format(name=name)
    if "id" in config:
        config["id"] = resource_id
    for path, value in (changes or {}).items():
        _set(config, path, value if value is DROP else copy.deepcopy(value))
    return Resource(
        provider="azure",
        account=SUB_ID,
        region="global" if is_global else region,
        type=rtype,
        uid=resource_id,
        name=name,
        config=config,
        tags=dict(config.get("tags") or {}),
    )


def one(rtype: str, changes: Mapping[str, Any] | None = None, **kw: Any) -> Callable[[], Estate]:
    """A builder for an estate holding just one resource of `rtype`."""
    return lambda: Estate(make(rtype, changes, **kw))


def stored(rtype: str, changes: Mapping[str, Any] | None = None, **kw: Any) -> Callable[[], Estate]:
    """One resource as the collector stores it: its ARM item through the kernel's redaction."""

    def build() -> Estate:
        raw = make(rtype, changes, **kw)
        record = Record(raw.type, raw.account, raw.region, raw.uid, raw.name, raw.config, dict(raw.tags))
        return Estate(to_resource("azure", record))

    return build


def subscription_with(rtype: str, *changes: dict[str, Any], names: tuple[str, ...] = ()) -> Callable[[], Estate]:
    """The subscription plus one `rtype` resource per change set (named from `names` when given)."""

    def build() -> Estate:
        estate = Estate(make("azure.subscription"))
        for i, change in enumerate(changes):
            estate.add(make(rtype, change, name=names[i] if names else None))
        return estate

    return build


def collection_error(
    rtype: str,
    *,
    uid: str | None = None,
    region: str = "global",
    operation: str = "GET",
    code: str = "AuthorizationFailed",
) -> CollectionError:
    """A failed ARM read as the collector records it: with `uid` one GET, without it the whole list."""
    service = rtype.split(".")[1]
    return CollectionError(
        provider="azure",
        account=SUB_ID,
        region=region,
        service=service,
        operation=operation,
        code=code,
        message=f"The client does not have authorization to perform {operation} on {rtype} over scope {SUB}",
        resource_type=rtype,
        resource_uid=uid,
    )


__all__ = [
    "DROP",
    "Case",
    "Estate",
    "collection_error",
    "declare_type",
    "load_azure_checks",
    "make",
    "one",
    "stored",
    "subscription_with",
]
