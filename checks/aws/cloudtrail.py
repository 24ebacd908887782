"""CloudTrail checks: a multi-region trail logs all management events, and the data events of Bedrock agents,
knowledge bases and guardrails are recorded where the account has them."""

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


# Bedrock resources whose runtime calls CloudTrail records only as data events (InvokeAgent, Retrieve and
# RetrieveAndGenerate, ApplyGuardrail), with the resources.type an advanced event selector names them by.
BEDROCK_DATA_EVENTS = {
    "aws.bedrock.agent": "AWS::Bedrock::AgentAlias",
    "aws.bedrock.knowledge_base": "AWS::Bedrock::KnowledgeBase",
    "aws.bedrock.guardrail": "AWS::Bedrock::Guardrail",
}


def _field_values(fields: list[Any], name: str, operator: str) -> list[str]:
    return [str(v) for f in fields if get(f, "Field") == name for v in as_list(get(f, operator))]


def _selects(fields: list[Any], name: str, value: str) -> bool:
    """Whether the field selectors on `name` admit `value` (no selector on it admits everything)."""
    if not any(get(f, "Field") == name for f in fields):
        return True
    equals = _field_values(fields, name, "Equals")
    starts = _field_values(fields, name, "StartsWith")
    if (equals or starts) and value not in equals and not any(value.startswith(p) for p in starts):
        return False
    excluded = _field_values(fields, name, "NotEquals")
    not_starts = _field_values(fields, name, "NotStartsWith")
    return value not in excluded and not any(value.startswith(p) for p in not_starts)


def _records_data_events(trail: Resource, resource_type: str) -> bool:
    """An advanced selector of the trail records read and write data events of `resource_type`."""
    for selector in as_list(get(trail.config, "AdvancedEventSelectors")):
        fields = as_list(get(selector, "FieldSelectors"))
        categories = [c.lower() for c in _field_values(fields, "eventCategory", "Equals")]
        if "data" not in categories or not any(get(f, "Field") == "resources.type" for f in fields):
            continue
        if _selects(fields, "resources.type", resource_type) and _read_only_scope(fields) == BOTH:
            return True
    return False


def _watching(trails: list[Resource], region: str) -> list[Resource]:
    """Trails that are logging and see `region` (multi-region, or homed there)."""
    return [
        t
        for t in trails
        if get(t.config, "Status.IsLogging") is True
        and (get(t.config, "IsMultiRegionTrail") is True or get(t.config, "HomeRegion") == region)
    ]


@check(
    id="aws.cloudtrail.bedrock_data_events",
    resource_types=ACCOUNT,
    severity=Severity.MEDIUM,
    title="CloudTrail records the data events of Bedrock agents, knowledge bases and guardrails",
    checklist=("CL-05",),
    remediation="Add advanced event selectors to a multi-region trail: `aws cloudtrail put-event-selectors "
    '--trail-name <trail> --advanced-event-selectors \'[{"Name":"Management","FieldSelectors":[{"Field":'
    '"eventCategory","Equals":["Management"]}]},{"Name":"BedrockAgents","FieldSelectors":[{"Field":'
    '"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Bedrock::AgentAlias"'
    ',"AWS::Bedrock::KnowledgeBase","AWS::Bedrock::Guardrail"]}]}]\'`.',
    reads=(
        "aws.cloudtrail.trail.AdvancedEventSelectors",
        "aws.cloudtrail.trail.Status.IsLogging",
        *BEDROCK_DATA_EVENTS,
    ),
)
def bedrock_data_events(account: Resource, ctx: CheckContext) -> Verdict:
    """PASS when, for each kind of Bedrock agent, knowledge base or guardrail the account has, a logging trail that
    sees its region records its data events (an advanced selector with eventCategory Data and that resources.type,
    read and write); the account having none passes (model invocations themselves are management events, which
    aws.cloudtrail.multi_region_trail covers); basic event selectors cannot select Bedrock data events."""
    trails = ctx.resources(TRAIL, account=account.account)
    needed: dict[str, list[str]] = {}
    for rtype, event_type in BEDROCK_DATA_EVENTS.items():
        for resource in ctx.resources(rtype, account=account.account):
            needed.setdefault(event_type, []).append(resource.region)
    if not needed:
        return passed(
            f"{account.name} has no Bedrock agent, knowledge base or guardrail, whose calls would be data events.",
            bedrock_data_event_types=[],
        )
    evidence: dict[str, Any] = {"bedrock_data_event_types": sorted(needed)}
    uncovered = sorted(
        f"{event_type} in {region}"
        for event_type, regions in needed.items()
        for region in sorted(set(regions))
        if not any(_records_data_events(t, event_type) for t in _watching(trails, region))
    )
    evidence["uncovered"] = uncovered
    if uncovered:
        return failed(
            f"{account.name} has no logging trail recording data events of {', '.join(uncovered)}.", **evidence
        )
    return passed(f"{account.name} records the data events of {', '.join(sorted(needed))}.", **evidence)
