"""The fleet: scan parts on Celery workers, scheduled scans from Celery beat (the `distributed` extra).

Who talks to whom: the process that starts a scan (`cspm-ai scan ... --distributed`, or the scheduler
for a scheduled one) plans the parts and sends one task per part to the broker (Redis or RabbitMQ);
`cspm-ai worker` processes take them one at a time per pool process, read their account with their
own credentials and store it in the shared PostgreSQL inventory; the starting process waits for the
parts' small summaries (Celery's result store, in that same database) and runs the final step.

Delivery: tasks are acknowledged late and rejected back to the queue when their process dies
(`acks_late`, `reject_on_worker_lost`), so a part whose worker is killed runs again elsewhere; the
inventory counts each delivery, and a part past its attempts is ERROR for its account instead of
being redelivered forever. A worker reserves no task beyond the ones it runs (prefetch 1, late
acknowledgement), so a stuck part holds one pool process and nothing queued behind it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from cspm_ai.distributed.model import PartSummary, ScanPart, Schedule
from cspm_ai.distributed.parts import collect_and_store, preload_clients, worker_name
from cspm_ai.errors import ConfigError, CspmError
from cspm_ai.executor import Unfinished
from cspm_ai.inventory import Inventory

if TYPE_CHECKING:
    from celery import Celery

# The fleet's queues are PREFIX.parts and PREFIX.schedules; two fleets sharing one broker use two prefixes.
DEFAULT_QUEUES = "cspm-ai"
QUEUE_PARTS = f"{DEFAULT_QUEUES}.parts"
QUEUE_SCHEDULES = f"{DEFAULT_QUEUES}.schedules"
TASK_COLLECT = "cspm_ai.collect_part"
TASK_RUN_SCHEDULE = "cspm_ai.run_schedule"
TASK_FINISH_OVERDUE = "cspm_ai.finish_overdue_scans"
# How often the scheduler re-reads the schedules from the inventory, and looks for overdue scans.
SCHEDULE_REFRESH_S = 15.0
SWEEP_EVERY_S = 60.0
# A part may run at most this long by default; Redis redelivers a task not acknowledged within its
# visibility timeout, which must therefore exceed the longest part.
DEFAULT_PART_TIME_LIMIT_S = 3600
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
BROKER_HINT = "Start Redis or RabbitMQ there, or pass --broker with its URL (redis://host:6379/0, amqp://user@host//)."
EXTRA_HINT = "pip install 'cspm-ai[distributed]' (in a checkout: .venv/bin/pip install -e '.[distributed]')."
# Serialises creating Celery's result tables in one database ("cspmfl").
_RESULT_TABLES_LOCK = 0x6373_706D_666C

P = TypeVar("P")
R = TypeVar("R")


def require_celery() -> None:
    """Stop with one line naming the extra when Celery is not installed."""
    try:
        import celery  # noqa: F401
    except ImportError as exc:
        raise CspmError(f"Distributed mode needs {exc.name or 'celery'}, which is not installed.", EXTRA_HINT) from exc


def shown_url(url: str) -> str:
    """A broker URL with its password hidden."""
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))


def check_broker_url(url: str | None) -> str:
    if not url:
        raise ConfigError(
            "Distributed mode needs a broker.",
            "Pass --broker redis://127.0.0.1:6379/0 (or amqp://guest@127.0.0.1//), or set broker in the "
            "config file's [distributed] section.",
        )
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in BROKER_SCHEMES:
        raise ConfigError(
            f"Broker URL {shown_url(url)!r} is neither Redis nor RabbitMQ.",
            "Use redis://host:6379/0, rediss://… for TLS, or amqp://user@host:5672//.",
        )
    return url


def check_fleet_inventory(inventory: Inventory) -> str:
    """The inventory's URL (password included: it stays on this machine), when it can be shared by a fleet."""
    url = inventory.engine.url
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"Distributed mode needs a PostgreSQL inventory every worker can reach, not "
            f"{url.render_as_string(hide_password=True)}.",
            "Pass --db postgresql://user@host/db (or set db in the config file) to the scan, the workers and "
            "the scheduler.",
        )
    return url.render_as_string(hide_password=False)


