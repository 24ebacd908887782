"""Where a scan's parts run: in this process, or in a pool of worker processes on this machine.

A scan that can be split (per region, per account) hands its parts to an `Executor`, which runs
one task on each and gives back the results in the parts' order; the caller merges them. The task
and each part must be picklable (a module-level function, plain data), which is also what a
distributed back end (the fleet's task queue) needs: it implements the same `map`.

A part that raises fails the whole map with its exception, after every other part has finished, so
no worker is left running. Results are whatever the task returns; nothing is shared between parts.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from typing import Protocol, TypeVar

__all__ = [
    "EXECUTORS",
    "Executor",
    "InlineExecutor",
    "LocalProcessExecutor",
    "Unfinished",
    "make_executor",
    "usable_cores",
]

P = TypeVar("P")
R = TypeVar("R")


class Executor(Protocol):
    """Runs `task` on every part, results in the parts' order."""

    name: str

    def map(self, task: Callable[[P], R], parts: Sequence[P]) -> list[R]: ...


class Unfinished(Exception):
    """An executor that waits only so long (the fleet's, `cspm_ai.distributed.fleet.CeleryExecutor`) stopped
    waiting with parts not done: the results it has, by part index, and the indexes it does not."""

    def __init__(self, results: dict[int, object], missing: Sequence[int]) -> None:
        super().__init__(f"{len(missing)} of {len(results) + len(missing)} part(s) did not finish in time")
        self.results = results
        self.missing = list(missing)


class InlineExecutor:
    """Every part in this process, one after the other: the reference every other executor must match."""

    name = "inline"

    def map(self, task: Callable[[P], R], parts: Sequence[P]) -> list[R]:
        return [task(part) for part in parts]


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the whole machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # no affinity call on this platform (macOS, Windows)
        return os.cpu_count() or 1


def _start_method() -> str:
    # fork starts a worker in milliseconds with every module already imported (no second import of boto3,
    # SQLAlchemy, ...: CPU a scan would otherwise spend once per worker); where there is no fork, spawn.
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


class LocalProcessExecutor:
    """Parts in up to `processes` worker processes (default: one per core), each part in one process.

    Workers start when `map` is called and stop before it returns. With the fork start method a worker
    inherits this process's memory as it is then: a task must not use network connections or threads
    made before the call (make clients inside the task).
    """

    name = "processes"

    def __init__(
        self,
        processes: int | None = None,
        start_method: str | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> None:
        if processes is not None and processes < 1:
            raise ValueError("processes must be at least 1")
        self.processes = processes or usable_cores()
        self.start_method = start_method or _start_method()
        # Work for this process while its workers run (it would only wait), called once they have all
        # started: never while a worker is being forked, which would copy it half done.
        self.meanwhile = meanwhile

    def map(self, task: Callable[[P], R], parts: Sequence[P]) -> list[R]:
        workers = min(self.processes, len(parts))
        if workers <= 1:
            # One part (or one core): a worker process would only add its start-up.
            return InlineExecutor().map(task, parts)
        context = multiprocessing.get_context(self.start_method)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures: list[Future[R]] = [pool.submit(task, part) for part in parts]
            if self.meanwhile is not None and _all_started(pool, workers):
                self.meanwhile()
            wait(futures)
        return [future.result() for future in futures]


def _all_started(pool: ProcessPoolExecutor, workers: int) -> bool:
    """Whether every worker process of `pool` exists (with fork they are all started at the first submit)."""
    processes = getattr(pool, "_processes", None)  # the pool's own record; absent, assume not
    return processes is not None and len(processes) >= workers


EXECUTORS: dict[str, Callable[[int | None], Executor]] = {
    "inline": lambda _processes: InlineExecutor(),
    "processes": lambda processes: LocalProcessExecutor(processes),
}


def make_executor(name: str, processes: int | None = None) -> Executor:
    """The executor called `name` ("inline" or "processes")."""
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise ValueError(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}") from None
    return factory(processes)
