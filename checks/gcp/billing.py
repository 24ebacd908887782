"""Cloud Billing checks: budgets with alert thresholds covering the project."""

from __future__ import annotations

from typing import Any

from checks.gcp._common import project_number
from cspm_ai.doc import as_list, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check


@check(
    id="gcp.billing.budget_alerts",
    resource_types="gcp.project",
    severity=Severity.LOW,
    title="A budget with alert thresholds covers the project",
    checklist=("CL-06",),
    remediation="Run `gcloud billing budgets create --billing-account=<billing account id> --display-name=ai-monthly "
    "--budget-amount=5000USD --filter-projects=projects/<number> --threshold-rule=percent=0.5 "
    "--threshold-rule=percent=0.9 --threshold-rule=percent=1.0` (add `--notifications-rule-pubsub-topic` "
    "or monitoring channels for the on-call team).",
    reads=(
        "name",
        "billingInfo.billingAccountName",
        "gcp.billing.budget:budgetFilter.projects",
        "gcp.billing.budget:thresholdRules",
    ),
)
def budget_alerts(project: Resource, ctx: CheckContext) -> Verdict:
    """PASS when some gcp.billing.budget of the project's billing account (billingInfo.billingAccountName; budgets
    are recorded under their billing account) has thresholdRules and either lists "projects/<number>" in
    budgetFilter.projects or has no projects filter (absent = the whole billing account); none = FAIL. A project
    with no billing account cannot spend: PASS. Billing that could not be read: ERROR."""
    ctx.resources("gcp.billing.budget", account=project.account)  # raises when this project's billing was unseen
    number = project_number(project)
    member = f"projects/{number}" if number else None
    info = get(project.config, "billingInfo")
    account = get(info, "billingAccountName") if isinstance(info, dict) else None
    if isinstance(info, dict) and not is_set(account):
        return passed(
            f"{project.name} has no billing account, so it cannot run up AI spend.", billingAccountName=shown(account)
        )
    covering: list[dict[str, Any]] = []
    for budget in ctx.resources("gcp.billing.budget", account=account if is_set(account) else None):
        projects = as_list(get(budget.config, "budgetFilter.projects"))
        if projects and member not in projects:
            continue
        rules = as_list(get(budget.config, "thresholdRules"))
        covering.append(
            {
                "budget": budget.name,
                "scope": "project" if projects else "billing account",
                "thresholds": [get(r, "thresholdPercent", None) for r in rules],
            }
        )
    evidence = {"projectNumber": number, "billingAccountName": shown(account), "budgets": covering}
    alerting = [c for c in covering if c["thresholds"]]
    if alerting:
        return passed(
            f"{project.name} is covered by budget {alerting[0]['budget']} with "
            f"{len(alerting[0]['thresholds'])} alert threshold(s).",
            **evidence,
        )
    if covering:
        return failed(
            f"{project.name} is covered by {len(covering)} budget(s) but none has thresholdRules (absent "
            "means no alerts), so overspend goes unannounced.",
            **evidence,
        )
    return failed(f"{project.name} is covered by no budget, so runaway AI spend raises no alert.", **evidence)
