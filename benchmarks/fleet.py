"""Benchmark: one scan of an AWS organization (or many Google Cloud projects), in one process and on 1, 2 and 4
Celery workers.

AWS (the default): a moto server process holds an organization of `--accounts` member accounts (and the management
account), each with a small AI estate (`member_estate`: SageMaker models, endpoint configs, endpoints, notebooks and
training jobs in two regions, a Bedrock guardrail, their roles and bucket), `--latency-ms` added to every call, as a
distant API would. The server answers a read it has answered before from memory (`--read-cache`: it sits on the
same cores as the scanner, and moto's own CPU is not what is measured); a warm-up scan, not counted, reads
everything once first. The workers sign into each member through its member role with the management account's
credentials, as deployed workers do.

Google Cloud (`--cloud gcp`): the recorded estate's production project served as `--accounts` distinct projects
(bench-01, bench-02, …: every id and project number in the requests and answers rewritten, so each project's
resources are its own), `--latency-ms` added to every call.

Each configuration is run as a user runs it, as whole processes: the one-process scan (`cspm-ai scan aws
--organization …` into SQLite), then `cspm-ai worker --concurrency 1` × N and the same scan with `--distributed`
into one PostgreSQL database, Redis as the broker. It prints accounts (projects) per minute of the whole scan
(start-up, planning, the final evaluation and the reports included) and of its parts on the workers (first part
started to last part stored, from the inventory), the latter's speed-up over one worker, the CPU seconds per account
of the scanning processes, the moto server's CPU during the run, the peak resident memory (VmHWM) of each worker's
main process and of its pool process, and the load average as each configuration starts (the machine may be
shared). A benchmark, not a test: `make bench-fleet` (about two minutes on 2 cores; PostgreSQL and Redis on this
machine, as the distributed tests use). `make bench-fleet ARGS="--rounds 3"` runs every configuration three times,
in turn, and reports the medians: on a shared machine one run of each is at the mercy of what else runs then.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
BROKER = "redis://127.0.0.1:6379/12"
QUEUES = "cspm-bench"
AWS_REGIONS = ("us-east-1", "eu-west-1")
# Of each SageMaker kind the bulk builder knows, per region: 5 resources a region, one of each.
PER_REGION = 5
_CLOCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ the AWS organization


def member_estate(session: Any, regions: Sequence[str]) -> None:
    """A member account's small AI estate: one of each SageMaker kind per region and a Bedrock guardrail."""
    from moto_fixtures.bulk import BENCH_KINDS, build_bulk_estate

    build_bulk_estate(regions, per_region=PER_REGION, session=session, kinds=BENCH_KINDS)
    session.client("bedrock", region_name=regions[0]).create_guardrail(
        name="support-guardrail",
        contentPolicyConfig={
            "filtersConfig": [{"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}]
        },
        blockedInputMessaging="Sorry, I cannot help with that.",
        blockedOutputsMessaging="Sorry, I cannot answer that.",
    )


def aws_env(endpoint: str) -> dict[str, str]:
    """The management account's (moto's default account's) credentials, pointed at the server."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": AWS_REGIONS[0],
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@contextlib.contextmanager
def aws_organization(accounts: int, latency_ms: int) -> Iterator[tuple[str, int]]:
    """A moto server holding the organization; its endpoint and the server's process id."""
    import boto3

    from moto_fixtures.organization import MemberSpec, build_organization, member_session
    from moto_fixtures.server import running_server

    before = set(_children())
    with running_server(latency_ms=latency_ms, read_cache=True) as endpoint:
        server = next(pid for pid in _children() if pid not in before)
        with _environ(aws_env(endpoint)):
            management = boto3.Session(region_name=AWS_REGIONS[0])
            members = tuple(MemberSpec(f"team-{n:02d}") for n in range(1, accounts + 1))
            manifest = build_organization(management, members, ai_regions=AWS_REGIONS)
            # Each member's session reads the models the management session has parsed, and four are built at once.
            loader = management._session.get_component("data_loader")  # noqa: SLF001
            sessions = [member_session(management, account) for account in manifest.members.values()]
            for session in sessions:
                session._session.register_component("data_loader", loader)  # noqa: SLF001
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda session: member_estate(session, AWS_REGIONS), sessions))
        yield endpoint, server


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def cache_stats(endpoint: str) -> dict[str, int]:
    """The server's read cache counts (hits and misses since it started)."""
    from moto_fixtures.server import CACHE_PATH

    with urllib.request.urlopen(endpoint + CACHE_PATH, timeout=10) as answer:  # noqa: S310  (the local moto server)
        return dict(json.load(answer))


