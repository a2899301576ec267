"""Product lines remember their last successful push into Commerce PLM.

The content hash of the catalog the push delivered, the PLM task that applied it, when and by
which run: a push of an unchanged line sends nothing, `push --changed` finds the rest.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("product_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pushed_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pushed_task_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pushed_run_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("product_lines", schema=None) as batch_op:
        batch_op.drop_column("pushed_run_id")
        batch_op.drop_column("pushed_at")
        batch_op.drop_column("pushed_task_id")
        batch_op.drop_column("pushed_hash")
