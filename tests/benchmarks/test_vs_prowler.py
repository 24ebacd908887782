"""The side-by-side benchmark's measuring and reporting (the benchmark itself is never run in the suite)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from benchmarks.vs_prowler import (
    Measurement,
    cspm_ai_scanner,
    median_of,
    prowler_scanner,
    ratios,
    run_measured,
    table,
    tree_rss_bytes,
    verdict,
)

# A child that burns CPU itself and in a grandchild it waits for, holding 64 MB meanwhile.
BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
PARENT = (
    "import subprocess, sys\n"
    "ballast = bytearray(64 * 2**20)\n"
    f"subprocess.run([sys.executable, '-c', {BURN!r}], check=True)\n"
    f"exec({BURN!r})\n"
    "sys.exit(7)\n"
)


def test_run_measured_counts_the_whole_process_tree(tmp_path: Path) -> None:
    wall, cpu, largest_mb, tree_mb, code = run_measured(
        [sys.executable, "-c", PARENT], dict(os.environ), str(tmp_path), tmp_path / "log"
    )
    assert code == 7
    # Both processes' 0.3 s of CPU, and the wall time they took one after the other.
    assert cpu >= 0.6 and wall >= 0.6
    assert largest_mb >= 64 and tree_mb >= largest_mb


def test_tree_rss_of_this_process_and_of_none() -> None:
    assert tree_rss_bytes(os.getpid()) > 10 * 2**20
    assert tree_rss_bytes(2**22 + 7) == 0  # above any pid Linux hands out


def run(scanner: str, wall: float, cpu: float, calls: int) -> Measurement:
    return Measurement(scanner, wall, cpu, 100.0, 150.0, calls, 0, findings=10)


def test_medians_ratios_table_and_verdict() -> None:
    prowler = median_of([run("Prowler", 30.0, 24.0, 2000), run("Prowler", 40.0, 30.0, 2000)])
    ours = median_of([run("cspm-ai", 5.0, 9.0, 500), run("cspm-ai", 7.0, 7.0, 500), run("cspm-ai", 6.0, 8.0, 500)])
    assert (prowler.wall_s, prowler.cpu_s, ours.wall_s, ours.cpu_s) == (35.0, 27.0, 6.0, 8.0)
    found = ratios(ours, prowler)
    assert found == {"wall": 35.0 / 6.0, "cpu": 27.0 / 8.0, "calls": 4.0}
    assert table([prowler, ours], 1000).splitlines()[2:] == [
        "| Prowler | 35.0 s | 27.0 s | 150 MB | 2,000 | 2.00 | 10 |",
        "| cspm-ai | 6.0 s | 8.0 s | 150 MB | 500 | 0.50 | 10 |",
    ]
    assert "5.83x less wall time (goal 5x: met), 3.38x less CPU (goal 3x: met)" in verdict(found)
    assert "(goal 3x: not met)" in verdict({**found, "cpu": 2.9})


def test_scanners_run_as_their_users_run_them(tmp_path: Path) -> None:
    regions = ("us-east-1", "eu-west-1")
    ours = cspm_ai_scanner(regions, "/opt/cspm-ai").command(tmp_path)
    assert ours[:5] == ["/opt/cspm-ai", "scan", "aws", "--regions", "us-east-1,eu-west-1"]
    theirs = prowler_scanner(regions, "/opt/prowler").command(tmp_path)
    assert theirs[:6] == ["/opt/prowler", "aws", "--service", "sagemaker", "--region", "us-east-1"]
    assert "--output-directory" in theirs and str(tmp_path) in theirs


def test_findings_are_counted_from_each_report(tmp_path: Path) -> None:
    assert cspm_ai_scanner(("us-east-1",)).findings(tmp_path) is None
    (tmp_path / "report.json").write_text('{"findings": [{"id": 1}, {"id": 2}]}')
    assert cspm_ai_scanner(("us-east-1",)).findings(tmp_path) == 2
    # Prowler's CSV separates fields with ";" and may break a field over lines.
    (tmp_path / "prowler-output.csv").write_text('CHECK_ID;STATUS;RISK\na;FAIL;"two\nlines"\nb;PASS;none\n')
    assert prowler_scanner(("us-east-1",), "prowler").findings(tmp_path) == 2


@pytest.mark.parametrize("bad", [["--runs", "0"], ["--per-region", "0"]])
def test_rejects_empty_runs(bad: list[str]) -> None:
    from benchmarks.vs_prowler import _parse_args

    with pytest.raises(SystemExit):
        _parse_args(bad)