# ------------------------------------------------------------------ the Google Cloud projects


def _bench_id(n: int) -> str:
    return f"bench-{n:02d}"


def _bench_number(n: int) -> str:
    return f"9{n:011d}"


def serve_estate(latency_s: float) -> Any:
    """The recorded estate's production project as any number of projects, behind `latency_s` per call; the
    running mock (stop it with .stop())."""
    import responses

    import collectors.gcp
    from moto_fixtures.gcp_estate import register_gcp_estate

    replay = responses.RequestsMock(assert_all_requests_are_fired=False)
    replay.start()
    manifest = register_gcp_estate(replay, denied_project=False, page_size=1000)
    prod = manifest.prod_project_id
    number = manifest.project_numbers[prod]
    pattern = re.compile(r"bench-(\d\d)|9(\d{11})")
    for route in replay.registered():
        original = route.callback  # type: ignore[attr-defined]

        def answer(request: Any, original: Any = original) -> Any:
            time.sleep(latency_s)
            found = pattern.search(request.url)
            if found is None:
                return original(request)
            n = int(found.group(1) or found.group(2))
            request.url = request.url.replace(_bench_id(n), prod).replace(_bench_number(n), number)
            status, headers, body = original(request)
            return status, headers, body.replace(prod, _bench_id(n)).replace(number, _bench_number(n))

        route.callback = answer  # type: ignore[attr-defined]
    from google.auth.credentials import AnonymousCredentials

    identity = f"scanner@{prod}.iam.gserviceaccount.com"
    collectors.gcp.credential_factory = lambda _impersonate: (AnonymousCredentials(), None, identity)
    return replay


def _cli(argv: list[str]) -> None:
    """`python -m benchmarks.fleet cli LATENCY_MS ARGS…`: cspm-ai with the Google Cloud projects answering."""
    serve_estate(float(argv[0]) / 1000)
    from cspm_ai.cli import main

    main(argv[1:])


# ------------------------------------------------------------------ running and measuring


@dataclass(frozen=True)
class Setup:
    """What differs between the clouds: how cspm-ai is started, what it scans, and its environment."""

    cloud: str
    accounts: int
    latency_ms: int
    scan: tuple[str, ...]
    extra_env: dict[str, str] = field(default_factory=dict)
    server: int | None = None  # the moto server's process id (AWS)

    def command(self, *args: str) -> list[str]:
        if self.cloud == "gcp":
            return [sys.executable, "-m", "benchmarks.fleet", "cli", str(self.latency_ms), *args]
        return [sys.executable, "-m", "cspm_ai", *args]

    def env(self, config: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CSPM_", "AWS_"))}
        env.update({"PYTHONPATH": str(REPO), "CSPM_AI_CONFIG": str(config), "NO_GCE_CHECK": "true", "COLUMNS": "200"})
        env.update(self.extra_env)
        return env


@dataclass
class Run:
    load: float
    elapsed: float
    parts: float = 0.0
    cpu: float = 0.0  # CPU seconds of the processes that scanned (the one process, or the workers and the scan)
    server_cpu: float = 0.0  # the moto server's, during the run
    peaks: list[tuple[float, float]] = field(default_factory=list)


def _children() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                    pids.append(int(entry))
    return pids


def _cpu_s(pid: int | None) -> float:
    """User and system CPU seconds of a live process (0 when there is none)."""
    if pid is None:
        return 0.0
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK
    return 0.0


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the scan failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry)) == pgid:
                    pids.append(int(entry))
    return pids


