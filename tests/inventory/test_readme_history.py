"""The README's history queries, run as printed on SQLite and PostgreSQL against stored scans."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, Scope, Status

from .conftest import make_finding, make_resource

README = Path(__file__).resolve().parents[2] / "README.md"
CHECK = "aws.sagemaker.notebook_direct_internet_access"
RESEARCH = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/research"
RECENT = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/recent"
ACCEPTED = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/accepted"
START = datetime(2026, 1, 1, 6, tzinfo=UTC)


def _history_sql() -> tuple[str, str, str]:
    """The two queries of the README's history section, and the second one's PostgreSQL form."""
    section = README.read_text().split("## History: what changed since the last scan", 1)[1].split("\n## ", 1)[0]
    since, open_long = re.findall(r"```sql\n(.*?)```", section, re.S)
    postgres_where = re.search(r"`(WHERE o\.failing_since < latest\.started_at - INTERVAL '30 days')`", section)
    assert postgres_where is not None
    sqlite_where = "WHERE o.failing_since < datetime(latest.started_at, '-30 days')"
    assert sqlite_where in open_long
    return since, open_long, open_long.replace(sqlite_where, postgres_where.group(1))


def _store(inventory: Inventory, day: int, statuses: dict[str, Status]) -> None:
    started = START + timedelta(days=day)
    scan = inventory.begin_scan(providers=["aws"], tool_version="1", started_at=started)
    result = CollectionResult(
        resources=[make_resource(uid) for uid in statuses],
        scopes=[Scope("aws", "123456789012", ("us-east-1",), "me")],
    )
    findings = [
        make_finding(uid, CHECK, status, resource_name=uid.rsplit("/", 1)[1], muted=uid == ACCEPTED)
        for uid, status in statuses.items()
    ]
    inventory.finish_scan(scan.id, result, findings, status="complete", finished_at=started + timedelta(minutes=5))


def _as_utc(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def test_the_readme_history_queries(inventory: Inventory) -> None:
    fail, ok = Status.FAIL, Status.PASS
    # research fails, passes, then fails from day 20 on; recent fails since day 50; accepted (muted) always fails.
    for day, research, recent in (
        (0, fail, ok),
        (10, ok, ok),
        (20, fail, ok),
        (40, fail, ok),
        (50, fail, fail),
        (60, fail, fail),
    ):
        _store(inventory, day, {RESEARCH: research, RECENT: recent, ACCEPTED: fail})
    since, sqlite_open, postgres_open = _history_sql()
    postgres = inventory.engine.dialect.name == "postgresql"
    with inventory.engine.connect() as conn:
        ((check, uid, failing_since),) = conn.execute(text(since)).all()
        assert (check, uid) == (CHECK, RESEARCH)
        assert _as_utc(failing_since) == START + timedelta(days=20)
        rows = conn.execute(text(postgres_open if postgres else sqlite_open)).all()
    assert [(r.check_id, r.resource_name) for r in rows] == [(CHECK, "research")]
    assert _as_utc(rows[0].failing_since) == START + timedelta(days=20)
