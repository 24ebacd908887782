"""Azure AI services (Cognitive Services / Azure OpenAI, AI Foundry) checks: accounts (network, local auth, keys,
identity, logs), model deployments and the content filters (RAI policies) they use, projects and connections."""

from __future__ import annotations

from typing import Any

from checks._verdicts import flag_true, no_secrets, setting_is
from checks.azure._common import (
    connection_auth,
    diagnostic_settings,
    managed_identity,
    private_endpoint,
)
from cspm_ai.doc import ABSENT, as_list, display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

ACCOUNT = "azure.cognitive.account"
DEPLOYMENT = "azure.cognitive.deployment"
RAI_POLICY = "azure.cognitive.rai_policy"
PROJECT = "azure.cognitive.project"
CONNECTION = "azure.cognitive.connection"
PROJECT_CONNECTION = "azure.cognitive.project_connection"


@check(
    id="azure.cognitive.account_public_network_disabled",
    resource_types=ACCOUNT,
    severity=Severity.HIGH,
    title="Azure AI services accounts disable public network access",
    checklist=("CL-01",),
    remediation="Create a private endpoint for the account, then run `az cognitiveservices account update --name "
    "<account> --resource-group <rg> --public-network-access Disabled` (portal: account > Networking > "
    "Disabled).",
    reads=("properties.publicNetworkAccess",),
)
def account_public_network_disabled(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.publicNetworkAccess is Disabled; absent = the service default, Enabled."""
    return setting_is(
        account,
        "properties.publicNetworkAccess",
        "Disabled",
        absent_means="Enabled",
        consequence="the account endpoint is reachable from the internet",
    )


@check(
    id="azure.cognitive.account_local_auth_disabled",
    resource_types=ACCOUNT,
    severity=Severity.HIGH,
    title="Azure AI services accounts disable key (local) authentication",
    checklist=("CL-08",),
    remediation="Move callers to Microsoft Entra ID (Cognitive Services OpenAI User or Cognitive Services User "
    "role), then run `az resource update --ids <account ARM id> --set properties.disableLocalAuth=true` "
    "and regenerate both keys.",
    reads=("properties.disableLocalAuth",),
)
def account_local_auth_disabled(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.disableLocalAuth is true; absent = false, API keys accepted."""
    return flag_true(
        account,
        "properties.disableLocalAuth",
        on="only Microsoft Entra tokens are accepted",
        off="the account accepts its API keys",
    )


@check(
    id="azure.cognitive.account_cmk_encryption",
    resource_types=ACCOUNT,
    severity=Severity.MEDIUM,
    title="Azure AI services accounts encrypt data with a customer-managed key",
    checklist=("CL-03",),
    remediation="Give the account a managed identity with get/wrapKey/unwrapKey on the key, then run `az "
    "cognitiveservices account update --name <account> --resource-group <rg> --encryption "
    '\'{"keySource":"Microsoft.KeyVault","keyVaultProperties":{"keyName":"<key>","keyVersion":'
    '"<version>","keyVaultUri":"https://<vault>.vault.azure.net/"}}\'`.',
    reads=("properties.encryption.keySource", "properties.encryption.keyVaultProperties.keyName"),
)
def account_cmk_encryption(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.encryption.keySource is Microsoft.KeyVault; Microsoft.CognitiveServices (platform
    key) FAIL; absent = platform-managed keys."""
    source = get(account.config, "properties.encryption.keySource")
    key = get(account.config, "properties.encryption.keyVaultProperties.keyName")
    evidence = {
        "properties.encryption.keySource": shown(source),
        "properties.encryption.keyVaultProperties.keyName": shown(key),
    }
    if source == "Microsoft.KeyVault":
        named = f" key {key}" if is_set(key) else " a Key Vault key"
        return passed(f"{account.name} encrypts its data with customer-managed{named}.", **evidence)
    note = " (absent means Microsoft-managed keys)" if source is ABSENT or source is None else ""
    return failed(
        f"{account.name} has properties.encryption.keySource {display(source)}{note}, so its data is "
        "encrypted with Microsoft-managed keys.",
        **evidence,
    )


@check(
    id="azure.cognitive.account_diagnostic_settings",
    resource_types=ACCOUNT,
    severity=Severity.MEDIUM,
    title="Azure AI services accounts send audit logs through diagnostic settings",
    checklist=("CL-05",),
    remediation="Run `az monitor diagnostic-settings create --name ai-audit --resource <account ARM id> "
    '--workspace <Log Analytics workspace ARM id> --logs \'[{"categoryGroup":"audit","enabled":true}]\'` '
    "(portal: account > Diagnostic settings > Add, category group audit or allLogs).",
    reads=("diagnosticSettings",),
)
def account_diagnostic_settings(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a diagnostic setting has a destination and an enabled log (category group audit/allLogs or a
    named category); an empty list = none; the key absent = none recorded (FAIL)."""
    return diagnostic_settings(account)


@check(
    id="azure.cognitive.account_private_endpoint",
    resource_types=ACCOUNT,
    severity=Severity.MEDIUM,
    title="Azure AI services accounts have an approved private endpoint connection",
    checklist=("CL-07",),
    remediation="Run `az network private-endpoint create --name <pe> --resource-group <rg> --vnet-name <vnet> "
    "--subnet <subnet> --private-connection-resource-id <account ARM id> --group-id account --connection-name "
    "<pe>-conn`, link the privatelink.openai.azure.com and privatelink.cognitiveservices.azure.com DNS zones, and "
    "approve the connection if it is Pending.",
    reads=("properties.privateEndpointConnections",),
)
def account_private_endpoint(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a properties.privateEndpointConnections item has privateLinkServiceConnectionState.status
    Approved; absent or empty = no private endpoint."""
    return private_endpoint(account)


@check(
    id="azure.cognitive.account_managed_identity",
    resource_types=(ACCOUNT, PROJECT),
    severity=Severity.MEDIUM,
    title="Azure AI services accounts and AI Foundry projects have a managed identity",
    checklist=("CL-08",),
    remediation="Run `az cognitiveservices account identity assign --name <account> --resource-group <rg>` (a "
    "project: `az rest --method patch --url <project ARM id>?api-version=2025-06-01 --body "
    '\'{"identity":{"type":"SystemAssigned"}}\'`), grant the identity the data roles it needs, and replace stored '
    "keys in its connections with identity access.",
    reads=("identity.type",),
)
def account_managed_identity(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when identity.type names a system- or user-assigned identity; "None" or absent identity = none (the
    account or project then reaches customer-managed keys, storage and search with stored keys, if at all)."""
    return managed_identity(resource)


@check(
    id="azure.cognitive.account_outbound_restricted",
    resource_types=ACCOUNT,
    severity=Severity.MEDIUM,
    title="Azure AI services accounts restrict outbound network access to approved hosts",
    checklist=("ZT-2",),
    remediation="Run `az resource update --ids <account ARM id> --set properties.restrictOutboundNetworkAccess=true "
    'properties.allowedFqdnList=\'["<storage>.blob.core.windows.net","<search>.search.windows.net"]\'` so the '
    "service reaches only the data sources it needs.",
    reads=("properties.restrictOutboundNetworkAccess", "properties.allowedFqdnList"),
)
def account_outbound_restricted(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.restrictOutboundNetworkAccess is true (the service calls out only to
    properties.allowedFqdnList, e.g. for "on your data"); absent = false, any host reachable."""
    path = "properties.restrictOutboundNetworkAccess"
    value = get(account.config, path)
    evidence = {
        path: shown(value),
        "properties.allowedFqdnList": shown(get(account.config, "properties.allowedFqdnList")),
    }
    if value is True:
        return passed(
            f"{account.name} has {path} true, so it calls out only to the hosts in allowedFqdnList.", **evidence
        )
    note = " (absent means false)" if value is ABSENT or value is None else ""
    return failed(
        f"{account.name} has {path} {display(value)}{note}, so it can send the data it is given to any host.",
        **evidence,
    )


# -- content filters (RAI policies) --------------------------------------------------------------------------

HARM_CATEGORIES = ("Hate", "Sexual", "Violence", "Selfharm")
SOURCES = ("Prompt", "Completion")
JAILBREAK = "Jailbreak"
# Microsoft's built-in content filters, as documented, for a deployment naming one that its account's policy list
# does not hold: DefaultV2 blocks the four harm categories at medium on prompts and completions and blocks
# jailbreak attempts (prompt shields); the legacy Default blocks the harm categories only.
_HARMS_ON = {(name, source): (True, True) for name in HARM_CATEGORIES for source in SOURCES}
BUILT_IN_POLICIES: dict[str, dict[tuple[str, str], tuple[bool, bool]]] = {
    "microsoft.defaultv2": {**_HARMS_ON, (JAILBREAK, "Prompt"): (True, True)},
    "microsoft.default": dict(_HARMS_ON),
}


def _filters(policy: Any) -> dict[tuple[str, str], tuple[bool, bool]]:
    """(filter name, source) -> (enabled, blocking) as a policy's contentFilters state them (case-insensitive
    names; a missing flag is not true)."""
    found: dict[tuple[str, str], tuple[bool, bool]] = {}
    for item in as_list(get(policy, "properties.contentFilters")):
        name, source = get(item, "name"), get(item, "source")
        if isinstance(name, str) and isinstance(source, str):
            key = (_canonical(name), source.capitalize())
            found[key] = (get(item, "enabled") is True, get(item, "blocking") is True)
    return found


def _canonical(name: str) -> str:
    for known in (*HARM_CATEGORIES, JAILBREAK):
        if name.replace(" ", "").lower() == known.lower():
            return known
    return name


def filter_gaps(policy: Any) -> list[str]:
    """What a content filter leaves open: each harm category not enabled and blocking on prompts and completions,
    and jailbreak detection (prompt shields) not enabled and blocking on prompts. A filter the policy does not list
    takes its basePolicyName's setting when that is a built-in policy, and is open otherwise."""
    stated = _filters(policy)
    base = get(policy, "properties.basePolicyName")
    inherited = BUILT_IN_POLICIES.get(base.lower(), {}) if isinstance(base, str) else {}
    required = [(name, source) for name in HARM_CATEGORIES for source in SOURCES] + [(JAILBREAK, "Prompt")]
    gaps = []
    for key in required:
        enabled, blocking = stated.get(key, inherited.get(key, (False, False)))
        if not enabled:
            gaps.append(f"{key[0]} on {key[1].lower()}s {'off' if key in stated else 'not configured'}")
        elif not blocking:
            gaps.append(f"{key[0]} on {key[1].lower()}s annotates without blocking")
    return gaps


def _policy_evidence(policy: Any) -> dict[str, Any]:
    return {
        "properties.type": shown(get(policy, "properties.type")),
        "properties.mode": shown(get(policy, "properties.mode")),
        "properties.basePolicyName": shown(get(policy, "properties.basePolicyName")),
        "properties.contentFilters": [
            f"{name}/{source}: {'on' if on else 'off'}{', blocking' if block else ''}"
            for (name, source), (on, block) in sorted(_filters(policy).items())
        ],
    }


@check(
    id="azure.cognitive.rai_policy_filters_enabled",
    resource_types=RAI_POLICY,
    severity=Severity.HIGH,
    title="Custom content filters block every harm category and jailbreak attempts",
    checklist=("MS-2",),
    remediation="Turn the filters back on: `az rest --method put --url <policy ARM id>?api-version=2025-06-01 "
    "--body @policy.json` with every contentFilters entry for Hate, Sexual, Violence and Selfharm (source Prompt and "
    'Completion) and Jailbreak (source Prompt) set to "enabled": true, "blocking": true (portal: AI Foundry > '
    "Guardrails + controls > Content filters).",
    reads=("properties.type", "properties.contentFilters", "properties.basePolicyName"),
)
def rai_policy_filters_enabled(policy: Resource, ctx: CheckContext) -> Verdict:
    """A user-managed policy PASSes when Hate, Sexual, Violence and Selfharm are enabled and blocking on prompts
    and completions and Jailbreak (prompt shields) is enabled and blocking on prompts; a filter it does not list
    takes its built-in basePolicyName's setting (absent and no built-in base = off). Microsoft's system-managed
    policies (properties.type SystemManaged) PASS here: a deployment that uses one is judged by
    azure.cognitive.deployment_content_filter."""
    evidence = _policy_evidence(policy.config)
    if get(policy.config, "properties.type") == "SystemManaged":
        return passed(
            f"{policy.name} is a content filter Microsoft manages, judged where a deployment uses it.", **evidence
        )
    gaps = filter_gaps(policy.config)
    if gaps:
        return failed(f"{policy.name} leaves harmful content or jailbreaks through: {'; '.join(gaps)}.", **evidence)
    return passed(
        f"{policy.name} blocks hate, sexual, violence and self-harm content in prompts and completions, and "
        "jailbreak attempts.",
        **evidence,
    )


def _deployment_policy(deployment: Resource, ctx: CheckContext, name: str) -> Any:
    """The RAI policy a deployment names: as its account lists it, else Microsoft's built-in of that name (as a
    document with its known filters), else None."""
    for policy in ctx.related(deployment, "uses_rai_policy"):
        if policy.type == RAI_POLICY:
            return policy.config
    built_in = BUILT_IN_POLICIES.get(name.lower())
    if built_in is None:
        return None
    return {
        "name": name,
        "properties": {
            "type": "SystemManaged",
            "contentFilters": [
                {"name": key[0], "source": key[1], "enabled": on, "blocking": block}
                for key, (on, block) in built_in.items()
            ],
        },
    }


@check(
    id="azure.cognitive.deployment_content_filter",
    resource_types=DEPLOYMENT,
    severity=Severity.HIGH,
    title="Model deployments use a content filter that blocks harmful content and jailbreak attempts",
    checklist=("MS-2",),
    remediation="Assign a content filter with every harm category and prompt shields on: `az cognitiveservices "
    "account deployment create --name <account> --resource-group <rg> --deployment-name <deployment> "
    "--model-name <model> --model-version <version> --model-format OpenAI --sku-name <sku> --sku-capacity <n> "
    "--rai-policy-name Microsoft.DefaultV2` (or a custom policy that passes "
    "azure.cognitive.rai_policy_filters_enabled).",
    reads=("properties.raiPolicyName", "uses_rai_policy.properties.contentFilters"),
)
def deployment_content_filter(deployment: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.raiPolicyName names a policy (the account's, or Microsoft's built-in DefaultV2 when the
    account does not list it) that blocks the four harm categories on prompts and completions and jailbreak
    attempts on prompts. Microsoft.Default (no prompt shields) FAILs. Absent raiPolicyName = no content filter is
    shown to apply (FAIL); a name the account does not hold and that is not a built-in is MANUAL."""
    name = get(deployment.config, "properties.raiPolicyName")
    evidence: dict[str, Any] = {"properties.raiPolicyName": shown(name)}
    if not is_set(name):
        return failed(
            f"{deployment.name} has properties.raiPolicyName {display(name)}, so no content filter is shown to "
            "screen its prompts and completions.",
            **evidence,
        )
    policy = _deployment_policy(deployment, ctx, name)
    if policy is None:
        return manual(
            f"{deployment.name} uses content filter {name}, which its account does not list; attest its filters.",
            **evidence,
        )
    evidence.update({f"uses_rai_policy.{k}": v for k, v in _policy_evidence(policy).items()})
    gaps = filter_gaps(policy)
    if gaps:
        return failed(
            f"{deployment.name} uses content filter {name}, which lets through: {'; '.join(gaps)}.", **evidence
        )
    return passed(
        f"{deployment.name} uses content filter {name}, which blocks harmful content and jailbreak attempts.",
        **evidence,
    )


# Versions whose model never changes without a new deployment: no upgrade, or only when the pinned version retires.
PINNED_UPGRADES = ("NoAutoUpgrade", "OnceCurrentVersionExpired")


@check(
    id="azure.cognitive.deployment_version_pinned",
    resource_types=DEPLOYMENT,
    severity=Severity.MEDIUM,
    title="Model deployments pin a model version that is not upgraded automatically",
    checklist=("MS-1",),
    remediation="Pin the version: `az cognitiveservices account deployment create --name <account> --resource-group "
    "<rg> --deployment-name <deployment> --model-name <model> --model-version <version> --model-format OpenAI "
    "--sku-name <sku> --sku-capacity <n>` with versionUpgradeOption NoAutoUpgrade or OnceCurrentVersionExpired "
    "(portal: deployment > Edit > Version update policy), and roll new versions out as new deployments.",
    reads=("properties.model.version", "properties.versionUpgradeOption"),
)
def deployment_version_pinned(deployment: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.model.version is set and properties.versionUpgradeOption is NoAutoUpgrade or
    OnceCurrentVersionExpired; OnceNewDefaultVersionAvailable, or absent (the service default, the same), FAILs:
    the model served changes whenever Microsoft moves the default version."""
    model, version = get(deployment.config, "properties.model.name"), get(deployment.config, "properties.model.version")
    option = get(deployment.config, "properties.versionUpgradeOption")
    evidence = {
        "properties.model.name": shown(model),
        "properties.model.version": shown(version),
        "properties.versionUpgradeOption": shown(option),
    }
    if not is_set(version):
        return failed(
            f"{deployment.name} has properties.model.version {display(version)}, so the model version it serves is "
            "not pinned.",
            **evidence,
        )
    if option in PINNED_UPGRADES:
        return passed(
            f"{deployment.name} serves {display(model)} version {version} with versionUpgradeOption {option}.",
            **evidence,
        )
    note = " (absent means OnceNewDefaultVersionAvailable)" if option is ABSENT or option is None else ""
    return failed(
        f"{deployment.name} has versionUpgradeOption {display(option)}{note}, so {display(model)} {version} is "
        "replaced whenever a new default version ships, without a review.",
        **evidence,
    )


@check(
    id="azure.cognitive.connection_identity_auth",
    resource_types=(CONNECTION, PROJECT_CONNECTION),
    severity=Severity.MEDIUM,
    title="AI Foundry connections use Microsoft Entra ID where the target accepts it",
    checklist=("CL-08",),
    remediation="Grant the account's or project's managed identity a data role on the target (e.g. `az role "
    'assignment create --assignee <identity principal id> --role "Search Index Data Reader" --scope <target ARM '
    "id>`), then recreate the connection with authType AAD: `az rest --method put --url <connection ARM "
    "id>?api-version=2025-06-01 --body @connection.json`, and rotate the key it held.",
    reads=("properties.authType", "properties.category", "properties.target"),
)
def connection_identity_auth(connection: Resource, ctx: CheckContext) -> Verdict:
    """PASS for authType AAD or ManagedIdentity, or None (no credential); a stored credential (ApiKey, AccountKey,
    SAS, PAT, UsernamePassword, AccessKey, CustomKeys, ServicePrincipal, OAuth2) FAILs where the category's target
    accepts Microsoft Entra ID and PASSes where it does not; absent authType (required) FAILs."""
    return connection_auth(connection)


@check(
    id="azure.cognitive.connection_no_secrets",
    resource_types=(CONNECTION, PROJECT_CONNECTION),
    severity=Severity.CRITICAL,
    title="AI Foundry connections hold no credentials in their target or metadata",
    checklist=("MS-4",),
    remediation="Rotate the exposed credential now, then recreate the connection without it in the target URL or "
    "metadata (`az rest --method put --url <connection ARM id>?api-version=2025-06-01 --body @connection.json` "
    "with authType AAD, or the key in its credentials, which the service keeps out of its answers).",
    reads=("<redactions>",),
)
def connection_no_secrets(connection: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the redactor removed secret-looking values before storage (a SAS signature in
    properties.target, a key or password in properties.metadata, tags, the name); the evidence names each path
    and kind, never the value. Nothing redacted PASSes (ARM never returns a connection's credentials)."""
    return no_secrets(connection)
