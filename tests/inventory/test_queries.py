"""Storing and reading scans: round trips, first-seen history, atomic finishes, scan lookup."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import overload

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cspm_ai.errors import NotFoundError
from cspm_ai.inventory import Inventory, queries
from cspm_ai.inventory.schema import ResourceRow, ScanRow
from cspm_ai.model import CollectionResult, Finding, Status

from .conftest import NOTEBOOK, ROLE, T0, make_finding, make_resource, make_result, utc


def _stored(inventory: Inventory, model: type[ResourceRow], scan_id: str) -> int:
    with Session(inventory.engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(model.scan_id == scan_id)) or 0


def test_round_trip(inventory: Inventory) -> None:
    result = make_result()
    findings = [
        make_finding(),
        make_finding(ROLE, "aws.iam.role_check", Status.FAIL, muted=True, mute_reason="accepted risk — ticket 42"),
    ]
    scan = inventory.begin_scan(
        providers=["aws"],
        tool_version="0.1.0",
        allowed_regions=["eu-west-1"],
        options={"regions": ["eu-west-1"], "profile": "audit"},
        started_at=T0,
    )
    assert scan.status == "incomplete" and scan.finished_at is None
    finished = inventory.finish_scan(
        scan.id, result, findings, status="incomplete", finished_at=T0 + timedelta(minutes=5)
    )

    assert finished.started_at == T0 and finished.started_at.tzinfo is UTC
    assert finished.finished_at == T0 + timedelta(minutes=5) and finished.finished_at.tzinfo is UTC
    assert finished.status == "incomplete"
    assert finished.providers == ("aws",) and finished.tool_version == "0.1.0"
    assert finished.allowed_regions == ("eu-west-1",)
    assert finished.scopes == tuple(result.scopes)

    snapshot = inventory.snapshot(scan.id)
    assert snapshot.resources == result.resources
    assert snapshot.relations == result.relations[:2]  # the duplicate edge is stored once
    assert snapshot.errors == result.errors
    assert inventory.errors(scan.id) == result.errors
    assert inventory.findings(scan.id) == findings  # the findings just stored, not read back
    assert inventory.findings(scan.id) == findings  # read back from the database
    assert inventory.scan_counts(scan.id) == {"PASS": 1, "FAIL": 1, "MANUAL": 0, "ERROR": 0}

    with Session(inventory.engine) as session:
        row = session.execute(select(ResourceRow).where(ResourceRow.uid == NOTEBOOK)).scalar_one()
        assert row.first_seen == row.last_seen == utc(T0)
        assert row.last_seen.tzinfo is UTC


def test_the_findings_just_stored_are_what_reading_them_back_gives(
    inventory: Inventory, open_inventory: Callable[[], Inventory]
) -> None:
    """`findings` right after `finish_scan` is served without reading the rows back: it must be exactly what
    another process reading the database gets, whatever JSON makes of the evidence."""
    odd = make_finding(
        ROLE,
        "aws.iam.role_check",
        Status.FAIL,
        evidence={
            "When": datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
            "Day": T0.date(),
            "Ports": (443, 8443),
            3: "a number as a key",
            "Ratio": 0.1,
            "Nested": [{"é": ("x", None)}, True],
        },
        checklist=("CL-01", "ZT-4"),
        resource_tags={"team": "ml"},
        muted=True,
        mute_reason="accepted",
    )
    findings = [make_finding(), odd, make_finding(message="the same id again: only the first is stored")]
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    inventory.finish_scan(scan.id, make_result(), findings, status="complete", finished_at=T0)

    served = inventory.findings(scan.id)
    read_back = open_inventory().findings(scan.id)
    assert served == read_back == inventory.findings(scan.id)
    assert [f.id for f in served] == [findings[0].id, odd.id]
    assert served[1].evidence == {
        "When": "2026-06-01T12:00:00+00:00",
        "Day": "2026-06-01",
        "Ports": [443, 8443],
        "3": "a number as a key",
        "Ratio": 0.1,
        "Nested": [{"é": ["x", None]}, True],
    }


def test_findings_replaced_after_a_scan_are_read_back(inventory: Inventory) -> None:
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete", finished_at=T0)
    replaced = [make_finding(status=Status.FAIL, message="re-evaluated")]
    inventory.replace_findings(scan.id, replaced)
    assert inventory.findings(scan.id) == replaced


def test_any_write_after_a_scan_makes_its_findings_read_back(
    inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete", finished_at=T0)
    inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)  # a write of another kind
    handed_over: list[object] = []

    def hand_over(found: object) -> list[object]:
        handed_over.append(found)
        return []

    monkeypatch.setattr(queries, "findings_as_stored", hand_over)
    assert inventory.findings(scan.id) == [make_finding()]
    assert handed_over == []


def test_no_allowed_regions_is_sql_null(inventory: Inventory) -> None:
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    assert inventory.get_scan(scan.id).allowed_regions is None
    with Session(inventory.engine) as session:
        assert session.scalar(select(func.count()).where(ScanRow.allowed_regions.is_(None))) == 1


def test_first_seen_is_carried_across_scans(inventory: Inventory) -> None:
    first = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    inventory.finish_scan(
        first.id, CollectionResult(resources=[make_resource("uid-a"), make_resource("uid-b")]), [], status="complete"
    )
    second_start = T0 + timedelta(days=1)
    second = inventory.begin_scan(providers=["aws", "gcp"], tool_version="0.1.0", started_at=second_start)
    inventory.finish_scan(
        second.id,
        CollectionResult(
            resources=[
                make_resource("uid-a"),
                make_resource("uid-c"),
                make_resource("uid-b", provider="gcp"),
            ]
        ),
        [],
        status="complete",
    )

    with Session(inventory.engine) as session:
        rows = session.execute(
            select(ResourceRow.provider, ResourceRow.uid, ResourceRow.first_seen, ResourceRow.last_seen).where(
                ResourceRow.scan_id == second.id
            )
        ).all()
    seen = {(provider, uid): (first_seen, last_seen) for provider, uid, first_seen, last_seen in rows}
    assert seen == {
        ("aws", "uid-a"): (utc(T0), utc(second_start)),
        ("aws", "uid-c"): (utc(second_start), utc(second_start)),
        # Same uid, other provider: a different resource, new in this scan.
        ("gcp", "uid-b"): (utc(second_start), utc(second_start)),
    }


class _InterruptedFindings(Sequence[Finding]):
    """Findings whose iteration is interrupted, as if the user pressed Ctrl-C mid-write."""

    def __init__(self, findings: list[Finding]) -> None:
        self._findings = findings

    def __iter__(self) -> Iterator[Finding]:
        yield self._findings[0]
        raise KeyboardInterrupt

    def __len__(self) -> int:
        return len(self._findings)

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Finding]: ...
    def __getitem__(self, index: int | slice) -> Finding | Sequence[Finding]:
        return self._findings[index]


def test_interrupted_finish_writes_nothing(inventory: Inventory) -> None:
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    with pytest.raises(KeyboardInterrupt):
        inventory.finish_scan(
            scan.id, make_result(), _InterruptedFindings([make_finding(), make_finding(ROLE)]), status="complete"
        )

    stored = inventory.get_scan(scan.id)
    assert stored.status == "incomplete" and stored.finished_at is None and stored.scopes == ()
    assert _stored(inventory, ResourceRow, scan.id) == 0
    snapshot = inventory.snapshot(scan.id)
    assert (snapshot.resources, snapshot.relations, snapshot.errors) == ([], [], [])
    assert inventory.findings(scan.id) == []

    # The scan can still be finished afterwards.
    inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete")
    assert inventory.get_scan(scan.id).status == "complete"


def test_finishing_twice_is_refused(inventory: Inventory) -> None:
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    inventory.finish_scan(scan.id, make_result(), [], status="complete")
    with pytest.raises(ValueError, match="already has stored results"):
        inventory.finish_scan(scan.id, make_result(), [], status="complete")
    with pytest.raises(ValueError, match="scan status"):
        inventory.finish_scan(scan.id, make_result(), [], status="done")


def test_naive_datetimes_are_refused(inventory: Inventory) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0.replace(tzinfo=None))


def test_get_scan_latest_and_prefixes(inventory: Inventory) -> None:
    with pytest.raises(NotFoundError):
        inventory.get_scan("latest")
    oldest = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    assert inventory.get_scan("latest").id == oldest.id  # nothing finished yet: latest at all

    inventory.finish_scan(oldest.id, CollectionResult(), [], status="complete")
    middle = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0 + timedelta(hours=1))
    inventory.finish_scan(middle.id, CollectionResult(), [], status="incomplete")
    running = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0 + timedelta(hours=2))

    assert inventory.get_scan("latest").id == middle.id  # finished (even if incomplete) beats running
    assert inventory.get_scan("LATEST").id == middle.id
    assert inventory.get_scan(running.id).id == running.id
    assert inventory.get_scan(oldest.id[:8]).id == oldest.id
    assert inventory.get_scan(f" {oldest.id[:13].upper()} ").id == oldest.id
    assert [s.id for s in inventory.list_scans()] == [running.id, middle.id, oldest.id]
    assert [s.id for s in inventory.list_scans(limit=1)] == [running.id]

    with pytest.raises(NotFoundError) as short:
        inventory.get_scan(oldest.id[:7])
    assert "at least 8" in short.value.message
    assert short.value.hint == "run `cspm-ai scans` to list stored scans"
    for unknown in ("ffffffff-ffff", "%%%%%%%%", "________"):
        with pytest.raises(NotFoundError) as missing:
            inventory.get_scan(unknown)
        assert missing.value.hint == "run `cspm-ai scans` to list stored scans"


def test_ambiguous_prefix(inventory: Inventory) -> None:
    with Session(inventory.engine) as session, session.begin():
        for suffix in ("1", "2"):
            session.add(
                ScanRow(
                    id=f"abcdef12-0000-0000-0000-00000000000{suffix}",
                    started_at=T0,
                    status="complete",
                    providers=["aws"],
                    scopes=[],
                    tool_version="0.1.0",
                    options={},
                )
            )
    with pytest.raises(NotFoundError, match="more than one scan"):
        inventory.get_scan("abcdef12")
    assert inventory.get_scan("abcdef12-0000-0000-0000-000000000002").id.endswith("2")


def test_replace_findings(inventory: Inventory) -> None:
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    inventory.finish_scan(
        scan.id, make_result(), [make_finding(), make_finding(ROLE, status=Status.FAIL)], status="complete"
    )
    replacement = [make_finding(status=Status.ERROR, message="Could not evaluate 研究-nb.")]
    inventory.replace_findings(scan.id, replacement)
    assert inventory.findings(scan.id) == replacement
    assert inventory.scan_counts(scan.id) == {"PASS": 0, "FAIL": 0, "MANUAL": 0, "ERROR": 1}
    assert len(inventory.snapshot(scan.id).resources) == 2  # only findings were replaced


def test_duplicate_finding_ids_keep_the_first(inventory: Inventory) -> None:
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    first = make_finding(message="first")
    inventory.finish_scan(scan.id, CollectionResult(), [first, make_finding(message="second")], status="complete")
    assert inventory.findings(scan.id) == [first]


@pytest.mark.parametrize(
    "call",
    [
        lambda inv: inv.snapshot("00000000-0000-0000-0000-000000000000"),
        lambda inv: inv.findings("00000000-0000-0000-0000-000000000000"),
        lambda inv: inv.errors("00000000-0000-0000-0000-000000000000"),
        lambda inv: inv.scan_counts("00000000-0000-0000-0000-000000000000"),
        lambda inv: inv.replace_findings("00000000-0000-0000-0000-000000000000", []),
    ],
)
def test_unknown_scan_ids_raise(inventory: Inventory, call: Callable[[Inventory], object]) -> None:
    with pytest.raises(NotFoundError):
        call(inventory)


def test_queries_compose_in_one_session(inventory: Inventory) -> None:
    with Session(inventory.engine) as session, session.begin():
        scan = queries.create_scan(
            session, providers=["aws"], tool_version="0.1.0", allowed_regions=None, options={}, started_at=T0
        )
        queries.store_scan_results(
            session, scan.id, make_result(), [make_finding()], finished_at=T0 + timedelta(seconds=1), status="complete"
        )
        assert queries.get_scan(session, "latest").status == "complete"
    assert inventory.get_scan(scan.id).finished_at == utc(T0 + timedelta(seconds=1))


def test_many_resources_are_batched(inventory: Inventory) -> None:
    resources = [make_resource(f"arn:aws:s3:::bucket-{i}", "aws.s3.bucket") for i in range(2500)]
    first = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0)
    inventory.finish_scan(first.id, CollectionResult(resources=resources), [], status="complete")
    second = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=T0 + timedelta(days=1))
    inventory.finish_scan(second.id, CollectionResult(resources=resources), [], status="complete")
    with Session(inventory.engine) as session:
        firsts = set(session.scalars(select(ResourceRow.first_seen).where(ResourceRow.scan_id == second.id)))
    assert firsts == {utc(T0)}
    assert inventory.snapshot(second.id).resources == resources
