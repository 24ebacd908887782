"""Azure Machine Learning checks, table-driven: every check passes, fails, and says what absence means."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from collectors.kernel import Record, to_resource
from tests import secret_shapes
from tests.checks.azure_support import (
    RG_ID,
    UAI_SERVE,
    UAI_TRAIN,
    WS_ID,
    collection_error,
    declare_type,
    make,
    one,
)
from tests.checks.conftest import (
    DROP,
    ERROR,
    FAIL,
    MANUAL,
    PASS,
    Case,
    Estate,
    assert_case,
)

WS = "azure.ml.workspace"
EP = "azure.ml.online_endpoint"
DEP = "azure.ml.online_deployment"
COMPUTE = "azure.ml.compute"
CLUSTER = {
    "properties.computeType": "AmlCompute",
    "properties.properties": {
        "vmSize": "STANDARD_NC6",
        "vmPriority": "Dedicated",
        "osType": "Linux",
        "isolatedNetwork": False,
        "subnet": {
            "id": "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-ml-prod/providers/"
            "Microsoft.Network/virtualNetworks/vnet-ml/subnets/compute"
        },
        "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT5M"},
        "remoteLoginPortPublicAccess": "Disabled",
        "allocationState": "Steady",
        "enableNodePublicIp": False,
    },
}
ATTACHED = {
    "properties.computeType": "Kubernetes",
    "properties.isAttachedCompute": True,
    "properties.properties": {"namespace": "azureml", "defaultInstanceType": "defaultinstancetype"},
}
ONE_REGION = frozenset({"eastus"})
BATCH_DEP = declare_type(
    "azure.ml.batch_deployment",
    {
        "id": f"{WS_ID}/batchEndpoints/churn-batch/deployments/nightly",
        "name": "nightly",
        "type": "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments",
        "location": "eastus",
        "tags": {},
        "properties": {
            "model": {"referenceType": "Id", "assetId": f"{WS_ID}/models/churn/versions/3"},
            "compute": f"{WS_ID}/computes/cpu-cluster",
            "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/12",
            "environmentVariables": {"LOG_LEVEL": "INFO"},
            "miniBatchSize": 10,
            "outputAction": "AppendRow",
            "provisioningState": "Succeeded",
        },
    },
    uid=f"{WS_ID}/batchEndpoints/churn-batch/deployments/{{name}}",
    name="nightly",
)
# A compute instance's setup script as ARM returns it: inline, base64 in scriptData.
SETUP_SCRIPTS = "properties.properties.setupScripts.scripts"
CLEAN_SETUP = (
    "#!/bin/bash\nset -euo pipefail\n"
    "export PGPASSWORD=$(az keyvault secret show --vault-name kv-ml-prod --name pg-password --query value -o tsv)\n"
    "pip install -r /mnt/code/requirements.txt\n"
)


def script(text: str) -> dict[str, str]:
    return {"scriptSource": "inline", "scriptData": base64.b64encode(text.encode()).decode(), "timeout": "15m"}


def stored(rtype: str, changes: Mapping[str, Any] | None = None, **kw: Any) -> Callable[[], Estate]:
    """One resource as the collector stores it: its ARM item through the kernel's redaction."""

    def build() -> Estate:
        raw = make(rtype, changes, **kw)
        record = Record(raw.type, raw.account, raw.region, raw.uid, raw.name, raw.config, dict(raw.tags))
        return Estate(to_resource("azure", record))

    return build


def env(**variables: str) -> dict[str, dict[str, str]]:
    return {"properties.environmentVariables": {"LOG_LEVEL": "INFO", **variables}}


def cluster(**changes: object) -> dict[str, object]:
    return {**CLUSTER, **{f"properties.properties.{k}": v for k, v in changes.items()}}


def workspace_with(
    compute_identity: dict[str, object] | None,
    endpoint_identity: dict[str, object] | None,
    deployment_identity: dict[str, object] | None = None,
) -> Callable[[], Estate]:
    """A workspace with one compute and one online endpoint (and deployment), each with the given identity."""

    def build() -> Estate:
        ws = make(WS)
        compute = make(COMPUTE, {"identity": compute_identity or DROP})
        endpoint = make(EP, {"identity": endpoint_identity or DROP})
        deployment = make(DEP, {"identity": deployment_identity or DROP})
        return (
            Estate(ws)
            .add(compute, endpoint, deployment)
            .link(compute, "in_workspace", ws)
            .link(endpoint, "in_workspace", ws)
            .link(deployment, "in_endpoint", endpoint)
        )

    return build


