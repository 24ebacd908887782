"""The fleet under test: the real brokers on this machine, a PostgreSQL database of its own, real worker
processes (`cspm-ai worker` with the recorded estates), and the scanning CLI in this process.

The workers are started once per run and shared by the pytest processes of `-n`: the first that needs a
broker's fleet starts it, a test holds the fleet alone while it runs (a lock), and the last pytest process to
finish stops the workers and drops the database (a count of users in a state file, under a lock)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import responses
from psycopg import sql

from tests.conftest import PG_HOST, PG_PORT, PG_USER, _admin_connection
from tests.distributed.estate_worker import HELD, patch_collectors, register_estates

try:
    import celery  # noqa: F401
except ImportError:
    # Under CI (`.ci/run` installs every extra) a missing Celery is a failure, not a reason to skip.
    if os.environ.get("CI"):
        raise
    pytest.skip("the distributed extra is not installed", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("CSPM_TEST_REDIS", "redis://127.0.0.1:6379/11")
RABBITMQ = os.environ.get("CSPM_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672//")
BROKERS = {"redis": REDIS, "rabbitmq": RABBITMQ}
ORGANIZATION = "222233334444"
READY_TIMEOUT_S = 60


def _unreachable(what: str, exc: BaseException) -> None:
    reason = f"{what} is unreachable: {' '.join(str(exc).split())}"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path`, across the pytest processes of one run."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by the pytest processes of this run (`-n`): the parent of each one's base temp."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "fleet"
    shared.mkdir(exist_ok=True)
    return shared


def _pid_alive(pid: int) -> bool:
    """Whether `pid` runs; a zombie (killed, not yet reaped by the pytest process that started it) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: a zombie counts as running
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class SharedState:
    """The run's fleet state (`state.json`): the database, each broker's worker pids, and how many pytest
    processes use them. Read and written under `state.lock`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "state.json"
        self.lock = folder / "state.lock"

    def read(self) -> dict[str, Any]:
        return json.loads(self.path.read_text()) if self.path.is_file() else {}

    def write(self, state: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(state))


@pytest.fixture(scope="session")
def fleet_database(shared_dir: Path) -> Iterator[str]:
    """A PostgreSQL database for the fleet tests alone (Celery's result tables live in it too), shared by the
    run's pytest processes; the last one to finish stops the fleets' workers and drops it."""
    shared = SharedState(shared_dir)
    with locked(shared.lock):
        state = shared.read()
        if not state:
            try:
                admin = _admin_connection("postgres")
            except psycopg.OperationalError as exc:
                _unreachable(f"PostgreSQL on {PG_HOST}:{PG_PORT}", exc)
            name = f"cspm_fleet_{os.getpid()}_{int(time.time())}"
            with admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            state = {"database": name, "users": 0, "workers": {}}
        state["users"] += 1
        shared.write(state)
    try:
        yield str(state["database"])
    finally:
        with locked(shared.lock):
            state = shared.read()
            state["users"] -= 1
            if state["users"] <= 0:
                for workers in dict(state["workers"]).values():
                    for pid, _log in workers:
                        _kill_group(int(pid))
                with _admin_connection("postgres") as admin:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(str(state["database"]))
                        )
                    )
                shared.path.unlink()
            else:
                shared.write(state)


def empty_database(name: str) -> None:
    """The fleet database emptied (its tables are made again by the first command that opens it)."""
    with _admin_connection(name) as conn:
        conn.execute("SET lock_timeout = '10s'")
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def empty_broker(url: str, queues: Sequence[str]) -> None:
    """Drop whatever is queued for this session's fleet."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            for queue in queues:
                try:
                    channel.queue_purge(queue)
                except Exception:  # noqa: BLE001  (a queue not declared yet holds nothing)
                    channel = connection.channel()
    except Exception as exc:  # noqa: BLE001
        _unreachable(f"The broker {url.split('@')[-1]}", exc)


@pytest.fixture
def estates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The recorded estates answering in this process (where the scan is planned and finished)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        register_estates(replay)
        patch_collectors(monkeypatch.setattr)
        yield


@dataclass
class Process:
    """A `cspm-ai worker` (or scheduler) process, in a process group of its own, writing to a log file (another
    pytest process of the run may be the one reading it)."""

    pid: int
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines() if self.log.is_file() else []

    def is_ready(self) -> bool:
        return any(" ready." in line for line in self.lines)

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return _pid_alive(self.pid)

    def stop(self) -> None:
        _kill_group(self.pid)
        if self.popen is not None:
            self.popen.wait(timeout=30)


@dataclass
class Fleet:
    """Two `cspm-ai worker` processes (one pool process each) on one broker, started once for the run and shared
    by its tests (`reset` between them), on queues and a database of the run's own, so another run's fleet never
    takes its parts. Faults are written to a file the workers read per part. A worker a test kills whole
    (`kill_worker`) is replaced when the test ends (`replace_worker`), so every test finds two."""

    name: str
    broker: str
    db: str
    queues: str
    workdir: Path
    shared: SharedState
    workers: list[Process] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    killed: list[Process] = field(default_factory=list)

    @property
    def faults_file(self) -> Path:
        return self.workdir / "faults"

    @property
    def aws_endpoint_file(self) -> Path:
        """The moto server the workers' AWS parts call (see estate_worker), written by the test that starts it."""
        return self.workdir / "aws-endpoint"

    @property
    def worker_config(self) -> Path:
        return self.workdir / "worker.toml"

    def config(self, **settings: str | int) -> str:
        """A `[distributed]` section for the scanning side: these queues and `settings`."""
        lines = [f'queues = "{self.queues}"'] + [f"{k} = {v!r}".replace("'", '"') for k, v in settings.items()]
        return "[distributed]\n" + "\n".join(lines) + "\n"

    def set_faults(self, faults: str) -> None:
        self.faults_file.write_text(faults)

    def start(
        self, kind: str = "worker", extra: Sequence[str] = (), config: Path | None = None, log: Path | None = None
    ) -> Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CSPM_")}
        env.update(
            {
                "PYTHONPATH": str(REPO),
                "PYTHONUNBUFFERED": "1",
                "CSPM_TEST_FAULTS_FILE": str(self.faults_file),
                "CSPM_TEST_AWS_ENDPOINT_FILE": str(self.aws_endpoint_file),
                "CSPM_AI_CONFIG": str(config or self.worker_config),
                "COLUMNS": "200",
            }
        )
        command = [sys.executable, "-m", "tests.distributed.estate_worker", kind, "--broker", self.broker]
        command += ["--db", self.db, *extra]
        log = log or self.workdir / f"{kind}-{len(self.processes)}-{time.monotonic_ns()}.log"
        with log.open("wb") as output:
            popen = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=output,
                start_new_session=True,
            )
        process = Process(popen.pid, log, popen)
        self.processes.append(process)
        return process

    def start_workers(self, count: int) -> None:
        self.worker_config.write_text(self.config(part_time_limit="60s"))
        started = [self.start("worker", ("--concurrency", "1")) for _ in range(count)]
        self.wait_ready(started)
        self.workers = started

    def worker_of(self, pool_pid: int) -> Process:
        """The worker whose pool process is `pool_pid` (a worker's pool processes are in its process group)."""
        group = os.getpgid(pool_pid)
        return next(worker for worker in self.workers if worker.pid == group)

    def kill_worker(self, worker: Process) -> None:
        """SIGKILL a whole worker, its main process and its pool processes at once, as when its machine dies: its
        connection to the broker drops with it. It is replaced when the test ends."""
        os.killpg(worker.pid, signal.SIGKILL)
        self.killed.append(worker)

    def replace_worker(self, pid: int) -> Process:
        """A new worker in place of worker `pid` (stopped first if it still runs), here and in the run's state."""
        old = next(worker for worker in self.workers if worker.pid == pid)
        old.stop()
        new = self.start("worker", ("--concurrency", "1"))
        self.wait_ready([new])
        self.workers[self.workers.index(old)] = new
        with locked(self.shared.lock):
            state = self.shared.read()
            state["workers"][self.name] = [[p.pid, p.log.name] for p in self.workers]
            self.shared.write(state)
        return new

    def replace_killed(self) -> None:
        while self.killed:
            self.replace_worker(self.killed.pop().pid)

    @staticmethod
    def wait_ready(processes: Sequence[Process]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        for process in processes:
            while not process.is_ready():
                if time.monotonic() > deadline or not process.alive():
                    process.stop()
                    raise AssertionError("a fleet process did not start:\n" + "\n".join(process.lines[-40:]))
                time.sleep(0.1)

    def held(self) -> list[str]:
        """Lines where a pool process found another part's results still in memory as it began a part."""
        return [line for p in self.workers for line in p.lines if line.startswith(HELD)]

    def reset(self) -> None:
        """Between tests: no faults, nothing queued, both workers still running."""
        self.set_faults("")
        self.aws_endpoint_file.unlink(missing_ok=True)
        empty_broker(self.broker, (f"{self.queues}.parts", f"{self.queues}.schedules"))
        for process in self.workers:
            assert process.alive(), "a worker stopped:\n" + "\n".join(process.lines[-40:])

    def stop_own(self) -> None:
        """The processes this test started itself (a scheduler); the workers outlive it."""
        for process in self.processes:
            if process not in self.workers:
                process.stop()


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """The scanning side's config file (CSPM_AI_CONFIG), written by the test."""
    path = tmp_path / "config.toml"

    def write(body: str) -> Path:
        path.write_text(body)
        return path

    write("")
    monkeypatch.setenv("CSPM_AI_CONFIG", str(path))
    return write


def _fleet(name: str, fleet_database: str, shared_dir: Path, config_file: Callable[[str], Path]) -> Iterator[Fleet]:
    """The run's fleet on broker `name`, held by this test alone; started if no pytest process of the run has."""
    url = BROKERS[name]
    db = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{fleet_database}"
    queues = f"cspm-test-{hashlib.sha256(str(shared_dir).encode()).hexdigest()[:12]}-{name}"
    workdir = shared_dir / name
    workdir.mkdir(exist_ok=True)
    shared = SharedState(shared_dir)
    with locked(shared_dir / "use.lock"):
        running = Fleet(name, url, db, queues, workdir, shared)
        empty_broker(url, (f"{queues}.parts", f"{queues}.schedules"))
        empty_database(fleet_database)
        with locked(shared.lock):
            state = shared.read()
            known = [Process(int(pid), workdir / str(log)) for pid, log in state["workers"].get(name, [])]
            if known and all(p.alive() for p in known):
                running.workers = known
            else:
                for process in known:
                    process.stop()
                running.start_workers(2)
                state["workers"][name] = [[p.pid, p.log.name] for p in running.workers]
                shared.write(state)
        running.reset()
        config_file(running.config(deadline="120s"))
        try:
            yield running
            assert running.held() == [], "a worker held another part's results as it began a part"
        finally:
            running.replace_killed()
            running.stop_own()
            running.reset()


@pytest.fixture(params=sorted(BROKERS))
def fleet(
    request: pytest.FixtureRequest, fleet_database: str, shared_dir: Path, config_file: Callable[[str], Path]
) -> Iterator[Fleet]:
    """The run's fleet on each broker in turn (for the guarantees that depend on the broker)."""
    yield from _fleet(str(request.param), fleet_database, shared_dir, config_file)


@pytest.fixture
def redis_fleet(fleet_database: str, shared_dir: Path, config_file: Callable[[str], Path]) -> Iterator[Fleet]:
    """The run's fleet on Redis (for the guarantees the broker plays no part in)."""
    yield from _fleet("redis", fleet_database, shared_dir, config_file)


@pytest.fixture
def rabbitmq_fleet(fleet_database: str, shared_dir: Path, config_file: Callable[[str], Path]) -> Iterator[Fleet]:
    """The run's fleet on RabbitMQ (for what only RabbitMQ does: requeue a dropped connection's tasks at once)."""
    yield from _fleet("rabbitmq", fleet_database, shared_dir, config_file)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def run_due_schedule(fleet: Fleet, tmp_path: Path, name: str, timeout: float) -> Any:
    """Make every stored schedule due (added long ago, never run), start `cspm-ai scheduler` on the fleet, and
    return schedule `name`'s first finished run (the scheduler's last lines if none finishes in time)."""
    from sqlalchemy import update

    from cspm_ai.inventory import Inventory
    from cspm_ai.inventory.schema import ScheduleRow

    with Inventory.open(fleet.db) as inventory, inventory.engine.begin() as connection:
        connection.execute(update(ScheduleRow).values(created_at=datetime.now(UTC) - timedelta(days=2)))
    config = tmp_path / "scheduler.toml"
    config.write_text(fleet.config(deadline="60s"))
    scheduler = fleet.start("scheduler", config=config)
    try:

        def finished_run() -> object:
            with Inventory.open(fleet.db) as inventory:
                runs = inventory.schedule_runs(name)
            return runs[0] if runs and runs[0].status != "running" else None

        return wait_for(finished_run, timeout, "the scheduled run to finish")
    except AssertionError:
        raise AssertionError("\n".join(scheduler.lines[-60:])) from None
    finally:
        scheduler.stop()
