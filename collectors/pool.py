"""A bounded thread pool whose tasks may submit more tasks, and a wait for all of them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from collectors import ProgressCallback


class TaskGroup:
    """Runs tasks (which may spawn tasks) on `workers` threads; `wait` returns when all are done.

    Task exceptions are re-raised by `wait` so a bug in the engine is never silent;
    expected cloud failures are recorded by the tasks themselves.
    """

    def __init__(self, workers: int, progress: ProgressCallback | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect")
        self._lock = threading.Condition()
        self._pending = 0
        self._done = 0
        self._failures: list[BaseException] = []
        self._progress = progress

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self._pending += 1
        future = self._pool.submit(fn, *args)
        future.add_done_callback(self._finished)

    def _finished(self, future: Future[Any]) -> None:
        exc = future.exception()
        with self._lock:
            if exc is not None:
                self._failures.append(exc)
            self._pending -= 1
            self._done += 1
            done, total = self._done, self._done + self._pending
            self._lock.notify_all()
        if self._progress is not None:
            self._progress(done, total)

    def wait(self) -> None:
        with self._lock:
            while self._pending:
                self._lock.wait()
            if self._failures:
                raise self._failures[0]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> TaskGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
