"""Verdicts every provider's checks share: boolean flags, data residency and secrets in configuration."""

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


def no_secrets(resource: Resource) -> Verdict:
    """PASS when nothing was redacted from the resource before storage; FAIL naming each redacted path and the
    kind of secret found there, never the value (the inventory never held it).

    `resource.redactions` is the redactor's record: configuration, tags and name alike (the same path and
    kind recorded twice counts once). An empty record (no environment, no script, nothing secret-looking)
    passes.
    """
    if not resource.redactions:
        return passed(f"{resource.name} has no secret-looking values in its configuration.")
    listed = list(resource.redactions) if isinstance(resource.redactions, (list, tuple)) else [resource.redactions]
    # A value met twice is one secret: Azure items carry their tags in the stored configuration too.
    found = [item for i, item in enumerate(listed) if item not in listed[:i]]
    evidence: dict[str, Any] = {}
    kinds: set[str] = set()
    for i, item in enumerate(found):
        path = item.get("path") if isinstance(item, dict) else None
        kind = str(item.get("kind") or "unknown") if isinstance(item, dict) else "unknown"
        kinds.add(kind)
        key = str(path) if path else f"<unknown path {i}>"
        marks = evidence.setdefault(key, [])
        marks.append(f"[REDACTED:{kind}]")
    # One marker per path reads like the stored value; several findings at one path stay a list.
    evidence = {k: v[0] if len(v) == 1 else v for k, v in evidence.items()}
    return failed(
        f"{resource.name} holds {len(found)} secret-looking value(s) of kind {', '.join(sorted(kinds))} "
        "in its configuration (redacted before storage).",
        **evidence,
    )


def what_serves(config: Any, paths: tuple[str, ...]) -> dict[str, Any]:
    """The values at `paths` that say what a serving resource serves (model, artifacts, image, code)."""
    return {path: shown(get(config, path)) for path in paths}


def not_patched_in_place(
    resource: Resource, ctx: CheckContext, paths: tuple[str, ...], kind: str, instead: str
) -> Verdict:
    """PH-2 from history: FAIL when what `resource` serves (`paths`) differs from what the previous comparable
    scan stored under the same id; PASS when it is the same, or new since then; MANUAL with no earlier scan.

    `kind` names the resource ("online deployment"), `instead` the immutable way ("a new deployment").
    """
    since = ctx.previous_scan_started_at
    if since is None:
        return manual(
            f"{resource.name}: no earlier scan of these accounts is stored, so whether this {kind} was changed in "
            "place can only be judged from the next scan on."
        )
    when = since.strftime("%Y-%m-%d %H:%M UTC")
    now = what_serves(resource.config, paths)
    before = ctx.previous(resource.uid)
    if before is None:
        return passed(f"{resource.name} is a new {kind} since the previous scan ({when}).", **now)
    then = what_serves(before.config, paths)
    changed = [p for p in paths if now[p] != then[p]]
    if not changed:
        return passed(f"{resource.name} serves what it served in the previous scan ({when}).", **now)
    first = changed[0]
    return failed(
        f"{resource.name} now serves {first} {display(now[first])} where the previous scan ({when}) found "
        f"{display(then[first])}: the {kind} was changed in place instead of deploying {instead}.",
        **{p: {"before": then[p], "after": now[p]} for p in changed},
    )