SAS = (
    "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-31T00:00:00Z&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A%3D"
)
HUB_ID = f"{RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/hub-ml"
PROJECT_OF_HUB = {"kind": "Project", "properties.hubResourceId": HUB_ID}
CONNECTION = declare_type(
    "azure.ml.connection",
    {
        "id": f"{WS_ID}/connections/aoai",
        "name": "aoai",
        "type": "Microsoft.MachineLearningServices/workspaces/connections",
        "systemData": {
            "createdBy": "ml-platform@contoso.com",
            "createdByType": "User",
            "createdAt": "2025-03-01T09:00:00Z",
        },
        "properties": {
            "authType": "AAD",
            "category": "AzureOpenAI",
            "target": "https://contoso-aoai.openai.azure.com/",
            "isSharedToAll": True,
            "sharedUserList": [],
            "metadata": {
                "ApiType": "Azure",
                "ApiVersion": "2024-10-21",
                "ResourceId": f"{RG_ID}/providers/Microsoft.CognitiveServices/accounts/contoso-aoai",
            },
            "useWorkspaceManagedIdentity": False,
        },
    },
    uid=f"{WS_ID}/connections/{{name}}",
    name="aoai",
)
SCHEDULE = declare_type(
    "azure.ml.schedule",
    {
        "id": f"{WS_ID}/schedules/churn-drift",
        "name": "churn-drift",
        "type": "Microsoft.MachineLearningServices/workspaces/schedules",
        "systemData": {
            "createdBy": "ml-platform@contoso.com",
            "createdByType": "User",
            "createdAt": "2025-03-01T09:00:00Z",
        },
        "properties": {
            "displayName": "churn-drift",
            "isEnabled": True,
            "trigger": {"triggerType": "Recurrence", "frequency": "Day", "interval": 1, "timeZone": "UTC"},
            "action": {
                "actionType": "CreateMonitor",
                "monitorDefinition": {
                    "computeConfiguration": {
                        "computeType": "ServerlessSpark",
                        "instanceType": "standard_e4s_v3",
                        "runtimeVersion": "3.4",
                        "computeIdentity": {"computeIdentityType": "AmlToken"},
                    },
                    "monitoringTarget": {
                        "taskType": "Classification",
                        "deploymentId": f"{WS_ID}/onlineEndpoints/churn-ep/deployments/blue",
                    },
                    "signals": {"drift": {"signalType": "DataDrift", "mode": "Enabled"}},
                },
            },
            "provisioningState": "Succeeded",
        },
    },
    uid=f"{WS_ID}/schedules/{{name}}",
    name="churn-drift",
)


def in_hub(hub_changes: dict[str, Any] | None = None, storage: str | None = None) -> Callable[[], Estate]:
    """A hub-based project and its hub (the base workspace, kind Hub, varied by `hub_changes`), with the hub's
    storage account of sku `storage` when given."""

    def build() -> Estate:
        hub = make(WS, {"kind": "Hub", **(hub_changes or {})}, name="hub-ml")
        project = make(
            WS, {**PROJECT_OF_HUB, "properties.managedNetwork": DROP, "properties.encryption": DROP}, name="proj-ml"
        )
        estate = Estate(project).add(hub).link(project, "in_hub", hub)
        if storage:
            account = make("azure.storage.account", {"sku.name": storage})
            estate.add(account).link(hub, "uses_storage", account)
        return estate

    return build


def monitored(changes: dict[str, Any] | None = None) -> Callable[[], Estate]:
    """The base deployment with one schedule (a model monitor unless `changes` say otherwise) naming it."""

    def build() -> Estate:
        deployment = make(DEP)
        schedule = make(SCHEDULE, changes)
        return Estate(deployment).add(schedule).link(schedule, "monitors", deployment)

    return build


def schedules_unlisted() -> Estate:
    return Estate(make(DEP)).fail(collection_error(SCHEDULE, region="eastus", operation="ListSchedules"))


def with_storage(sku: str) -> Callable[[], Estate]:
    def build() -> Estate:
        ws = make(WS)
        account = make("azure.storage.account", {"sku.name": sku})
        return Estate(ws).add(account).link(ws, "uses_storage", account)

    return build


def uai(*ids: str) -> dict[str, object]:
    return {"type": "UserAssigned", "userAssignedIdentities": {i: {"principalId": "p", "clientId": "c"} for i in ids}}


