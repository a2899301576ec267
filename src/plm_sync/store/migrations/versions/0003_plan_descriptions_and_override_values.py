"""Plan descriptions; operator overrides keep typed values and the Connect value they shadow.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 22:16:36.962746
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("operator_overrides", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_value", sa.JSON(), nullable=True))
        batch_op.alter_column(
            "value",
            existing_type=sa.TEXT(),
            type_=sa.JSON(),
            existing_nullable=False,
            postgresql_using="value::json",
        )

    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.drop_column("description")

    with op.batch_alter_table("operator_overrides", schema=None) as batch_op:
        batch_op.alter_column(
            "value",
            existing_type=sa.JSON(),
            type_=sa.TEXT(),
            existing_nullable=False,
            postgresql_using="value::text",
        )
        batch_op.drop_column("base_value")
