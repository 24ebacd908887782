"""The custom role shipped for the Azure collector is what its declarations derive, and it only reads."""

from __future__ import annotations

import json
from importlib.resources import files

from collectors.azure.permissions import required_actions, role_definition


def shipped_role() -> dict[str, object]:
    return json.loads(files("cspm_ai").joinpath("permissions/azure-readonly-role.json").read_text())


def test_shipped_azure_role_is_what_the_collector_declares() -> None:
    assert shipped_role() == role_definition()


def test_every_azure_action_ends_in_read() -> None:
    actions = required_actions()
    assert actions and [a for a in actions if not a.endswith("/read")] == []
    role = role_definition()
    # Nothing beyond control-plane reads: no data-plane action (keys, secrets, blobs) and no exclusions to audit.
    assert (role["NotActions"], role["DataActions"], role["NotDataActions"]) == ([], [], [])
