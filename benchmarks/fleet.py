"""Benchmark: one scan of many Google Cloud projects, in one process and on 1, 2 and 4 Celery workers.

The estate is the recorded Google Cloud estate's production project, served as `--projects` distinct
projects (bench-01, bench-02, …: every id and project number in the requests and answers rewritten, so each
project's resources are its own) with `--latency-ms` added to every API call, as a distant API would.

Each configuration is run as a user runs it, as whole processes: the one-process scan
(`cspm-ai scan gcp --projects …` into SQLite), then `cspm-ai worker --concurrency 1` × N and
`cspm-ai scan gcp --projects … --distributed` into one PostgreSQL database, Redis as the broker. It prints
projects per minute of the whole scan (start-up, planning, the final evaluation and the reports included) and
of its parts on the workers (first part started to last part stored, from the inventory), the latter's
speed-up over one worker, the peak resident memory (VmHWM) of each worker's main process and of its pool
process, and the load average as each configuration starts (the machine may be shared). A benchmark,
not a test: `make bench-fleet` (about a minute and a half on 2 cores; PostgreSQL and Redis on this machine, as
the distributed tests use). `make bench-fleet ARGS="--rounds 3"` runs every configuration three times, in turn,
and reports the medians: on a shared machine one run of each is at the mercy of what else runs then.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
BROKER = "redis://127.0.0.1:6379/12"
QUEUES = "cspm-bench"


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
    """`python -m benchmarks.fleet cli LATENCY_MS ARGS…`: cspm-ai with the benchmark's estate answering."""
    serve_estate(float(argv[0]) / 1000)
    from cspm_ai.cli import main

    main(argv[1:])


def _command(latency_ms: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.fleet", "cli", str(latency_ms), *args]


def _env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPM_")}
    env.update({"PYTHONPATH": str(REPO), "CSPM_AI_CONFIG": str(config), "NO_GCE_CHECK": "true", "COLUMNS": "200"})
    return env


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


def parts_phase(db: str) -> float:
    """Seconds from the first part of the latest scan starting on a worker to the last one stored."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            first, last = connection.execute(
                text(
                    "SELECT min(started_at), max(finished_at) FROM scan_parts WHERE scan_id = "
                    "(SELECT id FROM scans ORDER BY started_at DESC LIMIT 1)"
                )
            ).one()
    finally:
        engine.dispose()
    return float((last - first).total_seconds())


def on_fleet(
    workers: int, projects: Sequence[str], latency_ms: int, db: str, work: Path
) -> tuple[float, float, list[tuple[float, float]]]:
    """Wall time of one distributed scan on `workers` fresh workers, the time its parts took on the workers, and
    each worker's peak RSS (its main process, its pool process)."""
    config = work / "fleet.toml"
    config.write_text(f'[distributed]\nqueues = "{QUEUES}"\ndeadline = "30m"\n')
    env = _env(config)
    _purge()
    started = []
    for i in range(workers):
        log = (work / f"worker-{workers}-{i}.log").open("wb")
        worker = _command(latency_ms, "worker", "--broker", BROKER, "--db", db, "--concurrency", "1")
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
        scan = ["scan", "gcp", "--projects", ",".join(projects), "--db", db, "--output-dir", str(work / "out")]
        elapsed = _timed(_command(latency_ms, *scan, "--distributed", "--broker", BROKER), env)
        peaks = []
        for popen, _log in started:
            pool = [p for p in _group_pids(popen.pid) if p != popen.pid]
            peaks.append((_peak_rss_mb(popen.pid), max((_peak_rss_mb(p) for p in pool), default=0.0)))
        return elapsed, parts_phase(db), peaks
    finally:
        for popen, log in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()
            log.close()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "cli":
        _cli(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects", type=int, default=24)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every configuration this many times, in turn; report the medians"
    )
    args = parser.parse_args()
    projects = [_bench_id(n) for n in range(1, args.projects + 1)]
    counts = [int(w) for w in args.workers.split(",")]
    runs: dict[str, list[tuple[float, float, float, list[tuple[float, float]]]]] = {}
    with tempfile.TemporaryDirectory(prefix="cspm-bench-fleet-") as folder, database() as db:
        work = Path(folder)
        (work / "one.toml").write_text("")
        for _round in range(args.rounds):
            # One round runs every configuration once, so a load that comes and goes touches each alike.
            one = _command(args.latency_ms, "scan", "gcp", "--projects", ",".join(projects))
            one += ["--db", f"sqlite:///{work / 'one.db'}", "--output-dir", str(work / "one")]
            load = os.getloadavg()[0]
            runs.setdefault("one process", []).append((load, _timed(one, _env(work / "one.toml")), 0.0, []))
            for count in counts:
                load = os.getloadavg()[0]
                elapsed, parts, peaks = on_fleet(count, projects, args.latency_ms, db, work)
                runs.setdefault(f"{count} worker(s)", []).append((load, elapsed, parts, peaks))
    print(
        f"{args.projects} Google Cloud projects, {args.latency_ms} ms per API call, {os.cpu_count()} cores, "
        f"{args.rounds} round(s) (medians; each run's time on the workers in brackets)"
    )
    print()
    print(
        "| run | load average at start | wall time | projects per minute (whole scan) | parts on the workers | "
        "projects per minute on the workers (vs 1 worker) | peak RSS per worker, main / pool process (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    first: float | None = None
    for name, done in runs.items():
        loads = ", ".join(f"{r[0]:.2f}" for r in done)
        elapsed = statistics.median(r[1] for r in done)
        whole = f"{args.projects / elapsed * 60:.0f}"
        if name == "one process":
            print(f"| {name} | {loads} | {elapsed:.1f} s | {whole} |  |  |  |")
            continue
        parts = statistics.median(r[2] for r in done)
        first = first or parts
        each = f" ({', '.join(f'{r[2]:.1f}' for r in done)})" if len(done) > 1 else ""
        per_minute = f"{args.projects / parts * 60:.0f} ({first / parts:.2f}x)"
        memory = ", ".join(f"{main:.0f} / {pool:.0f}" for main, pool in done[-1][3])
        print(f"| {name} | {loads} | {elapsed:.1f} s | {whole} | {parts:.1f} s{each} | {per_minute} | {memory} |")


if __name__ == "__main__":
    main()
