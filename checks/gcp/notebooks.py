"""Vertex AI Workbench checks (notebooks v2 instances)."""

from __future__ import annotations

from checks._verdicts import flag_true
from cspm_ai.model import Resource, Severity, Verdict
from cspm_ai.registry import CheckContext, check


@check(
    id="gcp.notebooks.no_public_ip",
    resource_types="gcp.notebooks.instance",
    severity=Severity.HIGH,
    title="Workbench instances have no public IP address",
    checklist=("CL-01",),
    remediation="Public IPs are fixed at creation: recreate the instance with `gcloud workbench instances create "
    "<name> --location=<zone> --disable-public-ip --network=<vpc> --subnet=<subnet>` (reach the internet "
    "through Cloud NAT and Google APIs through Private Google Access), move the data, then `gcloud "
    "workbench instances delete` the old one.",
    reads=("gceSetup.disablePublicIp",),
)
def no_public_ip(instance: Resource, ctx: CheckContext) -> Verdict:
    """PASS when gceSetup.disablePublicIp is true; absent = false (proto3 JSON omits false), so the VM has an
    external IP: FAIL."""
    return flag_true(
        instance,
        "gceSetup.disablePublicIp",
        on="the VM has no external IP address",
        off="the VM gets an external IP address reachable from the internet",
    )
