"""Storage account checks: transport security and data classification for the accounts AI workloads read and
write."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import ABSENT, display, get, is_set, shown
from cspm_ai.engine import Unseen
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
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


PURVIEW = "azure.purview.account"
ROLE_ASSIGNMENT = "azure.authorization.role_assignment"
# Who reads or writes a storage account for AI: workspaces and AI services accounts (uses_storage) and connections
# of workspaces, hubs, AI services accounts and their projects (connects_to).
AI_USERS = {
    "uses_storage": ("azure.ml.workspace", "azure.cognitive.account"),
    "connects_to": ("azure.ml.connection", "azure.cognitive.connection", "azure.cognitive.project_connection"),
}
# Tag keys (lower case, without "-" or "_") that carry a data classification label.
CLASSIFICATION_KEYS = ("classification", "sensitivity", "confidentiality", "dataclass")
# Built-in roles that let a scanner read blob data (Purview scans storage through its managed identity).
STORAGE_READERS = {
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "c12c1c16-33a1-487b-954d-41c89c60f349": "Reader and Data Access",
}


def _classification(account: Resource) -> str | None:
    """ "key=value" of a tag whose key names a classification (DataClassification, data-sensitivity, ...)."""
    for key, value in account.tags.items():
        spelt = key.lower().replace("-", "").replace("_", "")
        if any(word in spelt for word in CLASSIFICATION_KEYS) and value.strip():
            return f"{key}={value}"
    return None


def _ai_users(account: Resource, ctx: CheckContext) -> list[Resource]:
    """The collected AI resources that read or write the account. A kind that could not be listed matters only
    when no collected one does: then whether AI uses the account is unknown (Unseen, ERROR)."""
    users = [r for kind, types in AI_USERS.items() for r in ctx.referrers(account, kind) if r.type in types]
    if not users:
        for types in AI_USERS.values():
            for rtype in types:
                ctx.resources(rtype, account=account.account)
    return users


def _purview_readers(account: Resource, ctx: CheckContext) -> list[str]:
    """Purview accounts whose managed identity holds a blob data reading role over the storage account, as
    "<purview>: <role> at <scope>"."""
    principals: dict[str, str] = {}
    try:
        purviews = ctx.resources(PURVIEW)
    except Unseen:
        # Purview is often in a central subscription; one this scan could not read cannot be judged, but the
        # storage account's own subscription must have been read.
        purviews = ctx.resources(PURVIEW, account=account.account)
    for purview in purviews:
        ids = [get(purview.config, "identity.principalId")]
        assigned = get(purview.config, "identity.userAssignedIdentities")
        if isinstance(assigned, dict):
            ids += [get(v, "principalId") for v in assigned.values()]
        principals.update({i.lower(): purview.name for i in ids if is_set(i)})
    if not principals:
        return []
    found = []
    for ra in ctx.resources(ROLE_ASSIGNMENT, account=account.account):
        principal = get(ra.config, "properties.principalId")
        role = get(ra.config, "properties.roleDefinitionId")
        scope = get(ra.config, "properties.scope")
        guid = role.rstrip("/").rsplit("/", 1)[-1].lower() if is_set(role) else ""
        if not (is_set(principal) and principal.lower() in principals and guid in STORAGE_READERS and is_set(scope)):
            continue
        lowered = scope.rstrip("/").lower()
        if account.uid.lower() == lowered or account.uid.lower().startswith(lowered + "/"):
            found.append(f"{principals[principal.lower()]}: {STORAGE_READERS[guid]} at {scope}")
    return found


@check(
    id="azure.storage.account_classified",
    resource_types=ACCOUNT,
    severity=Severity.LOW,
    title="Storage accounts AI resources read and write carry a data classification label",
    checklist=("DP-1",),
    remediation="Label the account: `az storage account update --name <account> --resource-group <rg> --tags "
    "DataClassification=<public|internal|confidential|restricted>` (keep its other tags), and register it as a "
    "Microsoft Purview data source whose scans apply sensitivity labels (grant the Purview account's identity "
    "Storage Blob Data Reader on it).",
    reads=(
        "tags",
        "uses_storage<-",
        "connects_to<-",
        "azure.purview.account.identity",
        "azure.authorization.role_assignment",
    ),
)
def account_classified(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a tag whose key names a classification (DataClassification, sensitivity, confidentiality) has a
    value, with a Purview account able to read it named as stronger evidence. Unlabelled, for an account a collected
    AI resource reads or writes (a workspace's or AI services account's storage, a connection's target): a Purview
    account's identity holding a blob data reader role over it is MANUAL (ARM cannot show that Purview's scans
    classify it), neither FAILs. An unlabelled account no collected AI resource uses PASSes (the checklist asks for
    the classification of AI data stores); when an AI kind could not be listed, that is ERROR. Purview accounts are
    those of every subscription the scan read."""
    label = _classification(account)
    if label:
        try:
            readers = _purview_readers(account, ctx)
        except Unseen:  # the label alone decides; Purview would only add evidence
            readers = []
        purview = f", and Purview can read it ({readers[0]})" if readers else ""
        return passed(
            f"{account.name} is labelled {label}{purview}.", classification_tag=label, purview_readers=readers
        )
    users = _ai_users(account, ctx)
    evidence: dict[str, Any] = {"ai_users": sorted(u.name for u in users), "classification_tag": None}
    if not users:
        return passed(f"{account.name} is read or written by no AI resource the scan collected.", **evidence)
    readers = _purview_readers(account, ctx)
    evidence["purview_readers"] = readers
    if readers:
        return manual(
            f"{account.name}, which AI resources read or write, has no classification tag but Purview can read it "
            f"({readers[0]}); attest that Purview's scans classify it.",
            **evidence,
        )
    return failed(
        f"{account.name}, which AI resources read or write, has no classification tag and no Purview account the "
        "scan read can read it, so its data is unclassified.",
        **evidence,
    )
