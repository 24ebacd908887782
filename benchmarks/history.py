"""Benchmark: `cspm-ai diff` of two 10,000-finding scans, and the trend over 100 scans.

Stores two scans of 5,000 resources and 10,000 findings each (a tenth of the findings change status,
a tenth of the resources change configuration, a few hundred come and go) on SQLite and, when the
server answers, on the local PostgreSQL, then times `Inventory.diff` (the query and the comparison
`cspm-ai diff` runs) and rendering it as JSON. Then it stores 100 scans of 1,000 findings and times the
trend query and the HTML report with that trend. A benchmark, not a test: `make bench-history`.
Targets: diff under 2 s on each database; the trend under 1 s.
"""

from __future__ import annotations

import argparse
import random
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cspm_ai.engine import finding_id
from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, Finding, Resource, ScanRecord, Scope, Severity, Status

ACCOUNT = "123456789012"
CHECKS = [f"aws.sagemaker.check_{i}" for i in range(2)]
START = datetime(2026, 1, 1, tzinfo=UTC)


def _config(i: int, version: int) -> dict[str, object]:
    return {
        "NotebookInstanceName": f"nb-{i}",
        "DirectInternetAccess": "Enabled" if (i + version) % 3 == 0 else "Disabled",
        "InstanceType": "ml.t3.medium",
        "SubnetId": f"subnet-{i % 50:08x}",
        "SecurityGroups": [f"sg-{i % 20:08x}", f"sg-{i % 7:08x}"],
        "Tags": [{"Key": "team", "Value": f"team-{i % 30}"}],
        "Nested": {"Kms": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{i:08d}", "Version": version if i % 10 == 0 else 1},
    }


def _scan(inventory: Inventory, day: int, resources: int, version: int, rng: random.Random) -> ScanRecord:
    record = inventory.begin_scan(providers=["aws"], tool_version="bench", started_at=START + timedelta(days=day))
    first = 300 if version else 0  # the second scan lost 300 resources and gained 300
    made = [
        Resource(
            "aws",
            ACCOUNT,
            "us-east-1",
            "aws.sagemaker.notebook_instance",
            f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:notebook-instance/nb-{i}",
            f"nb-{i}",
            _config(i, version),
        )
        for i in range(first, first + resources)
    ]
    findings = [
        Finding(
            id=finding_id(check, r.uid),
            check_id=check,
            title="Notebook instances are locked down",
            status=Status.FAIL if rng.random() < 0.3 else Status.PASS,
            severity=list(Severity)[hash((check, r.uid)) % 5],
            provider="aws",
            account=ACCOUNT,
            region="us-east-1",
            resource_type=r.type,
            resource_uid=r.uid,
            resource_name=r.name,
            message=f"{r.name} is as found.",
            checklist=("CL-01", "ZT-2"),
            compliance={"nist-800-53-r5": ["SC-7"]},
            remediation="Fix it.",
            evidence={"DirectInternetAccess": r.config["DirectInternetAccess"]},
        )
        for r in made
        for check in CHECKS
    ]
    result = CollectionResult(resources=made, scopes=[Scope("aws", ACCOUNT, ("us-east-1",), "bench")])
    return inventory.finish_scan(record.id, result, findings, status="complete")


def _diff(url: str) -> tuple[float, float, int]:
    from reports.diff_writer import render_diff_json

    with Inventory.open(url) as inventory:
        rng = random.Random(7)
        _scan(inventory, 0, 5_000, 0, rng)
        newer = _scan(inventory, 1, 5_000, 1, rng)
        best = best_render = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            value = inventory.diff(inventory.previous_of(newer), newer)
            best = min(best, time.perf_counter() - started)
            started = time.perf_counter()
            render_diff_json(value)
            best_render = min(best_render, time.perf_counter() - started)
        listed = sum(len(v) for v in value.findings.model_dump().values())
        return best, best_render, listed


def _trend(url: str) -> tuple[float, float]:
    from cspm_ai.report import build_report
    from reports import render_html

    with Inventory.open(url) as inventory:
        rng = random.Random(11)
        scans = [_scan(inventory, day, 500, day % 2, rng) for day in range(100)]
        latest = scans[-1]
        started = time.perf_counter()
        trend = inventory.trend(latest, limit=100)
        query = time.perf_counter() - started
        assert len(trend) == 100
        report = build_report(latest, inventory.findings(latest.id), [], "bench", trend=trend)
        started = time.perf_counter()
        render_html(report)
        return query, time.perf_counter() - started


def _postgres_url() -> tuple[str, str] | None:
    try:
        import psycopg
        from psycopg import sql

        name = f"cspm_bench_{secrets.token_hex(4)}"
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name
    except Exception as exc:  # noqa: BLE001  a benchmark reports what it could not reach
        print(f"PostgreSQL skipped: {exc}")
        return None


def _drop(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'diff.db'}", None)]
        pg = _postgres_url()
        if pg is not None:
            targets.append(("PostgreSQL", pg[0], pg[1]))
        try:
            for label, url, _ in targets:
                seconds, render, listed = _diff(url)
                print(
                    f"diff of two 10,000-finding scans on {label}: {seconds:.2f} s "
                    f"({listed} findings listed); JSON {render:.2f} s"
                )
            query, render = _trend(f"sqlite:///{Path(tmp) / 'trend.db'}")
            print(f"trend over 100 scans (SQLite): query {query:.2f} s, report.html render {render:.2f} s")
        finally:
            if pg is not None:
                _drop(pg[1])


if __name__ == "__main__":
    main()