def make_app(
    broker: str,
    database: str,
    *,
    part_time_limit_s: int = DEFAULT_PART_TIME_LIMIT_S,
    queues: str = DEFAULT_QUEUES,
) -> Celery:
    """A Celery app for this fleet: JSON messages, late acknowledgement, results in the inventory's database,
    queues named `queues`.parts and `queues`.schedules."""
    require_celery()
    from celery import Celery

    parts, schedules = f"{queues}.parts", f"{queues}.schedules"

    app = Celery("cspm-ai", broker=broker, backend=f"db+{database}", set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        enable_utc=True,
        timezone="UTC",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_default_queue=parts,
        task_routes={
            TASK_RUN_SCHEDULE: {"queue": schedules},
            TASK_FINISH_OVERDUE: {"queue": schedules},
        },
        task_time_limit=part_time_limit_s,
        broker_transport_options={"visibility_timeout": part_time_limit_s + 300},
        broker_connection_retry_on_startup=True,
        result_expires=timedelta(days=1),
        result_extended=False,
        database_engine_options={"pool_pre_ping": True},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    app.conf.cspm_ai_database = database
    app.conf.cspm_ai_broker = broker
    app.conf.cspm_ai_queues = (parts, schedules)
    _register_tasks(app)
    return app


def check_broker(app: Celery) -> None:
    """Connect to the broker once, now: unreachable is one error and a hint, not a hang."""
    broker = str(app.conf.cspm_ai_broker)
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
    except Exception as exc:  # noqa: BLE001  (kombu and the transports raise many kinds; all mean unreachable)
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise CspmError(f"Cannot reach the broker {shown_url(broker)}: {reason}", BROKER_HINT) from exc


def prepare_results(app: Celery) -> None:
    """Create Celery's result tables in the inventory's database once, under a lock (two processes creating
    them at once would collide)."""
    from celery.backends.database.models import ResultModelBase
    from sqlalchemy import create_engine

    engine = create_engine(str(app.conf.cspm_ai_database))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_RESULT_TABLES_LOCK})")
            ResultModelBase.metadata.create_all(connection)
    finally:
        engine.dispose()


_INVENTORIES: dict[tuple[int, str], Inventory] = {}
_INVENTORIES_LOCK = threading.Lock()


def process_inventory(database: str) -> Inventory:
    """This process's inventory (a forked pool process opens its own: connections are not shared)."""
    key = (os.getpid(), database)
    with _INVENTORIES_LOCK:
        if key not in _INVENTORIES:
            _INVENTORIES[key] = Inventory.open(database)
        return _INVENTORIES[key]


def _register_tasks(app: Celery) -> None:
    database = str(app.conf.cspm_ai_database)
    # shared=False: by default Celery lends a task to every app made later in the process, so a second app (a
    # scheduler's, a test's) would run this one's function against this one's database.

    @app.task(name=TASK_COLLECT, shared=False)
    def collect_part(message: dict[str, Any]) -> dict[str, Any]:
        return collect_and_store(ScanPart.from_message(message), process_inventory(database)).to_message()

    @app.task(name=TASK_RUN_SCHEDULE, acks_late=False, ignore_result=True, shared=False)
    def run_schedule(name: str) -> None:
        from cspm_ai.distributed.schedules import LEASE_MARGIN
        from cspm_ai.distributed.schedules import run_schedule as run

        broker = str(app.conf.cspm_ai_broker)
        lease = timedelta(seconds=float(app.conf.get("cspm_ai_lease_s") or 6 * 3600)) + LEASE_MARGIN
        extra = ("--distributed", "--broker", broker)
        run(process_inventory(database), name, mode="distributed", extra=extra, lease=lease)

    @app.task(name=TASK_FINISH_OVERDUE, acks_late=False, ignore_result=True, shared=False)
    def finish_overdue_scans() -> None:
        finish_overdue(process_inventory(database))


def finish_overdue(inventory: Inventory, now: datetime | None = None) -> list[str]:
    """Finish the distributed scans whose deadline passed without their final step (the process that started
    them died): missing parts ERROR, what was stored evaluated, the scan incomplete. Their ids."""
    from cspm_ai.scan import finish_partitioned_scan

    finished = []
    for scan_id in inventory.unfinished_distributed_scans(overdue_at=now or datetime.now(UTC)):
        finish_partitioned_scan(inventory, scan_id, "did not finish before the scan's deadline")
        finished.append(scan_id)
    return finished


# The tasks the fleet knows, by the function a caller hands `map`: the Celery task's name and how a part
# and a result cross the broker.
_TASKS: dict[Callable[..., Any], tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = {
    collect_and_store: (TASK_COLLECT, ScanPart.to_message, PartSummary.from_message),
}


class RemoteTaskFailed(Exception):
    """A part's task failed on its worker (its time limit, or an error outside the part's own handling)."""


class CeleryExecutor:
    """The fleet back end of `cspm_ai.executor.Executor`: each part is a Celery task, run by whichever worker
    takes it; `map` waits for the results at most `timeout_s`, then raises `Unfinished` with what it has."""

    name = "celery"

    def __init__(self, app: Celery, timeout_s: float, poll_s: float = 0.5) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self.poll_s = poll_s

    def map(self, task: Callable[[P], R], parts: Sequence[P]) -> list[R]:
        try:
            name, encode, decode = _TASKS[task]
        except KeyError:
            raise ValueError(f"{getattr(task, '__qualname__', task)!r} is not a task the fleet knows") from None
        deadline = time.monotonic() + self.timeout_s
        pending = [self.app.send_task(name, args=[encode(part)]) for part in parts]
        results: dict[int, Any] = {}
        failures: dict[int, BaseException] = {}
        # Wait on the first unfinished part only (one query per poll), then sweep up whatever else is done.
        order = list(range(len(pending)))
        while order and time.monotonic() < deadline:
            if pending[order[0]].ready():
                self._collect(pending, order, results, failures, decode)
                continue
            time.sleep(self.poll_s)
        self._collect(pending, order, results, failures, decode)
        if order:
            for index in order:
                pending[index].forget()
            raise Unfinished(dict(results), order)
        if failures:
            index, failure = min(failures.items())
            raise RemoteTaskFailed(f"part {index}: {type(failure).__name__}: {failure}") from failure
        return cast(list[R], [results[i] for i in range(len(pending))])

    @staticmethod
    def _collect(
        pending: Sequence[Any],
        order: list[int],
        results: dict[int, Any],
        failures: dict[int, BaseException],
        decode: Callable[[Any], Any],
    ) -> None:
        for index in list(order):
            found = pending[index]
            if not found.ready():
                continue
            order.remove(index)
            if found.successful():
                results[index] = decode(found.result)
            else:
                failures[index] = found.result if isinstance(found.result, BaseException) else RuntimeError(found.state)
            found.forget()


def run_worker(app: Celery, *, concurrency: int, loglevel: str = "INFO") -> None:
    """`cspm-ai worker`: a Celery worker taking scan parts, `concurrency` pool processes, forked after the cloud
    client libraries are imported (`preload_clients`)."""
    prepare_results(app)
    preload_clients()
    app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={app.conf.cspm_ai_queues[0]}",
            f"--loglevel={loglevel}",
            f"--hostname=cspm-ai-worker-{os.getpid()}@%h",
            "--prefetch-multiplier=1",
            "--optimization=fair",
            "--without-mingle",
            "--without-gossip",
        ]
    )


