"""An intent knows how far its push got (`push_intents.step`, `push_intents.step_at`).

Steps, each written before it is taken: `opened`, `parsed`, `applying` (written just before
the `applyConfig` request leaves), `task` (its PLM task known). A push cut off before
`applying` sent nothing that changes PLM; only `applying` without a task is uncertain, and the
time it was written bounds the tasks that can be its own. An intent open from before this
revision has no step and is read as `applying`: as uncertain as it was.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("push_intents") as batch:
        batch.add_column(sa.Column("step", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("step_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("push_intents") as batch:
        batch.drop_column("step_at")
        batch.drop_column("step")
