"""A line's marketplaces and prices, and a price's history, go with what they belong to.

`line_marketplaces.product_line_id`, `prices.product_line_id` and `price_history.price_id`
become `ON DELETE CASCADE`, like every other table a product line owns: deleting a line (or
a price) can no longer fail on, or leave behind, rows that only meant something with it.

On SQLite a foreign key is changed by rebuilding its table (batch mode), which the migration
environment does with foreign keys off (dropping the old `prices` would otherwise delete
what refers to it) and checks with `PRAGMA foreign_key_check` before it commits.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# (table, column, referred table), in the order they are rebuilt
CASCADES = (
    ("line_marketplaces", "product_line_id", "product_lines"),
    ("prices", "product_line_id", "product_lines"),
    ("price_history", "price_id", "prices"),
)


def _rebuild(ondelete: str | None) -> None:
    for table, column, referred in CASCADES:
        name = f"fk_{table}_{column}_{referred}"
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="foreignkey")
            batch.create_foreign_key(name, referred, [column], ["id"], ondelete=ondelete)


def upgrade() -> None:
    """Apply."""
    _rebuild("CASCADE")


def downgrade() -> None:
    """Revert."""
    _rebuild(None)
