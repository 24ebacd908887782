"""Cost checks: a budget with alerts on the subscription, to catch runaway GPU and AI API spend."""

from __future__ import annotations

from cspm_ai.doc import get
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

BUDGET = "azure.consumption.budget"
SUBSCRIPTION = "azure.subscription"


def _enabled_notifications(budget: Resource) -> list[str]:
    notifications = get(budget.config, "properties.notifications")
    if not isinstance(notifications, dict):
        return []
    return sorted(name for name, rule in notifications.items() if get(rule, "enabled") is True)


@check(
    id="azure.consumption.budget_alerts",
    resource_types=SUBSCRIPTION,
    severity=Severity.LOW,
    title="The subscription has a budget with alert notifications",
    checklist=("CL-06",),
    remediation="Create a monthly budget with alerts: `az consumption budget create --budget-name ai-monthly "
    "--amount <limit> --category cost --time-grain monthly --start-date <YYYY-MM-01> --end-date "
    "<YYYY-MM-DD>`, then add notifications (portal: Cost Management > Budgets > Alert conditions at "
    "80% actual and 100% forecasted, with recipients).",
    reads=("azure.consumption.budget.properties.notifications",),
)
def budget_alerts(subscription: Resource, ctx: CheckContext) -> Verdict:
    """PASS when an azure.consumption.budget in the subscription has a notification with enabled true (absent
    notifications or enabled = no alert); no budget FAIL. A failed budget list makes it ERROR."""
    budgets = ctx.resources(BUDGET, account=subscription.account)
    found = {b.name: _enabled_notifications(b) for b in budgets}
    for name, enabled in found.items():
        if enabled:
            return passed(
                f"{subscription.name} has budget {name} with enabled alert {enabled[0]}.", enabled_notifications=found
            )
    if not budgets:
        return failed(
            f"{subscription.name} has no budget, so unexpected AI spend raises no alert.", enabled_notifications={}
        )
    return failed(
        f"{subscription.name} has {len(budgets)} budget(s) but no enabled notification, so spend raises no alert.",
        enabled_notifications=found,
    )
