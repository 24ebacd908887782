"""The Azure RBAC actions the collector needs, derived from its declarations.

The shipped custom role (cspm_ai/permissions/azure-readonly-role.json) must
equal `role_definition()`; every action is a `*/read`. The path each action is
named from comes from the kinds' own path templates (`sample_path`).
"""

from __future__ import annotations

from collectors.azure.arm import rbac_action
from collectors.azure.specs import DESCENDANTS_PATH, DIAGNOSTICS_PATH, KINDS, SUBSCRIPTIONS_PATH, sample_path


def required_actions() -> list[str]:
    # The descendants list is read only with --management-group; the role names it so one role serves both.
    actions = {rbac_action(SUBSCRIPTIONS_PATH), rbac_action(DESCENDANTS_PATH.format(group="x"))}
    for kind in KINDS:
        actions.add(rbac_action(sample_path(kind)))
        if kind.diagnostics:
            actions.add(rbac_action(DIAGNOSTICS_PATH.format(id=sample_path(kind) + "/x")))
    return sorted(actions)


def role_definition() -> dict[str, object]:
    return {
        "Name": "cspm-ai reader",
        "IsCustom": True,
        "Description": "Reads what cspm-ai audits: Azure Machine Learning and AI Foundry, Azure AI services "
        "and AI Search, and the identities (with Privileged Identity Management schedules), keys, storage, "
        "Purview, logging, Defender, Policy, deployment history and budgets around them. Read only.",
        "Actions": required_actions(),
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": ["/subscriptions/00000000-0000-0000-0000-000000000000"],
    }
