"""Offers and plan switches; the findings of a line's last computation.

The offer snapshot, offer-based plans, switch paths, and the warnings and errors a line's
last computation found (reported again when a run finds the line unchanged).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "connect_offers",
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_connect_offers")),
    )
    op.create_table(
        "plan_switches",
        sa.Column("source_plan", sa.String(length=1000), nullable=False),
        sa.Column("target_plan", sa.String(length=1000), nullable=False),
        sa.Column("preset", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("item_mapping", sa.JSON(), nullable=False),
        sa.Column("preset_settings", sa.JSON(), nullable=False),
        sa.Column("resource_mapping", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("connect_switch_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_plan_switches_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_switches")),
        sa.UniqueConstraint(
            "product_line_id", "key", name=op.f("uq_plan_switches_product_line_id")
        ),
    )
    with op.batch_alter_table("plan_switches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_switches_product_line_id"), ["product_line_id"], unique=False
        )
    with op.batch_alter_table("product_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("plan_source", sa.String(length=16), server_default="mpn", nullable=False)
        )
        batch_op.add_column(sa.Column("offer_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("offer_name", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("findings", sa.JSON(), nullable=True))
    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offer_plan_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("features", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.drop_column("features")
        batch_op.drop_column("offer_plan_id")
    with op.batch_alter_table("product_lines", schema=None) as batch_op:
        batch_op.drop_column("findings")
        batch_op.drop_column("offer_name")
        batch_op.drop_column("offer_id")
        batch_op.drop_column("plan_source")
    with op.batch_alter_table("plan_switches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_switches_product_line_id"))
    op.drop_table("plan_switches")
    op.drop_table("connect_offers")
