"""Microsoft Defender for Cloud checks, table-driven: the plans that cover AI workloads are on."""

from __future__ import annotations

import pytest

from tests.checks.azure_support import collection_error, make, one, subscription_with
from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, Estate, assert_case

SUBSCRIPTION = "azure.subscription"
PRICING = "azure.security.pricing"


def pricings_unlisted() -> Estate:
    return Estate(make(SUBSCRIPTION)).fail(collection_error(PRICING, operation="ListPricings"))


CASES: list[Case] = [
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
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
