"""Vertex AI Workbench checks (notebooks v2 instances): network exposure and secrets in metadata."""

from __future__ import annotations

from checks._verdicts import flag_true, no_secrets
from cspm_ai.model import Resource, Severity, Verdict
from cspm_ai.registry import CheckContext, check

NOTEBOOK_INSTANCE = "gcp.notebooks.instance"


@check(
    id="gcp.notebooks.no_public_ip",
    resource_types=NOTEBOOK_INSTANCE,
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


@check(
    id="gcp.notebooks.no_secrets_in_configuration",
    resource_types=NOTEBOOK_INSTANCE,
    severity=Severity.CRITICAL,
    title="Workbench instances hold no credentials or secrets in their metadata",
    checklist=("MS-4",),
    remediation="Rotate the exposed credential now and store it in Secret Manager (`gcloud secrets create <name> "
    "--data-file=<file>`), grant the instance's service account `roles/secretmanager.secretAccessor`, and "
    "rewrite the metadata so the startup script reads the secret at boot (`gcloud secrets versions access "
    "latest --secret=<name>`) instead of carrying it: `gcloud workbench instances update <instance> "
    "--location=<zone> --metadata=startup-script=<script without the value>`.",
    reads=("<redactions>",),
)
def no_secrets_in_configuration(instance: Resource, ctx: CheckContext) -> Verdict:
    """FAIL when the redactor removed secret-looking values before storage: gceSetup.metadata values (judged by
    their key), the startup-script and other scripts in it (assignments, Authorization headers, base64 key
    files), labels and the name; the evidence names each path and kind, never the value. No redactions (no
    metadata, or none secret-looking) PASS."""
    return no_secrets(instance)
