"""CloudTrail check: the account has a multi-region trail logging all management events."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import as_list, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

ACCOUNT = "aws.account"
TRAIL = "aws.cloudtrail.trail"
BOTH = frozenset({"true", "false"})


def _values(field: Any, operator: str) -> set[str]:
    return {str(v).lower() for v in as_list(get(field, operator))}


def _read_only_scope(fields: list[Any]) -> frozenset[str]:
    """Which readOnly values an advanced selector records: no readOnly field selector means both."""
    for field in fields:
        if get(field, "Field") == "readOnly":
            if equals := _values(field, "Equals"):
                return frozenset(equals & BOTH)
            return BOTH - _values(field, "NotEquals")
    return BOTH


def _advanced_management(selectors: list[Any]) -> tuple[bool, str]:
    covered: set[str] = set()
    for selector in selectors:
        fields = as_list(get(selector, "FieldSelectors"))
        if any(get(f, "Field") == "eventCategory" and "management" in _values(f, "Equals") for f in fields):
            covered |= _read_only_scope(fields)
    if covered == BOTH:
        return True, "advanced event selectors record read and write management events"
    if covered:
        return False, f"its advanced event selectors record only readOnly={''.join(sorted(covered))} management events"
    return False, "no advanced event selector has eventCategory = Management"


def _basic_management(selectors: list[Any]) -> tuple[bool, str]:
    for selector in selectors:
        # Within a selector, absent IncludeManagementEvents = true and absent ReadWriteType = All (API defaults).
        include = get(selector, "IncludeManagementEvents", True)
        read_write = get(selector, "ReadWriteType", "All")
        if include is True and read_write == "All":
            return True, "an event selector records all (read and write) management events"
    return False, "no event selector has IncludeManagementEvents true with ReadWriteType All"


def _management_events(trail: Resource) -> tuple[bool, str]:
    """Absent EventSelectors and AdvancedEventSelectors mean the default: all management events."""
    advanced = get(trail.config, "AdvancedEventSelectors")
    if isinstance(advanced, list) and advanced:
        return _advanced_management(advanced)
    basic = get(trail.config, "EventSelectors")
    if isinstance(basic, list) and basic:
        return _basic_management(basic)
    return True, "it has no custom event selectors, so it records all management events by default"


def _judge_trail(trail: Resource) -> tuple[bool, str, dict[str, Any]]:
    multi = get(trail.config, "IsMultiRegionTrail")
    logging = get(trail.config, "Status.IsLogging")
    management, why = _management_events(trail)
    prefix = f"{TRAIL}[{trail.name}]"
    evidence = {
        f"{prefix}.IsMultiRegionTrail": shown(multi),
        f"{prefix}.Status.IsLogging": shown(logging),
        f"{prefix}.management_events": why,
    }
    if multi is not True:
        return False, f"trail {trail.name} has IsMultiRegionTrail {shown(multi)}", evidence
    if logging is not True:
        return False, f"trail {trail.name} has Status.IsLogging {shown(logging)}", evidence
    if not management:
        return False, f"trail {trail.name}: {why}", evidence
    return True, f"trail {trail.name} is multi-region, logging, and {why}", evidence


@check(
    id="aws.cloudtrail.multi_region_trail",
    resource_types=ACCOUNT,
    severity=Severity.HIGH,
    title="A multi-region CloudTrail trail logs all management events",
    checklist=("CL-05",),
    remediation="Run `aws cloudtrail create-trail --name org-audit --s3-bucket-name <log-bucket> "
    "--is-multi-region-trail --enable-log-file-validation --kms-key-id <key>`, then "
    "`aws cloudtrail start-logging --name org-audit`; keep the default event selectors or set "
    "`ReadWriteType=All,IncludeManagementEvents=true`.",
    reads=(
        "aws.cloudtrail.trail.IsMultiRegionTrail",
        "aws.cloudtrail.trail.Status.IsLogging",
        "aws.cloudtrail.trail.EventSelectors",
        "aws.cloudtrail.trail.AdvancedEventSelectors",
    ),
)
def multi_region_trail(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a trail is multi-region, logging, and records read and write management events; no selectors = all
    management events.
    """
    trails = ctx.resources(TRAIL, account=account.account)
    if not trails:
        return failed(f"{account.name} has no CloudTrail trail.", **{TRAIL: []})
    judged = [_judge_trail(t) for t in trails]
    evidence = {k: v for _, _, ev in judged for k, v in ev.items()}
    good = [why for ok, why, _ in judged if ok]
    if good:
        return passed(f"{account.name} is audited: {good[0]}.", **evidence)
    return failed(f"{account.name} has no qualifying trail: {'; '.join(why for _, why, _ in judged)}.", **evidence)
