"""An intent knows how far its push got; a push's change plan waits for approval.

`push_intents.step`, `push_intents.step_at`:
Steps, each written before it is taken: `opened`, `parsed`, `applying` (written just before
the `applyConfig` request leaves), `task` (its PLM task known). A push cut off before
`applying` sent nothing that changes PLM; only `applying` without a task is uncertain, and the
time it was written bounds the tasks that can be its own. An intent open from before this
revision has no step and is read as `applying`: as uncertain as it was.

`push_plans` (one per run of `push --plan`: the hub, the request, the decision) and
`planned_lines` (each line the plan would change: its workbook digest and its price digests
per marketplace, what approval compares the catalog with so that nothing unseen is sent).

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
    op.create_table(
        "push_plans",
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("hub", sa.String(length=1000), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.Integer(), nullable=True),
    )
    op.create_table(
        "planned_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("push_plans.run_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("connect_product_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("workbook", sa.Boolean(), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.UniqueConstraint("run_id", "connect_product_id"),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("planned_lines")
    op.drop_table("push_plans")
    with op.batch_alter_table("push_intents") as batch:
        batch.drop_column("step_at")
        batch.drop_column("step")
