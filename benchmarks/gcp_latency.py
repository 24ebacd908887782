"""Benchmark: an organization scan of the recorded Google Cloud estate behind simulated API latency.

Replays the estate under the real Google clients with every answer delayed
by `--latency-ms` (as a distant API would), once with the bounded pool and
once with a single worker (what a sequential scanner does), and prints both
wall times, the number of API calls and the speed-up. Client construction
and imports are warmed up first, so the times are the scan's own. A
benchmark, not a test: run it with `make bench-gcp`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any


def _delayed(callback: Callable[[Any], Any], seconds: float) -> Callable[[Any], Any]:
    def answer(request: Any) -> Any:
        time.sleep(seconds)
        return callback(request)

    return answer


def _scan(workers: int, latency: float) -> tuple[float, int, int]:
    import responses
    from google.auth.credentials import AnonymousCredentials

    from collectors.gcp import GcpEngine, GoogleApis
    from moto_fixtures.gcp_estate import register_gcp_estate

    with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
        # Pages as large as the API allows (the test estate pages by 2 to exercise paging).
        manifest = register_gcp_estate(replay, denied_project=False, page_size=1000)
        for route in replay.registered():
            route.callback = _delayed(route.callback, latency)  # type: ignore[attr-defined]
        engine = GcpEngine(GoogleApis(AnonymousCredentials()), organization=manifest.organization_id, workers=workers)
        started = time.perf_counter()
        result = engine.collect()
        elapsed = time.perf_counter() - started
        calls = len(replay.calls)
    if result.errors:
        raise SystemExit(f"benchmark scan had errors: {result.errors[:3]}")
    return elapsed, calls, len(result.resources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=60)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    latency = args.latency_ms / 1000

    _scan(args.workers, 0.0)  # warm-up: imports and client construction
    pooled, pooled_calls, resources = _scan(args.workers, latency)
    sequential, sequential_calls, _ = _scan(1, latency)
    print(f"estate: {resources} resources in 3 projects, {args.latency_ms} ms per API call")
    print(f"pooled ({args.workers} workers): {pooled:.1f} s, {pooled_calls} calls")
    print(f"sequential (1 worker): {sequential:.1f} s, {sequential_calls} calls")
    print(f"speed-up: {sequential / pooled:.1f}x")


if __name__ == "__main__":
    main()
