"""Storage account checks: transport security for the accounts AI workloads read and write."""

from __future__ import annotations

from cspm_ai.doc import ABSENT, display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

ACCOUNT = "azure.storage.account"
MODERN_TLS = ("TLS1_2", "TLS1_3")


@check(
    id="azure.storage.account_tls12_https_only",
    resource_types=ACCOUNT,
    severity=Severity.HIGH,
    title="Storage accounts require HTTPS and TLS 1.2 or later",
    checklist=("CL-04",),
    remediation="Run `az storage account update --name <account> --resource-group <rg> --min-tls-version TLS1_2 "
    "--https-only true` (portal: account > Configuration > Secure transfer required Enabled, Minimum "
    "TLS version 1.2).",
    reads=("properties.minimumTlsVersion", "properties.supportsHttpsTrafficOnly"),
)
def account_tls12_https_only(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.minimumTlsVersion is TLS1_2 or TLS1_3 and supportsHttpsTrafficOnly is true or absent.
    Absent minimumTlsVersion = TLS1_0 (older accounts); absent supportsHttpsTrafficOnly = true (the default
    since API 2019-04-01); any value but a boolean true fails, as it proves nothing."""
    tls = get(account.config, "properties.minimumTlsVersion")
    https = get(account.config, "properties.supportsHttpsTrafficOnly")
    evidence = {"properties.minimumTlsVersion": shown(tls), "properties.supportsHttpsTrafficOnly": shown(https)}
    problems = []
    if tls not in MODERN_TLS:
        note = " (absent means TLS1_0)" if tls is ABSENT or tls is None else ""
        problems.append(f"minimumTlsVersion {display(tls)}{note}")
    if https is False:
        problems.append("supportsHttpsTrafficOnly false, so plain HTTP is accepted")
    elif https is not True and https is not ABSENT:
        problems.append(f"supportsHttpsTrafficOnly {display(https)}, not a boolean, so HTTPS-only is not shown")
    if problems:
        return failed(f"{account.name} has {' and '.join(problems)}.", **evidence)
    return passed(f"{account.name} has minimumTlsVersion {tls} and accepts HTTPS traffic only.", **evidence)
