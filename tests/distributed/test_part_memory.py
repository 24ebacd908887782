"""A worker holds one part's results at a time (issue 15): `collect_and_store` keeps nothing of a part's
collection once it returns, hands back only counts, and the fleet's Celery settings give a pool process one
message at a time. In one process, on SQLite, without a broker (the fleet tests check the same in real
workers: `estate_worker.check_nothing_held`)."""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors import ProgressCallback
from cspm_ai.distributed import fleet, parts
from cspm_ai.distributed.model import PartSummary, ScanPart
from cspm_ai.distributed.parts import collect_and_store, plan_parts
from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, Resource, Scope

ACCOUNTS = ("111122223333", "444455556666")
BUCKET = "aws.s3.bucket"
RESOURCES_PER_PART = 25
# Nothing listens here: building the app and reading its configuration must not need a broker.
NO_BROKER = "redis://127.0.0.1:9/0"


def bucket(account: str, index: int) -> Resource:
    name = f"ml-data-{account}-{index}"
    return Resource("aws", account, "us-east-1", BUCKET, f"arn:aws:s3:::{name}", name, {"Name": name})


@dataclass
class Tracked:
    """Weak references to what each part's collector returned, and what a collector saw as it started."""

    results: dict[str, list[weakref.ref[Any]]] = field(default_factory=dict)
    alive_at_start: dict[str, list[str]] = field(default_factory=dict)

    def alive(self, account: str) -> bool:
        return any(ref() is not None for ref in self.results.get(account, []))


class RecordedCollector:
    """One account's collection, built fresh in `collect` and kept by nobody but the caller."""

    provider = "aws"

    def __init__(self, account: str, tracked: Tracked) -> None:
        self.account = account
        self.tracked = tracked

    def collect(self, progress: ProgressCallback | None = None) -> CollectionResult:
        gc.collect()
        # Recorded, not asserted: an exception here would be the part's failure, retried by collect_and_store.
        self.tracked.alive_at_start[self.account] = [a for a in self.tracked.results if self.tracked.alive(a)]
        result = CollectionResult(
            resources=[bucket(self.account, i) for i in range(RESOURCES_PER_PART)],
            scopes=[Scope("aws", self.account, ("us-east-1",), f"arn:aws:iam::{self.account}:role/scanner")],
        )
        self.tracked.results[self.account] = [weakref.ref(result), *(weakref.ref(r) for r in result.resources)]
        return result


@pytest.fixture
def tracked(monkeypatch: pytest.MonkeyPatch) -> Tracked:
    seen = Tracked()
    monkeypatch.setattr(parts, "build_collector", lambda part: RecordedCollector(part.account, seen))
    return seen


@pytest.fixture
def inventory_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}"


@pytest.fixture
def inventory(inventory_url: str) -> Iterator[Inventory]:
    with Inventory.open(inventory_url) as opened:
        yield opened


def planned(inventory: Inventory, url: str) -> list[ScanPart]:
    scan = inventory.begin_scan(providers=["aws"], tool_version="test", options={"distributed": "test"})
    planned_parts = plan_parts(scan.id, "aws", ACCOUNTS, {}, inventory=url)
    # One attempt: a failed part is ERROR at once instead of retried after a pause.
    deadline = datetime.now(UTC) + timedelta(hours=1)
    inventory.create_parts(scan.id, planned_parts, max_attempts=1, deadline=deadline)
    return planned_parts


def assert_only_counts(summary: PartSummary, part: ScanPart) -> None:
    assert summary.outcome == "stored", summary.message
    assert (summary.key, summary.resources, summary.errors, summary.attempts) == (part.key, RESOURCES_PER_PART, 0, 1)
    kinds = {f.name: type(getattr(summary, f.name)) for f in fields(summary)}
    assert set(kinds.values()) <= {str, int, float}, kinds
    # What the Celery task sends back to the scan (`collect_part` returns `to_message()`): the same scalars.
    message = summary.to_message()
    assert {type(value) for value in message.values()} <= {str, int, float}, message
    assert PartSummary.from_message(json.loads(json.dumps(message))) == summary


def stored_uids(inventory: Inventory, scan_id: str, account: str) -> list[str]:
    return sorted(r.uid for r in inventory.resources_of(scan_id, [BUCKET]) if r.account == account)


def test_a_part_is_released_once_stored(inventory: Inventory, inventory_url: str, tracked: Tracked) -> None:
    part = planned(inventory, inventory_url)[0]

    summary = collect_and_store(part, inventory)
    gc.collect()

    assert len(tracked.results[part.account]) == RESOURCES_PER_PART + 1
    assert not tracked.alive(part.account), "collect_and_store kept a reference to the part's collection"
    assert_only_counts(summary, part)
    assert stored_uids(inventory, part.scan_id, part.account) == sorted(
        bucket(part.account, i).uid for i in range(RESOURCES_PER_PART)
    )
    [state] = [s for s in inventory.part_states(part.scan_id) if s.key == part.key]
    assert (state.status, state.resources) == ("stored", RESOURCES_PER_PART)


def test_the_first_part_is_gone_before_the_second_is_collected(
    inventory: Inventory, inventory_url: str, tracked: Tracked
) -> None:
    first, second = planned(inventory, inventory_url)

    summaries = [collect_and_store(part, inventory) for part in (first, second)]

    # Each collector looked as it started: the first saw nothing, the second not the first part's results.
    assert tracked.alive_at_start == {first.account: [], second.account: []}
    for summary, part in zip(summaries, (first, second), strict=True):
        assert_only_counts(summary, part)
        assert len(stored_uids(inventory, part.scan_id, part.account)) == RESOURCES_PER_PART


def test_the_fleet_gives_each_pool_process_one_message_at_a_time(
    inventory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = fleet.make_app(NO_BROKER, inventory_url)

    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True

    # What `cspm-ai worker` hands Celery, with the steps that need PostgreSQL and the clients left out.
    argv: list[list[str]] = []
    monkeypatch.setattr(fleet, "prepare_results", lambda app: None)
    monkeypatch.setattr(fleet, "preload_clients", lambda: [])
    monkeypatch.setattr(app, "worker_main", argv.append)
    fleet.run_worker(app, concurrency=2)

    [args] = argv
    assert args[0] == "worker"
    assert "--prefetch-multiplier=1" in args
    assert "--concurrency=2" in args
    assert f"--queues={fleet.QUEUE_PARTS}" in args


def test_each_app_runs_its_own_tasks_against_its_own_database(tmp_path: Path) -> None:
    """A second app in one process (a scheduler's, a test's) must not run the first app's task function, which
    stores into the first app's database."""
    first = fleet.make_app(NO_BROKER, f"sqlite:///{tmp_path / 'one.db'}")
    second = fleet.make_app(NO_BROKER, f"sqlite:///{tmp_path / 'two.db'}")
    for name in (fleet.TASK_COLLECT, fleet.TASK_RUN_SCHEDULE, fleet.TASK_FINISH_OVERDUE):
        ours, theirs = first.tasks[name], second.tasks[name]
        assert ours is not theirs
        cells = [c.cell_contents for c in theirs.run.__closure__ or () if isinstance(c.cell_contents, str)]
        assert cells == [f"sqlite:///{tmp_path / 'two.db'}"]
