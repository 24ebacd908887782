"""The check registry: each check is metadata plus one pure function.

    @check(
        id="aws.sagemaker.notebook_direct_internet_access",
        resource_types="aws.sagemaker.notebook_instance",
        severity=Severity.HIGH,
        title="Notebook instances have no direct internet access",
        checklist=("CL-01",),
        remediation="...",
    )
    def notebook_direct_internet_access(resource: Resource, ctx: CheckContext) -> Verdict: ...

The function reads only `resource.config` and what `ctx` offers (related
resources, the scan's settings). It holds no client, no session and no clock,
so `cspm-ai evaluate` can re-run it on any stored scan.

A check's compliance mapping is not declared here: the framework files
(`cspm_ai/data/frameworks/`) map controls to checks and checklist items, and
`CheckSpec.compliance` is the view derived from them.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Protocol

from cspm_ai.model import Resource, Severity, Verdict

if TYPE_CHECKING:
    from cspm_ai.attack_paths import AttackGraph

CHECK_ID = re.compile(r"^(aws|azure|gcp)\.[a-z0-9_]+\.[a-z0-9_]+$")


class CheckContext(Protocol):
    """What a check may consult besides its own resource (implemented by the engine)."""

    @property
    def scan_started_at(self) -> datetime: ...

    @property
    def allowed_regions(self) -> frozenset[str] | None: ...

    def get(self, uid: str) -> Resource | None: ...

    def related(self, resource: Resource, kind: str) -> list[Resource]: ...

    def related_uids(self, resource: Resource, kind: str) -> list[str]: ...

    def referrers(self, resource: Resource, kind: str) -> list[Resource]: ...

    def resources(
        self, resource_type: str, *, account: str | None = None, region: str | None = None
    ) -> list[Resource]: ...

    @property
    def previous_scan_started_at(self) -> datetime | None:
        """When the previous comparable scan started; None when there is none (a history check is MANUAL)."""
        ...

    def previous(self, uid: str) -> Resource | None:
        """The resource as the previous comparable scan stored it (only the types the check declared in
        `history_types`), or None when that scan did not have it."""
        ...

    @property
    def attack_paths(self) -> AttackGraph:
        """The scan's attack graph (`cspm_ai.attack_paths`): what each identity can become and reach, with the
        policies that allow it. Built once per scan, when a check first asks."""
        ...


CheckFunc = Callable[[Resource, CheckContext], Verdict]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    resource_types: tuple[str, ...]
    severity: Severity
    title: str
    checklist: tuple[str, ...]
    remediation: str
    func: CheckFunc = field(repr=False, compare=False)
    reads: tuple[str, ...] = ()  # the config paths (or related kinds) that decide it, for the catalogue
    description: str = ""
    # The resource types whose earlier version the check compares with (`ctx.previous`): a check that
    # needs history cannot be judged from one scan (a single-scan demo has no PASS or FAIL for it).
    history_types: tuple[str, ...] = ()

    @property
    def needs_history(self) -> bool:
        return bool(self.history_types)

    @property
    def provider(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def compliance(self) -> Mapping[str, tuple[str, ...]]:
        """Framework id -> the controls this check gives evidence for (from the framework files)."""
        from cspm_ai.compliance import compliance_of

        return compliance_of(self.id, self.checklist)

    @property
    def version(self) -> str:
        """A content version: changes whenever the check's code or metadata changes.

        Evidence bundles record it so an auditor can tell two scans were judged by the same logic.
        """
        return _content_version(self)

    @property
    def service(self) -> str:
        return self.id.split(".")[1]

    def run(self, resource: Resource, ctx: CheckContext) -> Verdict:
        return self.func(resource, ctx)


REGISTRY: dict[str, CheckSpec] = {}


@cache
def _content_version(spec: CheckSpec) -> str:
    try:
        source = inspect.getsource(spec.func)
    except (OSError, TypeError):  # no source shipped: fall back to the compiled code
        source = spec.func.__code__.co_code.hex()
    meta = [
        spec.id,
        spec.resource_types,
        spec.severity.value,
        spec.title,
        spec.checklist,
        spec.remediation,
        spec.reads,
        *([spec.history_types] if spec.history_types else []),
    ]
    return hashlib.sha256(repr((meta, source)).encode("utf-8")).hexdigest()[:16]


def check(
    *,
    id: str,
    resource_types: str | Iterable[str],
    severity: Severity,
    title: str,
    checklist: Iterable[str],
    remediation: str,
    reads: Iterable[str] = (),
    history_types: Iterable[str] = (),
) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check function under `id` with its metadata."""

    def register(func: CheckFunc) -> CheckFunc:
        if id in REGISTRY:
            raise ValueError(f"check id {id!r} registered twice")
        types = (resource_types,) if isinstance(resource_types, str) else tuple(resource_types)
        REGISTRY[id] = CheckSpec(
            id=id,
            resource_types=types,
            severity=Severity(severity),
            title=title,
            checklist=tuple(checklist),
            remediation=remediation,
            func=func,
            reads=tuple(reads),
            description=" ".join((func.__doc__ or "").split()),
            history_types=tuple(history_types),
        )
        return func

    return register


def all_checks(provider: str | None = None) -> list[CheckSpec]:
    """Every registered check (loading the check modules once), sorted by id."""
    import checks  # noqa: F401  (importing registers the checks)

    checks.load_all()
    return sorted(
        (
            c
            for c in REGISTRY.values()
            if c.provider in checks.PROVIDERS and (provider is None or c.provider == provider)
        ),
        key=lambda c: c.id,
    )
