"""Verdicts every provider's checks share: boolean flags and data residency."""

from __future__ import annotations

from typing import Any

from cspm_ai.doc import ABSENT, display, get, shown
from cspm_ai.model import Resource, Verdict, failed, manual, passed
from cspm_ai.registry import CheckContext


def flag_true(resource: Resource, path: str, on: str, off: str) -> Verdict:
    """PASS when a boolean flag is really true; absent or null means false, as all three clouds default it."""
    value = get(resource.config, path)
    if value is True:
        return passed(f"{resource.name} has {path} true, so {on}.", **{path: True})
    note = " (absent means false)" if value is ABSENT or value is None else ""
    return failed(f"{resource.name} has {path} {display(value)}{note}, so {off}.", **{path: shown(value)})


def in_allowed_region(resource: Resource, ctx: CheckContext, region: str | None = None) -> Verdict:
    """PASS inside the configured allowed regions, FAIL outside; no configured list = MANUAL attestation.

    `region` is the region the location belongs to when they differ (a Google Cloud zone).
    """
    region = region or resource.region
    evidence: dict[str, Any] = {"region": region}
    if region != resource.region:
        evidence["location"] = resource.region
    allowed = ctx.allowed_regions
    if allowed is None:
        return manual(
            f"{resource.name} is in {resource.region}, but no allowed regions are configured; attest "
            "data residency for this region.",
            **evidence,
        )
    evidence["allowed_regions"] = sorted(allowed)
    if region in allowed or resource.region in allowed:
        return passed(f"{resource.name} is in allowed region {region}.", **evidence)
    return failed(f"{resource.name} is in {resource.region}, which is not an allowed region.", **evidence)


def setting_is(
    resource: Resource, path: str, wanted: str, absent_means: str, consequence: str | None = None
) -> Verdict:
    """PASS when a string setting equals `wanted`; absent or null takes the service default `absent_means`.

    The FAIL message says what the wrong value means (`consequence`), or else what was wanted.
    """
    value = get(resource.config, path)
    applied = absent_means if value is ABSENT or value is None else value
    if applied == wanted:
        return passed(f"{resource.name} has {path} {wanted}.", **{path: shown(value)})
    note = f" (absent means {absent_means})" if value is ABSENT or value is None else ""
    tail = f"so {consequence}" if consequence else f"not {wanted}"
    return failed(f"{resource.name} has {path} {display(value)}{note}, {tail}.", **{path: shown(value)})