def _peak_rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def database() -> Iterator[str]:
    import psycopg
    from psycopg import sql

    name = f"cspm_bench_fleet_{os.getpid()}"
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{PG}/{name}"
    finally:
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _purge() -> None:
    from kombu import Connection

    with Connection(BROKER, connect_timeout=5) as connection:
        channel = connection.channel()
        with contextlib.suppress(Exception):
            channel.queue_purge(f"{QUEUES}.parts")


def parts_phase(db: str) -> tuple[float, int]:
    """Seconds from the first part of the latest scan starting on a worker to the last one stored, and how many
    parts were stored."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            first, last, stored = connection.execute(
                text(
                    "SELECT min(started_at), max(finished_at), count(*) FILTER (WHERE status = 'stored') "
                    "FROM scan_parts WHERE scan_id = (SELECT id FROM scans ORDER BY started_at DESC LIMIT 1)"
                )
            ).one()
    finally:
        engine.dispose()
    return float((last - first).total_seconds()), int(stored)


def one_process(setup: Setup, work: Path) -> Run:
    load = os.getloadavg()[0]
    scan = setup.command(*setup.scan, "--db", f"sqlite:///{work / 'one.db'}", "--output-dir", str(work / "one"))
    cpu, server = _children_cpu_s(), _cpu_s(setup.server)
    elapsed = _timed(scan, setup.env(work / "one.toml"))
    return Run(load, elapsed, cpu=_children_cpu_s() - cpu, server_cpu=_cpu_s(setup.server) - server)


def on_fleet(setup: Setup, workers: int, db: str, work: Path) -> Run:
    """One distributed scan on `workers` fresh workers: its wall time, the time its parts took on the workers,
    the CPU of the workers and the scan, and each worker's peak RSS (its main process, its pool process)."""
    config = work / "fleet.toml"
    config.write_text(f'[distributed]\nqueues = "{QUEUES}"\ndeadline = "30m"\n')
    env = setup.env(config)
    _purge()
    started = []
    for i in range(workers):
        log = (work / f"worker-{workers}-{i}.log").open("wb")
        worker = setup.command("worker", "--broker", BROKER, "--db", db, "--concurrency", "1")
        started.append(
            (subprocess.Popen(worker, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True), log)
        )
    try:
        for popen, log in started:
            deadline = time.monotonic() + 60
            while b" ready." not in Path(log.name).read_bytes():
                if time.monotonic() > deadline or popen.poll() is not None:
                    raise SystemExit(f"a worker did not start:\n{Path(log.name).read_text()[-3000:]}")
                time.sleep(0.2)
        ready = sum(_cpu_s(p) for popen, _log in started for p in _group_pids(popen.pid))
        load = os.getloadavg()[0]
        cpu, server = _children_cpu_s(), _cpu_s(setup.server)
        scan = [*setup.scan, "--db", db, "--output-dir", str(work / "out")]
        elapsed = _timed(setup.command(*scan, "--distributed", "--broker", BROKER), env)
        server_cpu = _cpu_s(setup.server) - server
        scan_cpu = _children_cpu_s() - cpu
        peaks, worker_cpu = [], 0.0
        for popen, _log in started:
            group = _group_pids(popen.pid)
            worker_cpu += sum(_cpu_s(p) for p in group)
            pool = [p for p in group if p != popen.pid]
            peaks.append((_peak_rss_mb(popen.pid), max((_peak_rss_mb(p) for p in pool), default=0.0)))
        parts, stored = parts_phase(db)
        if stored != setup.accounts + (setup.cloud == "aws"):
            raise SystemExit(f"only {stored} part(s) of the scan were stored; see the logs in {work}")
        return Run(load, elapsed, parts, worker_cpu - ready + scan_cpu, server_cpu, peaks)
    finally:
        for popen, log in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()
            log.close()


