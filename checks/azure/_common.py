"""Helpers shared by the Azure checks: ARM value tests, settings with service defaults, diagnostic settings."""

from __future__ import annotations

from typing import Any

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
