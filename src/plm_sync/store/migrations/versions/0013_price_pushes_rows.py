"""What a hub received of a line's prices, row by row, and the rows it still holds.

`price_pushes.rows`: the vendor and the rows (resource MPN, billing period, subscription
period: what Commerce matches a price on) of the file the hub last received, so a push knows
which rows the catalog dropped since. `price_pushes.not_withdrawn`: of those, the rows the
hub's flat catalog still showed at the last push (`commerce_price_not_withdrawn`), until a
read-back shows them gone or the catalog holds them again. Both empty for a record written
before: the next push that sends the marketplace's file fills them.

Hub keys are rewritten in their normalised form (`commerce.client.normal_url`, as it was
when this was written): scheme and host lower-case, no default port, the loopback names one
name. Two records of one line for one hub written two ways become one: the newest stays.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:40:00
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


LOOPBACK = {"localhost", "localhost.localdomain", "127.0.0.1", "::1"}
DEFAULT_PORTS = {"http": 80, "https": 443}
# table -> the columns that, with the hub, identify a record (None: no uniqueness)
HUB_TABLES = {
    "line_pushes": ("product_line_id",),
    "price_pushes": ("product_line_id", "marketplace_id"),
    "push_intents": None,
}


def _normal(key: str) -> str:
    url, _, app_id = key.rpartition(" ")
    if not url:
        return key
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if host in LOOPBACK:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return key
    shown = f":{port}" if port and port != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{shown}{parts.path.rstrip('/')} {app_id}"


def _rewrite_hubs(bind: sa.Connection) -> None:
    for table, unique in HUB_TABLES.items():
        order = "pushed_at DESC, id DESC" if unique else "id DESC"
        rows = bind.execute(
            sa.text(
                f"SELECT id, hub{''.join(', ' + c for c in unique or ())} FROM {table} "  # noqa: S608 - names above
                f"ORDER BY {order}"
            )
        ).all()
        seen: set[tuple[object, ...]] = set()
        doomed, renamed = [], []
        for row in rows:
            hub = _normal(row[1])
            identity = (hub, *row[2:])
            if unique and identity in seen:  # an older record of the same hub: the newest stays
                doomed.append(row[0])
                continue
            seen.add(identity)
            if hub != row[1]:
                renamed.append({"hub": hub, "id": row[0]})
        for ident in doomed:  # first, so no renamed record meets one it replaces
            bind.execute(sa.text(f"DELETE FROM {table} WHERE id = :id"), {"id": ident})  # noqa: S608
        for values in renamed:
            bind.execute(sa.text(f"UPDATE {table} SET hub = :hub WHERE id = :id"), values)  # noqa: S608


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("price_pushes") as batch:
        batch.add_column(sa.Column("rows", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("not_withdrawn", sa.JSON(), nullable=True))
    _rewrite_hubs(op.get_bind())


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("price_pushes") as batch:
        batch.drop_column("not_withdrawn")
        batch.drop_column("rows")
