"""Microsoft Defender for Cloud checks: the plans that watch AI workloads and what they depend on."""

from __future__ import annotations

from cspm_ai.doc import display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

PRICING = "azure.security.pricing"
SUBSCRIPTION = "azure.subscription"
# Plans the checklist needs: AI threat protection, posture, and the services AI workloads depend on.
REQUIRED_PLANS = ("AI", "CloudPosture", "StorageAccounts", "KeyVaults", "Arm", "Containers")


def _plan(pricing: Resource) -> str:
    name = get(pricing.config, "name")
    return name if isinstance(name, str) and name else pricing.name


@check(
    id="azure.security.defender_plan_enabled",
    resource_types=PRICING,
    severity=Severity.HIGH,
    title="Defender for Cloud plans that protect AI workloads are on the Standard tier",
    checklist=("CL-10",),
    remediation="Run `az security pricing create --name <plan> --tier Standard` for each of AI, CloudPosture, "
    "StorageAccounts, KeyVaults, Arm and Containers (portal: Defender for Cloud > Environment settings "
    "> subscription > Defender plans), and route alerts to your SIEM with continuous export.",
    reads=("name", "properties.pricingTier"),
)
def defender_plan_enabled(pricing: Resource, ctx: CheckContext) -> Verdict:
    """For the plans AI, CloudPosture, StorageAccounts, KeyVaults, Arm and Containers: PASS when
    properties.pricingTier is Standard, FAIL when Free (or absent: pricingTier is required, so absent is
    unknown and not accepted). Other plans PASS as not required by the checklist."""
    plan = _plan(pricing)
    tier = get(pricing.config, "properties.pricingTier")
    evidence = {"name": plan, "properties.pricingTier": shown(tier)}
    if plan not in REQUIRED_PLANS:
        return passed(
            f"{pricing.name} is Defender plan {plan} (tier {display(tier)}), not required by the checklist.", **evidence
        )
    if tier == "Standard":
        return passed(f"{pricing.name} has Defender plan {plan} on pricingTier Standard.", **evidence)
    return failed(
        f"{pricing.name} has Defender plan {plan} on pricingTier {display(tier)}, so its threats go undetected.",
        **evidence,
    )


@check(
    id="azure.security.defender_for_ai_present",
    resource_types=SUBSCRIPTION,
    severity=Severity.HIGH,
    title="Defender for AI services is enabled on the subscription",
    checklist=("CL-10",),
    remediation="Run `az security pricing create --name AI --tier Standard` (portal: Defender for Cloud > "
    "Environment settings > subscription > Defender plans > AI services On), then enable prompt evidence "
    "and route alerts to your SIEM.",
    reads=("azure.security.pricing[name=AI].properties.pricingTier",),
)
def defender_for_ai_present(subscription: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the subscription has a Defender pricing named AI on pricingTier Standard; no such pricing, or
    Free, FAIL. A failed pricing list makes it ERROR."""
    plans = ctx.resources(PRICING, account=subscription.account)
    ai = [p for p in plans if _plan(p) == "AI"]
    tiers = {p.uid: shown(get(p.config, "properties.pricingTier")) for p in ai}
    if any(tier == "Standard" for tier in tiers.values()):
        return passed(f"{subscription.name} has Defender for AI services on pricingTier Standard.", AI=tiers)
    if not ai:
        return failed(
            f"{subscription.name} has no Defender pricing named AI among its {len(plans)} plan(s), so "
            "AI services threat protection is off.",
            AI={},
            plans=sorted(_plan(p) for p in plans),
        )
    return failed(
        f"{subscription.name} has Defender for AI services on pricingTier "
        f"{', '.join(map(str, tiers.values()))}, not Standard.",
        AI=tiers,
    )
