"""Indexes for history: one finding across scans, and scans by when they finished.

`cspm-ai diff`, the report's trend and the README's history queries follow one finding id
through many scans (`findings.finding_id`), and pick the previous comparable scan among the
finished ones (`scans.finished_at`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_findings_finding_id", "findings", ["finding_id"])
    op.create_index("ix_scans_finished_at", "scans", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_scans_finished_at", table_name="scans")
    op.drop_index("ix_findings_finding_id", table_name="findings")
