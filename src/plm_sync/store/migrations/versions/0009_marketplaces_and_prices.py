"""Marketplaces, the marketplaces a product line is listed in, and its prices with history.

Prices are kept per product line, marketplace and item (now, or scheduled), as decimal text;
a changed or removed price keeps its old values in `price_history`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:01:07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "marketplaces",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("alt_currencies", sa.JSON(), nullable=False),
        sa.Column("hubs", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplaces")),
    )
    op.create_table(
        "line_marketplaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("marketplace_id", sa.String(length=64), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("scheduled_source", sa.String(length=64), nullable=True),
        sa.Column("vendor_id", sa.String(length=64), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_line_marketplaces_product_line_id_product_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_marketplaces")),
        sa.UniqueConstraint(
            "product_line_id", "marketplace_id", name=op.f("uq_line_marketplaces_product_line_id")
        ),
    )
    with op.batch_alter_table("line_marketplaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_marketplaces_product_line_id"), ["product_line_id"], unique=False
        )

    op.create_table(
        "prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("marketplace_id", sa.String(length=64), nullable=False),
        sa.Column("mpn", sa.String(length=255), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("resource_mpn", sa.String(length=255), nullable=False),
        sa.Column("billing_period", sa.String(length=32), nullable=False),
        sa.Column("subscription_period", sa.String(length=32), nullable=False),
        sa.Column("cost", sa.String(length=32), nullable=True),
        sa.Column("cost_currency", sa.String(length=8), nullable=True),
        sa.Column("price", sa.String(length=32), nullable=True),
        sa.Column("price_currency", sa.String(length=8), nullable=True),
        sa.Column("msrp", sa.String(length=32), nullable=True),
        sa.Column("effective_date", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_run_id", sa.Integer(), nullable=True),
        sa.Column("changed_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_prices_product_line_id_product_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prices")),
        sa.UniqueConstraint(
            "product_line_id",
            "marketplace_id",
            "mpn",
            "scheduled",
            name=op.f("uq_prices_product_line_id"),
        ),
    )
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prices_product_line_id"), ["product_line_id"], unique=False
        )

    op.create_table(
        "price_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cost", sa.String(length=32), nullable=True),
        sa.Column("cost_currency", sa.String(length=8), nullable=True),
        sa.Column("price", sa.String(length=32), nullable=True),
        sa.Column("price_currency", sa.String(length=8), nullable=True),
        sa.Column("msrp", sa.String(length=32), nullable=True),
        sa.Column("effective_date", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_id"], ["prices.id"], name=op.f("fk_price_history_price_id_prices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_history")),
    )
    with op.batch_alter_table("price_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_history_price_id"), ["price_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("price_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_history_price_id"))

    op.drop_table("price_history")
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prices_product_line_id"))

    op.drop_table("prices")
    with op.batch_alter_table("line_marketplaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_marketplaces_product_line_id"))

    op.drop_table("line_marketplaces")
    op.drop_table("marketplaces")
