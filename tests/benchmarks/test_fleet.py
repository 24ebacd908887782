"""The fleet benchmark's organization and its table (the benchmark itself, workers and all, is never run in the
suite)."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest
from moto import mock_aws

from benchmarks.fleet import AWS_REGIONS, Run, Setup, member_estate, report
from collectors.aws import member_collector
from moto_fixtures.organization import MemberSpec, build_organization, member_session


def test_a_member_holds_a_small_ai_estate_in_two_regions_that_its_part_reads() -> None:
    with mock_aws():
        management = boto3.Session(region_name=AWS_REGIONS[0])
        organization = build_organization(management, (MemberSpec("team-01", notebooks=()),))
        account = organization.id_of("team-01")
        member_estate(member_session(management, account), AWS_REGIONS)
        result = member_collector(account, home_account=organization.management, regions=list(AWS_REGIONS)).collect()
    assert not result.errors
    found = Counter(
        (r.type.rsplit(".", 1)[1], r.region)
        for r in result.resources
        if r.account == account and r.type.startswith(("aws.sagemaker.", "aws.bedrock.guardrail"))
    )
    kinds = ("model", "endpoint_config", "endpoint", "notebook_instance", "training_job")
    assert found == {**{(kind, region): 1 for kind in kinds for region in AWS_REGIONS}, ("guardrail", "us-east-1"): 1}


def test_the_table_gives_medians_and_each_fleets_speed_up_over_one_worker(capsys: pytest.CaptureFixture[str]) -> None:
    # Three members and the management account: four parts.
    setup = Setup("aws", 3, 40, ("scan", "aws", "--organization"), server=1)
    runs = {
        "one process": [Run(1.0, 9.0, cpu=4.0, server_cpu=1.0), Run(3.0, 7.0, cpu=2.0, server_cpu=3.0)],
        "1 worker(s)": [Run(1.0, 10.0, 8.0, 4.0, 1.0, [(300, 400)]), Run(2.0, 8.0, 6.0, 2.0, 1.0, [(310, 410)])],
        "2 worker(s)": [Run(1.5, 6.0, 4.0, 4.0, 1.0, [(300, 400)] * 2), Run(2.5, 5.0, 3.0, 4.0, 1.0, [(1, 2), (3, 4)])],
    }
    report(setup, runs, 2, {"hits": 10, "misses": 1})
    lines = capsys.readouterr().out.splitlines()
    assert "3 member accounts and the management account" in lines[0] and "40 ms per API call" in lines[0]
    assert lines[1] == "moto server read cache over the measured runs: 10 hits, 1 misses"
    rows = {line.split(" | ")[0]: line for line in lines if line.startswith("| ") and not line.startswith("| run")}
    # Medians: the one process took 8 s for 4 accounts (30 a minute) and 0.75 s of CPU an account.
    assert rows["| one process"] == "| one process | 1.00, 3.00 | 8.0 s | 30 |  |  | 0.75 s | 2.0 s |  |"
    # One worker's parts took 7 s (34 accounts a minute); two workers' 3.5 s, twice as fast; last round's memory.
    assert "| 7.0 s (8.0, 6.0) | 34 (1.00x) |" in rows["| 1 worker(s)"]
    assert rows["| 2 worker(s)"] == (
        "| 2 worker(s) | 1.50, 2.50 | 5.5 s | 44 | 3.5 s (4.0, 3.0) | 69 (2.00x) | 1.00 s | 1.0 s | 1 / 2, 3 / 4 |"
    )
