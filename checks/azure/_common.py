"""Helpers shared by the Azure checks: ARM value tests, settings with service defaults, diagnostic settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cspm_ai.doc import ABSENT, as_list, display, get, is_set, shown
from cspm_ai.model import Resource, Verdict, failed, passed

# Log category groups that include the audit trail of API calls.
AUDIT_GROUPS = ("audit", "alllogs")
DESTINATIONS = ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId")


def not_an_object(doc: Any, path: str) -> str | None:
    """The first step above the leaf of `path` that is present but not an object: `get` reads the leaf
    as absent there, which must not pass for the service default."""
    node, parts = doc, path.split(".")
    for depth, part in enumerate(parts[:-1], start=1):
        if not isinstance(node, dict) or node.get(part) is None:
            return None
        node = node[part]
        if not isinstance(node, dict):
            return ".".join(parts[:depth])
    return None


def effective(value: Any, default: Any) -> Any:
    """The value the service applies: ARM omits (or returns null for) settings left at their default."""
    return default if value is ABSENT or value is None else value


def _audit_logs(setting_doc: Any) -> list[str]:
    """The enabled log entries of one diagnostic setting that carry audit events, by category or group."""
    found = []
    for entry in as_list(get(setting_doc, "properties.logs")):
        if get(entry, "enabled") is not True:
            continue
        group, category = get(entry, "categoryGroup"), get(entry, "category")
        if isinstance(group, str) and group.lower() in AUDIT_GROUPS:
            found.append(group)
        elif is_set(category):
            found.append(category)
    return found


def diagnostic_settings(resource: Resource) -> Verdict:
    """PASS when a diagnostic setting sends enabled audit logs (allLogs/audit group, or named categories)
    to a destination. The collector always adds `diagnosticSettings` (empty when none): absent = FAIL."""
    settings = get(resource.config, "diagnosticSettings")
    if settings is ABSENT or settings is None:
        return failed(
            f"{resource.name} has no diagnosticSettings recorded, so no audit log export is known.",
            diagnosticSettings="<absent>",
        )
    summary = []
    for item in as_list(settings):
        destinations = [d for d in DESTINATIONS if is_set(get(item, f"properties.{d}"))]
        logs = _audit_logs(item)
        name = get(item, "name")
        summary.append({"name": shown(name), "destinations": destinations, "enabled_logs": logs})
        if destinations and logs:
            return passed(
                f"{resource.name} sends {', '.join(logs)} logs to {', '.join(destinations)} through "
                f"diagnostic setting {display(name)}.",
                diagnosticSettings=summary,
            )
    if not summary:
        return failed(
            f"{resource.name} has no diagnostic settings, so its audit logs are not exported.", diagnosticSettings=[]
        )
    return failed(
        f"{resource.name} has {len(summary)} diagnostic setting(s) but none sends enabled logs to a destination.",
        diagnosticSettings=summary,
    )


def identity_principals(resource: Resource) -> dict[str, str]:
    """The identities a resource runs as: user-assigned identity ARM ids (lower-cased, as ARM ids are
    case-insensitive) and the system identity's principalId, each mapped to how it is named in config."""
    found: dict[str, str] = {}
    assigned = get(resource.config, "identity.userAssignedIdentities")
    if isinstance(assigned, dict):
        for uid in assigned:
            if is_set(uid):
                found[uid.lower()] = uid
    principal = get(resource.config, "identity.principalId")
    if is_set(principal):
        found[principal.lower()] = principal
    return found


def private_endpoint_states(resource: Resource) -> list[dict[str, Any]]:
    """Each properties.privateEndpointConnections item's name and connection status, as evidence."""
    return [
        {"name": shown(get(c, "name")), "status": shown(get(c, "properties.privateLinkServiceConnectionState.status"))}
        for c in as_list(get(resource.config, "properties.privateEndpointConnections"))
    ]


def private_endpoint(resource: Resource) -> Verdict:
    """PASS when a properties.privateEndpointConnections item is Approved; absent or empty = no private endpoint."""
    states = private_endpoint_states(resource)
    approved = [s["name"] for s in states if s["status"] == "Approved"]
    if approved:
        return passed(
            f"{resource.name} has approved private endpoint connection {approved[0]}.",
            privateEndpointConnections=states,
        )
    if not states:
        return failed(f"{resource.name} has no private endpoint connections.", privateEndpointConnections=[])
    return failed(
        f"{resource.name} has {len(states)} private endpoint connection(s), none Approved "
        f"({', '.join(str(s['status']) for s in states)}).",
        privateEndpointConnections=states,
    )


