"""Cost alerting check: a budget with notifications or a Cost Anomaly Detection monitor exists."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import as_list, get
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

ACCOUNT = "aws.account"
BUDGET = "aws.budgets.budget"
ANOMALY_MONITOR = "aws.ce.anomaly_monitor"


def _notifications(budget: Resource) -> list[Any]:
    """Notifications stored as the list, or as the whole DescribeNotificationsForBudget response."""
    value = get(budget.config, "Notifications")
    if isinstance(value, dict):
        value = value.get("Notifications")
    return [n for n in as_list(value) if isinstance(n, dict)]


@check(
    id="aws.budgets.cost_alerts",
    resource_types=ACCOUNT,
    severity=Severity.LOW,
    title="Cost alerts watch for GPU and AI spend anomalies",
    checklist=("CL-06",),
    remediation="Create a budget with an alert (`aws budgets create-budget --account-id <id> --budget file://"
    "budget.json --notifications-with-subscribers file://alerts.json`, e.g. 80% ACTUAL and 100% "
    "FORECASTED), and a Cost Anomaly Detection monitor with a subscription (`aws ce "
    "create-anomaly-monitor` with MonitorDimension SERVICE, then `aws ce create-anomaly-subscription`).",
    reads=("aws.budgets.budget.Notifications", "aws.ce.anomaly_monitor.MonitorArn"),
)
def cost_alerts(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a budget has a notification or a Cost Anomaly Detection monitor exists; neither means nothing alerts
    on spend.
    """
    budgets = ctx.resources(BUDGET, account=account.account)
    counts = {f"{BUDGET}[{b.name}].Notifications": len(_notifications(b)) for b in budgets}
    alerting = [b for b in budgets if _notifications(b)]
    if alerting:
        return passed(
            f"{account.name} has budget {alerting[0].name} with {len(_notifications(alerting[0]))} notification(s).",
            **counts,
        )
    monitors = ctx.resources(ANOMALY_MONITOR, account=account.account)
    if monitors:
        return passed(
            f"{account.name} has Cost Anomaly Detection monitor {monitors[0].name}.",
            **counts,
            **{ANOMALY_MONITOR: [m.name for m in monitors]},
        )
    budgets_said = f"{len(budgets)} budget(s) without notifications" if budgets else "no budget"
    return failed(
        f"{account.name} has {budgets_said} and no Cost Anomaly Detection monitor.",
        **counts,
        **{BUDGET: [b.name for b in budgets], ANOMALY_MONITOR: []},
    )
