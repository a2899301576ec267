"""Service plans get the Published flag that sharing rules and the PPR set.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:11:55.062020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("service_plans", schema=None) as batch_op:
        batch_op.drop_column("published")
