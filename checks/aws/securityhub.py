"""Security Hub check: findings are aggregated in every scanned region."""

from __future__ import annotations

from cspm_ai.doc import get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

REGION = "aws.region"
HUB = "aws.securityhub.hub"


@check(
    id="aws.securityhub.enabled",
    resource_types=REGION,
    severity=Severity.MEDIUM,
    title="Security Hub is enabled in every scanned region",
    checklist=("CL-10",),
    remediation="Run `aws securityhub enable-security-hub --enable-default-standards --region <region>` (or from "
    "the organization's delegated administrator) and forward findings to the central SIEM.",
    reads=("aws.securityhub.hub.HubArn",),
)
def enabled(region: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the region has a Security Hub hub; none = DescribeHub found it not enabled."""
    hubs = ctx.resources(HUB, account=region.account, region=region.region)
    if not hubs:
        return failed(f"{region.name} does not have Security Hub enabled.", **{HUB: []})
    hub = hubs[0]
    arn, since = get(hub.config, "HubArn"), get(hub.config, "SubscribedAt")
    return passed(
        f"{region.name} has Security Hub enabled ({shown(arn)}).",
        **{f"{HUB}.HubArn": shown(arn), f"{HUB}.SubscribedAt": shown(since)},
    )
