"""AWS Config check: a recorder continuously records every supported resource type."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import get, shown
from cspm_ai.model import Resource, Severity, Verdict, failed, passed
from cspm_ai.registry import CheckContext, check

REGION = "aws.region"
RECORDER = "aws.config.recorder"


def _judge(recorder: Resource) -> tuple[bool, str, dict[str, Any]]:
    # recordingGroup absent cannot be shown to cover all types; Status.recording absent = not recording.
    all_supported = get(recorder.config, "recordingGroup.allSupported")
    strategy = get(recorder.config, "recordingGroup.recordingStrategy.useOnly")
    recording = get(recorder.config, "Status.recording")
    prefix = f"{RECORDER}[{recorder.name}]"
    evidence = {
        f"{prefix}.recordingGroup.allSupported": shown(all_supported),
        f"{prefix}.recordingGroup.recordingStrategy.useOnly": shown(strategy),
        f"{prefix}.Status.recording": shown(recording),
    }
    if all_supported is not True and strategy != "ALL_SUPPORTED_RESOURCE_TYPES":
        return (
            False,
            (
                f"recorder {recorder.name} does not record all supported types (allSupported "
                f"{shown(all_supported)}, useOnly {shown(strategy)})"
            ),
            evidence,
        )
    if recording is not True:
        return False, f"recorder {recorder.name} has Status.recording {shown(recording)}", evidence
    return True, f"recorder {recorder.name} is recording all supported resource types", evidence


@check(
    id="aws.config.recorder_all_resources",
    resource_types=REGION,
    severity=Severity.MEDIUM,
    title="AWS Config records all supported resource types in every scanned region",
    checklist=("CL-12",),
    remediation="Run `aws configservice put-configuration-recorder --configuration-recorder "
    "name=default,roleARN=<role> --recording-group allSupported=true,includeGlobalResourceTypes=true`, "
    "`aws configservice put-delivery-channel ...` and `aws configservice start-configuration-recorder "
    "--configuration-recorder-name default`.",
    reads=("aws.config.recorder.recordingGroup", "aws.config.recorder.Status.recording"),
)
def recorder_all_resources(region: Resource, ctx: CheckContext) -> Verdict:
    """PASS when a recorder in the region records all supported types and is recording; no recorder = Config is off."""
    recorders = ctx.resources(RECORDER, account=region.account, region=region.region)
    if not recorders:
        return failed(f"{region.name} has no AWS Config configuration recorder.", **{RECORDER: []})
    judged = [_judge(r) for r in recorders]
    evidence = {k: v for _, _, ev in judged for k, v in ev.items()}
    good = [why for ok, why, _ in judged if ok]
    if good:
        return passed(f"{region.name} is fully recorded: {good[0]}.", **evidence)
    return failed(f"{region.name} is not fully recorded: {'; '.join(why for _, why, _ in judged)}.", **evidence)
