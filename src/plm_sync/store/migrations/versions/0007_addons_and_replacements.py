"""Add-ons and end-of-sale replacements.

Connect items keep their `parent` (an add-on's base item) and `replacement` (the item that
replaces an end-of-sale one); resource rates say whether they are an add-on's; a line's
resource dependencies (an add-on requires its base) get a table of their own.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("connect_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("replacement_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("resource_rates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("addon", sa.Boolean(), nullable=True))
    op.create_table(
        "resource_dependencies",
        sa.Column("child_mpn", sa.String(length=255), nullable=False),
        sa.Column("parent_mpn", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("multiplier", sa.Integer(), nullable=False),
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
            name=op.f("fk_resource_dependencies_product_line_id_product_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_dependencies")),
        sa.UniqueConstraint(
            "product_line_id", "key", name=op.f("uq_resource_dependencies_product_line_id")
        ),
    )
    with op.batch_alter_table("resource_dependencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resource_dependencies_product_line_id"),
            ["product_line_id"],
            unique=False,
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("resource_dependencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_dependencies_product_line_id"))
    op.drop_table("resource_dependencies")
    with op.batch_alter_table("resource_rates", schema=None) as batch_op:
        batch_op.drop_column("addon")
    with op.batch_alter_table("connect_items", schema=None) as batch_op:
        batch_op.drop_column("replacement_id")
        batch_op.drop_column("parent_id")
