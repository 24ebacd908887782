"""Compute Engine network checks for AI workloads, table-driven: no internet ingress into their networks, serving
apart from training networks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.checks.conftest import DROP, ERROR, FAIL, PASS, Case, Estate, assert_case
from tests.checks.gcp_support import NETWORK, PROJECT_ID, collection_error, declare_type, make, one

EP = "gcp.vertex.endpoint"
JOB = "gcp.vertex.custom_job"
NB = "gcp.notebooks.instance"
SELF = f"https://www.googleapis.com/compute/v1/projects/{PROJECT_ID}/global/networks/ml-vpc"


def rule(name: str, ranges: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "kind": "compute#firewall",
        "id": "7770000000000000001",
        "creationTimestamp": "2024-02-03T01:05:00.000-08:00",
        "name": name,
        "network": SELF,
        "priority": 1000,
        "sourceRanges": ranges,
        "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}],
        "direction": "INGRESS",
        "logConfig": {"enable": False},
        "selfLink": f"https://www.googleapis.com/compute/v1/projects/{PROJECT_ID}/global/firewalls/{name}",
        **extra,
    }


VPC = declare_type(
    "gcp.compute.network",
    {
        "kind": "compute#network",
        "id": "5551234567890123456",
        "creationTimestamp": "2024-02-03T01:02:03.456-08:00",
        "name": "ml-vpc",
        "selfLink": SELF,
        "autoCreateSubnetworks": False,
        "subnetworks": [
            f"https://www.googleapis.com/compute/v1/projects/{PROJECT_ID}/regions/us-central1/subnetworks/a"
        ],
        "routingConfig": {"routingMode": "REGIONAL"},
        "mtu": 1460,
        "firewalls": [rule("allow-internal", ["10.20.0.0/16"]), rule("allow-iap", ["35.235.240.0/20"])],
    },
    uid=f"projects/{PROJECT_ID}/global/networks/{{name}}",
    name="ml-vpc",
    region="global",
    host="compute",
)
PEERED = {"privateServiceConnectConfig": DROP, "network": NETWORK}


def beside(endpoint: dict[str, Any] | None, *others: tuple[str, dict[str, Any] | None]) -> Callable[[], Estate]:
    """An endpoint, its project and the training workloads of the project."""

    def build() -> Estate:
        estate = Estate(make(EP, endpoint)).add(make("gcp.project"))
        for rtype, changes in others:
            estate.add(make(rtype, changes))
        return estate

    return build


CASES: list[Case] = [
    # ZT-2 firewall rules
    Case("gcp.compute.ai_network_no_internet_ingress", PASS, "internal-and-iap", one(VPC), says="2 firewall rule"),
    Case("gcp.compute.ai_network_no_internet_ingress", PASS, "no-rules", one(VPC, {"firewalls": DROP})),
    Case(
        "gcp.compute.ai_network_no_internet_ingress",
        FAIL,
        "ssh-from-anywhere",
        one(VPC, {"firewalls": [rule("default-allow-ssh", ["0.0.0.0/0"])]}),
        says="default-allow-ssh",
    ),
    Case(
        "gcp.compute.ai_network_no_internet_ingress",
        FAIL,
        "ipv6-direction-absent",
        one(VPC, {"firewalls": [{k: v for k, v in rule("v6-open", ["::/0"]).items() if k != "direction"}]}),
    ),
    Case(
        "gcp.compute.ai_network_no_internet_ingress",
        PASS,
        "disabled-rule",
        one(VPC, {"firewalls": [rule("old-open", ["0.0.0.0/0"], disabled=True)]}),
    ),
    Case(
        "gcp.compute.ai_network_no_internet_ingress",
        PASS,
        "deny-rule",
        one(VPC, {"firewalls": [{**rule("deny-all", ["0.0.0.0/0"], denied=[{"IPProtocol": "all"}]), "allowed": []}]}),
    ),
    Case(
        "gcp.compute.ai_network_no_internet_ingress",
        PASS,
        "egress",
        one(VPC, {"firewalls": [rule("egress", ["0.0.0.0/0"], direction="EGRESS")]}),
    ),
    # ZT-2 training and serving networks
    Case("gcp.compute.inference_network_separated", PASS, "psc", beside(None, (JOB, None)), says="Private Service"),
    Case(
        "gcp.compute.inference_network_separated",
        PASS,
        "own-serving-network",
        beside(
            {**PEERED, "network": "projects/123456789012/global/networks/serving-vpc"},
            (JOB, None),
            (NB, None),
        ),
        says="no training or notebook workload",
    ),
    Case(
        "gcp.compute.inference_network_separated",
        FAIL,
        "job-on-same-network",
        beside(PEERED, (JOB, None)),
        says="train-fraud runs on",
    ),
    Case(
        "gcp.compute.inference_network_separated",
        FAIL,
        "notebook-on-same-network-named-by-id",
        beside(
            {**PEERED, "network": f"projects/{PROJECT_ID}/global/networks/ml-vpc"},
            (JOB, {"jobSpec.network": DROP}),
            (NB, None),
        ),
        says="wb-alice",
    ),
    Case(
        "gcp.compute.inference_network_separated",
        FAIL,
        "public",
        beside({"privateServiceConnectConfig": DROP}),
        says="public endpoint",
    ),
    Case(
        "gcp.compute.inference_network_separated",
        ERROR,
        "jobs-unlisted",
        lambda: beside(PEERED)().fail(
            collection_error(JOB, region="us-central1", operation="aiplatform.customJobs.list")
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check(case: Case) -> None:
    assert_case(case)
