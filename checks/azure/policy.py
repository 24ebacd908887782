"""Azure Policy checks: policy assignments that evaluate the subscription's compliance."""

from __future__ import annotations

from checks.azure._common import not_an_object
from cspm_ai.doc import ABSENT, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

ASSIGNMENT = "azure.policy.assignment"
SUBSCRIPTION = "azure.subscription"


@check(
    id="azure.policy.assignments_monitor_compliance",
    resource_types=SUBSCRIPTION,
    severity=Severity.MEDIUM,
    title="Azure Policy assignments evaluate the subscription with enforcement on",
    checklist=("CL-12",),
    remediation="Assign an initiative such as Microsoft cloud security benchmark and the Azure Machine Learning "
    "and Azure AI services built-ins: `az policy assignment create --name mcsb --scope "
    "/subscriptions/<id> --policy-set-definition 1f3afdf9-d0c9-4c3d-847f-89da613e70a8 "
    "--enforcement-mode Default`.",
    reads=("azure.policy.assignment.properties.enforcementMode",),
)
def assignments_monitor_compliance(subscription: Resource, ctx: CheckContext) -> Verdict:
    """PASS when at least one azure.policy.assignment in the subscription has properties.enforcementMode Default
    (absent = Default); none, or only DoNotEnforce or malformed ones, FAIL. A failed assignment list makes it
    ERROR."""
    assignments = ctx.resources(ASSIGNMENT, account=subscription.account)
    modes = {}
    for assignment in assignments:
        mode = get(assignment.config, "properties.enforcementMode")
        modes[assignment.name] = shown(mode)
        if not_an_object(assignment.config, "properties.enforcementMode") is not None:
            continue  # a mangled assignment proves nothing: "absent" must not read as Default here
        if mode is ABSENT or mode is None or mode == "Default":
            return passed(
                f"{subscription.name} has policy assignment {assignment.name} with enforcementMode "
                f"{'Default' if mode == 'Default' else '<absent> (means Default)'}.",
                enforcementMode={assignment.name: shown(mode)},
                assignments=len(assignments),
            )
    if not assignments:
        return failed(
            f"{subscription.name} has no Azure Policy assignments, so nothing evaluates its compliance.",
            enforcementMode={},
        )
    return failed(
        f"{subscription.name} has {len(assignments)} policy assignment(s), none with enforcementMode Default.",
        enforcementMode=modes,
    )
