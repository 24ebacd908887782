"""The bounded task pool: tasks that spawn tasks, one wait for all of them, failures re-raised, progress reported."""

from __future__ import annotations

import threading
import time

import pytest

from collectors.pool import TaskGroup


def test_tasks_that_submit_tasks_are_all_done_when_wait_returns() -> None:
    done: list[str] = []
    lock = threading.Lock()

    def node(tasks: TaskGroup, name: str, depth: int) -> None:
        time.sleep(0.001 * depth)  # leaves finish last: wait must not return on the first quiet moment
        if depth < 3:
            for child in "ab":
                tasks.submit(node, tasks, name + child, depth + 1)
        with lock:
            done.append(name)

    with TaskGroup(4) as tasks:
        tasks.submit(node, tasks, "r", 0)
        tasks.wait()
        finished = sorted(done)
    # 1 + 2 + 4 + 8 nodes of a binary tree of depth 3.
    assert len(finished) == 15 and len(set(finished)) == 15 and "rbbb" in finished


def test_at_most_workers_tasks_run_at_once() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def task() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        with lock:
            running -= 1

    with TaskGroup(2) as tasks:
        for _ in range(8):
            tasks.submit(task)
        tasks.wait()
    assert most <= 2


def test_a_failing_task_is_re_raised_by_wait_after_the_others_finish() -> None:
    finished: list[int] = []

    def fine(n: int) -> None:
        time.sleep(0.01)
        finished.append(n)

    def parent(tasks: TaskGroup) -> None:
        tasks.submit(broken)
        tasks.submit(fine, 2)

    def broken() -> None:
        raise ValueError("a bug in the engine")

    with TaskGroup(2) as tasks:
        tasks.submit(fine, 1)
        tasks.submit(parent, tasks)
        with pytest.raises(ValueError, match="a bug in the engine"):
            tasks.wait()
        assert sorted(finished) == [1, 2]


def test_progress_is_done_of_total_as_work_is_discovered() -> None:
    reports: list[tuple[int, int]] = []

    def child() -> None:
        pass

    def parent(tasks: TaskGroup) -> None:
        tasks.submit(child)
        tasks.submit(child)

    with TaskGroup(1, progress=lambda done, total: reports.append((done, total))) as tasks:
        tasks.submit(parent, tasks)
        tasks.wait()
    # Closing the group joins its thread, so the last report has arrived. One worker runs tasks in order:
    # the parent finishes having found two more tasks, then each child finishes.
    assert reports == [(1, 3), (2, 3), (3, 3)]


def test_a_failed_task_still_counts_as_done() -> None:
    reports: list[tuple[int, int]] = []

    def broken() -> None:
        raise RuntimeError("boom")

    with TaskGroup(1, progress=lambda done, total: reports.append((done, total))) as tasks:
        tasks.submit(broken)
        tasks.submit(lambda: None)
        with pytest.raises(RuntimeError):
            tasks.wait()
    assert reports[-1] == (2, 2)
