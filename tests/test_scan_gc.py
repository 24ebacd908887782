"""A scan in this process collects cycles less often while it runs, and leaves the thresholds as it found them."""

from __future__ import annotations

import gc

import pytest

from cspm_ai.scan import SCAN_GC_THRESHOLDS, scan_gc


def test_the_scan_thresholds_hold_inside_and_the_previous_ones_come_back() -> None:
    before = gc.get_threshold()
    with scan_gc():
        assert gc.get_threshold() == SCAN_GC_THRESHOLDS
        assert gc.isenabled()  # young cycles are still collected
    assert gc.get_threshold() == before


def test_the_previous_thresholds_come_back_when_the_scan_fails_or_exits() -> None:
    before = gc.get_threshold()
    with pytest.raises(SystemExit), scan_gc():
        raise SystemExit(1)  # what typer.Exit ends a scan command with
    assert gc.get_threshold() == before
