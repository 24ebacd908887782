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
