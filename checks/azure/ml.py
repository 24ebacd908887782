"""Azure Machine Learning checks: workspaces, endpoints, deployments and computes (network, keys, logs, identity,
secrets)."""

from __future__ import annotations

from typing import Any

from checks._verdicts import flag_true, in_allowed_region, no_secrets, setting_is
from checks.azure._common import (
    diagnostic_settings,
    effective,
    identity_principals,
    not_an_object,
    private_endpoint,
)
from cspm_ai.doc import ABSENT, display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, errored, failed, passed
from cspm_ai.registry import CheckContext, check

WORKSPACE = "azure.ml.workspace"
ONLINE_ENDPOINT = "azure.ml.online_endpoint"
ONLINE_DEPLOYMENT = "azure.ml.online_deployment"
BATCH_ENDPOINT = "azure.ml.batch_endpoint"
BATCH_DEPLOYMENT = "azure.ml.batch_deployment"
COMPUTE = "azure.ml.compute"
REGISTRY = "azure.ml.registry"
ML_TYPES = (
    WORKSPACE,
    ONLINE_ENDPOINT,
    ONLINE_DEPLOYMENT,
    BATCH_ENDPOINT,
    BATCH_DEPLOYMENT,
    COMPUTE,
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
    but the message says outbound internet stays open); Disabled or absent (no managed network) FAIL."""
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
    absent encryption = Microsoft-managed keys."""
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
    Approved; absent or empty = no private endpoint."""
    return private_endpoint(ws)


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
    resource_types=(ONLINE_DEPLOYMENT, BATCH_DEPLOYMENT, COMPUTE),
    severity=Severity.CRITICAL,
    title="Machine Learning deployments and computes hold no credentials or secrets",
    checklist=("MS-4",),
    remediation="Rotate the exposed credential now and store it in Azure Key Vault (`az keyvault secret set "
    "--vault-name <vault> --name <name> --file <file>`); give the deployment or compute a managed identity "
    "that reads it at run time. Then remove the literal value: for a deployment, drop it from "
    "`environment_variables` in its YAML and run `az ml online-deployment update --file <deployment.yml> "
    "--resource-group <rg> --workspace-name <ws>` (batch: `az ml batch-deployment update --file "
    "<deployment.yml> --resource-group <rg> --workspace-name <ws>`); a compute instance's setup scripts are "
    "fixed at creation, so recreate it with `az ml compute delete --name <ci> --resource-group <rg> "
    "--workspace-name <ws>` and `az ml compute create --file <compute.yml> --resource-group <rg> "
    "--workspace-name <ws>` whose scripts read the secret with `az keyvault secret show`.",
    reads=("<redactions>",),
)
def no_secrets_in_configuration(resource: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the redactor removed secret-looking values before storage: deployments'
    properties.environmentVariables, compute instances' properties.properties.setupScripts (base64 scriptData,
    decoded and searched), tags and names; the evidence names each path and kind, never the value. No
    redactions (no environment variables or scripts, or none secret-looking) PASS."""
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