def managed_identity(resource: Resource) -> Verdict:
    """PASS when identity.type names a system- or user-assigned identity ("SystemAssigned", "UserAssigned", or both,
    spelt with or without a space); "None" or an absent identity = none."""
    kind = get(resource.config, "identity.type")
    spelt = kind.replace(" ", "").lower() if isinstance(kind, str) else ""
    if "systemassigned" in spelt or "userassigned" in spelt:
        return passed(f"{resource.name} has a managed identity (identity.type {kind}).", **{"identity.type": kind})
    note = " (absent means none)" if kind is ABSENT or kind is None else ""
    return failed(
        f"{resource.name} has identity.type {display(kind)}{note}, so it has no managed identity and reaches "
        "storage, Key Vault and other services with stored keys.",
        **{"identity.type": shown(kind)},
    )


# Connection auth types that send a Microsoft Entra token (no stored secret), and the one that sends nothing.
IDENTITY_AUTH = {"aad": "Microsoft Entra ID", "managedidentity": "a managed identity"}
NO_CREDENTIAL_AUTH = "none"
# Connection categories whose targets accept Microsoft Entra tokens: a stored key, SAS, password or client secret
# for them is a long-lived credential an identity would replace.
ENTRA_CATEGORIES = frozenset(
    category.lower()
    for category in (
        "AzureOpenAI",
        "AIServices",
        "CognitiveService",
        "CognitiveSearch",
        "AzureBlob",
        "ADLSGen2",
        "AzureOneLake",
        "AzureTableStorage",
        "AzureSqlDb",
        "AzureSqlMi",
        "AzureSynapseAnalytics",
        "AzureMySqlDb",
        "AzurePostgresDb",
        "CosmosDb",
        "AzureDataExplorer",
        "AzureDatabricksDeltaLake",
    )
)


def _entra_capable(category: Any, target: Any) -> bool:
    if not isinstance(category, str):
        return False
    if category.lower() == "containerregistry":  # Azure Container Registry, not Docker Hub or another registry
        if not isinstance(target, str):
            return False
        host = urlsplit(target if "//" in target else f"//{target}").hostname or ""
        return host.endswith(".azurecr.io")
    return category.lower() in ENTRA_CATEGORIES


def connection_auth(connection: Resource) -> Verdict:
    """PASS when properties.authType is AAD or ManagedIdentity (a token, no stored secret) or None (no credential);
    a stored credential (ApiKey, AccountKey, SAS, PAT, UsernamePassword, AccessKey, CustomKeys, ServicePrincipal,
    OAuth2) FAILs where the target accepts Microsoft Entra ID (Azure OpenAI and AI services, AI Search, storage,
    Azure databases, Azure Container Registry) and PASSes where it does not (no identity would do). authType is
    required: absent FAILs, as the credential in use is not shown."""
    auth = get(connection.config, "properties.authType")
    category = get(connection.config, "properties.category")
    target = get(connection.config, "properties.target")
    evidence = {
        "properties.authType": shown(auth),
        "properties.category": shown(category),
        "properties.target": shown(target),
    }
    spelt = auth.lower() if isinstance(auth, str) else ""
    if spelt in IDENTITY_AUTH:
        return passed(f"{connection.name} authenticates with {IDENTITY_AUTH[spelt]} (authType {auth}).", **evidence)
    if spelt == NO_CREDENTIAL_AUTH:
        return passed(f"{connection.name} stores no credential (authType None).", **evidence)
    if not spelt:
        return failed(
            f"{connection.name} has properties.authType {display(auth)} (required), so the credential it uses is "
            "not shown.",
            **evidence,
        )
    if _entra_capable(category, target):
        return failed(
            f"{connection.name} reaches {display(category)} target {display(target)} with authType {auth}, a "
            "stored credential, where Microsoft Entra ID with a managed identity would do.",
            **evidence,
        )
    return passed(
        f"{connection.name} uses authType {auth} for {display(category)} target {display(target)}, which accepts "
        "no Microsoft Entra token, so a stored credential is the only way in.",
        **evidence,
    )


def arm_time(value: Any) -> datetime | None:
    """An ARM timestamp ("2026-03-02T09:15:27.1234567Z") as an aware datetime; None when it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
