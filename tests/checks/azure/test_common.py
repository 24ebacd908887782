"""The helpers shared by the Azure checks: non-object documents, service defaults, diagnostic settings, identities."""

from __future__ import annotations

from typing import Any

import pytest

from checks.azure._common import diagnostic_settings, effective, identity_principals, not_an_object
from cspm_ai.doc import ABSENT
from cspm_ai.model import Status
from tests.checks.azure_support import LAW_ID, UAI_SERVE, UAI_TRAIN, make

WS = "azure.ml.workspace"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"properties": {"encryption": {"status": "Enabled"}}}, None),
        ({"properties": {}}, None),
        ({}, None),
        ({"properties": None}, None),
        ({"properties": "Enabled"}, "properties"),
        ({"properties": {"encryption": ["Enabled"]}}, "properties.encryption"),
        ("not a document", None),
    ],
)
def test_not_an_object_names_the_first_step_that_is_present_but_not_an_object(doc: Any, expected: str | None) -> None:
    assert not_an_object(doc, "properties.encryption.status") == expected


def test_effective_is_the_service_default_for_absent_or_null_settings() -> None:
    assert effective(ABSENT, "Enabled") == "Enabled"
    assert effective(None, "Enabled") == "Enabled"
    assert effective("Disabled", "Enabled") == "Disabled"
    assert effective(False, True) is False


def _logs(*entries: dict[str, Any], destination: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    properties = {"workspaceId": LAW_ID} if destination is None else destination
    return [{"name": "to-law", "properties": {**properties, "logs": list(entries)}}]


@pytest.mark.parametrize(
    ("settings", "status", "says"),
    [
        (_logs({"categoryGroup": "allLogs", "enabled": True}), Status.PASS, "allLogs logs to workspaceId"),
        (_logs({"category": "AmlComputeJobEvent", "enabled": True}), Status.PASS, "AmlComputeJobEvent"),
        (_logs({"categoryGroup": "audit", "enabled": "true"}), Status.FAIL, "none sends enabled logs"),
        (_logs({"categoryGroup": "audit", "enabled": True}, destination={}), Status.FAIL, "none sends"),
        ([], Status.FAIL, "has no diagnostic settings"),
        (None, Status.FAIL, "no diagnosticSettings recorded"),
    ],
)
def test_diagnostic_settings_pass_only_for_enabled_audit_logs_sent_somewhere(
    settings: Any, status: Status, says: str
) -> None:
    verdict = diagnostic_settings(make(WS, {"diagnosticSettings": settings}))
    assert verdict.status is status and says in verdict.message, verdict


def test_identity_principals_are_user_assigned_ids_lower_cased_and_the_system_principal() -> None:
    identity = {
        "type": "SystemAssigned,UserAssigned",
        "principalId": "ABCDEF00-0000-0000-0000-000000000001",
        "userAssignedIdentities": {UAI_TRAIN: {}, UAI_SERVE: {}},
    }
    found = identity_principals(make(WS, {"identity": identity}))
    assert found == {
        UAI_TRAIN.lower(): UAI_TRAIN,
        UAI_SERVE.lower(): UAI_SERVE,
        "abcdef00-0000-0000-0000-000000000001": "ABCDEF00-0000-0000-0000-000000000001",
    }
    assert identity_principals(make(WS, {"identity": {"type": "None"}})) == {}
