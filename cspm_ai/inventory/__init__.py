"""The scan inventory: a SQL database of scans, resources, relations, findings and errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cspm_ai import history
from cspm_ai.distributed.model import Claim, PartState, ScanPart, Schedule, ScheduleRun
from cspm_ai.engine import Snapshot
from cspm_ai.inventory import queries
from cspm_ai.inventory.database import (
    default_database_url,
    disk_full_is_an_inventory_error,
    for_writing,
    open_database,
)
from cspm_ai.model import (
    Attestation,
    CollectionError,
    CollectionResult,
    Finding,
    Reevaluation,
    Resource,
    Revocation,
    ScanRecord,
    Scope,
)

__all__ = ["Inventory", "default_database_url", "open_database"]


class Inventory:
    """Scans stored in one database, each call in its own short session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(for_writing(engine), expire_on_commit=False)
        # The findings `finish_scan` just stored, kept for one `findings` call: a scan's reports then need not
        # read back thousands of rows it has only just written.
        self._just_stored: tuple[str, Sequence[Finding]] | None = None

    def _writing(self) -> AbstractContextManager[Session]:
        """A write transaction. Every write ends the handover of the findings `finish_scan` just stored (which
        sets it again once its own write is done): after a write, findings are read from the database."""
        self._just_stored = None
        return self._write.begin()

    @classmethod
    def open(cls, url: str | None = None) -> Self:
        """Open (and migrate) the database at `url`, or the default SQLite file when `None`."""
        return cls(open_database(url))

    def begin_scan(
        self,
        *,
        providers: Sequence[str],
        tool_version: str,
        allowed_regions: Iterable[str] | None = None,
        options: Mapping[str, Any] | None = None,
        started_at: datetime | None = None,
    ) -> ScanRecord:
        """Record a new "incomplete" scan and commit it at once."""
        with disk_full_is_an_inventory_error(self.engine, "Nothing was stored."), self._writing() as session:
            return queries.create_scan(
                session,
                providers=providers,
                tool_version=tool_version,
                allowed_regions=allowed_regions,
                options=options or {},
                started_at=started_at or datetime.now(UTC),
            )

    def finish_scan(
        self,
        scan_id: str,
        result: CollectionResult,
        findings: Sequence[Finding],
        status: str,
        finished_at: datetime | None = None,
        exceptions: Sequence[Mapping[str, Any]] = (),
    ) -> ScanRecord:
        """Store everything a scan produced in one transaction and mark it `status`.

        Should the transaction fail, the scan keeps the "incomplete" row `begin_scan` committed.
        """
        left = f"Scan {scan_id} stays marked incomplete; scan again once there is room."
        with disk_full_is_an_inventory_error(self.engine, left), self._writing() as session:
            queries.store_scan_results(
                session,
                scan_id,
                result,
                findings,
                finished_at=finished_at or datetime.now(UTC),
                status=status,
                exceptions=exceptions,
            )
        self._just_stored = (scan_id, findings)
        return self.get_scan(scan_id)

    def replace_findings(
        self,
        scan_id: str,
        findings: Sequence[Finding],
        exceptions: Sequence[Mapping[str, Any]] | None = None,
        reevaluation: Reevaluation | None = None,
    ) -> None:
        """Replace a scan's findings (and, when given, the exceptions applied) after re-evaluating it,
        appending `reevaluation` to the scan's history in the same transaction."""
        kept = f"Scan {scan_id} keeps the findings it had."
        with disk_full_is_an_inventory_error(self.engine, kept), self._writing() as session:
            queries.replace_findings(session, scan_id, findings, exceptions, reevaluation)

    def add_attestation(self, attestation: Attestation, content: bytes | None = None) -> None:
        """Record an attestation (with the evidence file's bytes, when it is a file)."""
        unrecorded = "The attestation was not recorded."
        with disk_full_is_an_inventory_error(self.engine, unrecorded), self._writing() as session:
            queries.add_attestation(session, attestation, content)

    def attestations(self) -> list[Attestation]:
        """Every attestation, revoked ones included, oldest first."""
        with self._read() as session:
            return queries.load_attestations(session)

    def attestation(self, ref: str) -> Attestation:
        """An attestation by id or unique id prefix (8+ characters)."""
        with self._read() as session:
            return queries.get_attestation(session, ref)

    def revoke_attestation(self, attestation_id: str, revocation: Revocation) -> None:
        """Record a revocation (refused if the attestation already has one: revocations are kept)."""
        unrecorded = "The revocation was not recorded; the attestation stays in force."
        with disk_full_is_an_inventory_error(self.engine, unrecorded), self._writing() as session:
            queries.revoke_attestation(session, attestation_id, revocation)

    def attestation_evidence(self, attestation_id: str) -> bytes | None:
        with self._read() as session:
            return queries.load_attestation_evidence(session, attestation_id)

    def get_scan(self, ref: str) -> ScanRecord:
        """A scan by id, unique id prefix (8+ characters) or "latest"."""
        with self._read() as session:
            return queries.get_scan(session, ref)

    def list_scans(self, limit: int = 50) -> list[ScanRecord]:
        with self._read() as session:
            return queries.list_scans(session, limit)

    def scan_counts(self, scan_id: str) -> dict[str, int]:
        with self._read() as session:
            return queries.scan_counts(session, scan_id)

    def snapshot(self, scan_id: str) -> Snapshot:
        with self._read() as session:
            return queries.load_snapshot(session, scan_id)

    def findings(self, scan_id: str) -> list[Finding]:
        """A scan's findings in the order they were stored (the ones just stored are not read back)."""
        just_stored, self._just_stored = self._just_stored, None
        if just_stored is not None and just_stored[0] == scan_id:
            return queries.findings_as_stored(just_stored[1])
        with self._read() as session:
            return queries.load_findings(session, scan_id)

    def errors(self, scan_id: str) -> list[CollectionError]:
        with self._read() as session:
            return queries.load_errors(session, scan_id)

    # ------------------------------------------------------------------ history

    def previous_comparable(
        self, providers: Iterable[str], scopes: Iterable[Scope], started_at: datetime
    ) -> ScanRecord | None:
        """The most recent finished scan that started before `started_at` and covers the same providers and
        accounts (`history.scope_key`), or None."""
        with self._read() as session:
            heads = queries.scan_heads(session, finished_before=started_at)
        found = history.previous_comparable(providers, scopes, started_at, heads)
        return None if found is None else self.get_scan(found.id)

    def previous_of(self, scan: ScanRecord) -> ScanRecord | None:
        """The scan `scan` is compared with: the previous comparable one, or None."""
        return self.previous_comparable(scan.providers, scan.scopes, scan.started_at)

    def scan_contents(self, scan: ScanRecord) -> history.ScanContents:
        """What a comparison reads of one scan, in one read transaction."""
        with self._read() as session:
            return history.ScanContents(
                scan=scan,
                findings=queries.load_finding_states(session, scan.id),
                resources=queries.load_resource_states(session, scan.id),
                errors=queries.load_errors(session, scan.id),
            )

    def diff(
        self,
        older: ScanRecord | None,
        newer: ScanRecord,
        *,
        expiring_days: int = history.DEFAULT_EXPIRING_DAYS,
        note: str | None = None,
    ) -> history.ScanDiff:
        """What changed from `older` (None: nothing to compare with) to `newer`, and what expires soon."""
        if older is None:
            # With nothing to compare with, the diff reads only the newer scan's own record (what expires
            # soon is judged at its time), so its findings and resources are not loaded.
            return history.diff_scans(
                None,
                history.ScanContents(scan=newer, findings=(), resources=(), errors=()),
                attestations=self.attestations(),
                expiring_days=expiring_days,
                note=note,
            )
        return history.diff_scans(
            self.scan_contents(older),
            self.scan_contents(newer),
            attestations=self.attestations(),
            expiring_days=expiring_days,
            note=note,
        )

    def resources_of(self, scan_id: str, types: Iterable[str]) -> list[Resource]:
        with self._read() as session:
            return queries.load_resources(session, scan_id, types)

    def trend(self, scan: ScanRecord, limit: int = history.DEFAULT_TREND_SCANS) -> list[history.TrendPoint]:
        """FAIL counts of `scan` and the comparable scans before it, at most `limit`, oldest first."""
        key = history.scope_key(scan.providers, scan.scopes)
        with self._read() as session:
            earlier = queries.scan_heads(session, finished_before=scan.started_at)
            series = [s for s in earlier if history.scope_key(s.providers, s.scopes) == key][: max(0, limit - 1)]
            chosen = [scan, *series]
            return history.trend_points(chosen, queries.fail_counts(session, [s.id for s in chosen]))

    def prune(
        self, *, keep: int | None = None, older_than: datetime | None = None, dry_run: bool = False
    ) -> tuple[list[ScanRecord], dict[str, int]]:
        """Delete old scans in one transaction, never the latest complete scan of any account; the scans
        chosen and how many rows of each table went (nothing is deleted with `dry_run`)."""
        left = "Nothing was deleted."
        with disk_full_is_an_inventory_error(self.engine, left), self._writing() as session:
            chosen = history.prune_selection(queries.scan_heads(session), keep=keep, older_than=older_than)
            if dry_run or not chosen:
                return chosen, {}
            return chosen, queries.delete_scans(session, [s.id for s in chosen])

    # ------------------------------------------------------------ distributed scans

    def create_parts(
        self,
        scan_id: str,
        parts: Sequence[ScanPart],
        *,
        max_attempts: int,
        deadline: datetime,
        exceptions: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Record a distributed scan's parts, its deadline and the exceptions its final step applies."""
        with disk_full_is_an_inventory_error(self.engine, "Nothing was stored."), self._writing() as session:
            queries.create_parts(
                session, scan_id, parts, max_attempts=max_attempts, deadline=deadline, exceptions=exceptions
            )

    def claim_part(self, scan_id: str, key: str, worker: str) -> Claim:
        """Count this delivery of a part (committed at once) and say whether to collect it."""
        with self._writing() as session:
            return queries.claim_part(session, scan_id, key, worker, datetime.now(UTC))

    def release_part(self, scan_id: str, key: str, error: str) -> None:
        with self._writing() as session:
            queries.release_part(session, scan_id, key, error)

    def store_part(self, scan_id: str, key: str, result: CollectionResult) -> bool:
        """Store one part's collection in one transaction, replacing an earlier delivery's; False if too late."""
        left = f"Part {key} of scan {scan_id} was not stored."
        with disk_full_is_an_inventory_error(self.engine, left), self._writing() as session:
            return queries.store_part_results(session, scan_id, key, result, datetime.now(UTC))

    def fail_part(self, scan_id: str, key: str, errors: Sequence[CollectionError], scope: Scope, message: str) -> bool:
        """Give a part up as ERROR for its scope; False when it was already stored or given up."""
        with self._writing() as session:
            return queries.fail_part(session, scan_id, key, errors, scope, message)

    def give_up_unfinished(
        self, scan_id: str, errors_for: Callable[[PartState], tuple[list[CollectionError], Scope, str]]
    ) -> list[str]:
        with self._writing() as session:
            return queries.give_up_unfinished(session, scan_id, errors_for)

    def part_states(self, scan_id: str) -> list[PartState]:
        with self._read() as session:
            return queries.part_states(session, scan_id)

    def part_scopes(self, scan_id: str) -> list[Scope]:
        with self._read() as session:
            return queries.part_scopes(session, scan_id)

    def close_scan(
        self,
        scan_id: str,
        findings: Sequence[Finding],
        *,
        scopes: Sequence[Scope],
        exceptions: Sequence[Mapping[str, Any]],
        status: str,
    ) -> bool:
        """Store a distributed scan's findings and close it; False when another process closed it first."""
        left = f"Scan {scan_id} stays marked incomplete; evaluate it again once there is room."
        with disk_full_is_an_inventory_error(self.engine, left), self._writing() as session:
            return queries.close_scan(
                session,
                scan_id,
                findings,
                scopes=scopes,
                exceptions=exceptions,
                status=status,
                finished_at=datetime.now(UTC),
            )

    def unfinished_distributed_scans(self, *, overdue_at: datetime | None = None) -> list[str]:
        with self._read() as session:
            return queries.unfinished_distributed_scans(session, overdue_at=overdue_at)

    # ------------------------------------------------------------------ schedules

    def add_schedule(
        self, name: str, command: Sequence[str], *, interval_seconds: int | None = None, cron: str | None = None
    ) -> Schedule:
        with disk_full_is_an_inventory_error(self.engine, "The schedule was not added."), self._writing() as s:
            return queries.add_schedule(
                s, name, command, interval_seconds=interval_seconds, cron=cron, now=datetime.now(UTC)
            )

    def schedules(self) -> list[Schedule]:
        with self._read() as session:
            return queries.list_schedules(session)

    def schedule(self, name: str) -> Schedule:
        with self._read() as session:
            return queries.get_schedule(session, name)

    def remove_schedule(self, name: str) -> Schedule:
        with self._writing() as session:
            return queries.remove_schedule(session, name)

    def start_run(self, name: str, *, mode: str, runner: str, lease: timedelta) -> ScheduleRun:
        """Take the schedule's overlap lock (a `running` run) or record a `skipped` run; committed at once."""
        with disk_full_is_an_inventory_error(self.engine, "The run was not started."), self._writing() as s:
            return queries.start_run(s, name, mode=mode, runner=runner, now=datetime.now(UTC), lease=lease)

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        scan_id: str | None = None,
        exit_code: int | None = None,
        message: str | None = None,
    ) -> None:
        with self._writing() as session:
            queries.finish_run(
                session,
                run_id,
                status=status,
                now=datetime.now(UTC),
                scan_id=scan_id,
                exit_code=exit_code,
                message=message,
            )

    def schedule_runs(self, name: str, limit: int = 20) -> list[ScheduleRun]:
        with self._read() as session:
            return queries.schedule_runs(session, name, limit)

    def close(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
