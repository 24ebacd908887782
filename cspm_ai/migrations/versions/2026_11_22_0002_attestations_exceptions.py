"""Attestations of manual checklist items, and the exceptions (mutes) each scan applied.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attestations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("attested_by", sa.Text(), nullable=False),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("evidence_content", sa.LargeBinary(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestations")),
    )
    op.create_index("ix_attestations_item", "attestations", ["item"])
    # Existing scans applied no exceptions: an empty list, not NULL.
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("exceptions", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("exceptions")
    op.drop_index("ix_attestations_item", table_name="attestations")
    op.drop_table("attestations")
