"""The Azure RBAC actions the collector needs, derived from its declarations.

The shipped custom role (cspm_ai/permissions/azure-readonly-role.json) must
equal `role_definition()`; every action is a `*/read`.
"""

from __future__ import annotations

from collectors.azure.arm import rbac_action
from collectors.azure.specs import DIAGNOSTICS_PATH, KINDS

_SAMPLE_ID = {
    "azure.keyvault.key": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v/keys/k",
    "azure.authorization.role_definition": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/d",
}
_SAMPLE_PARENT = {
    "azure.ml.workspace": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w",
    "azure.ml.online_endpoint": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/"
    "workspaces/w/onlineEndpoints/e",
    "azure.ml.batch_endpoint": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/"
    "workspaces/w/batchEndpoints/e",
}


def required_actions() -> list[str]:
    actions = {
        rbac_action("/subscriptions"),
        rbac_action(DIAGNOSTICS_PATH.format(id=_SAMPLE_PARENT["azure.ml.workspace"])),
    }
    for kind in KINDS:
        if kind.fetch == "referenced":
            path = kind.path.format(id=_SAMPLE_ID[kind.type])
        elif kind.parent:
            path = kind.path.format(parent=_SAMPLE_PARENT[kind.parent])
        else:
            path = kind.path.format(subscription="s")
        actions.add(rbac_action(path))
    return sorted(actions)


def role_definition() -> dict[str, object]:
    return {
        "Name": "cspm-ai reader",
        "IsCustom": True,
        "Description": "Reads what cspm-ai audits: Azure Machine Learning, Azure AI services and the "
        "identities, keys, storage, logging, Defender, Policy and budgets around them. Read only.",
        "Actions": required_actions(),
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": ["/subscriptions/00000000-0000-0000-0000-000000000000"],
    }
