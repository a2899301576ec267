"""What was pushed is kept per hub (workbooks and prices); a change is written down first.

`line_pushes`: one row per product line and hub (its controller URL and app id) with the
content digest it received; the line's own `pushed_*` columns move there under hub '' (they
were written before hubs were told apart: the first hub pushed to after this upgrade takes
them as its own). `push_intents`: an `applyConfig` about to be sent, closed with its outcome.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "line_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("hub", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("digest_version", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_line_pushes_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_pushes")),
        sa.UniqueConstraint("product_line_id", "hub", name=op.f("uq_line_pushes_product_line_id")),
    )
    op.create_index(
        op.f("ix_line_pushes_product_line_id"), "line_pushes", ["product_line_id"], unique=False
    )
    op.create_table(
        "price_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("hub", sa.String(length=1000), nullable=False),
        sa.Column("marketplace_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("effective_date", sa.String(length=64), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_price_pushes_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_pushes")),
        sa.UniqueConstraint(
            "product_line_id", "hub", "marketplace_id", name=op.f("uq_price_pushes_product_line_id")
        ),
    )
    op.create_index(
        op.f("ix_price_pushes_product_line_id"), "price_pushes", ["product_line_id"], unique=False
    )
    op.create_table(
        "push_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_line_id", sa.Integer(), nullable=False),
        sa.Column("hub", sa.String(length=1000), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("marketplace_id", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("tracking_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_line_id"],
            ["product_lines.id"],
            name=op.f("fk_push_intents_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_intents")),
    )
    op.create_index(
        "ix_push_intents_open",
        "push_intents",
        ["product_line_id", "hub", "closed_at"],
        unique=False,
    )
    op.execute(
        "INSERT INTO line_pushes (product_line_id, hub, content_hash, digest_version, task_id, "
        "pushed_at, run_id) SELECT id, '', pushed_hash, COALESCE(pushed_digest_version, 1), "
        "pushed_task_id, COALESCE(pushed_at, updated_at), pushed_run_id FROM product_lines "
        "WHERE pushed_hash IS NOT NULL"
    )
    # ALTER TABLE … DROP COLUMN on both databases (SQLite 3.35+): a batch copy of the table
    # would drop and rebuild product_lines under the foreign keys that point at it
    for column in (
        "pushed_digest_version",
        "pushed_run_id",
        "pushed_at",
        "pushed_task_id",
        "pushed_hash",
    ):
        op.execute(f"ALTER TABLE product_lines DROP COLUMN {column}")


def downgrade() -> None:
    """Revert (what each hub received is lost: the lines keep none)."""
    with op.batch_alter_table("product_lines") as batch:
        batch.add_column(sa.Column("pushed_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("pushed_task_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("pushed_run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pushed_digest_version", sa.Integer(), nullable=True))
    op.drop_index("ix_push_intents_open", table_name="push_intents")
    op.drop_table("push_intents")
    op.drop_index(op.f("ix_price_pushes_product_line_id"), table_name="price_pushes")
    op.drop_table("price_pushes")
    op.drop_index(op.f("ix_line_pushes_product_line_id"), table_name="line_pushes")
    op.drop_table("line_pushes")
