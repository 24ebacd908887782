"""Azure Machine Learning checks: workspaces, endpoints, deployments and computes (network, keys, logs, identity,
secrets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checks._verdicts import flag_true, in_allowed_region, no_secrets, not_patched_in_place, setting_is
from checks.azure._common import (
    connection_auth,
    diagnostic_settings,
    effective,
    identity_principals,
    not_an_object,
    private_endpoint,
)
from cspm_ai.doc import ABSENT, display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, errored, failed, manual, passed
from cspm_ai.registry import CheckContext, check

WORKSPACE = "azure.ml.workspace"
ONLINE_ENDPOINT = "azure.ml.online_endpoint"
ONLINE_DEPLOYMENT = "azure.ml.online_deployment"
BATCH_ENDPOINT = "azure.ml.batch_endpoint"
BATCH_DEPLOYMENT = "azure.ml.batch_deployment"
COMPUTE = "azure.ml.compute"
CONNECTION = "azure.ml.connection"
SCHEDULE = "azure.ml.schedule"
REGISTRY = "azure.ml.registry"
STORAGE = "azure.storage.account"
ML_TYPES = (
    WORKSPACE,
    ONLINE_ENDPOINT,
    ONLINE_DEPLOYMENT,
    BATCH_ENDPOINT,
    BATCH_DEPLOYMENT,
    COMPUTE,
    CONNECTION,
    SCHEDULE,
    REGISTRY,
)
# Compute types whose nodes Azure ML creates and manages (the rest are attached, managed elsewhere).
MANAGED_COMPUTE = ("ComputeInstance", "AmlCompute")
# The rest of ARM's ComputeType enum: attached compute whose nodes Azure ML does not manage.
ATTACHED_COMPUTE = (
    "AKS",
    "Kubernetes",
    "VirtualMachine",
    "HDInsight",
    "DataFactory",
    "Databricks",
    "DataLakeAnalytics",
    "SynapseSpark",
)


def is_project(ws: Resource) -> bool:
    """An AI Foundry hub-based project: a workspace of kind Project that names its hub."""
    kind = get(ws.config, "kind")
    return isinstance(kind, str) and kind.lower() == "project" and is_set(get(ws.config, "properties.hubResourceId"))


def inherited(ws: Resource, ctx: CheckContext, what: str, judge: Callable[[Resource], Verdict]) -> Verdict:
    """`judge` on the workspace, or, for a hub-based project, on its hub (a project inherits the hub's network,
    private endpoints, encryption and storage); a hub the scan did not collect is MANUAL."""
    if not is_project(ws):
        return judge(ws)
    hub_id = get(ws.config, "properties.hubResourceId")
    hubs = [r for r in ctx.related(ws, "in_hub") if r.type == WORKSPACE]
    if not hubs:
        return manual(
            f"{ws.name} is an AI Foundry project whose hub {hub_id} is not in the inventory; attest the hub's {what}.",
            **{"properties.hubResourceId": hub_id},
        )
    verdict = judge(hubs[0])
    return Verdict(
        verdict.status,
        f"{ws.name} is an AI Foundry project and inherits its hub's {what}: {verdict.message}",
        {"properties.hubResourceId": hub_id, **{f"in_hub.{k}": v for k, v in verdict.evidence.items()}},
    )


@check(
    id="azure.ml.workspace_public_network_disabled",
    resource_types=WORKSPACE,
    severity=Severity.HIGH,
    title="Machine Learning workspaces disable public network access",
    checklist=("CL-01",),
    remediation="Create a private endpoint for the workspace first, then run `az ml workspace update --name <ws> "
    "--resource-group <rg> --public-network-access Disabled` (portal: workspace > Networking > "
    "Public access > Disabled).",
    reads=("properties.publicNetworkAccess",),
)
def workspace_public_network_disabled(ws: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.publicNetworkAccess is Disabled; absent = the service default, Enabled."""
    return setting_is(
        ws,
        "properties.publicNetworkAccess",
        "Disabled",
        absent_means="Enabled",
        consequence="the workspace is reachable from the internet",
    )


@check(
    id="azure.ml.workspace_managed_network_isolation",
    resource_types=WORKSPACE,
    severity=Severity.MEDIUM,
    title="Machine Learning workspaces use managed virtual network isolation",
    checklist=("CL-01", "ZT-2"),
    remediation="Run `az ml workspace update --name <ws> --resource-group <rg> --managed-network "
    "allow_only_approved_outbound` and `az ml workspace provision-network --name <ws> --resource-group "
    "<rg>`, then add outbound rules for the package feeds and data stores the workloads need.",
    reads=("properties.managedNetwork.isolationMode",),
)
def workspace_managed_network_isolation(ws: Resource, ctx: CheckContext) -> Verdict:
    """PASS for isolationMode AllowOnlyApprovedOutbound, and for AllowInternetOutbound (isolated inbound,
    but the message says outbound internet stays open); Disabled or absent (no managed network) FAIL. An AI Foundry
    hub-based project (kind Project) is judged by its hub's managed network, which its computes run in."""
    return inherited(ws, ctx, "managed network", _managed_network)


