"""Executors run a task on every part and return the results in the parts' order, inline or in worker processes."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from cspm_ai.executor import InlineExecutor, LocalProcessExecutor, make_executor, usable_cores


def describe(part: int) -> tuple[int, int]:
    """The part squared, and the process that computed it."""
    return part * part, os.getpid()


def slow_then_describe(part: float) -> tuple[float, int]:
    time.sleep(part)
    return part, os.getpid()


def fail_on_three(part: int) -> int:
    if part == 3:
        raise RuntimeError(f"part {part} failed")
    return part


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_processes_return_results_in_part_order_from_other_processes(
    start_method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A spawned worker imports this module by its name (tests.test_executor): the repository root must be on
    # the path it inherits, whatever directory pytest was started from.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    executor = LocalProcessExecutor(processes=2, start_method=start_method)
    # The first part takes longest, so results arrive out of order; map still returns them in order.
    results = executor.map(slow_then_describe, [0.4, 0.0, 0.1])
    assert [value for value, _pid in results] == [0.4, 0.0, 0.1]
    pids = {pid for _value, pid in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_inline_is_the_reference_and_processes_match_it() -> None:
    parts = list(range(7))
    inline = InlineExecutor().map(describe, parts)
    assert [value for value, _ in inline] == [p * p for p in parts]
    assert {pid for _, pid in inline} == {os.getpid()}
    assert [value for value, _ in LocalProcessExecutor(processes=3).map(describe, parts)] == [p * p for p in parts]


def test_one_part_or_one_process_runs_in_this_process() -> None:
    assert LocalProcessExecutor(processes=4).map(describe, [5]) == [(25, os.getpid())]
    assert LocalProcessExecutor(processes=1).map(describe, [1, 2]) == [(1, os.getpid()), (4, os.getpid())]
    assert LocalProcessExecutor(processes=2).map(describe, []) == []


def test_a_failing_part_fails_the_map_with_its_error() -> None:
    with pytest.raises(RuntimeError, match="part 3 failed"):
        LocalProcessExecutor(processes=2).map(fail_on_three, [1, 2, 3, 4])
    with pytest.raises(RuntimeError, match="part 3 failed"):
        InlineExecutor().map(fail_on_three, [3])


def test_make_executor_by_name() -> None:
    assert make_executor("inline").name == "inline"
    made = make_executor("processes", 3)
    assert isinstance(made, LocalProcessExecutor) and made.processes == 3
    assert LocalProcessExecutor().processes == usable_cores() == len(os.sched_getaffinity(0))
    with pytest.raises(ValueError, match="unknown executor 'celery'"):
        make_executor("celery")
    with pytest.raises(ValueError, match="at least 1"):
        LocalProcessExecutor(processes=0)


def test_meanwhile_runs_here_once_every_worker_has_started() -> None:
    calls: list[tuple[int, int]] = []

    def meanwhile() -> None:
        calls.append((os.getpid(), len(multiprocessing.active_children())))

    executor = LocalProcessExecutor(processes=2, meanwhile=meanwhile)
    assert [value for value, _ in executor.map(describe, [1, 2, 3])] == [1, 4, 9]
    assert calls == [(os.getpid(), 2)]
    # One part runs here, with no worker to wait for: nothing runs meanwhile.
    assert LocalProcessExecutor(processes=2, meanwhile=meanwhile).map(describe, [4]) == [(16, os.getpid())]
    assert len(calls) == 1
