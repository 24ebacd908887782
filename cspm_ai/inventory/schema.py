"""The inventory's tables: typed SQLAlchemy models users can also query with plain SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Explicit names make constraints identical on SQLite and PostgreSQL, so
# migrations can address them and autogenerate comparisons stay clean.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SCAN_STATUSES = ("complete", "incomplete")
# A distributed scan's part: queued, being collected (by `worker`), stored, or given up as ERROR for its scope.
PART_STATUSES = ("queued", "running", "stored", "error")
# A scheduled run: going, finished (its scan stored, whatever its exit code), failed before a scan was stored,
# skipped because the schedule's previous run was still going, or abandoned (its runner died; found stale).
RUN_STATUSES = ("running", "done", "failed", "skipped", "abandoned")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC and always read back aware in UTC.

    SQLite keeps no offset, so values are normalised to UTC before they are
    written (an offset would otherwise be silently dropped) and marked UTC
    when read; PostgreSQL values are converted from the session time zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _scan_fk() -> Mapped[str]:
    return mapped_column(String(36), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False)


class ScanRow(Base):
    __tablename__ = "scans"
    __table_args__ = (
        CheckConstraint("status IN ('complete', 'incomplete')", name="status"),
        Index("ix_scans_started_at", "started_at"),
        Index("ix_scans_finished_at", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    providers: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    # [{"provider", "account", "regions": [...], "identity"}]
    scopes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    tool_version: Mapped[str] = mapped_column(String(64), nullable=False)
    # SQL NULL (not JSON null) when no region allow-list is configured.
    allowed_regions: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # The exceptions (mutes) the scan's evaluation applied, each with its status and match count.
    exceptions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, server_default="[]")
    # A distributed scan's deadline: parts not stored by then are ERROR for their scope and the scan incomplete.
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Its re-evaluations, oldest first (read-only here: rows are appended by `replace_findings`).
    reevaluations: Mapped[list[ReevaluationRow]] = relationship(
        order_by="ReevaluationRow.id", lazy="selectin", viewonly=True
    )


class ResourceRow(Base):
    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("scan_id", "uid", name="uq_resources_scan_id_uid"),
        Index("ix_resources_scan_id_resource_type", "scan_id", "resource_type"),
        Index("ix_resources_uid", "uid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = _scan_fk()
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    account: Mapped[str] = mapped_column(String(255), nullable=False)
    region: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(255), nullable=False)
    uid: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    tags: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # [{"path", "kind"}]: where secrets were removed, never the value.
    redactions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    # The key of the distributed scan part that stored it (NULL in a one-process scan).
    part: Mapped[str | None] = mapped_column(String(255), nullable=True)


class RelationRow(Base):
    __tablename__ = "relations"
    __table_args__ = (
        Index("ix_relations_scan_id_src_uid", "scan_id", "src_uid"),
        Index("ix_relations_scan_id_dst_uid", "scan_id", "dst_uid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = _scan_fk()
    src_uid: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    dst_uid: Mapped[str] = mapped_column(Text, nullable=False)
    part: Mapped[str | None] = mapped_column(String(255), nullable=True)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("scan_id", "finding_id", name="uq_findings_scan_id_finding_id"),
        # One finding followed across scans (history, diff, "when did this start failing").
        Index("ix_findings_finding_id", "finding_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = _scan_fk()
    finding_id: Mapped[str] = mapped_column(String(32), nullable=False)
    check_id: Mapped[str] = mapped_column(String(255), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    account: Mapped[str] = mapped_column(String(255), nullable=False)
    region: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(255), nullable=False)
    resource_uid: Mapped[str] = mapped_column(Text, nullable=False)
    resource_name: Mapped[str] = mapped_column(Text, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    checklist: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    compliance: Mapped[dict[str, list[str]]] = mapped_column(JSON, nullable=False)
    remediation: Mapped[str] = mapped_column(Text, nullable=False)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    muted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    mute_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    resource_tags: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)


class CollectionErrorRow(Base):
    __tablename__ = "collection_errors"
    __table_args__ = (Index("ix_collection_errors_scan_id", "scan_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = _scan_fk()
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    account: Mapped[str] = mapped_column(String(255), nullable=False)
    region: Mapped[str] = mapped_column(String(64), nullable=False)
    service: Mapped[str] = mapped_column(String(128), nullable=False)
    operation: Mapped[str] = mapped_column(String(255), nullable=False)
    code: Mapped[str] = mapped_column(String(255), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    resource_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resource_uid: Mapped[str | None] = mapped_column(Text, nullable=True)
    part: Mapped[str | None] = mapped_column(String(255), nullable=True)


class ReevaluationRow(Base):
    """One `cspm-ai evaluate` of a stored scan: appended, never changed, so the scan keeps its history."""

    __tablename__ = "scan_reevaluations"
    __table_args__ = (
        CheckConstraint("exceptions_from IN ('mutelist', 'scan')", name="exceptions_from"),
        Index("ix_scan_reevaluations_scan_id", "scan_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = _scan_fk()
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    tool_version: Mapped[str] = mapped_column(String(64), nullable=False)
    # "mutelist": a mutelist given to the re-evaluation replaced the exceptions; "scan": they were kept.
    exceptions_from: Mapped[str] = mapped_column(String(16), nullable=False)
    mutelist_file: Mapped[str | None] = mapped_column(Text, nullable=True)
    mutelist_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rules: Mapped[int] = mapped_column(Integer, nullable=False)
    findings: Mapped[int] = mapped_column(Integer, nullable=False)
    muted: Mapped[int] = mapped_column(Integer, nullable=False)
    # The scan's exceptions (each with its status and match count) before this re-evaluation.
    replaced_exceptions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)


class AttestationRow(Base):
    """A person's signed-off statement that a manual checklist item is met, until it expires.

    Rows are never deleted: a revocation is recorded on the row, so every report can still say
    what held when a scan started.
    """

    __tablename__ = "attestations"
    __table_args__ = (
        Index("ix_attestations_item", "item"),
        CheckConstraint("account IS NULL OR provider IS NOT NULL", name="account_has_provider"),
        CheckConstraint(
            "(revoked_at IS NULL AND revoked_by IS NULL AND revocation_reason IS NULL) OR "
            "(revoked_at IS NOT NULL AND revoked_by IS NOT NULL AND revocation_reason IS NOT NULL)",
            name="revocation_whole",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item: Mapped[str] = mapped_column(String(16), nullable=False)
    attested_by: Mapped[str] = mapped_column(Text, nullable=False)
    attested_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    # A URL, or the name of the file whose bytes are kept below.
    evidence: Mapped[str] = mapped_column(Text, nullable=False)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    evidence_content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    # attested_at is when cspm-ai recorded it. NULL valid_from: in force from then; else from this
    # earlier moment, which only a kept evidence file can back.
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Its scope: NULL provider covers every finding; an account narrows a provider.
    provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    account: Mapped[str | None] = mapped_column(String(255), nullable=True)
    long_validity: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ScanPartRow(Base):
    """One part of a distributed scan: an account, subscription or project collected by one task.

    `attempts` counts deliveries that started collecting it, so a part whose worker dies every time
    (redelivered by late acknowledgement) is given up as ERROR after a bounded number, never looped.
    """

    __tablename__ = "scan_parts"
    __table_args__ = (
        UniqueConstraint("scan_id", "key", name="uq_scan_parts_scan_id_key"),
        CheckConstraint("status IN ('queued', 'running', 'stored', 'error')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = _scan_fk()
    # "<provider>:<account>", e.g. "azure:11111111-2222-3333-4444-555555555555".
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    account: Mapped[str] = mapped_column(String(255), nullable=False)
    # The part as sent to a worker: collector settings without secrets.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    # "<host>:<pid>" of the process collecting it (the last one that started).
    worker: Mapped[str | None] = mapped_column(String(255), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Why it is ERROR (or why the last attempt failed).
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The scopes its collection covered ([{"provider", "account", "regions", "identity"}]).
    scopes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, server_default="[]")
    resources: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    errors: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


class ScheduleRow(Base):
    """A scan run on a schedule: every `interval_seconds`, or at the times of a five-field `cron` line."""

    __tablename__ = "schedules"
    __table_args__ = (
        UniqueConstraint("name", name="uq_schedules_name"),
        CheckConstraint("(interval_seconds IS NULL) <> (cron IS NULL)", name="one_timing"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    interval_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cron: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The scan command, as typed after `--`: ["scan", "aws", "--regions", "eu-west-1"].
    command: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class ScheduleRunRow(Base):
    """One run of a schedule. At most one run of a schedule is `running` (a unique partial index):
    that row is the lock that keeps two runs from overlapping; a run that finds it held is `skipped`."""

    __tablename__ = "schedule_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'done', 'failed', 'skipped', 'abandoned')",
            name="status",
        ),
        Index("ix_schedule_runs_schedule_id_started_at", "schedule_id", "started_at"),
        Index(
            "uq_schedule_runs_one_running",
            "schedule_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(String(36), ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # While running: when the lock is considered abandoned (its runner died without finishing).
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # "distributed" (the scheduler) or "process" (`cspm-ai schedule run`, from cron or a timer).
    mode: Mapped[str] = mapped_column(String(16), nullable=False)
    runner: Mapped[str] = mapped_column(String(255), nullable=False)
    scan_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
