"""Azure AI services (Cognitive Services / Azure OpenAI) account checks: network, local auth, keys and logs."""

from __future__ import annotations

from checks._verdicts import flag_true, setting_is
from checks.azure._common import (
    diagnostic_settings,
)
from cspm_ai.doc import ABSENT, display, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

ACCOUNT = "azure.cognitive.account"


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
