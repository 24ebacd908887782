"""Azure Policy checks, table-driven: assignments that enforce and report compliance, and the AI built-in
definitions (direct or in an initiative) that watch each AI resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.azure_support import RG_ID, SUB, collection_error, declare_type, make, one, subscription_with
from tests.checks.conftest import DROP, ERROR, FAIL, MANUAL, PASS, Case, Estate, assert_case

SUBSCRIPTION = "azure.subscription"
POLICY = "azure.policy.assignment"
WS = "azure.ml.workspace"
AI = "azure.cognitive.account"
MCSB = "1f3afdf9-d0c9-4c3d-847f-89da613e70a8"
BUILT_IN = "/providers/Microsoft.Authorization/policyDefinitions/"
ML_PUBLIC_ACCESS = "438c38d2-3772-465a-a9cc-7a6666a275ce"  # Audit by default, no effect parameter in the set
AI_RESTRICT_NETWORK = "037eea7a-bd0a-46c5-9a66-03aea78705d3"
AI_DISABLE_PUBLIC_MODIFY = "47ba1dd7-28d9-4b07-a8d5-9813bed64e0c"
SEARCH_PUBLIC_ACCESS = "ee980b6d-0eca-4501-8d54-f6290fd512c3"
ALLOWED_LOCATIONS = "e56962a6-4747-49cd-b67b-bf8b01975c4c"
CUSTOM_DEFINITION = f"{SUB}/providers/Microsoft.Authorization/policyDefinitions/deny-public-ml"
SET = declare_type(
    "azure.policy.set_definition",
    {
        "id": f"/providers/Microsoft.Authorization/policySetDefinitions/{MCSB}",
        "name": MCSB,
        "type": "Microsoft.Authorization/policySetDefinitions",
        "properties": {
            "displayName": "Microsoft cloud security benchmark",
            "policyType": "BuiltIn",
            "metadata": {"version": "57.56.0", "category": "Security Center"},
            "version": "57.56.0",
            "parameters": {
                "aiRestrictNetworkEffect": {
                    "type": "string",
                    "defaultValue": "Audit",
                    "allowedValues": ["Audit", "Deny", "Disabled"],
                }
            },
            "policyDefinitions": [
                {
                    "policyDefinitionId": f"{BUILT_IN}{ML_PUBLIC_ACCESS}",
                    "definitionVersion": "2.*.*",
                    "policyDefinitionReferenceId": "mlPublicNetworkAccess",
                    "parameters": {},
                    "groupNames": ["Azure_Security_Benchmark_v3.0_NS-2"],
                },
                {
                    "policyDefinitionId": f"{BUILT_IN}{AI_RESTRICT_NETWORK}",
                    "definitionVersion": "3.*.*",
                    "policyDefinitionReferenceId": "aiRestrictNetwork",
                    "parameters": {"effect": {"value": "[parameters('aiRestrictNetworkEffect')]"}},
                    "groupNames": ["Azure_Security_Benchmark_v3.0_NS-2"],
                },
            ],
        },
    },
    uid="/providers/Microsoft.Authorization/policySetDefinitions/{name}",
    name=MCSB,
    is_global=True,
)
MCSB_ID = f"/providers/Microsoft.Authorization/policySetDefinitions/{MCSB}"
ASSIGNMENT_ID = f"{SUB}/providers/Microsoft.Authorization/policyAssignments/mcsb-initiative"


def watched(
    rtype: str,
    changes: dict[str, Any] | None = None,
    *,
    initiative: bool = True,
    set_changes: dict[str, Any] | None = None,
) -> Callable[[], Estate]:
    """An AI resource and one policy assignment (the base: the benchmark initiative at subscription scope, varied by
    `changes`), with the initiative it assigns when `initiative`."""

    def build() -> Estate:
        target = make(rtype)
        assignment = make(POLICY, changes)
        estate = Estate(target).add(assignment)
        if initiative:
            members = make(SET, set_changes)
            estate.add(members).link(assignment, "assigns_policy_set", members)
        return estate

    return build


def initiative_unread() -> Estate:
    target = make(WS)
    assignment = make(POLICY)
    return (
        Estate(target)
        .add(assignment)
        .link(assignment, "assigns_policy_set", MCSB_ID)
        .fail(collection_error(SET, uid=MCSB_ID, operation="GET"))
    )


def ai_unlisted() -> Estate:
    return Estate(make(WS)).fail(collection_error(POLICY, operation="ListPolicyAssignments"))


def direct(guid: str, **changes: Any) -> dict[str, Any]:
    return {"properties.policyDefinitionId": f"{BUILT_IN}{guid}", **changes}


def policies_unlisted() -> Estate:
    return Estate(make(SUBSCRIPTION)).fail(collection_error(POLICY, operation="ListPolicyAssignments"))


CASES: list[Case] = [
    # CL-12 Policy
    Case("azure.policy.assignments_monitor_compliance", PASS, "default", subscription_with(POLICY, {})),
    Case(
        "azure.policy.assignments_monitor_compliance",
        PASS,
        "mode-absent",
        subscription_with(POLICY, {"properties.enforcementMode": DROP}),
        says="means Default",
    ),
    Case(
        "azure.policy.assignments_monitor_compliance",
        FAIL,
        "do-not-enforce",
        subscription_with(POLICY, {"properties.enforcementMode": "DoNotEnforce"}),
        says="none with enforcementMode",
    ),
    Case(
        "azure.policy.assignments_monitor_compliance",
        FAIL,
        "properties-not-an-object",
        subscription_with(POLICY, {"properties": "Default"}),
        says="none with enforcementMode",
    ),
    Case(
        "azure.policy.assignments_monitor_compliance",
        FAIL,
        "none",
        one(SUBSCRIPTION),
        says="no Azure Policy assignments",
    ),
    Case("azure.policy.assignments_monitor_compliance", ERROR, "unlisted", policies_unlisted),
    # PH-3 AI built-in definitions watching each AI resource
    Case("azure.policy.ai_resources_watched", PASS, "initiative-member", watched(WS), says="mcsb-initiative"),
    Case(
        "azure.policy.ai_resources_watched",
        PASS,
        "initiative-parameter-default",
        watched(AI),
        says="none remediates automatically",
    ),
    Case(
        "azure.policy.ai_resources_watched",
        FAIL,
        "initiative-parameter-disabled",
        watched(AI, {"properties.parameters": {"aiRestrictNetworkEffect": {"value": "Disabled"}}}),
        says="none applying an enforced AI built-in definition",
    ),
    Case(
        "azure.policy.ai_resources_watched",
        PASS,
        "direct-modify-remediates",
        watched(AI, direct(AI_DISABLE_PUBLIC_MODIFY), initiative=False),
        says="also remediate",
    ),
    Case(
        "azure.policy.ai_resources_watched",
        FAIL,
        "direct-effect-disabled",
        watched(
            WS,
            direct(ML_PUBLIC_ACCESS, **{"properties.parameters": {"effect": {"value": "Disabled"}}}),
            initiative=False,
        ),
    ),
    Case(
        "azure.policy.ai_resources_watched",
        FAIL,
        "definition-for-another-type",
        watched(WS, direct(SEARCH_PUBLIC_ACCESS), initiative=False),
    ),
    Case(
        "azure.policy.ai_resources_watched",
        FAIL,
        "not-an-ai-definition",
        watched(WS, direct(ALLOWED_LOCATIONS), initiative=False),
    ),
    Case(
        "azure.policy.ai_resources_watched",
        FAIL,
        "group-excluded",
        watched(WS, {"properties.notScopes": [RG_ID.upper()]}),
        says="covered by 0 policy assignment(s)",
    ),
    Case(
        "azure.policy.ai_resources_watched",
        FAIL,
        "other-resource-group",
        watched(WS, {"properties.scope": f"{SUB}/resourceGroups/rg-other"}),
    ),
    Case(
        "azure.policy.ai_resources_watched",
        PASS,
        "scope-absent-read-from-its-id",
        watched(WS, {"properties.scope": DROP}),
    ),
    Case(
        "azure.policy.ai_resources_watched",
        PASS,
        "management-group",
        watched(WS, {"properties.scope": "/providers/Microsoft.Management/managementGroups/contoso-root"}),
    ),
    Case(
        "azure.policy.ai_resources_watched",
        FAIL,
        "do-not-enforce",
        watched(WS, {"properties.enforcementMode": "DoNotEnforce"}),
    ),
    Case("azure.policy.ai_resources_watched", FAIL, "no-assignment", one(WS), says="covered by 0"),
    Case(
        "azure.policy.ai_resources_watched",
        MANUAL,
        "custom-definition",
        watched(
            WS,
            {"properties.policyDefinitionId": CUSTOM_DEFINITION},
            initiative=False,
        ),
        says="custom policy assignment",
    ),
    Case("azure.policy.ai_resources_watched", ERROR, "assignments-unlisted", ai_unlisted),
    Case("azure.policy.ai_resources_watched", ERROR, "initiative-unread", initiative_unread),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
