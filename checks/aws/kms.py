"""KMS checks: keys used by AI resources are customer managed and rotated."""

from __future__ import annotations

from cspm_ai.doc import ABSENT, display, get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext, check

KEY = "aws.kms.key"


@check(
    id="aws.kms.key_customer_managed",
    resource_types=KEY,
    severity=Severity.MEDIUM,
    title="KMS keys used by AI resources are customer managed",
    checklist=("CL-03",),
    remediation="Create a customer managed key (`aws kms create-key --description <purpose>`), grant the "
    "SageMaker execution roles kms:Decrypt/GenerateDataKey in its key policy, and recreate the "
    "resources that use the AWS managed key with `KmsKeyId=<new-key-arn>`.",
    reads=("KeyManager",),
)
def key_customer_managed(key: Resource, ctx: CheckContext) -> Verdict:
    """PASS when KeyManager is CUSTOMER; absent cannot be shown to be customer managed."""
    manager = get(key.config, "KeyManager")
    evidence = {"KeyManager": shown(manager), "KeyState": shown(get(key.config, "KeyState"))}
    if manager == "CUSTOMER":
        return passed(f"{key.name} is a customer managed key.", **evidence)
    return failed(
        f"{key.name} has KeyManager {display(manager)}, so its policy and lifecycle are not under your control.",
        **evidence,
    )


@check(
    id="aws.kms.key_rotation_enabled",
    resource_types=KEY,
    severity=Severity.MEDIUM,
    title="Customer managed KMS keys used by AI resources rotate automatically",
    checklist=("CL-03",),
    remediation="Run `aws kms enable-key-rotation --key-id <key-arn> --rotation-period-in-days 365` (90-2560 days).",
    reads=("KeyManager", "KeySpec", "Origin", "KeyRotationEnabled", "RotationPeriodInDays"),
)
def key_rotation_enabled(key: Resource, ctx: CheckContext) -> Verdict:
    """PASS when KeyRotationEnabled is true, or the key is AWS managed, asymmetric or HMAC; absent on a customer key =
    off.
    """
    config = key.config
    manager, spec, origin = get(config, "KeyManager"), get(config, "KeySpec"), get(config, "Origin")
    enabled, period = get(config, "KeyRotationEnabled"), get(config, "RotationPeriodInDays")
    evidence = {
        "KeyManager": shown(manager),
        "KeySpec": shown(spec),
        "Origin": shown(origin),
        "KeyRotationEnabled": shown(enabled),
        "RotationPeriodInDays": shown(period),
    }
    if manager == "AWS":
        return passed(f"{key.name} is AWS managed, and AWS rotates it automatically every year.", **evidence)
    # KeySpec absent: older responses carry only CustomerMasterKeySpec; both absent = SYMMETRIC_DEFAULT.
    key_spec = spec if isinstance(spec, str) else get(config, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT")
    if key_spec != "SYMMETRIC_DEFAULT":
        return passed(
            f"{key.name} has KeySpec {key_spec}, which KMS cannot rotate automatically (asymmetric and "
            "HMAC keys are replaced, not rotated).",
            **evidence,
        )
    # Origin absent = AWS_KMS, the default; imported, CloudHSM and external key stores cannot auto-rotate.
    if isinstance(origin, str) and origin != "AWS_KMS":
        return manual(
            f"{key.name} has key material origin {origin}, which KMS cannot rotate automatically; "
            "attest that it is rotated by hand.",
            **evidence,
        )
    if enabled is True:
        # RotationPeriodInDays absent: keys made before custom periods rotate yearly (365 days).
        every = f"every {period} days" if isinstance(period, int) else "every 365 days (the default period)"
        return passed(f"{key.name} rotates automatically {every}.", **evidence)
    note = " (absent means off)" if enabled is ABSENT else ""
    return failed(f"{key.name} has KeyRotationEnabled {display(enabled)}{note}.", **evidence)
