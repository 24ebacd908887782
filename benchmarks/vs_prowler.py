"""Benchmark: cspm-ai and Prowler side by side on one large SageMaker estate.

Builds the estate of issue 14 (300 each of notebook instances, models, endpoint
configs, endpoints and training jobs, over three regions) in a moto server
process that adds `--latency-ms` to every call and answers a repeated read from
memory (so the server's own CPU is not the limit). Each scanner is then run as
a user runs it, as a whole process: once to warm it (imports compiled, the
server's read cache filled), then `--runs` times, timed the same way: wall time,
user+sys CPU of the process and everything it waited for (os.wait4), peak
memory (the largest process, and the whole process tree sampled), and the API
calls the server counted. Prowler runs from its own venv (`make bench-vs-prowler`
installs it there; it is never a dependency of cspm-ai), limited to its
SageMaker service and the three regions, writing only its CSV report; cspm-ai
scans its whole AWS scope and writes its JSON and HTML reports.

`--scale` instead times cspm-ai alone on the estate and on one ten times as
large, and reports how wall time, CPU and peak memory grow.

A benchmark, not a test: `make bench-vs-prowler` (about five minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
PER_REGION = 500  # 100 of each of the five kinds per region: 1,500 resources in all
SCALE = 10  # the growth run's estate is this many times larger
LATENCY_MS = 40.0
# Issue 14's goals: Prowler's wall time and CPU over cspm-ai's, and growth at SCALE times the estate.
WALL_GOAL = 5.0
CPU_GOAL = 3.0
GROWTH_GOAL = 10.0
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_SAMPLE_S = 0.1


@dataclass
class Measurement:
    """One timed run of one scanner, as a whole process."""

    scanner: str
    wall_s: float
    cpu_s: float  # user + sys of the process and every descendant it waited for
    max_rss_mb: float  # the largest single process (ru_maxrss)
    tree_rss_mb: float  # the whole process tree at its largest, sampled every 0.1 s
    calls: int
    exit_code: int
    findings: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ measuring a process tree


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as listing:
                found.extend(int(child) for child in listing.read().split())
    return found


def tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants now (0 once it is gone)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, pending, seen = 0, [root], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/statm") as statm:
            total += int(statm.read().split()[1]) * page
        pending.extend(_children(pid))
    return total


class _PeakSampler:
    """Samples a process tree's resident memory in a thread, keeping the largest total."""

    def __init__(self, pid: int, interval_s: float = _SAMPLE_S) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> _PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(
    command: Sequence[str], env: Mapping[str, str], cwd: str, log: Path
) -> tuple[float, float, float, float, int]:
    """Run a command to its end: (wall s, CPU s, largest process MB, peak tree MB, exit code)."""
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        with _PeakSampler(process.pid) as sampler:
            # wait4 reports the child's own usage plus that of every descendant it waited for.
            _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    max_rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
    return wall, cpu, max_rss_mb, max(sampler.peak / 2**20, max_rss_mb), process.returncode


# ------------------------------------------------------------------ the server's counters


def _control(endpoint: str, path: str, method: str = "GET") -> dict[str, Any]:
    request = urllib.request.Request(f"{endpoint}{path}", method=method)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return dict(json.loads(answer.read()))


# ------------------------------------------------------------------ the scanners


@dataclass(frozen=True)
class Scanner:
    """How to run one scanner as its user would, and how to count what it found."""

    name: str
    command: Callable[[Path], list[str]]
    findings: Callable[[Path], int | None]
    ok_codes: frozenset[int] = frozenset({0})


def cspm_ai_scanner(regions: Sequence[str], executable: str | None = None) -> Scanner:
    binary = executable or str(Path(sys.executable).with_name("cspm-ai"))

    def command(workdir: Path) -> list[str]:
        return [
            binary,
            "scan",
            "aws",
            "--regions",
            ",".join(regions),
            "--db",
            f"sqlite:///{workdir / 'inventory.db'}",
            "--output-dir",
            str(workdir),
        ]

    def findings(workdir: Path) -> int | None:
        report = workdir / "report.json"
        if not report.exists():
            return None
        return len(json.loads(report.read_text()).get("findings", []))

    return Scanner("cspm-ai", command, findings)


