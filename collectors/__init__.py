"""Collectors: one package per cloud, each turning a cloud account into a `CollectionResult`.

A collector is declarations (one spec per resource kind) plus one engine per
cloud that pages, fans out in a bounded pool, retries, redacts and records
what it could not read as typed `CollectionError`s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cspm_ai.model import CollectionResult

# Called as work is discovered and finished: (done, total).
ProgressCallback = Callable[[int, int], None]


class Collector(Protocol):
    provider: str

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult: ...


def declared_types(provider: str) -> frozenset[str]:
    """Every resource type the provider's collector can store: what checks may be written against."""
    if provider == "aws":
        from collectors.aws.specs import LIST_SPECS, ORGANIZATION, REFERENCED

        return frozenset({"aws.account", "aws.region", *(s.type for s in (*LIST_SPECS, *ORGANIZATION)), *REFERENCED})
    if provider == "azure":
        from collectors.azure.specs import KINDS

        return frozenset({"azure.subscription", *(k.type for k in KINDS)})
    if provider == "gcp":
        from collectors.gcp.specs import RESOURCE_TYPES

        return RESOURCE_TYPES
    raise ValueError(f"unknown provider {provider!r}")
