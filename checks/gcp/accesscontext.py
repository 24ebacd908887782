"""VPC Service Controls checks: Vertex AI inside a service perimeter (or reached only privately)."""

from __future__ import annotations

from typing import Any

from checks.gcp._common import project_number
from cspm_ai.doc import as_list, get
from cspm_ai.engine import Unseen
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

VERTEX_API = "aiplatform.googleapis.com"


def _psc_endpoints(project: Resource, ctx: CheckContext) -> tuple[list[str], list[str]]:
    """(endpoints served through Private Service Connect, the other endpoints) of the project."""
    private: list[str] = []
    other: list[str] = []
    for ep in ctx.resources("gcp.vertex.endpoint", account=project.account):
        psc = get(ep.config, "privateServiceConnectConfig.enablePrivateServiceConnect") is True
        (private if psc else other).append(ep.name)
    return private, other


@check(
    id="gcp.accesscontext.vertex_in_perimeter",
    resource_types="gcp.project",
    severity=Severity.MEDIUM,
    title="Vertex AI is inside a VPC Service Controls perimeter or reached through Private Service Connect",
    checklist=("CL-07",),
    remediation="Add the project and the Vertex AI API to a perimeter: `gcloud access-context-manager perimeters "
    "update <perimeter> --policy=<policy id> --add-resources=projects/<number> "
    "--add-restricted-services=aiplatform.googleapis.com` (test first with `perimeters dry-run update`); "
    "or serve every endpoint through Private Service Connect.",
    reads=("name", "gcp.accesscontext.perimeter:status", "gcp.vertex.endpoint:privateServiceConnectConfig"),
)
def vertex_in_perimeter(project: Resource, ctx: CheckContext) -> Verdict:
    """PASS when an enforced gcp.accesscontext.perimeter (any account) lists "projects/<number>" in
    status.resources and aiplatform.googleapis.com in status.restrictedServices (dry-run `spec` does not count),
    or when the project has endpoints and every one is served through Private Service Connect. Otherwise FAIL;
    perimeters that could not be listed give ERROR unless the endpoints alone decide PASS."""
    number = project_number(project)
    member = f"projects/{number}" if number else None
    blind: Unseen | None = None
    perimeters: list[Resource] = []
    try:
        perimeters = ctx.resources("gcp.accesscontext.perimeter")
    except Unseen as err:
        blind = err
    covering: list[str] = []
    partial: list[dict[str, Any]] = []
    for perimeter in perimeters:
        resources = as_list(get(perimeter.config, "status.resources"))
        if member is None or member not in resources:
            continue
        restricted = as_list(get(perimeter.config, "status.restrictedServices"))
        if VERTEX_API in restricted:
            covering.append(perimeter.name)
        else:
            partial.append({"perimeter": perimeter.name, "restrictedServices": restricted})
    if covering:
        return passed(
            f"{project.name} is in service perimeter {covering[0]}, which restricts {VERTEX_API}.",
            projectNumber=number,
            perimeters=covering,
        )
    private, other = _psc_endpoints(project, ctx)
    evidence = {
        "projectNumber": number,
        "perimetersWithoutVertex": partial,
        "pscEndpoints": private,
        "otherEndpoints": other,
    }
    if private and not other:
        return passed(
            f"{project.name} serves all {len(private)} Vertex AI endpoint(s) through Private Service Connect.",
            **evidence,
        )
    if blind is not None:
        raise blind
    if partial:
        return failed(
            f"{project.name} is in a service perimeter that does not restrict {VERTEX_API}, and not all "
            "its endpoints use Private Service Connect.",
            **evidence,
        )
    return failed(
        f"{project.name} is in no service perimeter restricting {VERTEX_API}, and not all its Vertex AI "
        "endpoints use Private Service Connect.",
        **evidence,
    )
