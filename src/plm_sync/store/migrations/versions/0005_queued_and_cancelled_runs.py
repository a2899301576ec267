"""Runs: cancel requests, brake limit, products read; event subjects; line signatures.

A queued or running run can be asked to stop (`plm-sync runs cancel`); the limit of plans a
run may deactivate is fixed when the run opens, so every worker of a run judges alike; the
ids of the products a run read let its report list those that gave no event; a change
event's subject (plan name or switch path) lets reports group changes without parsing text;
a line's Connect signature lets incremental runs find every changed product.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("deactivation_limit", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("product_ids", sa.JSON(), nullable=True))
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.Text(), nullable=True))
    with op.batch_alter_table("product_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connect_signature", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("product_lines", schema=None) as batch_op:
        batch_op.drop_column("connect_signature")
    with op.batch_alter_table("run_events", schema=None) as batch_op:
        batch_op.drop_column("subject")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("product_ids")
        batch_op.drop_column("deactivation_limit")
        batch_op.drop_column("cancel_requested_at")
