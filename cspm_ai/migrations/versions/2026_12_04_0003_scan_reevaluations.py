"""Each re-evaluation of a stored scan: when, by which version, with which mutelist file and its hash.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Earlier re-evaluations left no record: existing scans start with an empty history.
    op.create_table(
        "scan_reevaluations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tool_version", sa.String(length=64), nullable=False),
        sa.Column("exceptions_from", sa.String(length=16), nullable=False),
        sa.Column("mutelist_file", sa.Text(), nullable=True),
        sa.Column("mutelist_sha256", sa.String(length=64), nullable=True),
        sa.Column("rules", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("muted", sa.Integer(), nullable=False),
        sa.Column("replaced_exceptions", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "exceptions_from IN ('mutelist', 'scan')", name=op.f("ck_scan_reevaluations_exceptions_from")
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_scan_reevaluations_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_reevaluations")),
    )
    op.create_index("ix_scan_reevaluations_scan_id", "scan_reevaluations", ["scan_id"])


def downgrade() -> None:
    op.drop_index("ix_scan_reevaluations_scan_id", table_name="scan_reevaluations")
    op.drop_table("scan_reevaluations")