def run_scheduler(app: Celery, *, concurrency: int = 4, loglevel: str = "INFO") -> None:
    """`cspm-ai scheduler`: Celery beat sending each schedule's runs, and the threads that run them (plan the
    parts, wait for the workers, finish the scan) and finish overdue scans."""
    prepare_results(app)
    app.worker_main(
        [
            "worker",
            "--beat",
            f"--scheduler={InventoryScheduler.__module__}:{InventoryScheduler.__qualname__}",
            "--pool=threads",
            f"--concurrency={concurrency}",
            f"--queues={app.conf.cspm_ai_queues[1]}",
            f"--loglevel={loglevel}",
            f"--hostname=cspm-ai-scheduler-{os.getpid()}@%h",
            "--without-mingle",
            "--without-gossip",
        ]
    )


def beat_entries(schedules: Sequence[Schedule]) -> dict[str, dict[str, Any]]:
    """Celery beat's entries for the stored schedules, and the sweep that finishes overdue scans."""
    from celery.schedules import crontab, schedule

    entries: dict[str, dict[str, Any]] = {
        "cspm-ai:finish-overdue-scans": {"task": TASK_FINISH_OVERDUE, "schedule": schedule(SWEEP_EVERY_S)},
    }
    for item in schedules:
        if item.cron is not None:
            minute, hour, day, month, weekday = item.cron.split()
            timing: Any = crontab(minute, hour, weekday, day, month)
        else:
            timing = schedule(timedelta(seconds=item.interval_seconds or 0))
        last = item.last_run.started_at if item.last_run is not None else item.created_at
        entries[f"schedule:{item.name}"] = {
            "task": TASK_RUN_SCHEDULE,
            "schedule": timing,
            "args": (item.name,),
            "last_run_at": last,
        }
    return entries


def _scheduler_base() -> type:
    require_celery()
    from celery.beat import Scheduler

    return cast(type, Scheduler)


class InventoryScheduler(_scheduler_base()):  # type: ignore[misc]
    """Celery beat's schedule, read from the inventory's `schedules` and re-read every `SCHEDULE_REFRESH_S`
    (a schedule added or removed takes effect without a restart). A new entry's last run is the schedule's
    latest recorded run (or its creation), so a restart neither repeats nor forgets one."""

    def setup_schedule(self) -> None:
        self.install_default_entries(self.data)
        self._refreshed = 0.0
        self._refresh()

    def _refresh(self) -> None:
        with Inventory.open(str(self.app.conf.cspm_ai_database)) as inventory:
            entries = beat_entries(inventory.schedules())
        known = set(self.schedule)
        fresh = {k: v for k, v in entries.items() if k not in known}
        kept = {k: {kk: vv for kk, vv in v.items() if kk != "last_run_at"} for k, v in entries.items() if k in known}
        self.merge_inplace({**kept, **fresh})
        self._refreshed = time.monotonic()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if time.monotonic() - self._refreshed >= SCHEDULE_REFRESH_S:
            try:
                self._refresh()
            except CspmError as exc:  # the database is away for a moment: keep the schedule beat has
                from celery.utils.log import get_logger

                get_logger(__name__).warning("could not re-read the schedules: %s", exc.message)
                self._refreshed = time.monotonic()
        return min(float(super().tick(*args, **kwargs)), SCHEDULE_REFRESH_S)


__all__ = [
    "CeleryExecutor",
    "InventoryScheduler",
    "RemoteTaskFailed",
    "beat_entries",
    "check_broker",
    "check_broker_url",
    "check_fleet_inventory",
    "finish_overdue",
    "make_app",
    "run_scheduler",
    "run_worker",
    "worker_name",
]
