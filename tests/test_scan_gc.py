"""A scan command runs without cyclic garbage collection, and leaves the collector as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from cspm_ai.scan import scan_gc


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.enable() if enabled else gc.disable()


def test_no_collection_runs_inside_and_the_collector_comes_back() -> None:
    gc.enable()
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        with scan_gc():
            assert not gc.isenabled()
            for _ in range(200_000):  # far past every threshold: cycles that would set off collections
                node: list[object] = []
                node.append(node)
            inside = list(collections)
        assert inside == []
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(count)


def test_the_collector_comes_back_when_the_scan_fails_or_exits() -> None:
    gc.enable()
    with pytest.raises(SystemExit), scan_gc():
        raise SystemExit(1)  # what typer.Exit ends a scan command with
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    with scan_gc():
        pass
    assert not gc.isenabled()
