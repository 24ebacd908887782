"""Security Command Center checks: the service is on for the project."""

from __future__ import annotations

from cspm_ai.doc import as_list, display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check


@check(
    id="gcp.scc.enabled",
    resource_types="gcp.project",
    severity=Severity.HIGH,
    title="Security Command Center is enabled for the project",
    checklist=("CL-10",),
    remediation="Activate Security Command Center for the organization or project (console: Security > Security "
    "Command Center > Get started), then check the services with `gcloud scc manage services list "
    "--project=<project>` and enable the ones you need, e.g. `gcloud scc manage services update "
    "security-health-analytics --project=<project> --enablement-state=ENABLED`.",
    reads=("gcp.scc.settings:enabled",),
)
def enabled(project: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the project's gcp.scc.settings has enabled true; enabled absent (= false) or no settings
    recorded for the project = FAIL."""
    settings = ctx.resources("gcp.scc.settings", account=project.account)
    if not settings:
        return failed(
            f"{project.name} has no Security Command Center state recorded, so no threat detection is known.",
            scc="<absent>",
        )
    state = settings[0]
    flag = get(state.config, "enabled")
    evidence = {"enabled": shown(flag), "services": as_list(get(state.config, "services"))}
    if flag is True:
        return passed(f"{project.name} has Security Command Center enabled.", **evidence)
    return failed(
        f"{project.name} has Security Command Center enabled {display(flag)} (absent "
        "means false), so misconfigurations and threats are not detected.",
        **evidence,
    )
