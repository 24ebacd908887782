"""GuardDuty check: threat detection is on in every scanned region."""

from __future__ import annotations

from cspm_ai.doc import get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

REGION = "aws.region"
DETECTOR = "aws.guardduty.detector"


@check(
    id="aws.guardduty.enabled",
    resource_types=REGION,
    severity=Severity.HIGH,
    title="GuardDuty is enabled in every scanned region",
    checklist=("CL-10",),
    remediation="Run `aws guardduty create-detector --enable --finding-publishing-frequency FIFTEEN_MINUTES "
    "--region <region>` (or enable it organization-wide from the delegated administrator), and send "
    "findings to your SIEM through Security Hub or EventBridge.",
    reads=("aws.guardduty.detector.Status",),
)
def enabled(region: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the region has a detector with Status ENABLED; no detector = GuardDuty never enabled there."""
    detectors = ctx.resources(DETECTOR, account=region.account, region=region.region)
    statuses = {f"{DETECTOR}[{d.name}].Status": shown(get(d.config, "Status")) for d in detectors}
    if any(status == "ENABLED" for status in statuses.values()):
        return passed(f"{region.name} has an ENABLED GuardDuty detector.", **statuses)
    if statuses:
        return failed(
            f"{region.name} has a GuardDuty detector with Status {next(iter(statuses.values()))}.", **statuses
        )
    return failed(f"{region.name} has no GuardDuty detector.", **{DETECTOR: []})
