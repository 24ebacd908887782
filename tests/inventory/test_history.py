"""History in the inventory, on SQLite and PostgreSQL: the previous comparable scan, a diff of two stored
scans, the trend, an earlier scan's resources, and pruning in one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cspm_ai.inventory import Inventory
from cspm_ai.inventory.schema import FindingRow, ReevaluationRow, ResourceRow, ScanRow
from cspm_ai.model import CollectionResult, Reevaluation, ScanRecord, Scope, Severity, Status

from .conftest import ACCOUNT, NOTEBOOK, T0, make_finding, make_resource

OTHER = "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/other"


def store(
    inventory: Inventory,
    day: int,
    config: dict[str, object],
    statuses: dict[str, Status],
    *,
    account: str = ACCOUNT,
    status: str = "complete",
) -> ScanRecord:
    started = T0 + timedelta(days=day)
    scan = inventory.begin_scan(providers=["aws"], tool_version="1", started_at=started)
    resources = [make_resource(NOTEBOOK, config=config)] + [make_resource(OTHER)] * (OTHER in statuses)
    result = CollectionResult(resources=resources, scopes=[Scope("aws", account, ("eu-west-1",), "me")])
    findings = [
        make_finding(uid, status=s, severity=Severity.CRITICAL if uid == OTHER else Severity.HIGH)
        for uid, s in statuses.items()
    ]
    return inventory.finish_scan(scan.id, result, findings, status=status, finished_at=started + timedelta(minutes=1))


def test_diff_of_two_stored_scans(inventory: Inventory) -> None:
    first = store(inventory, 0, {"DirectInternetAccess": "Disabled", "Tags": ["研究"]}, {NOTEBOOK: Status.PASS})
    store(inventory, 1, {}, {NOTEBOOK: Status.PASS}, account="999999999999")  # another account: not comparable
    second = store(
        inventory,
        2,
        {"DirectInternetAccess": "Enabled", "Tags": ["研究"]},
        {NOTEBOOK: Status.FAIL, OTHER: Status.FAIL},
    )
    previous = inventory.previous_of(second)
    assert previous is not None and previous.id == first.id
    assert inventory.previous_of(first) is None

    diff = inventory.diff(previous, second)
    assert [c.resource_uid for c in diff.findings.regressed] == [NOTEBOOK]
    assert [c.resource_uid for c in diff.findings.new_failures] == [OTHER]
    assert [r.uid for r in diff.resources.added] == [OTHER]
    (changed,) = diff.resources.changed
    assert changed.uid == NOTEBOOK
    assert [(p.path, p.before, p.after) for p in changed.paths] == [("DirectInternetAccess", "Disabled", "Enabled")]


def test_a_diff_with_nothing_to_compare_is_what_the_whole_newer_scan_gives(inventory: Inventory) -> None:
    from cspm_ai.history import diff_scans

    scan = store(inventory, 0, {"DirectInternetAccess": "Enabled"}, {NOTEBOOK: Status.FAIL, OTHER: Status.PASS})
    loaded = inventory.scan_contents(scan)
    assert loaded.findings and loaded.resources  # the rows the shortcut leaves unread exist
    expected = diff_scans(None, loaded, attestations=inventory.attestations(), note="first")
    assert inventory.diff(None, scan, note="first") == expected
    assert expected.from_scan is None and expected.to_scan.id == scan.id and expected.note == "first"


def test_trend_follows_the_comparable_series(inventory: Inventory) -> None:
    store(inventory, 0, {}, {NOTEBOOK: Status.FAIL})
    store(inventory, 1, {}, {NOTEBOOK: Status.FAIL}, account="999999999999")
    store(inventory, 2, {}, {NOTEBOOK: Status.PASS, OTHER: Status.FAIL})
    last = store(inventory, 3, {}, {NOTEBOOK: Status.FAIL, OTHER: Status.FAIL})
    points = inventory.trend(last, limit=12)
    assert [sum(p.fail_by_severity.values()) for p in points] == [1, 1, 2]
    assert [p.fail_by_checklist for p in points] == [{"CL-01": 1}, {"CL-01": 1}, {"CL-01": 2}]
    assert points[-1].fail_by_severity[Severity.CRITICAL] == 1
    assert [p.scan_id for p in inventory.trend(last, limit=2)][-1] == last.id
    assert len(inventory.trend(last, limit=2)) == 2


def test_resources_of_an_earlier_scan_by_type(inventory: Inventory) -> None:
    scan = store(inventory, 0, {"DirectInternetAccess": "Disabled"}, {NOTEBOOK: Status.PASS})
    (notebook,) = inventory.resources_of(scan.id, ["aws.sagemaker.notebook_instance"])
    assert notebook.uid == NOTEBOOK and notebook.config == {"DirectInternetAccess": "Disabled"}
    assert inventory.resources_of(scan.id, ["aws.iam.role"]) == []
    assert inventory.resources_of(scan.id, []) == []


def _count(inventory: Inventory, model: type[ScanRow] | type[FindingRow] | type[ResourceRow]) -> int:
    with Session(inventory.engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_prune_deletes_old_scans_and_everything_stored_with_them(inventory: Inventory) -> None:
    old = [store(inventory, day, {}, {NOTEBOOK: Status.FAIL}) for day in range(3)]
    latest = store(inventory, 3, {}, {NOTEBOOK: Status.PASS}, status="incomplete")
    inventory.replace_findings(
        old[0].id, [make_finding()], reevaluation=Reevaluation(T0, "1", "scan", None, None, 0, 1, 0)
    )

    planned, counts = inventory.prune(keep=1, dry_run=True)
    assert counts == {} and _count(inventory, ScanRow) == 4
    # The newest scan is incomplete: the latest complete one (old[2]) is kept too.
    assert [s.id for s in planned] == [old[1].id, old[0].id]

    removed, counts = inventory.prune(keep=1)
    assert [s.id for s in removed] == [old[1].id, old[0].id]
    assert counts == {
        "scans": 2,
        "resources": 2,
        "findings": 2,
        "relations": 0,
        "collection_errors": 0,
        "reevaluations": 1,
    }
    assert {s.id for s in inventory.list_scans()} == {old[2].id, latest.id}
    assert _count(inventory, ResourceRow) == 2 and _count(inventory, FindingRow) == 2
    assert _count(inventory, ReevaluationRow) == 0  # type: ignore[arg-type]
    # --older-than may take the newest scan when it is incomplete; never the latest complete one.
    removed, counts = inventory.prune(older_than=T0 + timedelta(days=30))
    assert [s.id for s in removed] == [latest.id] and counts["scans"] == 1
    assert inventory.prune(older_than=T0 + timedelta(days=30)) == ([], {})


def test_a_failing_prune_deletes_nothing(inventory: Inventory, monkeypatch: pytest.MonkeyPatch) -> None:
    for day in range(3):
        store(inventory, day, {}, {NOTEBOOK: Status.FAIL})
    from cspm_ai.inventory import queries

    real = queries.delete_scans

    def fail_after_deleting(session: Session, scan_ids: list[str]) -> dict[str, int]:
        real(session, scan_ids)
        raise RuntimeError("disk gone")

    monkeypatch.setattr(queries, "delete_scans", fail_after_deleting)
    with pytest.raises(RuntimeError):
        inventory.prune(keep=1)
    assert _count(inventory, ScanRow) == 3 and _count(inventory, FindingRow) == 3
