"""Attestations gain an earlier start of force, a scope, a long-validity flag and revocations.

Existing attestations keep their recorded time (`attested_at`) as their start of force
(`valid_from` NULL), have no scope, and are not revoked. One whose expiry is more than 365
days after it was recorded predates the bound on validity: it is marked `long_validity`, so
every report flags it as such.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REVOCATION_WHOLE = (
    "(revoked_at IS NULL AND revoked_by IS NULL AND revocation_reason IS NULL) OR "
    "(revoked_at IS NOT NULL AND revoked_by IS NOT NULL AND revocation_reason IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("attestations") as batch:
        batch.add_column(sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("provider", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("account", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("long_validity", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("revocation_reason", sa.Text(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_attestations_account_has_provider"), "account IS NULL OR provider IS NOT NULL"
        )
        batch.create_check_constraint(op.f("ck_attestations_revocation_whole"), _REVOCATION_WHOLE)
    # Dates are compared in SQL so the migration also renders offline for a DBA to review.
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "UPDATE attestations SET long_validity = 1 WHERE julianday(expires_on) - julianday(date(attested_at)) > 365"
        )
    else:
        op.execute(
            "UPDATE attestations SET long_validity = true "
            "WHERE expires_on - CAST(attested_at AT TIME ZONE 'UTC' AS DATE) > 365"
        )


def downgrade() -> None:
    with op.batch_alter_table("attestations") as batch:
        batch.drop_constraint(op.f("ck_attestations_revocation_whole"), type_="check")
        batch.drop_constraint(op.f("ck_attestations_account_has_provider"), type_="check")
        for column in (
            "revocation_reason",
            "revoked_by",
            "revoked_at",
            "long_validity",
            "account",
            "provider",
            "valid_from",
        ):
            batch.drop_column(column)
