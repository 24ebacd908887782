"""Cloud KMS checks: automatic rotation of the keys that protect AI data."""

from __future__ import annotations

from checks.gcp._common import seconds
from cspm_ai.doc import display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

NINETY_DAYS = 90 * 24 * 3600  # "7776000s"


@check(
    id="gcp.kms.key_rotation",
    resource_types="gcp.kms.crypto_key",
    severity=Severity.MEDIUM,
    title="Cloud KMS keys rotate automatically at least every 90 days",
    checklist=("CL-03",),
    remediation="Run `gcloud kms keys update <key> --location=<region> --keyring=<kr> --rotation-period=90d "
    "--next-rotation-time=<RFC 3339 time>`.",
    reads=("rotationPeriod", "purpose"),
)
def key_rotation(key: Resource, ctx: CheckContext) -> Verdict:
    """PASS when rotationPeriod is present and at most 7776000s (90 days); absent = no automatic rotation: FAIL.
    Keys whose purpose is not ENCRYPT_DECRYPT (absent purpose counts as ENCRYPT_DECRYPT) cannot rotate
    automatically: MANUAL."""
    period = get(key.config, "rotationPeriod")
    purpose = get(key.config, "purpose", "ENCRYPT_DECRYPT")
    evidence = {
        "rotationPeriod": shown(period),
        "nextRotationTime": shown(get(key.config, "nextRotationTime")),
        "purpose": purpose,
    }
    if purpose not in ("ENCRYPT_DECRYPT", 1, "1"):
        return manual(
            f"{key.name} has purpose {purpose}, which Cloud KMS cannot rotate automatically; attest that "
            "new key versions are created at least every 90 days.",
            **evidence,
        )
    length = seconds(period)
    if length is None:
        note = " (absent means no automatic rotation)" if not period else ""
        return failed(
            f"{key.name} has rotationPeriod {display(period)}{note}, so its key material never changes on its own.",
            **evidence,
        )
    if length <= NINETY_DAYS:
        return passed(f"{key.name} rotates automatically every {length / 86400:g} days.", **evidence)
    return failed(f"{key.name} rotates only every {length / 86400:g} days, longer than 90 days.", **evidence)