def prowler_scanner(regions: Sequence[str], executable: str) -> Scanner:
    def command(workdir: Path) -> list[str]:
        return [
            executable,
            "aws",
            "--service",
            "sagemaker",
            "--region",
            *regions,
            "--output-formats",
            "csv",
            "--output-directory",
            str(workdir),
            "--no-banner",
            "--no-color",
            "--ignore-exit-code-3",  # 3 means "some check failed", which is what the estate is for
        ]

    def findings(workdir: Path) -> int | None:
        reports = sorted(workdir.glob("*.csv"))
        if not reports:
            return None
        with open(reports[-1], encoding="utf-8", newline="") as csv_file:
            # Prowler separates fields with ";", and a field may hold line breaks.
            return sum(1 for _ in csv.DictReader(csv_file, delimiter=";"))

    return Scanner("Prowler", command, findings)


def version_of(executable: str) -> str:
    """What a scanner says its version is (`prowler -v`, `cspm-ai --version`)."""
    flag = "-v" if Path(executable).name == "prowler" else "--version"
    answer = subprocess.run([executable, flag], capture_output=True, text=True, timeout=120, check=False)
    text = (answer.stdout or answer.stderr).strip()
    return text.splitlines()[-1] if text else "unknown"


def measure(scanner: Scanner, endpoint: str, env: Mapping[str, str], keep: Path | None = None) -> Measurement:
    """One run of a scanner in a fresh directory, with the server's counters reset first."""
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{scanner.name.lower()}-"))
    try:
        _control(endpoint, "/_cspm/stats", "DELETE")
        cache_before = _control(endpoint, "/_cspm/cache")
        wall, cpu, max_rss, tree_rss, code = run_measured(
            scanner.command(workdir), env, str(workdir), workdir / "output.log"
        )
        calls = _control(endpoint, "/_cspm/stats")
        cache_after = _control(endpoint, "/_cspm/cache")
        if code not in scanner.ok_codes:
            tail = (workdir / "output.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"{scanner.name} exited {code}:\n{tail}")
        details = {
            "cache_misses": cache_after.get("misses", 0) - cache_before.get("misses", 0),
            "top_calls": dict(sorted(calls.items(), key=lambda item: -item[1])[:8]),
        }
        result = Measurement(
            scanner.name, wall, cpu, max_rss, tree_rss, sum(calls.values()), code, scanner.findings(workdir), details
        )
        if keep is not None:
            shutil.copytree(workdir, keep, dirs_exist_ok=True)
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------ reporting


def median_of(runs: Sequence[Measurement]) -> Measurement:
    """The median of each measure over several runs of one scanner."""
    first = runs[0]
    return Measurement(
        scanner=first.scanner,
        wall_s=statistics.median(r.wall_s for r in runs),
        cpu_s=statistics.median(r.cpu_s for r in runs),
        max_rss_mb=statistics.median(r.max_rss_mb for r in runs),
        tree_rss_mb=statistics.median(r.tree_rss_mb for r in runs),
        calls=int(statistics.median(r.calls for r in runs)),
        exit_code=max(r.exit_code for r in runs),
        findings=first.findings,
        details={"runs": len(runs)},
    )


def ratios(ours: Measurement, theirs: Measurement) -> dict[str, float]:
    """How many times less wall time, CPU and calls cspm-ai takes than the other scanner."""
    return {
        "wall": theirs.wall_s / ours.wall_s if ours.wall_s else float("inf"),
        "cpu": theirs.cpu_s / ours.cpu_s if ours.cpu_s else float("inf"),
        "calls": theirs.calls / ours.calls if ours.calls else float("inf"),
    }


def table(rows: Sequence[Measurement], resources: int) -> str:
    """A Markdown table of measurements, as the README shows it."""
    lines = [
        "| scanner | wall | CPU | peak memory (tree) | API calls | calls per resource | findings |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        findings = "-" if row.findings is None else f"{row.findings:,}"
        lines.append(
            f"| {row.scanner} | {row.wall_s:.1f} s | {row.cpu_s:.1f} s | {row.tree_rss_mb:,.0f} MB | "
            f"{row.calls:,} | {row.calls / resources:.2f} | {findings} |"
        )
    return "\n".join(lines)


def verdict(found: Mapping[str, float]) -> str:
    wall, cpu = found["wall"], found["cpu"]
    return (
        f"cspm-ai takes {wall:.2f}x less wall time (goal {WALL_GOAL:g}x: {'met' if wall >= WALL_GOAL else 'not met'}), "
        f"{cpu:.2f}x less CPU (goal {CPU_GOAL:g}x: {'met' if cpu >= CPU_GOAL else 'not met'}) "
        f"and makes {found['calls']:.2f}x fewer API calls than Prowler"
    )


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# ------------------------------------------------------------------ the runs


@contextlib.contextmanager
def estate(per_region: int, latency_ms: float, regions: Sequence[str]) -> Iterator[tuple[str, int]]:
    """A moto server process with the estate built in it: (endpoint, resources)."""
    from unittest import mock

    from moto_fixtures.bulk import BENCH_KINDS, build_bulk_estate
    from moto_fixtures.server import running_server

    # Preloading every AWS managed policy costs the server seconds and neither scanner reads them here.
    server_env = {**_FAKE_CREDENTIALS, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}
    with mock.patch.dict(os.environ, server_env), running_server(latency_ms=latency_ms, read_cache=True) as endpoint:
        with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL": endpoint}):
            started = time.perf_counter()
            built = build_bulk_estate(regions=regions, per_region=per_region, kinds=BENCH_KINDS)
        print(
            f"estate: {built:,} SageMaker resources in {len(regions)} regions, built in "
            f"{time.perf_counter() - started:.0f} s; {latency_ms:g} ms per API call, repeated reads from memory",
            flush=True,
        )
        yield endpoint, built


def scanner_env(endpoint: str) -> dict[str, str]:
    """What each scanner runs with: fake credentials, the server as every AWS endpoint, no user config.

    Bytecode is written as a user's Python writes it, so the warm run compiles what each scanner imports
    and the timed runs load it compiled (a shell that sets PYTHONDONTWRITEBYTECODE would otherwise have
    both scanners compile every changed module on every run)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CSPM_AI_")) and key != "PYTHONDONTWRITEBYTECODE"
    }
    return {**env, **_FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "NO_COLOR": "1"}


def _show(run: Measurement, label: str) -> None:
    findings = "-" if run.findings is None else f"{run.findings:,}"
    print(
        f"  {run.scanner:8} {label:6} wall {run.wall_s:6.1f} s  CPU {run.cpu_s:6.1f} s  "
        f"peak {run.tree_rss_mb:6.0f} MB  calls {run.calls:6,}  findings {findings}  "
        f"(reads not from the cache: {run.details.get('cache_misses', 0)})",
        flush=True,
    )


def compare(args: argparse.Namespace) -> dict[str, Any]:
    scanners = [cspm_ai_scanner(args.regions, args.cspm_ai)]
    if not args.skip_prowler:
        if not args.prowler or not Path(args.prowler).exists():
            raise SystemExit(
                f"Prowler not found at {args.prowler!r}: `make bench-vs-prowler` installs it into .venv-prowler"
            )
        prowler = str(Path(args.prowler).resolve())
        scanners.insert(0, prowler_scanner(args.regions, prowler))
        print(f"Prowler: {version_of(prowler)}", flush=True)
    print(f"load average before: {_load()} ({os.cpu_count()} cores)", flush=True)
    runs: dict[str, list[Measurement]] = {s.name: [] for s in scanners}
    with estate(args.per_region, args.latency_ms, args.regions) as (endpoint, resources):
        env = scanner_env(endpoint)
        for scanner in scanners:
            _show(measure(scanner, endpoint, env), "warm")
        for index in range(args.runs):
            for scanner in scanners:
                keep = Path(args.keep) / f"{scanner.name.lower()}-{index + 1}" if args.keep else None
                run = measure(scanner, endpoint, env, keep)
                runs[scanner.name].append(run)
                _show(run, f"run {index + 1}")
    medians = [median_of(r) for r in runs.values()]
    print(f"load average after: {_load()}\n")
    print(f"Medians of {args.runs} run(s), {resources:,} resources, {args.latency_ms:g} ms per call:\n")
    print(table(medians, resources))
    result: dict[str, Any] = {
        "resources": resources,
        "latency_ms": args.latency_ms,
        "regions": list(args.regions),
        "prowler_version": version_of(str(Path(args.prowler).resolve())) if not args.skip_prowler else None,
        "runs": {name: [asdict(r) for r in rs] for name, rs in runs.items()},
        "medians": [asdict(m) for m in medians],
        "load_average": _load(),
    }
    if len(medians) == 2:
        found = ratios(medians[1], medians[0])
        per_run = [ratios(ours, theirs) for theirs, ours in zip(*runs.values(), strict=True)]
        print(f"\n{verdict(found)}.")
        print(
            "per run: " + "; ".join(f"{r['wall']:.2f}x wall, {r['cpu']:.2f}x CPU" for r in per_run),
        )
        result["ratios"] = found
        result["ratios_per_run"] = per_run
    return result


def scale(args: argparse.Namespace) -> dict[str, Any]:
    """cspm-ai alone on the estate and on one SCALE times larger: growth of time, CPU and memory."""
    scanner = cspm_ai_scanner(args.regions, args.cspm_ai)
    print(f"load average before: {_load()} ({os.cpu_count()} cores)", flush=True)
    medians: list[Measurement] = []
    sizes: list[int] = []
    for per_region in (args.per_region, args.per_region * SCALE):
        with estate(per_region, args.latency_ms, args.regions) as (endpoint, resources):
            env = scanner_env(endpoint)
            _show(measure(scanner, endpoint, env), "warm")
            runs = []
            for index in range(args.runs):
                runs.append(measure(scanner, endpoint, env))
                _show(runs[-1], f"run {index + 1}")
        median = median_of(runs)
        median.scanner = f"cspm-ai, {resources:,} resources"
        medians.append(median)
        sizes.append(resources)
    small, large = medians
    growth = {"wall": large.wall_s / small.wall_s, "cpu": large.cpu_s / small.cpu_s}
    print(f"load average after: {_load()}\n")
    lines = [
        "| estate | wall | CPU | peak memory (tree) | largest process | API calls |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, row in zip(sizes, medians, strict=True):
        lines.append(
            f"| {size:,} resources | {row.wall_s:.1f} s | {row.cpu_s:.1f} s | {row.tree_rss_mb:,.0f} MB | "
            f"{row.max_rss_mb:,.0f} MB | {row.calls:,} |"
        )
    print("\n".join(lines))
    met = "met" if growth["wall"] <= GROWTH_GOAL else "not met"
    print(
        f"\n{SCALE}x the resources take {growth['wall']:.2f}x the wall time (goal at most {GROWTH_GOAL:g}x: {met}) "
        f"and {growth['cpu']:.2f}x the CPU; peak memory {small.tree_rss_mb:,.0f} MB -> {large.tree_rss_mb:,.0f} MB."
    )
    return {
        "sizes": sizes,
        "medians": [asdict(m) for m in medians],
        "growth": growth,
        "load_average": _load(),
    }


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vs_prowler", description=__doc__.splitlines()[0])
    parser.add_argument("--prowler", default=".venv-prowler/bin/prowler", help="the prowler executable")
    parser.add_argument("--cspm-ai", default=None, help="the cspm-ai executable (default: beside this Python)")
    parser.add_argument("--per-region", type=int, default=PER_REGION, help="resources per region")
    parser.add_argument("--regions", type=lambda value: tuple(value.split(",")), default=REGIONS)
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    parser.add_argument("--runs", type=int, default=2, help="timed runs of each scanner after the warm one")
    parser.add_argument("--skip-prowler", action="store_true", help="time cspm-ai only")
    parser.add_argument("--scale", action="store_true", help=f"growth run: the estate and {SCALE}x the estate")
    parser.add_argument("--json", default=None, help="also write the measurements to this file")
    parser.add_argument("--keep", default=None, help="copy each timed run's reports and log under this directory")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.per_region < 1:
        parser.error("--runs and --per-region must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    result = scale(args) if args.scale else compare(args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
