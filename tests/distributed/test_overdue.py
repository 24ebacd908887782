"""A distributed scan whose starting process died is never left running forever: once its deadline passes,
the scheduler's sweep (`finish_overdue`) gives up its missing parts as ERROR and finishes it incomplete."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cspm_ai.distributed.fleet import finish_overdue
from cspm_ai.distributed.parts import plan_parts
from cspm_ai.inventory import Inventory
from cspm_ai.scan import run_partitioned_scan


class Died(BaseException):
    """The process that started the scan stopped (killed, its machine gone) before its parts came back."""


class DyingExecutor:
    name = "celery"

    def map(self, task: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
        raise Died


def test_an_overdue_scan_is_finished_incomplete_by_the_sweep(database_url: str) -> None:
    with Inventory.open(database_url) as inventory:
        with pytest.raises(Died):
            run_partitioned_scan(
                inventory,
                ["gcp"],
                lambda scan_id: plan_parts(scan_id, "gcp", ["ml-prod-4521", "ml-dev-7781"], {}),
                DyingExecutor(),
                deadline=timedelta(minutes=10),
            )
        (scan_id,) = inventory.unfinished_distributed_scans()
        assert finish_overdue(inventory, now=datetime.now(UTC) + timedelta(minutes=5)) == []  # not yet due
        assert finish_overdue(inventory, now=datetime.now(UTC) + timedelta(minutes=11)) == [scan_id]
        scan = inventory.get_scan(scan_id)
        assert scan.status == "incomplete" and scan.finished_at is not None
        parts = inventory.part_states(scan_id)
        assert [p.status for p in parts] == ["error", "error"]
        assert all("deadline" in (p.error or "") for p in parts)
        assert {f.status.value for f in inventory.findings(scan_id)} == {"ERROR"}
        assert inventory.unfinished_distributed_scans() == []
        assert finish_overdue(inventory, now=datetime.now(UTC) + timedelta(days=1)) == []  # once only
