"""Distributed scans and schedules: scan parts, the part that stored each row, schedules and their runs.

A distributed scan is split into parts (an account, subscription or project each) that workers
collect and store under the scan's id; `scan_parts` tracks each one (status, attempts, worker) and
`scans.deadline` bounds the whole. Rows a part stored carry its key, so a redelivered part replaces
its own rows. `schedules` holds scans run on a schedule, `schedule_runs` each run, with at most one
running per schedule (a unique partial index: the overlap lock).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))
    for table in ("resources", "relations", "collection_errors"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("part", sa.String(255), nullable=True))
    op.create_table(
        "scan_parts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("scopes", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("resources", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("status IN ('queued', 'running', 'stored', 'error')", name=op.f("ck_scan_parts_status")),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_scan_parts_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_parts")),
        sa.UniqueConstraint("scan_id", "key", name="uq_scan_parts_scan_id_key"),
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(128), nullable=True),
        sa.Column("command", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(interval_seconds IS NULL) <> (cron IS NULL)", name=op.f("ck_schedules_one_timing")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("name", name="uq_schedules_name"),
    )
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("runner", sa.String(255), nullable=False),
        sa.Column("scan_id", sa.String(36), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'failed', 'skipped', 'abandoned')",
            name=op.f("ck_schedule_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_runs_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_runs")),
    )
    op.create_index("ix_schedule_runs_schedule_id_started_at", "schedule_runs", ["schedule_id", "started_at"])
    op.create_index(
        "uq_schedule_runs_one_running",
        "schedule_runs",
        ["schedule_id"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("uq_schedule_runs_one_running", table_name="schedule_runs")
    op.drop_index("ix_schedule_runs_schedule_id_started_at", table_name="schedule_runs")
    op.drop_table("schedule_runs")
    op.drop_table("schedules")
    op.drop_table("scan_parts")
    for table in ("collection_errors", "relations", "resources"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("part")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("deadline")
