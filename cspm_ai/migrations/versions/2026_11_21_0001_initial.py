"""Initial inventory schema: scans, resources, relations, findings, collection errors.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _scan_id(table: str) -> list[SchemaItem]:
    return [
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"], name=op.f(f"fk_{table}_scan_id_scans"), ondelete="CASCADE"),
    ]


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("providers", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("tool_version", sa.String(length=64), nullable=False),
        sa.Column("allowed_regions", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('complete', 'incomplete')", name=op.f("ck_scans_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    op.create_index("ix_scans_started_at", "scans", ["started_at"])

    op.create_table(
        "resources",
        _id(),
        *_scan_id("resources"),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=255), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("redactions", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("scan_id", "uid", name=op.f("uq_resources_scan_id_uid")),
    )
    op.create_index("ix_resources_scan_id_resource_type", "resources", ["scan_id", "resource_type"])
    op.create_index("ix_resources_uid", "resources", ["uid"])

    op.create_table(
        "relations",
        _id(),
        *_scan_id("relations"),
        sa.Column("src_uid", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("dst_uid", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relations")),
    )
    op.create_index("ix_relations_scan_id_src_uid", "relations", ["scan_id", "src_uid"])
    op.create_index("ix_relations_scan_id_dst_uid", "relations", ["scan_id", "dst_uid"])

    op.create_table(
        "findings",
        _id(),
        *_scan_id("findings"),
        sa.Column("finding_id", sa.String(length=32), nullable=False),
        sa.Column("check_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=255), nullable=False),
        sa.Column("resource_uid", sa.Text(), nullable=False),
        sa.Column("resource_name", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("compliance", sa.JSON(), nullable=False),
        sa.Column("remediation", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("mute_reason", sa.Text(), nullable=True),
        sa.Column("resource_tags", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("scan_id", "finding_id", name=op.f("uq_findings_scan_id_finding_id")),
    )

    op.create_table(
        "collection_errors",
        _id(),
        *_scan_id("collection_errors"),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=128), nullable=False),
        sa.Column("operation", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("resource_type", sa.String(length=255), nullable=True),
        sa.Column("resource_uid", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_errors")),
    )
    op.create_index("ix_collection_errors_scan_id", "collection_errors", ["scan_id"])


def downgrade() -> None:
    op.drop_table("collection_errors")
    op.drop_table("findings")
    op.drop_table("relations")
    op.drop_table("resources")
    op.drop_index("ix_scans_started_at", table_name="scans")
    op.drop_table("scans")
