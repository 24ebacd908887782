"""Key Vault checks: vault recoverability and key rotation policies."""

from __future__ import annotations

from cspm_ai.doc import ABSENT, as_list, display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

VAULT = "azure.keyvault.vault"
KEY = "azure.keyvault.key"


@check(
    id="azure.keyvault.vault_purge_protection",
    resource_types=VAULT,
    severity=Severity.MEDIUM,
    title="Key Vaults have soft delete and purge protection enabled",
    checklist=("CL-03",),
    remediation="Run `az keyvault update --name <vault> --resource-group <rg> --enable-purge-protection true` "
    "(irreversible; soft delete must be on, which it is for every vault created since 2020).",
    reads=("properties.enablePurgeProtection", "properties.enableSoftDelete"),
)
def vault_purge_protection(vault: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.enablePurgeProtection is true and enableSoftDelete is not false. Absent purge
    protection = off (ARM omits it until enabled); absent soft delete = on (the default since API 2019-09-01)."""
    purge = get(vault.config, "properties.enablePurgeProtection")
    soft = get(vault.config, "properties.enableSoftDelete")
    evidence = {"properties.enablePurgeProtection": shown(purge), "properties.enableSoftDelete": shown(soft)}
    if soft is False:
        return failed(
            f"{vault.name} has properties.enableSoftDelete false, so deleted keys are lost at once.", **evidence
        )
    if purge is True:
        soft_delete = "absent (on by default)" if soft is ABSENT or soft is None else display(soft)
        return passed(f"{vault.name} has enablePurgeProtection true and enableSoftDelete {soft_delete}.", **evidence)
    note = " (absent means off)" if purge is ABSENT or purge is None else ""
    return failed(
        f"{vault.name} has properties.enablePurgeProtection {display(purge)}{note}, so a deleted vault "
        "or key can be purged before its retention ends.",
        **evidence,
    )


@check(
    id="azure.keyvault.key_rotation_policy",
    resource_types=KEY,
    severity=Severity.MEDIUM,
    title="Key Vault keys have an automatic rotation policy",
    checklist=("CL-03",),
    remediation="Run `az keyvault key rotation-policy update --vault-name <vault> --name <key> --value "
    '\'{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"Rotate"}},'
    '{"trigger":{"timeBeforeExpiry":"P30D"},"action":{"type":"Notify"}}],'
    '"attributes":{"expiryTime":"P1Y"}}\'`.',
    reads=("properties.rotationPolicy.lifetimeActions",),
)
def key_rotation_policy(key: Resource, ctx: CheckContext) -> Verdict:
    """PASS when properties.rotationPolicy.lifetimeActions has an action of type rotate (case-insensitive: ARM
    says "rotate", the data plane "Rotate") with a trigger; absent rotationPolicy = none set; notify only FAIL."""
    path = "properties.rotationPolicy.lifetimeActions"
    actions = get(key.config, path)
    triggers = []
    for action in as_list(actions):
        kind = get(action, "action.type")
        trigger = get(action, "trigger")
        if isinstance(kind, str) and kind.lower() == "rotate" and isinstance(trigger, dict) and trigger:
            triggers.append(trigger)
    evidence = {
        f"{path}.rotate.trigger": triggers,
        "properties.rotationPolicy.attributes.expiryTime": shown(
            get(key.config, "properties.rotationPolicy.attributes.expiryTime")
        ),
    }
    if triggers:
        when = ", ".join(f"{k} {v}" for t in triggers for k, v in t.items())
        return passed(f"{key.name} rotates automatically ({when}).", **evidence)
    if actions is ABSENT or actions is None:
        return failed(
            f"{key.name} has no rotation policy ({path} <absent>), so it is never rotated automatically.", **evidence
        )
    kinds = [shown(get(a, "action.type")) for a in as_list(actions)]
    return failed(
        f"{key.name} has a rotation policy without a triggered rotate action (actions "
        f"{', '.join(map(str, kinds)) or 'none'}), so it is never rotated automatically.",
        **{**evidence, f"{path}.action.type": kinds},
    )
