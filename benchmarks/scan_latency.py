"""Benchmark: a 1,500-resource SageMaker estate in 3 regions behind 40 ms of API latency.

Runs the real collector against a moto server process that sleeps 40 ms per
request (as a distant API would), once with the bounded pool and once with a
single worker (what a sequential scanner does), and prints both wall times,
the number of API calls and the speed-up. A benchmark, not a test: run it with
`make bench` (about three minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.request
from unittest import mock

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


def _stats(endpoint: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{endpoint}/_cspm/stats", timeout=10) as answer:
        return json.loads(answer.read())


def _scan_seconds(workers: int, endpoint: str) -> tuple[float, int, int]:
    import boto3

    from collectors.aws import AwsSession, aws_collector

    before = sum(_stats(endpoint).values())
    started = time.perf_counter()
    session = AwsSession(boto_session=boto3.Session(), pool_size=workers)
    result = aws_collector(session=session, regions=list(REGIONS), workers=workers).collect()
    elapsed = time.perf_counter() - started
    calls = sum(_stats(endpoint).values()) - before
    sagemaker = sum(1 for r in result.resources if r.type.startswith("aws.sagemaker."))
    if result.errors:
        raise SystemExit(f"benchmark scan had errors: {result.errors[:3]}")
    return elapsed, calls, sagemaker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-region", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()

    from moto_fixtures.bulk import build_bulk_estate
    from moto_fixtures.server import running_server

    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    with (
        running_server(latency_ms=args.latency_ms) as endpoint,
        mock.patch.dict(os.environ, {**env, "AWS_ENDPOINT_URL": endpoint}),
    ):
        built = build_bulk_estate(regions=REGIONS, per_region=args.per_region)
        print(f"estate: {built} SageMaker resources in {len(REGIONS)} regions, {args.latency_ms} ms per API call")
        pooled, calls, seen = _scan_seconds(args.workers, endpoint)
        print(f"pooled ({args.workers} workers): {pooled:6.1f} s, {calls} API calls, {seen} resources")
        if not args.skip_sequential:
            sequential, calls_seq, seen_seq = _scan_seconds(1, endpoint)
            print(f"sequential (1 worker):  {sequential:6.1f} s, {calls_seq} API calls, {seen_seq} resources")
            print(
                f"speed-up: {sequential / pooled:.1f}x "
                f"(pooled takes {100 * pooled / sequential:.0f}% of the sequential time)"
            )


if __name__ == "__main__":
    main()
