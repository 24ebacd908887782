"""Azure AI Search checks: the search services retrieval-augmented generation reads from (network, local auth,
customer-managed keys, private endpoints, replicas)."""

from __future__ import annotations

from checks._verdicts import flag_true
from checks.azure._common import private_endpoint
from cspm_ai.doc import ABSENT, display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

SERVICE = "azure.search.service"
# publicNetworkAccess values (Search spells them in lowerCamelCase) that keep the service off the internet.
PRIVATE_ACCESS = ("disabled", "securedbyperimeter")


@check(
    id="azure.search.service_public_network_disabled",
    resource_types=SERVICE,
    severity=Severity.HIGH,
    title="Azure AI Search services disable public network access",
    checklist=("CL-01",),
    remediation="Create a private endpoint for the service, then run `az search service update --name <service> "
    "--resource-group <rg> --public-network-access disabled` (or secure it with a network security perimeter).",
    reads=("properties.publicNetworkAccess",),
)
def service_public_network_disabled(service: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.publicNetworkAccess is disabled or securedByPerimeter (compared case-insensitively);
    enabled, or absent (the API default, enabled), FAILs: the indexes grounding the models answer the internet."""
    path = "properties.publicNetworkAccess"
    value = get(service.config, path)
    if isinstance(value, str) and value.lower() in PRIVATE_ACCESS:
        return passed(f"{service.name} has {path} {value}.", **{path: value})
    note = " (absent means enabled)" if value is ABSENT or value is None else ""
    return failed(
        f"{service.name} has {path} {display(value)}{note}, so its indexes are reachable from the internet.",
        **{
            path: shown(value),
            "properties.networkRuleSet.ipRules": shown(get(service.config, "properties.networkRuleSet.ipRules")),
        },
    )


@check(
    id="azure.search.service_local_auth_disabled",
    resource_types=SERVICE,
    severity=Severity.HIGH,
    title="Azure AI Search services disable API key (local) authentication",
    checklist=("CL-08",),
    remediation="Give callers (and the AI services that query the index) Search Index Data Reader or Contributor "
    "through Microsoft Entra ID, then run `az search service update --name <service> --resource-group <rg> "
    "--disable-local-auth true`.",
    reads=("properties.disableLocalAuth", "properties.authOptions"),
)
def service_local_auth_disabled(service: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.disableLocalAuth is true; absent = false, the admin and query API keys work (with
    authOptions apiKeyOnly or aadOrApiKey)."""
    verdict = flag_true(
        service,
        "properties.disableLocalAuth",
        on="only Microsoft Entra tokens are accepted",
        off="its admin and query API keys are accepted",
    )
    return Verdict(
        verdict.status,
        verdict.message,
        {**verdict.evidence, "properties.authOptions": shown(get(service.config, "properties.authOptions"))},
    )


@check(
    id="azure.search.service_cmk_enforced",
    resource_types=SERVICE,
    severity=Severity.MEDIUM,
    title="Azure AI Search services enforce customer-managed key encryption",
    checklist=("CL-03",),
    remediation="Encrypt every index and synonym map with a Key Vault key (their encryptionKey), then run `az rest "
    "--method patch --url <service ARM id>?api-version=2025-05-01 --body "
    '\'{"properties":{"encryptionWithCmk":{"enforcement":"Enabled"}}}\'` so new ones must be too.',
    reads=("properties.encryptionWithCmk.enforcement", "properties.encryptionWithCmk.encryptionComplianceStatus"),
)
def service_cmk_enforced(service: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.encryptionWithCmk.enforcement is Enabled and encryptionComplianceStatus is not
    NonCompliant (an object without a customer key remains). Disabled, Unspecified or absent (the default,
    Unspecified) FAIL: indexes may be created with Microsoft-managed keys only. ARM does not name the keys
    themselves (each index carries its own), so no key is followed."""
    enforcement = get(service.config, "properties.encryptionWithCmk.enforcement")
    status = get(service.config, "properties.encryptionWithCmk.encryptionComplianceStatus")
    evidence = {
        "properties.encryptionWithCmk.enforcement": shown(enforcement),
        "properties.encryptionWithCmk.encryptionComplianceStatus": shown(status),
    }
    if enforcement == "Enabled" and status != "NonCompliant":
        return passed(f"{service.name} enforces customer-managed keys on its indexes ({display(status)}).", **evidence)
    if enforcement == "Enabled":
        return failed(
            f"{service.name} enforces customer-managed keys, but encryptionComplianceStatus is NonCompliant: an "
            "index or synonym map is still encrypted with a Microsoft-managed key.",
            **evidence,
        )
    note = " (absent means Unspecified)" if enforcement is ABSENT or enforcement is None else ""
    return failed(
        f"{service.name} has encryptionWithCmk.enforcement {display(enforcement)}{note}, so indexes can hold "
        "retrieval data under Microsoft-managed keys.",
        **evidence,
    )


@check(
    id="azure.search.service_private_endpoint",
    resource_types=SERVICE,
    severity=Severity.MEDIUM,
    title="Azure AI Search services have an approved private endpoint connection",
    checklist=("CL-07",),
    remediation="Run `az network private-endpoint create --name <pe> --resource-group <rg> --vnet-name <vnet> "
    "--subnet <subnet> --private-connection-resource-id <service ARM id> --group-id searchService "
    "--connection-name <pe>-conn`, link the privatelink.search.windows.net DNS zone, and approve the connection.",
    reads=("properties.privateEndpointConnections",),
)
def service_private_endpoint(service: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a properties.privateEndpointConnections item has privateLinkServiceConnectionState.status
    Approved; absent or empty = no private endpoint."""
    return private_endpoint(service)


@check(
    id="azure.search.service_replicas",
    resource_types=SERVICE,
    severity=Severity.LOW,
    title="Azure AI Search services run at least two replicas",
    checklist=("PH-4",),
    remediation="Run `az search service update --name <service> --resource-group <rg> --replica-count 2` (three "
    "for read-write availability); in regions with availability zones the replicas spread across zones.",
    reads=("properties.replicaCount",),
)
def service_replicas(service: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.replicaCount is at least 2 (queries keep being answered while one replica fails or is
    updated, and replicas spread across availability zones where the region has them); absent = 1, the default."""
    count = get(service.config, "properties.replicaCount")
    value = 1 if count is ABSENT or count is None else count
    evidence = {"properties.replicaCount": shown(count), "sku.name": shown(get(service.config, "sku.name"))}
    if not isinstance(value, int) or isinstance(value, bool):
        return failed(f"{service.name} has properties.replicaCount {display(count)}, not a count.", **evidence)
    if value >= 2:
        return passed(f"{service.name} runs {value} replicas.", **evidence)
    note = " (absent means 1)" if count is ABSENT or count is None else ""
    return failed(
        f"{service.name} runs {value} replica{note}, so retrieval stops when it fails or is updated.", **evidence
    )
