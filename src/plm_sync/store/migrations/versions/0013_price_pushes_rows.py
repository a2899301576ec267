"""What a hub received of a line's prices, row by row, and the rows it still holds.

`price_pushes.rows`: the vendor and the rows (resource MPN, billing period, subscription
period: what Commerce matches a price on) of the file the hub last received, so a push knows
which rows the catalog dropped since. `price_pushes.not_withdrawn`: of those, the rows the
hub's flat catalog still showed at the last push (`commerce_price_not_withdrawn`), until a
read-back shows them gone or the catalog holds them again. Both empty for a record written
before: the next push that sends the marketplace's file fills them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("price_pushes") as batch:
        batch.add_column(sa.Column("rows", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("not_withdrawn", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("price_pushes") as batch:
        batch.drop_column("not_withdrawn")
        batch.drop_column("rows")