def redeployed(before: Mapping[str, Any] | None, now: Mapping[str, Any] | None = None) -> Callable[[], Estate]:
    """An online deployment, and the previous scan with the same deployment configured `before` (None: the
    previous scan did not have it)."""

    def build() -> Estate:
        previous = [] if before is None else [make(DEP, before)]
        return Estate(make(DEP, now), previous=previous)

    return build


def computes_unlisted() -> Estate:
    return Estate(make(WS)).fail(collection_error(COMPUTE, region="eastus", operation="ListComputes"))


NO_DESTINATION = [
    {"name": "metrics-only", "properties": {"workspaceId": "", "logs": [{"categoryGroup": "audit", "enabled": True}]}}
]
LOGS_DISABLED = [
    {
        "name": "to-law",
        "properties": {
            "workspaceId": "/subscriptions/x/workspaces/law",
            "logs": [{"categoryGroup": "allLogs", "enabled": False}],
        },
    }
]
CATEGORY = [
    {
        "name": "to-storage",
        "properties": {
            "storageAccountId": "/subscriptions/x/storageAccounts/st",
            "logs": [{"category": "AmlComputeJobEvent", "enabled": True}],
        },
    }
]
ALL_LOGS_EVENT_HUB = [
    {
        "name": "to-siem",
        "properties": {
            "eventHubAuthorizationRuleId": "/subscriptions/x/authorizationrules/RootManageSharedAccessKey",
            "logs": [{"categoryGroup": "allLogs", "enabled": True}],
        },
    }
]

