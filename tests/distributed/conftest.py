"""The fleet under test: the real brokers on this machine, a PostgreSQL database of its own, real worker
processes (`cspm-ai worker` with the recorded estates), and the scanning CLI in this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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


@pytest.fixture(scope="session")
def fleet_database() -> Iterator[str]:
    """A PostgreSQL database for the fleet tests alone (Celery's result tables live in it too)."""
    try:
        admin = _admin_connection("postgres")
    except psycopg.OperationalError as exc:
        _unreachable(f"PostgreSQL on {PG_HOST}:{PG_PORT}", exc)
    name = f"cspm_fleet_{os.getpid()}_{int(time.time())}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _admin_connection("postgres") as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


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
    """A `cspm-ai worker` (or scheduler) process of the test, in a process group of its own."""

    popen: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.lines.append(line.rstrip("\n"))
            if " ready." in line:
                self.ready.set()

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)


@dataclass
class Fleet:
    """Two `cspm-ai worker` processes (one pool process each) on one broker, started once for the session and
    shared by the tests (`reset` between them): queues and a database of this session's own, so another
    pytest process's fleet never takes its parts. Faults are written to a file the workers read per part."""

    broker: str
    db: str
    queues: str
    workdir: Path
    processes: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)

    @property
    def faults_file(self) -> Path:
        return self.workdir / "faults"

    @property
    def worker_config(self) -> Path:
        return self.workdir / "worker.toml"

    def config(self, **settings: str | int) -> str:
        """A `[distributed]` section for the scanning side: these queues and `settings`."""
        lines = [f'queues = "{self.queues}"'] + [f"{k} = {v!r}".replace("'", '"') for k, v in settings.items()]
        return "[distributed]\n" + "\n".join(lines) + "\n"

    def set_faults(self, faults: str) -> None:
        self.faults_file.write_text(faults)

    def start(self, kind: str = "worker", extra: Sequence[str] = (), config: Path | None = None) -> Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CSPM_")}
        env.update(
            {
                "PYTHONPATH": str(REPO),
                "PYTHONUNBUFFERED": "1",
                "CSPM_TEST_FAULTS_FILE": str(self.faults_file),
                "CSPM_AI_CONFIG": str(config or self.worker_config),
                "COLUMNS": "200",
            }
        )
        command = [sys.executable, "-m", "tests.distributed.estate_worker", kind, "--broker", self.broker]
        command += ["--db", self.db, *extra]
        popen = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        process = Process(popen)
        threading.Thread(target=process.read, daemon=True).start()
        self.processes.append(process)
        return process

    def start_workers(self, count: int) -> None:
        self.worker_config.write_text(self.config(part_time_limit="60s"))
        started = [self.start("worker", ("--concurrency", "1")) for _ in range(count)]
        self.wait_ready(started)
        self.workers = started

    @staticmethod
    def wait_ready(processes: Sequence[Process]) -> None:
        for process in processes:
            if not process.ready.wait(READY_TIMEOUT_S):
                process.stop()
                raise AssertionError("a fleet process did not start:\n" + "\n".join(process.lines[-40:]))

    def held(self) -> list[str]:
        """Lines where a pool process found another part's results still in memory as it began a part."""
        return [line for p in self.workers for line in p.lines if line.startswith(HELD)]

    def reset(self) -> None:
        """Between tests: no faults, nothing queued, both workers still running."""
        self.set_faults("")
        empty_broker(self.broker, (f"{self.queues}.parts", f"{self.queues}.schedules"))
        for process in self.workers:
            assert process.popen.poll() is None, "a worker stopped:\n" + "\n".join(process.lines[-40:])

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


@pytest.fixture(scope="session")
def fleets(fleet_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Fleet]]:
    """This session's fleets, one per broker, started when a test first needs one."""
    started: dict[str, Fleet] = {}
    yield started
    for running in started.values():
        running.stop()


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


def _fleet(
    name: str,
    fleets: dict[str, Fleet],
    fleet_database: str,
    tmp_path_factory: pytest.TempPathFactory,
    config_file: Callable[[str], Path],
) -> Iterator[Fleet]:
    url = BROKERS[name]
    db = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{fleet_database}"
    queues = f"cspm-test-{os.getpid()}-{name}"
    empty_broker(url, (f"{queues}.parts", f"{queues}.schedules"))
    empty_database(fleet_database)
    if name not in fleets:
        fleets[name] = Fleet(url, db, queues, tmp_path_factory.mktemp(f"fleet-{name}"))
        fleets[name].start_workers(2)
    running = fleets[name]
    running.reset()
    config_file(running.config(deadline="120s"))
    try:
        yield running
        assert running.held() == [], "a worker held another part's results as it began a part"
    finally:
        running.reset()


@pytest.fixture(params=sorted(BROKERS))
def fleet(
    request: pytest.FixtureRequest,
    fleets: dict[str, Fleet],
    fleet_database: str,
    tmp_path_factory: pytest.TempPathFactory,
    config_file: Callable[[str], Path],
) -> Iterator[Fleet]:
    """The session's fleet on each broker in turn (for the guarantees that depend on the broker)."""
    yield from _fleet(str(request.param), fleets, fleet_database, tmp_path_factory, config_file)


@pytest.fixture
def redis_fleet(
    fleets: dict[str, Fleet],
    fleet_database: str,
    tmp_path_factory: pytest.TempPathFactory,
    config_file: Callable[[str], Path],
) -> Iterator[Fleet]:
    """The session's fleet on Redis (for the guarantees the broker plays no part in)."""
    yield from _fleet("redis", fleets, fleet_database, tmp_path_factory, config_file)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
