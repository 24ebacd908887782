"""Cost Anomaly Detection check: every anomaly monitor alerts someone (CL-06)."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import as_list, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

ANOMALY_MONITOR = "aws.ce.anomaly_monitor"
SUBSCRIPTION = "aws.ce.anomaly_subscription"


def _listening(subscription: Resource) -> list[str]:
    """The subscribers that receive the alerts: an e-mail address or SNS topic not DECLINED (Status absent =
    nothing declined)."""
    return [
        f"{get(s, 'Type')} {get(s, 'Address')}"
        for s in as_list(get(subscription.config, "Subscribers"))
        if isinstance(s, dict) and get(s, "Status") != "DECLINED" and get(s, "Address")
    ]


@check(
    id="aws.ce.anomaly_monitor_alerts",
    resource_types=ANOMALY_MONITOR,
    severity=Severity.LOW,
    title="Cost anomaly monitors alert someone",
    checklist=("CL-06",),
    remediation="Subscribe people or an SNS topic to the monitor: `aws ce create-anomaly-subscription "
    '--anomaly-subscription \'{"SubscriptionName":"ai-spend-alerts","MonitorArnList":["<monitor-arn>"],'
    '"Subscribers":[{"Type":"EMAIL","Address":"finops@example.com"}],"Frequency":"DAILY",'
    '"ThresholdExpression":{"Dimensions":{"Key":"ANOMALY_TOTAL_IMPACT_ABSOLUTE","Values":["100"],'
    '"MatchOptions":["GREATER_THAN_OR_EQUAL"]}}}\'`.',
    reads=("aws.ce.anomaly_subscription.MonitorArnList", "aws.ce.anomaly_subscription.Subscribers"),
)
def anomaly_monitor_alerts(monitor: Resource, ctx: CheckContext) -> Verdict:
    """PASS when an anomaly subscription names the monitor in its MonitorArnList and has a subscriber that has not
    declined (Status absent = confirmed); without one, the anomalies the monitor finds reach only someone who opens
    the console. Which anomalies alert (the threshold) is shown, not judged."""
    arn = get(monitor.config, "MonitorArn", monitor.uid)
    mine = [
        s
        for s in ctx.resources(SUBSCRIPTION, account=monitor.account)
        if arn in as_list(get(s.config, "MonitorArnList"))
    ]
    evidence: dict[str, Any] = {
        f"{SUBSCRIPTION}[{s.name}]": {
            "Subscribers": _listening(s),
            "Frequency": shown(get(s.config, "Frequency")),
            "ThresholdExpression": shown(get(s.config, "ThresholdExpression")),
        }
        for s in mine
    }
    alerting = [s for s in mine if _listening(s)]
    if alerting:
        first = alerting[0]
        return passed(
            f"{monitor.name} alerts {', '.join(_listening(first))} through subscription {first.name} "
            f"({shown(get(first.config, 'Frequency'))}).",
            **evidence,
        )
    if mine:
        return failed(
            f"{monitor.name} has {len(mine)} subscription(s), but no subscriber who has not declined.", **evidence
        )
    return failed(f"{monitor.name} has no anomaly subscription, so its anomalies alert no one.", **{SUBSCRIPTION: []})