CASES: list[Case] = [
    # CL-01 workspace network
    Case("azure.ml.workspace_public_network_disabled", PASS, "disabled", one(WS)),
    Case(
        "azure.ml.workspace_public_network_disabled",
        FAIL,
        "enabled",
        one(WS, {"properties.publicNetworkAccess": "Enabled"}),
    ),
    Case(
        "azure.ml.workspace_public_network_disabled",
        FAIL,
        "absent",
        one(WS, {"properties.publicNetworkAccess": DROP}),
        says="absent means Enabled",
    ),
    Case(
        "azure.ml.workspace_public_network_disabled",
        FAIL,
        "null",
        one(WS, {"properties.publicNetworkAccess": None}),
        says="absent means Enabled",
    ),
    Case("azure.ml.workspace_managed_network_isolation", PASS, "approved-outbound", one(WS), says="approved outbound"),
    Case(
        "azure.ml.workspace_managed_network_isolation",
        PASS,
        "internet-outbound",
        one(WS, {"properties.managedNetwork.isolationMode": "AllowInternetOutbound"}),
        says="outbound internet traffic is still open",
    ),
    Case(
        "azure.ml.workspace_managed_network_isolation",
        FAIL,
        "disabled",
        one(WS, {"properties.managedNetwork.isolationMode": "Disabled"}),
    ),
    Case(
        "azure.ml.workspace_managed_network_isolation",
        FAIL,
        "absent",
        one(WS, {"properties.managedNetwork": DROP}),
        says="absent means no managed network",
    ),
    # CL-03
    Case("azure.ml.workspace_cmk_encryption", PASS, "cmk", one(WS), says="kv-ml-prod.vault.azure.net"),
    Case("azure.ml.workspace_cmk_encryption", FAIL, "disabled", one(WS, {"properties.encryption.status": "Disabled"})),
    Case(
        "azure.ml.workspace_cmk_encryption",
        FAIL,
        "absent",
        one(WS, {"properties.encryption": DROP}),
        says="absent means Microsoft-managed keys",
    ),
    Case(
        "azure.ml.workspace_cmk_encryption",
        FAIL,
        "no-key-identifier",
        one(WS, {"properties.encryption.keyVaultProperties.keyIdentifier": ""}),
        says="keyIdentifier ''",
    ),
    # CL-07
    Case("azure.ml.workspace_private_endpoint", PASS, "approved", one(WS), says="pe-mlw-prod"),
    Case(
        "azure.ml.workspace_private_endpoint",
        FAIL,
        "pending",
        one(
            WS,
            {"properties.privateEndpointConnections.0.properties.privateLinkServiceConnectionState.status": "Pending"},
        ),
        says="none Approved (Pending)",
    ),
    Case(
        "azure.ml.workspace_private_endpoint",
        FAIL,
        "empty",
        one(WS, {"properties.privateEndpointConnections": []}),
        says="no private endpoint",
    ),
    Case(
        "azure.ml.workspace_private_endpoint",
        FAIL,
        "absent",
        one(WS, {"properties.privateEndpointConnections": DROP}),
        says="no private endpoint",
    ),
    # CL-05
    Case("azure.ml.workspace_diagnostic_settings", PASS, "audit-to-law", one(WS), says="audit logs to workspaceId"),
    Case(
        "azure.ml.workspace_diagnostic_settings",
        PASS,
        "category-to-storage",
        one(WS, {"diagnosticSettings": CATEGORY}),
        says="AmlComputeJobEvent",
    ),
    Case(
        "azure.ml.workspace_diagnostic_settings",
        PASS,
        "all-logs-to-event-hub",
        one(WS, {"diagnosticSettings": ALL_LOGS_EVENT_HUB}),
        says="eventHubAuthorizationRuleId",
    ),
    Case(
        "azure.ml.workspace_diagnostic_settings",
        FAIL,
        "none",
        one(WS, {"diagnosticSettings": []}),
        says="no diagnostic settings",
    ),
    Case(
        "azure.ml.workspace_diagnostic_settings",
        FAIL,
        "key-absent",
        one(WS, {"diagnosticSettings": DROP}),
        says="no diagnosticSettings recorded",
    ),
    Case(
        "azure.ml.workspace_diagnostic_settings",
        FAIL,
        "no-destination",
        one(WS, {"diagnosticSettings": NO_DESTINATION}),
        says="none sends",
    ),
    Case(
        "azure.ml.workspace_diagnostic_settings", FAIL, "logs-disabled", one(WS, {"diagnosticSettings": LOGS_DISABLED})
    ),
    # CL-08
    Case("azure.ml.workspace_identity_datastores", PASS, "identity", one(WS)),
    Case(
        "azure.ml.workspace_identity_datastores",
        PASS,
        "identity-lowercase",
        one(WS, {"properties.systemDatastoresAuthMode": "identity"}),
    ),
    Case(
        "azure.ml.workspace_identity_datastores",
        FAIL,
        "access-key",
        one(WS, {"properties.systemDatastoresAuthMode": "AccessKey"}),
    ),
    Case(
        "azure.ml.workspace_identity_datastores",
        FAIL,
        "absent",
        one(WS, {"properties.systemDatastoresAuthMode": DROP}),
        says="absent means AccessKey",
    ),
    # CL-01, CL-08 online endpoints
    Case("azure.ml.online_endpoint_private", PASS, "disabled", one(EP)),
    Case("azure.ml.online_endpoint_private", FAIL, "enabled", one(EP, {"properties.publicNetworkAccess": "Enabled"})),
    Case(
        "azure.ml.online_endpoint_private",
        FAIL,
        "absent",
        one(EP, {"properties.publicNetworkAccess": DROP}),
        says="absent means Enabled",
    ),
    Case("azure.ml.online_endpoint_entra_auth", PASS, "aad", one(EP)),
    Case(
        "azure.ml.online_endpoint_entra_auth", FAIL, "key", one(EP, {"properties.authMode": "Key"}), says="static keys"
    ),
    Case("azure.ml.online_endpoint_entra_auth", FAIL, "aml-token", one(EP, {"properties.authMode": "AMLToken"})),
    Case(
        "azure.ml.online_endpoint_entra_auth", FAIL, "absent", one(EP, {"properties.authMode": DROP}), says="<absent>"
    ),
    # CL-01 computes
    Case("azure.ml.compute_no_public_ip", PASS, "instance-private", one(COMPUTE)),
    Case(
        "azure.ml.compute_no_public_ip",
        FAIL,
        "instance-public",
        one(COMPUTE, {"properties.properties.enableNodePublicIp": True}),
    ),
    Case(
        "azure.ml.compute_no_public_ip",
        FAIL,
        "instance-absent",
        one(COMPUTE, {"properties.properties.enableNodePublicIp": DROP}),
        says="absent means true",
    ),
    Case("azure.ml.compute_no_public_ip", PASS, "cluster-private", one(COMPUTE, CLUSTER, name="cpu-cluster")),
    Case(
        "azure.ml.compute_no_public_ip",
        FAIL,
        "cluster-absent",
        one(COMPUTE, cluster(enableNodePublicIp=DROP), name="cpu-cluster"),
        says="absent means true",
    ),
    Case(
        "azure.ml.compute_no_public_ip",
        PASS,
        "attached",
        one(COMPUTE, ATTACHED, name="aks-attached"),
        says="attached compute",
    ),
    Case("azure.ml.compute_no_public_ssh", PASS, "instance-disabled", one(COMPUTE)),
    Case(
        "azure.ml.compute_no_public_ssh",
        PASS,
        "instance-absent",
        one(COMPUTE, {"properties.properties.sshSettings": DROP}),
        says="<absent> (absent means Disabled)",
    ),
    Case(
        "azure.ml.compute_no_public_ssh",
        FAIL,
        "instance-enabled",
        one(COMPUTE, {"properties.properties.sshSettings.sshPublicAccess": "Enabled"}),
    ),
    Case("azure.ml.compute_no_public_ssh", PASS, "cluster-disabled", one(COMPUTE, CLUSTER, name="cpu-cluster")),
    Case(
        "azure.ml.compute_no_public_ssh",
        FAIL,
        "cluster-enabled",
        one(COMPUTE, cluster(remoteLoginPortPublicAccess="Enabled"), name="cpu-cluster"),
    ),
    Case(
        "azure.ml.compute_no_public_ssh",
        FAIL,
        "cluster-not-specified-public-ip",
        one(COMPUTE, cluster(remoteLoginPortPublicAccess="NotSpecified", enableNodePublicIp=True), name="cpu-cluster"),
        says="reachable from the internet",
    ),
    Case(
        "azure.ml.compute_no_public_ssh",
        FAIL,
        "cluster-absent-ip-absent",
        one(COMPUTE, cluster(remoteLoginPortPublicAccess=DROP, enableNodePublicIp=DROP), name="cpu-cluster"),
        says="absent means true",
    ),
    Case(
        "azure.ml.compute_no_public_ssh",
        PASS,
        "cluster-not-specified-no-public-ip",
        one(COMPUTE, cluster(remoteLoginPortPublicAccess="NotSpecified"), name="cpu-cluster"),
        says="no node has a public address",
    ),
    Case("azure.ml.compute_no_public_ssh", PASS, "attached", one(COMPUTE, ATTACHED, name="aks-attached")),
    Case("azure.ml.compute_local_auth_disabled", PASS, "disabled", one(COMPUTE)),
    Case("azure.ml.compute_local_auth_disabled", FAIL, "false", one(COMPUTE, {"properties.disableLocalAuth": False})),
    Case(
        "azure.ml.compute_local_auth_disabled",
        FAIL,
        "absent",
        one(COMPUTE, {"properties.disableLocalAuth": DROP}),
        says="absent means false",
    ),
    # CL-02 separate identities
    Case(
        "azure.ml.separate_identities",
        PASS,
        "separate",
        workspace_with(uai(UAI_TRAIN), uai(UAI_SERVE)),
        says="no identity shared",
    ),
    Case(
        "azure.ml.separate_identities",
        FAIL,
        "shared-uai-endpoint",
        workspace_with(uai(UAI_TRAIN), uai(UAI_TRAIN)),
        says="id-ml-training",
    ),
    Case(
        "azure.ml.separate_identities",
        FAIL,
        "shared-uai-case-differs",
        workspace_with(uai(UAI_TRAIN), uai(UAI_TRAIN.lower())),
        says="same identity",
    ),
    Case(
        "azure.ml.separate_identities",
        FAIL,
        "shared-on-deployment",
        workspace_with(uai(UAI_TRAIN), uai(UAI_SERVE), uai(UAI_TRAIN)),
        says="online_deployment blue",
    ),
    Case(
        "azure.ml.separate_identities",
        FAIL,
        "shared-system-principal",
        workspace_with(
            {"type": "SystemAssigned", "principalId": "11111111-2222-3333-4444-555555555555"},
            {"type": "SystemAssigned", "principalId": "11111111-2222-3333-4444-555555555555"},
        ),
    ),
    Case("azure.ml.separate_identities", PASS, "no-identities", workspace_with(None, None)),
    Case("azure.ml.separate_identities", PASS, "no-children", one(WS), says="0 compute(s)"),
    Case("azure.ml.separate_identities", ERROR, "computes-unlisted", computes_unlisted),
    # CL-09
    Case("azure.ml.resource_in_allowed_region", PASS, "allowed", one(WS), allowed_regions=ONE_REGION),
    Case(
        "azure.ml.resource_in_allowed_region",
        FAIL,
        "outside",
        one(WS, region="westeurope"),
        allowed_regions=ONE_REGION,
        says="not an allowed region",
    ),
    Case(
        "azure.ml.resource_in_allowed_region",
        FAIL,
        "openai-outside",
        one("azure.cognitive.account", region="swedencentral"),
        allowed_regions=ONE_REGION,
    ),
    Case(
        "azure.ml.resource_in_allowed_region",
        PASS,
        "storage-allowed",
        one("azure.storage.account"),
        allowed_regions=ONE_REGION,
    ),
    Case("azure.ml.resource_in_allowed_region", MANUAL, "unconfigured", one(COMPUTE), says="attest"),
    # MS-4: every shape of tests/secret_shapes.py, stored where Azure ML keeps configuration.
    Case("azure.ml.no_secrets_in_configuration", PASS, "no-env", stored(DEP)),
    Case(
        "azure.ml.no_secrets_in_configuration",
        PASS,
        "clean-env",
        stored(DEP, env(AZURE_OPENAI_ENDPOINT="https://contoso-aoai.openai.azure.com/", MAX_TOKENS="4096")),
    ),
    Case(
        "azure.ml.no_secrets_in_configuration",
        PASS,
        "look-alikes",
        stored(DEP, env(**{a.name: a.value for a in secret_shapes.LOOK_ALIKES})),
    ),
    Case("azure.ml.no_secrets_in_configuration", PASS, "batch-clean", stored(BATCH_DEP)),
    Case("azure.ml.no_secrets_in_configuration", PASS, "no-setup-scripts", stored(COMPUTE)),
    Case(
        "azure.ml.no_secrets_in_configuration",
        PASS,
        "setup-reads-key-vault",
        stored(COMPUTE, {SETUP_SCRIPTS: {"creationScript": script(CLEAN_SETUP)}}),
    ),
    *(
        Case(
            "azure.ml.no_secrets_in_configuration",
            FAIL,
            f"online-env-{shape.id}",
            stored(DEP, env(**{shape.name: shape.value})),
            says=f"1 secret-looking value(s) of kind {shape.kind_by_name}",
        )
        for shape in secret_shapes.PLANTED
    ),
    Case(
        "azure.ml.no_secrets_in_configuration",
        FAIL,
        "batch-env",
        stored(BATCH_DEP, env(PGPASSWORD="Tr0ub4dor-3pg")),
        says="of kind secret_by_name",
    ),
    Case(
        "azure.ml.no_secrets_in_configuration",
        FAIL,
        "setup-scripts",
        stored(
            COMPUTE,
            {
                SETUP_SCRIPTS: {
                    "creationScript": script(secret_shapes.HEREDOC_SCRIPT),
                    "startupScript": script(secret_shapes.CURL_SCRIPT),
                }
            },
        ),
        says="2 secret-looking value(s) of kind bearer_token, private_key",
    ),
    Case(
        "azure.ml.no_secrets_in_configuration",
        FAIL,
        "tag",
        stored(DEP, {"tags": {"AZURE_OPENAI_KEY": secret_shapes.AZURE_OPENAI_KEY}}),
        says="of kind secret_by_name",
    ),
    # MS-4 connections: a SAS URL in the target, a key in the metadata
    Case("azure.ml.no_secrets_in_configuration", PASS, "connection-clean", stored(CONNECTION)),
    Case(
        "azure.ml.no_secrets_in_configuration",
        FAIL,
        "connection-sas-url",
        stored(
            CONNECTION,
            {
                "properties.category": "AzureBlob",
                "properties.authType": "None",
                "properties.target": f"https://st.blob.core.windows.net/train?{SAS}",
            },
        ),
        says="azure_sas_signature",
    ),
    # AI Foundry hub-based projects inherit the hub's network, private endpoints, encryption and storage
    Case(
        "azure.ml.workspace_managed_network_isolation",
        PASS,
        "project-inherits-hub",
        in_hub(),
        says="inherits its hub's managed network",
    ),
    Case(
        "azure.ml.workspace_managed_network_isolation",
        FAIL,
        "project-of-an-open-hub",
        in_hub({"properties.managedNetwork": DROP}),
        says="hub-ml has properties.managedNetwork.isolationMode <absent>",
    ),
    Case(
        "azure.ml.workspace_managed_network_isolation",
        MANUAL,
        "project-hub-not-collected",
        one(WS, PROJECT_OF_HUB, name="proj-ml"),
        says="not in the inventory",
    ),
    Case("azure.ml.workspace_cmk_encryption", PASS, "project-inherits-hub", in_hub(), says="inherits its hub's"),
    Case(
        "azure.ml.workspace_cmk_encryption",
        FAIL,
        "project-of-a-hub-without-cmk",
        in_hub({"properties.encryption": DROP}),
    ),
    Case("azure.ml.workspace_private_endpoint", PASS, "project-inherits-hub", in_hub()),
    Case(
        "azure.ml.workspace_private_endpoint",
        FAIL,
        "project-of-a-hub-without-one",
        in_hub({"properties.privateEndpointConnections": []}),
        says="hub-ml has no private endpoint connections",
    ),
    # CL-08 workspace and hub connections
    Case("azure.ml.connection_identity_auth", PASS, "entra", one(CONNECTION), says="Microsoft Entra ID"),
    Case(
        "azure.ml.connection_identity_auth",
        FAIL,
        "api-key-to-azure-openai",
        one(CONNECTION, {"properties.authType": "ApiKey"}),
        says="where Microsoft Entra ID",
    ),
    Case(
        "azure.ml.connection_identity_auth",
        FAIL,
        "account-key-to-adls",
        one(CONNECTION, {"properties.authType": "AccountKey", "properties.category": "ADLSGen2"}),
    ),
    Case(
        "azure.ml.connection_identity_auth",
        PASS,
        "pat-to-git",
        one(
            CONNECTION,
            {
                "properties.authType": "PAT",
                "properties.category": "Git",
                "properties.target": "https://github.com/contoso",
            },
        ),
        says="accepts no Microsoft Entra token",
    ),
    Case(
        "azure.ml.connection_identity_auth",
        FAIL,
        "auth-absent",
        one(CONNECTION, {"properties.authType": DROP}),
        says="(required)",
    ),
    # MS-1 registered, versioned models
    Case("azure.ml.deployment_registered_model", PASS, "workspace-model", one(DEP), says="from a workspace"),
    Case(
        "azure.ml.deployment_registered_model",
        PASS,
        "registry-model",
        one(DEP, {"properties.model": "azureml://registries/mlreg-prod/models/churn/versions/4"}),
        says="from a registry",
    ),
    Case(
        "azure.ml.deployment_registered_model",
        FAIL,
        "model-absent",
        one(DEP, {"properties.model": DROP}),
        says="names no model (absent)",
    ),
    Case(
        "azure.ml.deployment_registered_model",
        FAIL,
        "label-not-version",
        one(DEP, {"properties.model": "azureml://registries/mlreg-prod/models/churn/labels/latest"}),
        says="not one version",
    ),
    Case("azure.ml.deployment_registered_model", PASS, "batch-asset", one(BATCH_DEP)),
    Case(
        "azure.ml.deployment_registered_model",
        FAIL,
        "batch-data-path",
        one(
            BATCH_DEP,
            {
                "properties.model": {
                    "referenceType": "DataPath",
                    "datastoreId": f"{WS_ID}/datastores/workspaceblobstore",
                    "path": "models/scorer/model.pkl",
                }
            },
        ),
        says="referenceType DataPath",
    ),
    # MS-3 inference data collection and model monitors
    Case("azure.ml.online_deployment_data_collection", PASS, "inputs-and-outputs", one(DEP), says="collects"),
    Case(
        "azure.ml.online_deployment_data_collection",
        PASS,
        "mode-absent-means-enabled",
        one(DEP, {"properties.dataCollector.collections.model_inputs.dataCollectionMode": DROP}),
    ),
    Case(
        "azure.ml.online_deployment_data_collection",
        FAIL,
        "outputs-disabled",
        one(DEP, {"properties.dataCollector.collections.model_outputs.dataCollectionMode": "Disabled"}),
        says="does not collect model_outputs",
    ),
    Case(
        "azure.ml.online_deployment_data_collection",
        FAIL,
        "absent",
        one(DEP, {"properties.dataCollector": DROP}),
        says="<absent>",
    ),
    Case("azure.ml.online_deployment_monitored", PASS, "monitored", monitored(), says="churn-drift"),
    Case(
        "azure.ml.online_deployment_monitored",
        FAIL,
        "monitor-disabled",
        monitored({"properties.isEnabled": False}),
        says="disabled",
    ),
    Case(
        "azure.ml.online_deployment_monitored",
        FAIL,
        "batch-schedule-is-no-monitor",
        monitored({"properties.action": {"actionType": "InvokeBatchEndpoint", "endpointInvocationDefinition": {}}}),
        says="no model monitor",
    ),
    Case("azure.ml.online_deployment_monitored", FAIL, "none", one(DEP), says="no model monitor"),
    Case("azure.ml.online_deployment_monitored", ERROR, "schedules-unlisted", schedules_unlisted),
    # PH-4 redundant serving and geo-redundant artifacts
    Case("azure.ml.online_deployment_redundant", PASS, "two-instances", one(DEP), says="at least 2"),
    Case("azure.ml.online_deployment_redundant", FAIL, "one-instance", one(DEP, {"sku.capacity": 1})),
    Case(
        "azure.ml.online_deployment_redundant",
        FAIL,
        "capacity-absent",
        one(DEP, {"sku": DROP}),
        says="absent means 1",
    ),
    Case(
        "azure.ml.online_deployment_redundant",
        PASS,
        "autoscale-min-three",
        one(
            DEP,
            {"sku.capacity": 1, "properties.scaleSettings": {"scaleType": "TargetUtilization", "minInstances": 3}},
        ),
        says="minInstances",
    ),
    Case(
        "azure.ml.online_deployment_redundant",
        FAIL,
        "autoscale-min-one",
        one(
            DEP,
            {"sku.capacity": 3, "properties.scaleSettings": {"scaleType": "TargetUtilization", "minInstances": 1}},
        ),
    ),
    Case("azure.ml.workspace_storage_geo_redundant", PASS, "ragzrs", with_storage("Standard_RAGZRS")),
    Case(
        "azure.ml.workspace_storage_geo_redundant",
        FAIL,
        "zrs",
        with_storage("Standard_ZRS"),
        says="zone-redundant, but in one region",
    ),
    Case("azure.ml.workspace_storage_geo_redundant", FAIL, "lrs", with_storage("Standard_LRS")),
    Case(
        "azure.ml.workspace_storage_geo_redundant",
        MANUAL,
        "storage-not-collected",
        one(WS),
        says="not in the inventory",
    ),
    Case(
        "azure.ml.workspace_storage_geo_redundant",
        PASS,
        "project-inherits-hub-storage",
        in_hub(storage="Standard_GRS"),
        says="inherits its hub's storage",
    ),
    Case(
        "azure.ml.online_deployment_immutable",
        FAIL,
        "model-swapped-in-place",
        redeployed({"properties.model": "azureml://registries/r/models/churn/versions/2"}),
        says="changed in place",
    ),
    Case(
        "azure.ml.online_deployment_immutable",
        FAIL,
        "environment-swapped-in-place",
        redeployed(
            {"properties.environmentId": "azureml://registries/azureml/environments/sklearn/versions/1"},
            {"properties.environmentId": "azureml://registries/azureml/environments/sklearn/versions/2"},
        ),
        says="properties.environmentId",
    ),
    Case("azure.ml.online_deployment_immutable", PASS, "unchanged", redeployed({}), says="serves what it served"),
    Case(
        "azure.ml.online_deployment_immutable", PASS, "new-deployment", redeployed(None), says="new online deployment"
    ),
    Case(
        "azure.ml.online_deployment_immutable",
        MANUAL,
        "no-earlier-scan",
        one(DEP),
        says="no earlier scan",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)


def test_managed_network_pass_without_egress_control_still_names_the_gap() -> None:
    finding = assert_case(CASES[5])
    assert finding.evidence == {"properties.managedNetwork.isolationMode": "AllowInternetOutbound"}


def test_no_secrets_evidence_names_paths_and_kinds_never_values() -> None:
    changes = {
        **env(**{shape.name: shape.value for shape in secret_shapes.PLANTED}),
        "tags": {"api_key": secret_shapes.AZURE_OPENAI_KEY},
    }
    [case] = [Case("azure.ml.no_secrets_in_configuration", FAIL, "everything", stored(DEP, changes))]
    finding = assert_case(case)
    variables = "properties.environmentVariables"
    assert finding.evidence == {
        **{f"{variables}.{shape.name}": f"[REDACTED:{shape.kind_by_name}]" for shape in secret_shapes.PLANTED},
        "tags.api_key": "[REDACTED:secret_by_name]",
    }
    shown = json.dumps([finding.message, finding.evidence])
    assert not [shape.id for shape in secret_shapes.PLANTED if shape.secret in shown]


def test_a_setup_script_is_stored_redacted_and_still_readable() -> None:
    estate = stored(COMPUTE, {SETUP_SCRIPTS: {"startupScript": script(secret_shapes.CURL_SCRIPT)}})()
    data = estate.target.config["properties"]["properties"]["setupScripts"]["scripts"]["startupScript"]["scriptData"]
    text = base64.b64decode(data).decode()
    assert secret_shapes.BEARER not in text
    assert 'curl -sf -H "Authorization: Bearer [REDACTED:bearer_token]"' in text
