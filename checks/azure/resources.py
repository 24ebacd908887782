"""Azure Resource Manager deployment history: AI resources are created and changed through infrastructure as code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from checks.azure._common import arm_time
from cspm_ai.doc import display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

DEPLOYMENT = "azure.resources.deployment"
DEPLOYED = ("azure.ml.workspace", "azure.ml.registry", "azure.cognitive.account", "azure.search.service")
# Tags an infrastructure-as-code pipeline writes, and the tools a provenance tag may name. `azd-env-name` is written
# by the Azure Developer CLI on everything it provisions from Bicep or Terraform.
IAC_TAG_KEYS = (
    "managedby",
    "managed-by",
    "iac",
    "provisioner",
    "provisionedby",
    "deployedby",
    "createdby",
    "terraform",
)
IAC_TOOL_TAG_KEYS = ("azd-env-name", "hidden-terraform")
IAC_TOOLS = ("terraform", "opentofu", "bicep", "arm", "pulumi", "crossplane", "ansible", "azd", "cdktf")
# ARM stamps a resource a little after the deployment that wrote it finished: changes within this margin are its.
MARGIN = timedelta(minutes=15)


def _iac_tag(resource: Resource) -> str | None:
    """The tag that claims the resource for an infrastructure-as-code tool, as "key=value", if any."""
    for key, value in resource.tags.items():
        spelt = key.lower().replace("_", "-")
        if spelt in IAC_TOOL_TAG_KEYS:
            return f"{key}={value}"
        if spelt in IAC_TAG_KEYS or spelt.replace("-", "") in IAC_TAG_KEYS:
            words = value.lower().replace("/", " ").replace("-", " ").replace(":", " ").split()
            if spelt == "terraform" or any(tool in words for tool in IAC_TOOLS):
                return f"{key}={value}"
    return None


def _deployments(resource: Resource, ctx: CheckContext) -> list[tuple[Any, Resource]]:
    """The succeeded deployments that list the resource in their outputResources, newest first."""
    ctx.resources(DEPLOYMENT, account=resource.account)  # a blind deployment history makes it ERROR, never a FAIL
    found = [
        (arm_time(get(d.config, "properties.timestamp")), d)
        for d in ctx.referrers(resource, "deploys")
        if d.type == DEPLOYMENT and get(d.config, "properties.provisioningState") == "Succeeded"
    ]
    return sorted(found, key=lambda pair: pair[0].timestamp() if pair[0] else 0.0, reverse=True)


def _changed_by_hand(resource: Resource, deployed_at: Any) -> tuple[str, str] | None:
    """(who, when) when systemData says a user (not an application or managed identity) changed the resource after
    the deployment that wrote it."""
    when = arm_time(get(resource.config, "systemData.lastModifiedAt"))
    kind = get(resource.config, "systemData.lastModifiedByType")
    if kind != "User" or when is None or deployed_at is None or when <= deployed_at + MARGIN:
        return None
    return str(get(resource.config, "systemData.lastModifiedBy")), when.isoformat()


@check(
    id="azure.resources.ai_resource_deployed_by_iac",
    resource_types=DEPLOYED,
    severity=Severity.MEDIUM,
    title="AI resources are created and changed only through infrastructure as code",
    checklist=("PH-1",),
    remediation="Describe the resource in Bicep, ARM or Terraform reviewed in pull requests and apply it from the "
    "pipeline: `az deployment group create --resource-group <rg> --template-file main.bicep` (for Terraform, "
    "`terraform import` it and tag it `managed-by=terraform`); take away standing write access so people change it "
    "through the pipeline only.",
    reads=(
        "deploys<-properties.outputResources",
        "deploys<-properties.timestamp",
        "systemData.lastModifiedByType",
        "systemData.lastModifiedAt",
        "tags",
    ),
)
def ai_resource_deployed_by_iac(resource: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a succeeded ARM deployment in the resource group's history lists the resource in its
    outputResources (proof a template wrote it) and no user changed it after the newest such deployment
    (systemData.lastModifiedByType User, later than its timestamp); a user change after it FAILs (drift made by
    hand). Without a deployment, a tag naming an IaC tool (managed-by=terraform, azd-env-name, ...) PASSes as a claim
    ARM does not verify (Terraform writes through the API, not deployments). Neither FAILs: created outside IaC, or
    by a deployment ARM no longer keeps (history holds the latest 800 per group). A failed deployment-history list
    makes it ERROR."""
    deployments = _deployments(resource, ctx)
    tag = _iac_tag(resource)
    evidence: dict[str, Any] = {
        "deploys<-": [d.name for _, d in deployments],
        "iac_tag": shown(tag) if tag else None,
        "systemData.createdByType": shown(get(resource.config, "systemData.createdByType")),
        "systemData.lastModifiedByType": shown(get(resource.config, "systemData.lastModifiedByType")),
        "systemData.lastModifiedAt": shown(get(resource.config, "systemData.lastModifiedAt")),
    }
    if deployments:
        deployed_at, newest = deployments[0]
        hand = _changed_by_hand(resource, deployed_at)
        if hand:
            return failed(
                f"{resource.name} was deployed by {newest.name} but changed by user {hand[0]} at {hand[1]}, after "
                "that deployment, outside infrastructure as code.",
                **evidence,
            )
        return passed(
            f"{resource.name} is written by ARM deployment {newest.name} "
            f"({display(get(newest.config, 'properties.timestamp'))}) and not changed by hand since.",
            **evidence,
        )
    if tag:
        return passed(
            f"{resource.name} is claimed by infrastructure as code through tag {tag} (no ARM deployment lists it; "
            "the tag is not verified).",
            **evidence,
        )
    created = get(resource.config, "systemData.createdByType")
    return failed(
        f"{resource.name} is listed by no deployment in its resource group's history and has no IaC tag, so it was "
        f"created outside infrastructure as code (systemData.createdByType {display(created)}).",
        **evidence,
    )