def report(setup: Setup, runs: dict[str, list[Run]], rounds: int, cache: dict[str, int] | None) -> None:
    unit = "accounts" if setup.cloud == "aws" else "projects"
    what = (
        f"an AWS organization: {setup.accounts} member accounts and the management account "
        f"({len(AWS_REGIONS)} regions each)"
        if setup.cloud == "aws"
        else f"{setup.accounts} Google Cloud projects"
    )
    scanned = setup.accounts + (setup.cloud == "aws")
    print(
        f"{what}, {setup.latency_ms} ms per API call, {os.cpu_count()} cores, {rounds} round(s) "
        "(medians; each run's time on the workers in brackets)"
    )
    if cache is not None:
        print(f"moto server read cache over the measured runs: {cache['hits']} hits, {cache['misses']} misses")
    print()
    head = [
        "run",
        "load average at start",
        "wall time",
        f"{unit} per minute (whole scan)",
        "parts on the workers",
        f"{unit} per minute on the workers (vs 1 worker)",
        f"CPU per {unit[:-1]}",
        *(["moto server CPU"] if setup.server else []),
        "peak RSS per worker, main / pool process (MB)",
    ]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 2) + "---|")
    first: float | None = None
    for name, done in runs.items():
        elapsed = statistics.median(r.elapsed for r in done)
        cells = [name, ", ".join(f"{r.load:.2f}" for r in done), f"{elapsed:.1f} s", f"{scanned / elapsed * 60:.0f}"]
        cpu = f"{statistics.median(r.cpu for r in done) / scanned:.2f} s"
        server = [f"{statistics.median(r.server_cpu for r in done):.1f} s"] if setup.server else []
        if name == "one process":
            cells += ["", "", cpu, *server, ""]
        else:
            parts = statistics.median(r.parts for r in done)
            first = first or parts
            each = f" ({', '.join(f'{r.parts:.1f}' for r in done)})" if len(done) > 1 else ""
            memory = ", ".join(f"{main:.0f} / {pool:.0f}" for main, pool in done[-1].peaks)
            per_minute = f"{scanned / parts * 60:.0f} ({first / parts:.2f}x)"
            cells += [f"{parts:.1f} s{each}", per_minute, cpu, *server, memory]
        print("| " + " | ".join(cells) + " |")


def measure(setup: Setup, counts: Sequence[int], rounds: int, endpoint: str | None) -> None:
    runs: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="cspm-bench-fleet-") as folder, database() as db:
        work = Path(folder)
        (work / "one.toml").write_text("")
        warm: dict[str, int] = {}
        if endpoint:
            # Every read once, so that the measured runs are answered from the server's memory.
            one_process(setup, work)
            warm = cache_stats(endpoint)
        for _round in range(rounds):
            # One round runs every configuration once, so a load that comes and goes touches each alike.
            runs.setdefault("one process", []).append(one_process(setup, work))
            for count in counts:
                runs.setdefault(f"{count} worker(s)", []).append(on_fleet(setup, count, db, work))
        cache = {k: v - warm[k] for k, v in cache_stats(endpoint).items() if k in warm} if endpoint else None
    report(setup, runs, rounds, cache)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "cli":
        _cli(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cloud", choices=("aws", "gcp"), default="aws")
    parser.add_argument(
        "--accounts", type=int, default=24, help="member accounts of the organization (Google Cloud: projects)"
    )
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every configuration this many times, in turn; report the medians"
    )
    args = parser.parse_args()
    if not 1 <= args.accounts <= 99:
        parser.error("--accounts must be between 1 and 99")
    counts = [int(w) for w in args.workers.split(",")]
    if args.cloud == "gcp":
        projects = ",".join(_bench_id(n) for n in range(1, args.accounts + 1))
        setup = Setup("gcp", args.accounts, args.latency_ms, ("scan", "gcp", "--projects", projects))
        measure(setup, counts, args.rounds, None)
        return
    started = time.perf_counter()
    with aws_organization(args.accounts, args.latency_ms) as (endpoint, server):
        print(f"organization built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        regions = ",".join(AWS_REGIONS)
        scan = ("scan", "aws", "--organization", "--regions", regions, "--allowed-regions", regions)
        setup = Setup("aws", args.accounts, args.latency_ms, scan, aws_env(endpoint), server)
        measure(setup, counts, args.rounds, endpoint)


if __name__ == "__main__":
    main()
