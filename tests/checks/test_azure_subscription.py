"""Azure subscription-wide checks (RBAC, Defender, Policy, budgets, playbooks), table-driven."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.azure_support import (
    CONTRIBUTOR,
    OWNER,
    READER,
    RG_ID,
    SUB,
    UAA,
    WS_ID,
    collection_error,
    load_azure_checks,
    make,
    one,
)
from tests.checks.conftest import (
    DROP,
    ERROR,
    FAIL,
    MANUAL,
    PASS,
    Case,
    Estate,
    assert_case,
)

ASSIGNMENT = "azure.authorization.role_assignment"
DEFINITION = "azure.authorization.role_definition"
PRICING = "azure.security.pricing"
SUBSCRIPTION = "azure.subscription"
POLICY = "azure.policy.assignment"
BUDGET = "azure.consumption.budget"


def role(guid: str) -> str:
    return f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def assigned(
    guid: str,
    scope: str | Any,
    definition: dict[str, Any] | None = None,
    linked: bool = False,
    describe_failed: bool = False,
) -> Callable[[], Estate]:
    """A role assignment of role `guid` at `scope`, optionally linked to a collected role definition."""

    def build() -> Estate:
        target = make(
            ASSIGNMENT,
            {"properties.roleDefinitionId": role(guid), "properties.scope": scope},
            uid=f"{scope if isinstance(scope, str) else RG_ID}/providers/Microsoft.Authorization/"
            "roleAssignments/b0f43c54-e787-4862-89b1-a653fa9cf747",
        )
        estate = Estate(target)
        if linked:
            definition_resource = make(DEFINITION, definition, name=guid)
            estate.add(definition_resource).link(target, "assigns_role", definition_resource)
            if describe_failed:
                estate.fail(collection_error(DEFINITION, uid=definition_resource.uid))
        return estate

    return build


def subscription_with(rtype: str, *changes: dict[str, Any], names: tuple[str, ...] = ()) -> Callable[[], Estate]:
    """The subscription plus one `rtype` resource per change set (named from `names` when given)."""

    def build() -> Estate:
        estate = Estate(make(SUBSCRIPTION))
        for i, change in enumerate(changes):
            estate.add(make(rtype, change, name=names[i] if names else None))
        return estate

    return build


def pricings_unlisted() -> Estate:
    return Estate(make(SUBSCRIPTION)).fail(collection_error(PRICING, operation="ListPricings"))


def policies_unlisted() -> Estate:
    return Estate(make(SUBSCRIPTION)).fail(collection_error(POLICY, operation="ListPolicyAssignments"))


def budgets_unlisted() -> Estate:
    return Estate(make(SUBSCRIPTION)).fail(collection_error(BUDGET, operation="ListBudgets"))


AI_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
NOTIFICATION_OFF = {"properties.notifications.Actual_GreaterThan_80_Percent.enabled": False}

CASES: list[Case] = [
    # CL-02 RBAC
    Case(
        "azure.authorization.no_broad_privileged_roles",
        PASS,
        "task-role-on-workspace",
        one(ASSIGNMENT),
        says="no Owner",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "owner-on-subscription",
        assigned(OWNER, SUB),
        says="Owner",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "contributor-on-resource-group",
        assigned(CONTRIBUTOR, RG_ID),
        says="Contributor",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "uaa-on-management-group",
        assigned(UAA, "/providers/Microsoft.Management/managementGroups/contoso-root"),
        says="User Access Administrator",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "scope-absent-from-id",
        assigned(OWNER, DROP),
        says=f"scope {RG_ID}",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        PASS,
        "owner-on-single-workspace",
        assigned(OWNER, WS_ID),
        says="single resource",
    ),
    Case("azure.authorization.no_broad_privileged_roles", PASS, "reader-on-subscription", assigned(READER, SUB)),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        FAIL,
        "custom-guid-named-owner",
        assigned("11111111-2222-3333-4444-555555555555", SUB, {"properties.roleName": "owner"}, linked=True),
        says="Owner",
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        PASS,
        "custom-role-on-subscription",
        assigned(AI_SCIENTIST, SUB, {"properties.roleName": "AzureML Data Scientist"}, linked=True),
    ),
    Case(
        "azure.authorization.no_broad_privileged_roles",
        ERROR,
        "definition-describe-failed",
        assigned(OWNER, SUB, linked=True, describe_failed=True),
    ),
    # CL-10 Defender
    Case("azure.security.defender_plan_enabled", PASS, "ai-standard", one(PRICING)),
    Case(
        "azure.security.defender_plan_enabled",
        FAIL,
        "ai-free",
        one(PRICING, {"properties.pricingTier": "Free"}),
        says="pricingTier Free",
    ),
    Case(
        "azure.security.defender_plan_enabled",
        FAIL,
        "keyvaults-free",
        one(PRICING, {"properties.pricingTier": "Free"}, name="KeyVaults"),
    ),
    Case(
        "azure.security.defender_plan_enabled",
        FAIL,
        "tier-absent",
        one(PRICING, {"properties.pricingTier": DROP}),
        says="<absent>",
    ),
    Case(
        "azure.security.defender_plan_enabled",
        PASS,
        "other-plan-free",
        one(PRICING, {"properties.pricingTier": "Free"}, name="Dns"),
        says="not required by the checklist",
    ),
    Case(
        "azure.security.defender_for_ai_present",
        PASS,
        "standard",
        subscription_with(PRICING, {}, {"properties.pricingTier": "Free"}, names=("AI", "Dns")),
    ),
    Case(
        "azure.security.defender_for_ai_present",
        FAIL,
        "free",
        subscription_with(PRICING, {"properties.pricingTier": "Free"}),
        says="pricingTier Free",
    ),
    Case(
        "azure.security.defender_for_ai_present",
        FAIL,
        "no-ai-plan",
        subscription_with(PRICING, {}, names=("CloudPosture",)),
        says="no Defender pricing named AI",
    ),
    Case("azure.security.defender_for_ai_present", FAIL, "no-pricings", one(SUBSCRIPTION)),
    Case("azure.security.defender_for_ai_present", ERROR, "pricings-unlisted", pricings_unlisted),
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
    # CL-06 budgets
    Case(
        "azure.consumption.budget_alerts",
        PASS,
        "enabled-alert",
        subscription_with(BUDGET, {}),
        says="Actual_GreaterThan_80_Percent",
    ),
    Case(
        "azure.consumption.budget_alerts",
        FAIL,
        "alert-disabled",
        subscription_with(BUDGET, NOTIFICATION_OFF),
        says="no enabled notification",
    ),
    Case(
        "azure.consumption.budget_alerts",
        FAIL,
        "notifications-absent",
        subscription_with(BUDGET, {"properties.notifications": DROP}),
    ),
    Case("azure.consumption.budget_alerts", FAIL, "no-budget", one(SUBSCRIPTION), says="no budget"),
    Case("azure.consumption.budget_alerts", ERROR, "unlisted", budgets_unlisted),
    # CL-11
    Case(
        "azure.subscription.incident_response_playbooks", MANUAL, "attestation", one(SUBSCRIPTION), says="attestation"
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _azure_checks() -> None:
    load_azure_checks()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