def _managed_network(ws: Resource) -> Verdict:
    path = "properties.managedNetwork.isolationMode"
    mode = get(ws.config, path)
    evidence = {path: shown(mode)}
    if mode == "AllowOnlyApprovedOutbound":
        return passed(
            f"{ws.name} has {path} AllowOnlyApprovedOutbound, so compute egress is limited to approved outbound rules.",
            **evidence,
        )
    if mode == "AllowInternetOutbound":
        return passed(
            f"{ws.name} has {path} AllowInternetOutbound, so compute runs in a managed network but "
            "outbound internet traffic is still open (AllowOnlyApprovedOutbound would close it).",
            **evidence,
        )
    note = " (absent means no managed network)" if mode is ABSENT or mode is None else ""
    return failed(
        f"{ws.name} has {path} {display(mode)}{note}, so its computes are not isolated in a managed virtual network.",
        **evidence,
    )


@check(
    id="azure.ml.workspace_cmk_encryption",
    resource_types=WORKSPACE,
    severity=Severity.MEDIUM,
    title="Machine Learning workspaces encrypt data with a customer-managed Key Vault key",
    checklist=("CL-03",),
    remediation="Customer-managed keys can only be set when the workspace is created: create a replacement with "
    "`az ml workspace create --name <ws> --resource-group <rg> --customer-managed-key "
    "<https://<vault>.vault.azure.net/keys/<key>/<version>> --key-vault <vault ARM id>`, migrate the "
    "assets, then delete the old workspace.",
    reads=("properties.encryption.status", "properties.encryption.keyVaultProperties.keyIdentifier"),
)
def workspace_cmk_encryption(ws: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.encryption.status is Enabled and keyVaultProperties.keyIdentifier names a key;
    absent encryption = Microsoft-managed keys. A hub-based project is judged by its hub's encryption."""
    return inherited(ws, ctx, "encryption", _cmk_encryption)


def _cmk_encryption(ws: Resource) -> Verdict:
    status = get(ws.config, "properties.encryption.status")
    key = get(ws.config, "properties.encryption.keyVaultProperties.keyIdentifier")
    evidence = {
        "properties.encryption.status": shown(status),
        "properties.encryption.keyVaultProperties.keyIdentifier": shown(key),
    }
    if status == "Enabled" and is_set(key):
        return passed(f"{ws.name} encrypts its data with customer-managed key {key}.", **evidence)
    if status != "Enabled":
        note = " (absent means Microsoft-managed keys)" if status is ABSENT or status is None else ""
        return failed(
            f"{ws.name} has properties.encryption.status {display(status)}{note}, so its data is "
            "encrypted with Microsoft-managed keys.",
            **evidence,
        )
    return failed(
        f"{ws.name} has encryption Enabled but keyVaultProperties.keyIdentifier {display(key)}, so no "
        "customer-managed key is named.",
        **evidence,
    )


@check(
    id="azure.ml.workspace_private_endpoint",
    resource_types=WORKSPACE,
    severity=Severity.MEDIUM,
    title="Machine Learning workspaces have an approved private endpoint connection",
    checklist=("CL-07",),
    remediation="Run `az network private-endpoint create --name <pe> --resource-group <rg> --vnet-name <vnet> "
    "--subnet <subnet> --private-connection-resource-id <workspace ARM id> --group-id amlworkspace "
    "--connection-name <pe>-conn`, link the privatelink.api.azureml.ms and privatelink.notebooks.azure.net "
    "DNS zones, and approve the connection if it is Pending.",
    reads=("properties.privateEndpointConnections",),
)
def workspace_private_endpoint(ws: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a properties.privateEndpointConnections item has privateLinkServiceConnectionState.status
    Approved; absent or empty = no private endpoint. A hub-based project is reached through its hub's private
    endpoint, so it is judged by the hub's."""
    return inherited(ws, ctx, "private endpoints", private_endpoint)


@check(
    id="azure.ml.workspace_diagnostic_settings",
    resource_types=WORKSPACE,
    severity=Severity.MEDIUM,
    title="Machine Learning workspaces send audit logs through diagnostic settings",
    checklist=("CL-05",),
    remediation="Run `az monitor diagnostic-settings create --name ml-audit --resource <workspace ARM id> "
    '--workspace <Log Analytics workspace ARM id> --logs \'[{"categoryGroup":"audit","enabled":true}]\'` '
    "(portal: workspace > Diagnostic settings > Add, category group audit or allLogs).",
    reads=("diagnosticSettings",),
)
def workspace_diagnostic_settings(ws: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a diagnostic setting has a destination (workspaceId, storageAccountId, eventHubAuthorizationRuleId
    or marketplacePartnerId) and an enabled log (category group audit/allLogs or a named category);
    an empty list = none; the key absent = none recorded (FAIL)."""
    return diagnostic_settings(ws)


@check(
    id="azure.ml.workspace_identity_datastores",
    resource_types=WORKSPACE,
    severity=Severity.MEDIUM,
    title="Machine Learning workspaces reach their system datastores with managed identity",
    checklist=("CL-08",),
    remediation="Run `az ml workspace update --name <ws> --resource-group <rg> --system-datastores-auth-mode "
    "identity`, grant the workspace identity Storage Blob Data Contributor on the storage account, "
    "then disable shared key access on that account.",
    reads=("properties.systemDatastoresAuthMode",),
)
def workspace_identity_datastores(ws: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.systemDatastoresAuthMode is Identity (compared case-insensitively: templates send
    "identity"); absent = the default, AccessKey (storage account keys)."""
    path = "properties.systemDatastoresAuthMode"
    mode = get(ws.config, path)
    if isinstance(mode, str) and mode.lower() == "identity":
        return passed(f"{ws.name} has {path} {mode}, so system datastores use the workspace identity.", **{path: mode})
    note = " (absent means AccessKey)" if mode is ABSENT or mode is None else ""
    return failed(
        f"{ws.name} has {path} {display(mode)}{note}, so system datastores are reached with stored "
        "credentials rather than the workspace identity.",
        **{path: shown(mode)},
    )


@check(
    id="azure.ml.online_endpoint_private",
    resource_types=ONLINE_ENDPOINT,
    severity=Severity.HIGH,
    title="Online endpoints disable public network access",
    checklist=("CL-01",),
    remediation="Run `az ml online-endpoint update --name <endpoint> --workspace-name <ws> --resource-group <rg> "
    "--set public_network_access=disabled`; clients then score through the workspace private endpoint.",
    reads=("properties.publicNetworkAccess",),
)
def online_endpoint_private(ep: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.publicNetworkAccess is Disabled; absent = the service default, Enabled."""
    return setting_is(
        ep,
        "properties.publicNetworkAccess",
        "Disabled",
        absent_means="Enabled",
        consequence="the scoring URI is reachable from the internet",
    )


@check(
    id="azure.ml.online_endpoint_entra_auth",
    resource_types=ONLINE_ENDPOINT,
    severity=Severity.MEDIUM,
    title="Online endpoints authenticate callers with Microsoft Entra tokens",
    checklist=("CL-08", "ZT-1"),
    remediation="The auth mode is fixed at creation: create a replacement with `auth_mode: aad_token` in the "
    "endpoint YAML (`az ml online-endpoint create --file endpoint.yml`), grant callers the "
    "AzureML Data Scientist role or a custom role with the score action, move traffic, then delete "
    "the key-authenticated endpoint.",
    reads=("properties.authMode",),
)
def online_endpoint_entra_auth(ep: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.authMode is AADToken; Key (static keys) and AMLToken (workspace tokens) FAIL;
    absent (authMode is required by the API) FAIL."""
    path = "properties.authMode"
    mode = get(ep.config, path)
    if mode == "AADToken":
        return passed(f"{ep.name} has {path} AADToken, so callers need a Microsoft Entra token.", **{path: mode})
    return failed(
        f"{ep.name} has {path} {display(mode)}, so callers authenticate with "
        f"{'static keys' if mode == 'Key' else 'credentials other than Microsoft Entra tokens'}.",
        **{path: shown(mode)},
    )


def _compute_type(compute: Resource) -> Any:
    return get(compute.config, "properties.computeType")


def _not_managed(compute: Resource, what: str) -> Verdict:
    ctype = _compute_type(compute)
    if ctype not in ATTACHED_COMPUTE:
        # computeType is required: missing or unknown, nothing says who manages the nodes.
        return errored(
            f"{compute.name} has properties.computeType {display(ctype)}, not a compute type ARM "
            f"defines, so its {what} cannot be judged.",
            **{"properties.computeType": shown(ctype)},
        )
    return passed(
        f"{compute.name} is computeType {display(ctype)}, attached compute whose {what} Azure ML does "
        "not manage (check it on the underlying resource).",
        **{"properties.computeType": shown(ctype)},
    )


@check(
    id="azure.ml.compute_no_public_ip",
    resource_types=COMPUTE,
    severity=Severity.HIGH,
    title="Compute instances and clusters have no public IP addresses",
    checklist=("CL-01",),
    remediation="Public IPs are fixed at creation: recreate the compute in a VNet subnet (or a managed network) "
    "with `az ml compute create --name <c> --type computeinstance|amlcompute --enable-node-public-ip "
    "false --vnet-name <vnet> --subnet <subnet> ...`, then delete the old compute.",
    reads=("properties.computeType", "properties.properties.enableNodePublicIp"),
)
def compute_no_public_ip(compute: Resource, ctx: CheckContext) -> Verdict:
    """ComputeInstance and AmlCompute PASS when properties.properties.enableNodePublicIp is false; absent = the
    service default, true. Attached compute types PASS: their addressing is not managed by Azure ML."""
    if _compute_type(compute) not in MANAGED_COMPUTE:
        return _not_managed(compute, "network addressing")
    path = "properties.properties.enableNodePublicIp"
    value = get(compute.config, path)
    evidence = {"properties.computeType": _compute_type(compute), path: shown(value)}
    if value is False:
        return passed(f"{compute.name} has {path} false, so its nodes have no public IP.", **evidence)
    note = " (absent means true)" if value is ABSENT or value is None else ""
    return failed(
        f"{compute.name} has {path} {display(value)}{note}, so its nodes get public IP addresses.", **evidence
    )


@check(
    id="azure.ml.compute_no_public_ssh",
    resource_types=COMPUTE,
    severity=Severity.HIGH,
    title="Compute instances and clusters do not expose SSH to the internet",
    checklist=("CL-01",),
    remediation="Compute instance: recreate with `--ssh-public-access false` (`az ml compute create --type "
    "computeinstance ...`). Cluster: `az ml compute update --name <c> --workspace-name <ws> "
    "--resource-group <rg>` cannot change it; recreate with `--ssh-public-access false` (or "
    "`remoteLoginPortPublicAccess: Disabled` in the YAML). Reach nodes through Azure Bastion or the VNet.",
    reads=(
        "properties.computeType",
        "properties.properties.sshSettings.sshPublicAccess",
        "properties.properties.remoteLoginPortPublicAccess",
        "properties.properties.enableNodePublicIp",
    ),
)
def compute_no_public_ssh(compute: Resource, ctx: CheckContext) -> Verdict:
    """ComputeInstance PASS when properties.properties.sshSettings.sshPublicAccess is Disabled (absent = the API
    default, Disabled). AmlCompute PASS when remoteLoginPortPublicAccess is Disabled, or when it is
    NotSpecified/absent (open on nodes with a public IP) and enableNodePublicIp is false. Attached types PASS."""
    ctype = _compute_type(compute)
    if ctype == "ComputeInstance":
        path = "properties.properties.sshSettings.sshPublicAccess"
        malformed = not_an_object(compute.config, path)
        if malformed:
            return errored(
                f"{compute.name} has {malformed} {display(get(compute.config, malformed))}, not an "
                f"object, so {path} cannot be read.",
                **{malformed: get(compute.config, malformed)},
            )
        value = get(compute.config, path)
        evidence = {"properties.computeType": ctype, path: shown(value)}
        if effective(value, "Disabled") == "Disabled":
            note = " (absent means Disabled)" if value is ABSENT or value is None else ""
            return passed(f"{compute.name} has {path} {display(value)}{note}.", **evidence)
        return failed(
            f"{compute.name} has {path} {display(value)}, so its SSH port is open to the internet.", **evidence
        )
    if ctype != "AmlCompute":
        return _not_managed(compute, "SSH exposure")
    path = "properties.properties.remoteLoginPortPublicAccess"
    value = get(compute.config, path)
    public_ip = get(compute.config, "properties.properties.enableNodePublicIp")
    evidence = {
        "properties.computeType": ctype,
        path: shown(value),
        "properties.properties.enableNodePublicIp": shown(public_ip),
    }
    if value == "Disabled":
        return passed(f"{compute.name} has {path} Disabled.", **evidence)
    if value == "Enabled":
        return failed(f"{compute.name} has {path} Enabled, so SSH is open to the internet on every node.", **evidence)
    if public_ip is False:
        return passed(
            f"{compute.name} has {path} {display(value)} and enableNodePublicIp false, so no node has a "
            "public address to reach SSH on.",
            **evidence,
        )
    return failed(
        f"{compute.name} has {path} {display(value)} (open on nodes with a public IP) and "
        f"enableNodePublicIp {display(public_ip)} (absent means true), so SSH is reachable from the "
        "internet.",
        **evidence,
    )


@check(
    id="azure.ml.compute_local_auth_disabled",
    resource_types=COMPUTE,
    severity=Severity.MEDIUM,
    title="Computes disable local authentication",
    checklist=("CL-08",),
    remediation="Recreate the compute with local authentication disabled (`disableLocalAuth: true` in the ARM or "
    "Bicep definition, or `az ml compute create ... --disable-local-auth` where your CLI version offers "
    "it) so that only Microsoft Entra identities can use it.",
    reads=("properties.disableLocalAuth",),
)
def compute_local_auth_disabled(compute: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.disableLocalAuth is true; absent = false, local (key) authentication allowed."""
    return flag_true(
        compute,
        "properties.disableLocalAuth",
        on="only Microsoft Entra identities can use it",
        off="local authentication is allowed",
    )


def _children(ws: Resource, ctx: CheckContext) -> tuple[list[Resource], list[Resource]]:
    """The computes and the serving resources (online endpoints and their deployments) of a workspace."""
    for rtype in (COMPUTE, ONLINE_ENDPOINT, ONLINE_DEPLOYMENT):
        ctx.resources(rtype, account=ws.account)  # a blind list makes the verdict ERROR, never a PASS
    children = ctx.referrers(ws, "in_workspace")
    computes = [r for r in children if r.type == COMPUTE]
    endpoints = [r for r in children if r.type == ONLINE_ENDPOINT]
    serving = list(endpoints)
    for endpoint in endpoints:
        serving.extend(r for r in ctx.referrers(endpoint, "in_endpoint") if r.type == ONLINE_DEPLOYMENT)
    return computes, serving


@check(
    id="azure.ml.separate_identities",
    resource_types=WORKSPACE,
    severity=Severity.MEDIUM,
    title="Computes and online endpoints of a workspace run as different identities",
    checklist=("CL-02",),
    remediation="Create a dedicated user-assigned identity for serving (`az identity create --name <ws>-serving "
    "--resource-group <rg>`), grant it only what inference needs, and recreate the endpoint with it "
    "(`identity: {type: user_assigned, user_assigned_identities: [...]}`); keep the training identity "
    "on the computes.",
    reads=("identity.userAssignedIdentities", "identity.principalId", "in_workspace", "in_endpoint"),
)
def separate_identities(ws: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when one identity (a user-assigned identity ARM id, or a system principalId) is attached both to a
    compute and to an online endpoint or deployment of this workspace; PASS otherwise (including none)."""
    computes, serving = _children(ws, ctx)
    compute_ids = {key: (r, name) for r in computes for key, name in identity_principals(r).items()}
    evidence = {"computes": [r.name for r in computes], "serving": [r.name for r in serving]}
    for endpoint in serving:
        for key, name in identity_principals(endpoint).items():
            if key in compute_ids:
                compute, _ = compute_ids[key]
                return failed(
                    f"{ws.name} has compute {compute.name} and {endpoint.type.rsplit('.', 1)[-1]} "
                    f"{endpoint.name} running as the same identity {name}.",
                    shared_identity=name,
                    shared_by=[compute.uid, endpoint.uid],
                    **evidence,
                )
    return passed(
        f"{ws.name} has no identity shared between its {len(computes)} compute(s) and "
        f"{len(serving)} online endpoint(s) or deployment(s).",
        **evidence,
    )


@check(
    id="azure.ml.no_secrets_in_configuration",
    resource_types=(ONLINE_DEPLOYMENT, BATCH_DEPLOYMENT, COMPUTE, CONNECTION),
    severity=Severity.CRITICAL,
    title="Machine Learning deployments, computes and connections hold no credentials or secrets",
    checklist=("MS-4",),
    remediation="Rotate the exposed credential now and store it in Azure Key Vault (`az keyvault secret set "
    "--vault-name <vault> --name <name> --file <file>`); give the deployment or compute a managed identity "
    "that reads it at run time. Then remove the literal value: for a deployment, drop it from "
    "`environment_variables` in its YAML and run `az ml online-deployment update --file <deployment.yml> "
    "--resource-group <rg> --workspace-name <ws>` (batch: `az ml batch-deployment update --file "
    "<deployment.yml> --resource-group <rg> --workspace-name <ws>`); a compute instance's setup scripts are "
    "fixed at creation, so recreate it with `az ml compute delete --name <ci> --resource-group <rg> "
    "--workspace-name <ws>` and `az ml compute create --file <compute.yml> --resource-group <rg> "
    "--workspace-name <ws>` whose scripts read the secret with `az keyvault secret show`; a connection: recreate it "
    "with `az ml connection create --file <connection.yml> --resource-group <rg> --workspace-name <ws>` keeping "
    "the key in its credentials (never in the target URL or metadata), or with identity access.",
    reads=("<redactions>",),
)
def no_secrets_in_configuration(resource: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the redactor removed secret-looking values before storage: deployments'
    properties.environmentVariables, compute instances' properties.properties.setupScripts (base64 scriptData,
    decoded and searched), connections' properties.target (a SAS URL) and properties.metadata, tags and names;
    the evidence names each path and kind, never the value. No redactions (no environment variables or scripts,
    or none secret-looking) PASS; ARM never returns a connection's credentials themselves."""
    return no_secrets(resource)


@check(
    id="azure.ml.resource_in_allowed_region",
    resource_types=(*ML_TYPES, "azure.cognitive.account", "azure.storage.account"),
    severity=Severity.MEDIUM,
    title="Azure AI resources and their storage accounts are in allowed regions",
    checklist=("CL-09",),
    remediation="Recreate the resource in an allowed region (for storage, copy the data with `azcopy copy` or "
    "object replication and switch readers), delete the original, and assign the built-in policy "
    "'Allowed locations' to stop new ones; set `allowed_regions` in the cspm-ai configuration.",
    reads=("<region>",),
)
def resource_in_allowed_region(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS inside the configured allowed regions (ARM location, lower-cased without spaces), FAIL outside;
    no configured list = MANUAL attestation."""
    return in_allowed_region(resource, ctx)


@check(
    id="azure.ml.connection_identity_auth",
    resource_types=CONNECTION,
    severity=Severity.MEDIUM,
    title="Workspace and AI Foundry hub connections use Microsoft Entra ID where the target accepts it",
    checklist=("CL-08",),
    remediation="Grant the workspace's managed identity a data role on the target (e.g. `az role assignment create "
    '--assignee <identity principal id> --role "Cognitive Services OpenAI User" --scope <target ARM id>`), then '
    "recreate the connection with `auth_type: aad` in its YAML: `az ml connection create --file <connection.yml> "
    "--resource-group <rg> --workspace-name <ws>`, and rotate the key it held.",
    reads=("properties.authType", "properties.category", "properties.target"),
)
def connection_identity_auth(connection: Resource, ctx: CheckContext) -> Verdict:
    """PASS for authType AAD or ManagedIdentity, or None (no credential); a stored credential (ApiKey, AccountKey,
    SAS, PAT, UsernamePassword, AccessKey, CustomKeys, ServicePrincipal, OAuth2) FAILs where the category's target
    accepts Microsoft Entra ID and PASSes where it does not; absent authType (required) FAILs."""
    return connection_auth(connection)


def _model_reference(deployment: Resource) -> tuple[str, Any]:
    """The model a deployment serves and the config path it is read at: online deployments name it in
    properties.model, batch deployments in properties.model.assetId (referenceType Id) or by a data path."""
    model = get(deployment.config, "properties.model")
    if isinstance(model, dict):
        kind = get(model, "referenceType")
        if kind not in (ABSENT, None, "Id"):
            return f"properties.model.referenceType {kind}", model
        return "properties.model.assetId", get(model, "assetId")
    return "properties.model", model


def _registered_version(reference: Any) -> str | None:
    """'registry' or 'workspace' when the reference names one version of a registered model, else None."""
    if not isinstance(reference, str):
        return None
    parts = reference.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if len(parts) < 4 or lowered[-2] != "versions" or lowered[-4] != "models" or not parts[-1]:
        return None
    if reference.startswith("azureml://registries/"):
        return "registry"
    if reference.lower().startswith("/subscriptions/") and "workspaces" in lowered:
        return "workspace"
    return None


@check(
    id="azure.ml.deployment_registered_model",
    resource_types=(ONLINE_DEPLOYMENT, BATCH_DEPLOYMENT),
    severity=Severity.MEDIUM,
    title="Machine Learning deployments serve a registered, versioned model",
    checklist=("MS-1",),
    remediation="Register the model (`az ml model create --name <model> --version <n> --path <artifact> "
    "--registry-name <registry>`, or `--workspace-name <ws>`), then point the deployment at that version: "
    "`model: azureml://registries/<registry>/models/<model>/versions/<n>` in its YAML and `az ml "
    "online-deployment update --file <deployment.yml> --resource-group <rg> --workspace-name <ws>` "
    "(batch: `az ml batch-deployment update`).",
    reads=("properties.model", "properties.model.assetId", "properties.model.referenceType"),
)
def deployment_registered_model(deployment: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the model is one version of a registered model: "azureml://registries/<r>/models/<m>/versions/<v>"
    (a registry) or ".../workspaces/<ws>/models/<m>/versions/<v>" (the workspace's model registry); both are
    immutable, versioned assets. A data path (batch referenceType DataPath or OutputPath), a reference without a
    version, or an absent model (the model is baked into the container image or fetched at start) FAIL."""
    path, reference = _model_reference(deployment)
    evidence = {path: shown(reference)}
    source = _registered_version(reference)
    if source is not None:
        return passed(f"{deployment.name} serves registered model version {reference} from a {source}.", **evidence)
    if reference is ABSENT or reference is None:
        return failed(
            f"{deployment.name} names no model (absent), so what it serves comes from its container image or code, "
            "outside any registry.",
            **evidence,
        )
    return failed(
        f"{deployment.name} has {path} {display(reference) if isinstance(reference, str) else 'set'}, not one "
        "version of a registered model, so what it serves is not a versioned, immutable asset.",
        **evidence,
    )


# The data collector's collections an online deployment needs for inference monitoring (names as the SDK writes).
COLLECTIONS = ("model_inputs", "model_outputs")


@check(
    id="azure.ml.online_deployment_data_collection",
    resource_types=ONLINE_DEPLOYMENT,
    severity=Severity.MEDIUM,
    title="Online deployments collect model inputs and outputs",
    checklist=("MS-3",),
    remediation="Add to the deployment YAML `data_collector: {collections: {model_inputs: {enabled: 'True'}, "
    "model_outputs: {enabled: 'True'}}}`, log them in the scoring script with the azureml-ai-monitoring "
    "Collector, and run `az ml online-deployment update --file <deployment.yml> --resource-group <rg> "
    "--workspace-name <ws>`.",
    reads=("properties.dataCollector.collections",),
)
def online_deployment_data_collection(deployment: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.dataCollector.collections has model_inputs and model_outputs with dataCollectionMode
    Enabled (absent mode = Enabled, the API default for a listed collection); a collection Disabled or missing
    FAILs; dataCollector absent or null = nothing collected."""
    collector = get(deployment.config, "properties.dataCollector")
    collections = get(collector, "collections")
    if not isinstance(collections, dict):
        return failed(
            f"{deployment.name} has properties.dataCollector {display(collector)}, so no inference inputs or "
            "outputs are captured for monitoring.",
            **{"properties.dataCollector.collections": shown(collections)},
        )
    modes = {name: shown(get(collections, f"{name}.dataCollectionMode")) for name in COLLECTIONS}
    missing = [name for name in COLLECTIONS if not _collected(collections.get(name))]
    evidence = {"properties.dataCollector.collections": sorted(collections), "dataCollectionMode": modes}
    if missing:
        return failed(f"{deployment.name} does not collect {' or '.join(missing)}.", **evidence)
    return passed(f"{deployment.name} collects its model inputs and outputs.", **evidence)


def _collected(collection: Any) -> bool:
    mode = effective(get(collection, "dataCollectionMode"), "Enabled")
    return isinstance(collection, dict) and str(mode).lower() == "enabled"


def _monitors(deployment: Resource, ctx: CheckContext) -> list[Resource]:
    ctx.resources(SCHEDULE, account=deployment.account)  # a blind schedule list makes it ERROR, never a FAIL
    return [
        r
        for r in ctx.referrers(deployment, "monitors")
        if r.type == SCHEDULE and get(r.config, "properties.action.actionType") == "CreateMonitor"
    ]


@check(
    id="azure.ml.online_deployment_monitored",
    resource_types=ONLINE_DEPLOYMENT,
    severity=Severity.MEDIUM,
    title="Online deployments have an enabled model monitor",
    checklist=("MS-3",),
    remediation="Create a monitor: `az ml schedule create --file <monitor.yml> --resource-group <rg> "
    "--workspace-name <ws>` with `create_monitor.monitoring_target.endpoint_deployment_id: "
    "azureml:<endpoint>:<deployment>` and data drift, prediction drift and data quality signals, alerting "
    "to the owners.",
    reads=(
        "monitors<-properties.action.monitorDefinition.monitoringTarget.deploymentId",
        "monitors<-properties.isEnabled",
    ),
)
def online_deployment_monitored(deployment: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a workspace schedule with action CreateMonitor names this deployment as its monitoring target
    (by ARM id or azureml:<endpoint>:<deployment>) and is enabled (isEnabled absent = true); none FAILs, and a
    failed schedule list makes it ERROR. The schedule list holds enabled schedules only (its default view)."""
    monitors = _monitors(deployment, ctx)
    enabled = [m for m in monitors if get(m.config, "properties.isEnabled") is not False]
    evidence = {"monitors": [m.name for m in monitors], "enabled": [m.name for m in enabled]}
    if enabled:
        return passed(f"{deployment.name} is watched by model monitor {enabled[0].name}.", **evidence)
    if monitors:
        return failed(f"{deployment.name} has model monitor {monitors[0].name}, but it is disabled.", **evidence)
    return failed(f"{deployment.name} has no model monitor, so drift and data quality go unwatched.", **evidence)


def _instances(deployment: Resource) -> tuple[Any, str]:
    """The fewest instances the deployment runs and the path that says so: minInstances under target-utilization
    scaling, else sku.capacity (absent = 1, the service default instance count)."""
    if str(get(deployment.config, "properties.scaleSettings.scaleType")).lower() == "targetutilization":
        return get(deployment.config, "properties.scaleSettings.minInstances"), "properties.scaleSettings.minInstances"
    return get(deployment.config, "sku.capacity"), "sku.capacity"


@check(
    id="azure.ml.online_deployment_redundant",
    resource_types=ONLINE_DEPLOYMENT,
    severity=Severity.MEDIUM,
    title="Online deployments run at least two instances",
    checklist=("PH-4",),
    remediation="Run `az ml online-deployment update --name <deployment> --endpoint-name <endpoint> "
    "--resource-group <rg> --workspace-name <ws> --set instance_count=2` (or min_instances: 2 under "
    "target-utilization scaling), so one instance failing or being upgraded leaves the model served.",
    reads=("sku.capacity", "properties.scaleSettings.scaleType", "properties.scaleSettings.minInstances"),
)
def online_deployment_redundant(deployment: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the deployment runs at least two instances: scaleSettings.minInstances under TargetUtilization
    scaling (absent = 1), else sku.capacity (absent = 1). One instance FAILs: a node failure or an OS upgrade takes
    the model down."""
    count, path = _instances(deployment)
    value = 1 if count is ABSENT or count is None else count
    evidence = {path: shown(count)}
    if not isinstance(value, int) or isinstance(value, bool):
        return failed(f"{deployment.name} has {path} {display(count)}, not an instance count.", **evidence)
    if value >= 2:
        return passed(f"{deployment.name} runs at least {value} instances ({path}).", **evidence)
    note = " (absent means 1)" if count is ABSENT or count is None else ""
    return failed(f"{deployment.name} runs {value} instance{note} ({path}), a single point of failure.", **evidence)


# What an online deployment serves: the model, the environment (image) and the scoring code.
DEPLOYMENT_SERVES = (
    "properties.model",
    "properties.environmentId",
    "properties.codeConfiguration.codeId",
    "properties.codeConfiguration.scoringScript",
)


@check(
    id="azure.ml.online_deployment_immutable",
    resource_types=ONLINE_DEPLOYMENT,
    severity=Severity.MEDIUM,
    title="Online deployments are never patched in place: a new model version gets a new deployment",
    checklist=("PH-2",),
    remediation="Deploy a new model version as a new deployment under the endpoint (`az ml online-deployment "
    "create --name green ...`), shift traffic to it (`az ml online-endpoint update --traffic 'green=100'`), "
    "then delete the old one; do not `az ml online-deployment update` the model, environment or code of a "
    "deployment that serves traffic.",
    reads=DEPLOYMENT_SERVES,
    history_types=(ONLINE_DEPLOYMENT,),
)
def online_deployment_immutable(deployment: Resource, ctx: CheckContext) -> Verdict:
    """Judged against the previous comparable scan: FAIL when the same deployment (ARM id) now serves another
    model, environment or scoring code (an in-place update); PASS when they are unchanged or the deployment is
    new since then (the immutable way to release a version). MANUAL when no earlier scan is stored."""
    return not_patched_in_place(deployment, ctx, DEPLOYMENT_SERVES, "online deployment", "a new deployment")


# Storage SKUs that keep a copy in the paired region.
GEO_REDUNDANT = ("Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS")


def _geo_redundant_storage(ws: Resource, ctx: CheckContext) -> Verdict:
    accounts = [r for r in ctx.related(ws, "uses_storage") if r.type == STORAGE]
    named = get(ws.config, "properties.storageAccount")
    if not accounts:
        return manual(
            f"{ws.name} stores its artifacts in {display(named)}, which is not in the inventory; attest its "
            "redundancy.",
            **{"properties.storageAccount": shown(named)},
        )
    account = accounts[0]
    sku = get(account.config, "sku.name")
    evidence = {"properties.storageAccount": account.uid, "uses_storage.sku.name": shown(sku)}
    if sku in GEO_REDUNDANT:
        return passed(
            f"{ws.name} keeps its artifacts in {account.name}, replicated to another region ({sku}).", **evidence
        )
    zonal = " (zone-redundant, but in one region)" if sku == "Standard_ZRS" else ""
    return failed(
        f"{ws.name} keeps its models and data in {account.name} with sku {display(sku)}{zonal}, so a regional "
        "outage loses them.",
        **evidence,
    )


@check(
    id="azure.ml.workspace_storage_geo_redundant",
    resource_types=WORKSPACE,
    severity=Severity.MEDIUM,
    title="Machine Learning workspaces keep their artifacts in geo-redundant storage",
    checklist=("PH-4",),
    remediation="Run `az storage account update --name <account> --resource-group <rg> --sku Standard_RAGZRS` "
    "(or Standard_GRS/RAGRS/GZRS) on the workspace's storage account, so models, datasets and run outputs "
    "survive a regional outage.",
    reads=("properties.storageAccount", "uses_storage.sku.name"),
)
def workspace_storage_geo_redundant(ws: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the workspace's storage account (uses_storage) has a geo-redundant sku: Standard_GRS, RAGRS,
    GZRS or RAGZRS; LRS and ZRS (one region) FAIL. A storage account the scan did not collect is MANUAL. A
    hub-based project is judged by its hub's storage."""
    return inherited(ws, ctx, "storage", lambda hub: _geo_redundant_storage(hub, ctx))
