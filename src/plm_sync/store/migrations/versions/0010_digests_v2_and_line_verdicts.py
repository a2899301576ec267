"""Digests of version 2 (canonical JSON, not `repr`); each line keeps its own sync verdict.

Every stored digest that is a function of its row's stored columns is recomputed in the
canonical form (catalog rows, Connect products, items and offers, marketplaces), so the first
run after the upgrade finds them unchanged and writes nothing. Digests of what is not stored
(a line's inputs, a product's change signals, a line's price sources) differ once: the next
run recomputes those lines, finds the same rows and records no change. What a line's last
push delivered is recognised in its version 1 form until it is pushed again
(`pushed_digest_version`).

A line's verdict (the last sync that read it and the error codes it left) moves onto the line
(`sync_run_id`, `sync_errors`), filled here from the run log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:40:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from plm_sync.domain.digests import content_hash

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BATCH = 2000
# catalog rows: every column but these is the row's content (store.catalog.row_digest)
_BOOKKEEPING = {
    "id",
    "product_line_id",
    "key",
    "content_hash",
    "created_run_id",
    "changed_run_id",
    "created_at",
    "updated_at",
}
_CATALOG_TABLES = (
    "resources",
    "service_plans",
    "plan_periods",
    "resource_rates",
    "resource_rate_periods",
    "upgrade_paths",
    "plan_switches",
    "resource_dependencies",
)
# the Connect snapshot and marketplaces: the columns their digest covers
_HASHED = {
    "connect_products": ("name", "vendor", "status", "updated_at"),
    "connect_items": (
        "product_id",
        "mpn",
        "name",
        "type",
        "period",
        "commitment_count",
        "unit",
        "status",
        "updated_at",
        "parent_id",
        "replacement_id",
    ),
    "connect_offers": ("payload",),
    "marketplaces": ("name", "currency", "alt_currencies", "hubs"),
}


def _rehash(bind: sa.Connection, name: str, columns: tuple[str, ...] | None) -> None:
    table = sa.Table(name, sa.MetaData(), autoload_with=bind)
    key = next(iter(table.primary_key.columns))
    content = columns or tuple(c.name for c in table.columns if c.name not in _BOOKKEEPING)
    whole = name == "connect_offers"  # the offer's digest is its payload's, not a mapping's
    last: Any = None
    while True:
        query = sa.select(key, table.c.content_hash, *(table.c[c] for c in content))
        if last is not None:
            query = query.where(key > last)
        rows = bind.execute(query.order_by(key).limit(_BATCH)).all()
        if not rows:
            return
        changed = []
        for ident, stored, *values in rows:
            if stored == "":  # a row deactivated with its line keeps no digest
                continue
            value = values[0] if whole else dict(zip(content, values, strict=True))
            digest = content_hash(value)
            if digest != stored:
                changed.append({"_id": ident, "_digest": digest})
        if changed:
            bind.execute(
                sa.update(table)
                .where(key == sa.bindparam("_id"))
                .values(content_hash=sa.bindparam("_digest")),
                changed,
            )
        last = rows[-1][0]


def _verdicts(bind: sa.Connection) -> None:
    """Each line's last finished sync (not dry, not a push) and the error codes it left."""
    runs = sa.table(
        "runs",
        sa.column("id", sa.Integer),
        sa.column("trigger", sa.String),
        sa.column("dry_run", sa.Boolean),
        sa.column("status", sa.String),
        sa.column("product_ids", sa.JSON),
    )
    events = sa.table(
        "run_events",
        sa.column("run_id", sa.Integer),
        sa.column("connect_product_id", sa.String),
        sa.column("level", sa.String),
        sa.column("code", sa.String),
    )
    lines = sa.table(
        "product_lines",
        sa.column("connect_product_id", sa.String),
        sa.column("sync_run_id", sa.Integer),
        sa.column("sync_errors", sa.JSON),
    )
    wanted = set(bind.scalars(sa.select(lines.c.connect_product_id)))
    found: dict[str, int] = {}
    read = bind.execute(
        sa.select(runs.c.id, runs.c.product_ids)
        .where(
            runs.c.trigger != "push",
            runs.c.dry_run.is_(False),
            runs.c.status.not_in(("queued", "running")),
            runs.c.product_ids.is_not(None),
        )
        .order_by(runs.c.id.desc())
    )
    for run_id, product_ids in read:
        for product_id in set(product_ids or ()) & (wanted - found.keys()):
            found[product_id] = run_id
        if len(found) == len(wanted):
            break
    by_run: dict[int, list[str]] = {}
    for product_id, run_id in found.items():
        by_run.setdefault(run_id, []).append(product_id)
    for run_id, product_ids in by_run.items():
        codes: dict[str, set[str]] = {}
        for product_id, code in bind.execute(
            sa.select(events.c.connect_product_id, events.c.code).where(
                events.c.run_id == run_id, events.c.level == "error"
            )
        ):
            codes.setdefault(product_id, set()).add(code)
        bind.execute(
            sa.update(lines)
            .where(lines.c.connect_product_id == sa.bindparam("_product"))
            .values(sync_run_id=sa.bindparam("_run"), sync_errors=sa.bindparam("_codes")),
            [
                {
                    "_product": product_id,
                    "_run": run_id,
                    "_codes": sorted(codes.get(product_id, ())),
                }
                for product_id in product_ids
            ],
        )


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("product_lines") as batch:
        batch.add_column(sa.Column("sync_run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sync_errors", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("pushed_digest_version", sa.Integer(), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text("UPDATE product_lines SET pushed_digest_version = 1 WHERE pushed_hash IS NOT NULL")
    )
    _verdicts(bind)
    for name in _CATALOG_TABLES:
        _rehash(bind, name, None)
    for name, columns in _HASHED.items():
        _rehash(bind, name, columns)


def downgrade() -> None:
    """Revert the columns (digests stay in version 2: an older version recomputes its own)."""
    with op.batch_alter_table("product_lines") as batch:
        batch.drop_column("pushed_digest_version")
        batch.drop_column("sync_errors")
        batch.drop_column("sync_run_id")
