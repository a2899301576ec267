"""Each product line keeps one digest of its catalog rows (`product_lines.catalog_digest`).

What a push compares to tell a line it delivered from one that changed, in one query, instead
of rebuilding every line's catalog JSON. Computed here from the stored rows' digests (all of
version 2 since 0010): a row the line no longer has is stored with an empty digest and left
out, as a sync leaves it out when it writes the line. `line_pushes.catalog_digest`: the line's
catalog digest (with the PLM rules) a hub last received; empty until the line is next pushed
or found unchanged by `push --changed`, which then records it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plm_sync.domain.digests import content_hash

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# the catalog tables, as the sync writes them (domain.line_rows.TABLES when this was written)
LINES_AT_ONCE = 200
TABLES = (
    "resources",
    "service_plans",
    "plan_periods",
    "resource_rates",
    "resource_rate_periods",
    "upgrade_paths",
    "plan_switches",
    "resource_dependencies",
)


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("product_lines") as batch:
        batch.add_column(sa.Column("catalog_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("line_pushes") as batch:
        batch.add_column(sa.Column("catalog_digest", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    lines = [row[0] for row in bind.execute(sa.text("SELECT id FROM product_lines ORDER BY id"))]
    for start in range(0, len(lines), LINES_AT_ONCE):  # memory stays bounded by a chunk
        chunk = lines[start : start + LINES_AT_ONCE]
        digests: dict[int, dict[str, dict[str, str]]] = {line_id: {} for line_id in chunk}
        for table in TABLES:
            rows = bind.execute(
                sa.text(
                    f"SELECT product_line_id, key, content_hash FROM {table} "  # noqa: S608 - names above
                    "WHERE content_hash <> '' AND product_line_id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": chunk},
            )
            for line_id, key, digest in rows:
                digests[line_id].setdefault(table, {})[key] = digest
        bind.execute(
            sa.text("UPDATE product_lines SET catalog_digest = :digest WHERE id = :ident"),
            [
                {
                    "ident": line_id,
                    "digest": content_hash(
                        {
                            table: dict(sorted(rows.items()))
                            for table, rows in sorted(tables.items())
                            if rows
                        }
                    ),
                }
                for line_id, tables in digests.items()
            ],
        )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("line_pushes") as batch:
        batch.drop_column("catalog_digest")
    with op.batch_alter_table("product_lines") as batch:
        batch.drop_column("catalog_digest")
