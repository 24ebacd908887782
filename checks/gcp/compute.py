"""Compute Engine network checks for AI workloads: no internet ingress into the networks they use, and serving kept
apart from training networks."""

from __future__ import annotations

from typing import Any

from checks.gcp._common import project_number, project_of
from cspm_ai.doc import as_list, get, is_set, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

NETWORK = "gcp.compute.network"
ENDPOINT = "gcp.vertex.endpoint"
ANYWHERE = ("0.0.0.0/0", "::/0")
# Where training and notebook workloads name their network.
TRAINING_NETWORKS = (
    ("gcp.vertex.custom_job", ("jobSpec.network",)),
    ("gcp.vertex.training_pipeline", ("trainingTaskInputs.network", "trainingTaskInputs.jobSpec.network")),
    ("gcp.notebooks.instance", ("gceSetup.networkInterfaces.network",)),
)


def _open(rule: Any) -> bool:
    """An enabled rule admitting traffic from anywhere: INGRESS (absent = INGRESS), allowed protocols, and a source
    range of the whole internet."""
    return (
        get(rule, "disabled") is not True
        and get(rule, "direction", "INGRESS") == "INGRESS"
        and bool(as_list(get(rule, "allowed")))
        and any(r in ANYWHERE for r in as_list(get(rule, "sourceRanges")))
    )


@check(
    id="gcp.compute.ai_network_no_internet_ingress",
    resource_types=NETWORK,
    severity=Severity.HIGH,
    title="VPC networks that AI workloads use admit no traffic from the internet",
    checklist=("ZT-2",),
    remediation="Delete or narrow each rule: `gcloud compute firewall-rules delete <rule>` or `gcloud compute "
    "firewall-rules update <rule> --source-ranges=<corporate or IAP range, e.g. 35.235.240.0/20>`; reach "
    "notebooks through IAP TCP forwarding (`gcloud compute start-iap-tunnel`) instead of open ports.",
    reads=("firewalls",),
)
def ai_network_no_internet_ingress(network: Resource, ctx: CheckContext) -> Verdict:
    """The networks judged are those an endpoint, index endpoint, training job or Workbench instance is attached to;
    `firewalls` is the collector's list of the project's VPC firewall rules on this network. FAIL when an enabled
    rule (disabled absent = false) of direction INGRESS (absent = INGRESS) allows any protocol from 0.0.0.0/0 or
    ::/0; PASS otherwise. Network firewall policies and hierarchical policies are not read: a rule there can still
    open or close the network."""
    rules = as_list(get(network.config, "firewalls"))
    opened = [
        {
            "rule": shown(get(r, "name")),
            "sourceRanges": as_list(get(r, "sourceRanges")),
            "allowed": as_list(get(r, "allowed")),
            "targetTags": as_list(get(r, "targetTags")),
        }
        for r in rules
        if _open(r)
    ]
    if opened:
        return failed(
            f"{network.name} admits traffic from the internet through {len(opened)} firewall rule(s), first "
            f"{opened[0]['rule']}.",
            openRules=opened,
            rules=len(rules),
        )
    return passed(
        f"{network.name} has {len(rules)} firewall rule(s), none admitting traffic from the internet.",
        openRules=[],
        rules=len(rules),
    )


def _network_key(value: Any, project: Resource | None) -> str | None:
    """A network name in one form whether it names its project by id or by number."""
    if not isinstance(value, str) or "/global/networks/" not in value:
        return None
    head, name = value.rsplit("/global/networks/", 1)
    token = head.rsplit("projects/", 1)[-1]
    if project is not None and token == project_number(project):
        token = project.account
    return f"{token}/{name}"


def _values(doc: Any, path: str) -> list[Any]:
    """Every value at a dotted path, descending into lists on the way (a Workbench instance's interfaces)."""
    nodes = [doc]
    for part in path.split("."):
        nodes = [n[part] for node in nodes for n in as_list(node) if isinstance(n, dict) and part in n]
    return [v for node in nodes for v in as_list(node)]


def _training_on(key: str, ep: Resource, project: Resource | None, ctx: CheckContext) -> list[str]:
    """The training jobs, pipelines and Workbench instances of the endpoint's project on network `key`."""
    found = []
    for rtype, paths in TRAINING_NETWORKS:
        for resource in ctx.resources(rtype, account=ep.account):
            values = [v for path in paths for v in _values(resource.config, path)]
            if any(_network_key(v, project) == key for v in values):
                found.append(resource.name)
    return found


@check(
    id="gcp.compute.inference_network_separated",
    resource_types=ENDPOINT,
    severity=Severity.MEDIUM,
    title="Vertex AI endpoints are not reachable from the networks training and notebooks run on",
    checklist=("ZT-2",),
    remediation="Serve from a Private Service Connect endpoint (REST `privateServiceConnectConfig."
    "enablePrivateServiceConnect: true` with a `projectAllowlist` of the serving projects only) or a VPC "
    "reserved for serving, and run training on another network (`gcloud ai custom-jobs create ... "
    "--network=projects/<number>/global/networks/<training-vpc>`); redeploy with `gcloud ai endpoints "
    "deploy-model` and delete the old endpoint.",
    reads=("network", "privateServiceConnectConfig", "gcp.vertex.custom_job:jobSpec.network"),
)
def inference_network_separated(ep: Resource, ctx: CheckContext) -> Verdict:
    """PASS when the endpoint is served through Private Service Connect (privateServiceConnectConfig.
    enablePrivateServiceConnect true: only PSC endpoints in the projectAllowlist projects reach it), or when it is
    VPC-peered to a network (`network`) that no custom job, training pipeline or Workbench instance of the project
    runs on. FAIL when a training or notebook workload shares its network, or when the endpoint is public (network
    and Private Service Connect absent): any network with internet egress, training's included, reaches it. What it
    proves: no shared network path inside the project; forwarding rules to PSC endpoints in allowlisted projects are
    not read."""
    network = get(ep.config, "network")
    psc = get(ep.config, "privateServiceConnectConfig.enablePrivateServiceConnect")
    evidence: dict[str, Any] = {
        "network": shown(network),
        "privateServiceConnectConfig.enablePrivateServiceConnect": shown(psc),
        "projectAllowlist": as_list(get(ep.config, "privateServiceConnectConfig.projectAllowlist")),
    }
    if psc is True:
        return passed(
            f"{ep.name} is reached only through Private Service Connect from {len(evidence['projectAllowlist'])} "
            "allowlisted project(s), on no network shared with training.",
            **evidence,
        )
    if not is_set(network):
        return failed(
            f"{ep.name} is a public endpoint (no network, no Private Service Connect), reachable from every network "
            "training and notebooks run on.",
            **evidence,
        )
    project = project_of(ep, ctx)
    key = _network_key(network, project) or str(network)
    shared = _training_on(key, ep, project, ctx)
    evidence["trainingOnNetwork"] = shared
    if shared:
        return failed(
            f"{ep.name} is peered to {network}, the network {shared[0]} runs on, so training reaches inference.",
            **evidence,
        )
    return passed(f"{ep.name} is peered to {network}, which no training or notebook workload uses.", **evidence)
