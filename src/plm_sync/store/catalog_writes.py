"""Reading stored product lines for a batch and applying the batch's change sets.

A batch of lines costs a fixed number of statements, whatever its size: one query for the
lines' own rows and one per catalog table to read what is stored; one insert of the new lines
(ids returned in bulk), one bulk insert per table (COPY on PostgreSQL), the updates of each
table in one executemany. The change sets themselves are computed in the domain
(`domain.line_diff`); nothing here decides what changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from plm_sync.domain.line_diff import (
    HEADER_FIELDS,
    LineChangeSet,
    StoredLine,
    StoredRow,
    label_fields,
)
from plm_sync.domain.line_rows import SERVICE_PLANS, TABLES, Values
from plm_sync.domain.text import shorten, storable
from plm_sync.errors import LineWriteError
from plm_sync.store import models
from plm_sync.store.bulk import in_chunks, insert_rows, same_keys
from plm_sync.store.models import CATALOG_TABLES, CatalogRow, table_of

MODELS: dict[str, type[CatalogRow]] = {table_of(model).name: model for model in CATALOG_TABLES}
assert tuple(MODELS) == TABLES  # noqa: S101 - the domain's table order is the store's


def read_stored_lines(session: Session, product_ids: Collection[str]) -> dict[str, StoredLine]:
    """The stored lines of these Connect products with their catalog rows, by product id."""
    line = models.ProductLine
    columns = [getattr(line, name) for name in HEADER_FIELDS]
    headers: dict[int, tuple[str, Values]] = {}
    for chunk in in_chunks(sorted(set(product_ids))):
        for ident, product_id, *values in session.execute(
            select(line.id, line.connect_product_id, *columns).where(
                line.connect_product_id.in_(chunk)
            )
        ):
            headers[ident] = (product_id, dict(zip(HEADER_FIELDS, values, strict=True)))
    rows: dict[int, dict[str, dict[str, StoredRow]]] = {
        ident: {table: {} for table in TABLES} for ident in headers
    }
    line_ids = sorted(headers)
    for table, model in MODELS.items():
        labels = label_fields(table)
        extra = [getattr(model, name) for name in labels]
        if table == SERVICE_PLANS:
            extra.append(models.ServicePlan.sharing)
        for ids in in_chunks(line_ids):
            query = (
                select(
                    model.product_line_id,
                    model.key,
                    model.id,
                    model.content_hash,
                    model.active,
                    *extra,
                )
                .where(model.product_line_id.in_(ids))
                .order_by(model.id)
            )
            for line_id, key, ident, digest, active, *rest in session.execute(query):
                named = dict(zip(labels, rest, strict=False))
                sharing = rest[-1] if table == SERVICE_PLANS else None
                rows[line_id][table][key] = StoredRow(ident, digest, active, named, sharing)
    return {
        product_id: StoredLine(ident, header, rows[ident])
        for ident, (product_id, header) in headers.items()
    }


@cache
def _limits(table: Table) -> dict[str, int]:
    """The string columns of a table with their length limits."""
    return {
        column.name: length
        for column in table.columns
        if (length := getattr(column.type, "length", None)) is not None
    }


def check_fits(change: LineChangeSet) -> None:
    """Refuse a line with a value its column cannot hold, before anything is written.

    Names built from Connect text (a plan name is the resource's name and a label) can
    outgrow their column; SQLite would store them and PostgreSQL refuse them: both refuse
    them here, with the table, column and limit named.
    """
    tables: list[tuple[Table, Iterable[Values]]] = [
        (table_of(models.ProductLine), [change.header] if change.header else [])
    ]
    tables += [
        (table_of(MODELS[table]), [*writes.inserts, *writes.updates])
        for table, writes in change.writes.items()
        if writes
    ]
    for table, rows in tables:
        limits = _limits(table)
        for values in rows:
            texts = [
                (name, value, limits.get(name))
                for name, value in values.items()
                if type(value) is str and name in table.c
            ]
            for name, value, length in texts:
                if length is not None and len(value) > length:
                    raise LineWriteError(
                        f"{table.name}.{name} would be {len(value)} characters long, the limit "
                        f"is {length} ({shorten(value, 60)!r}); shorten the Connect name or the "
                        "plan name template"
                    )
            # one search of the row's texts together: a character no column takes is rare
            joined = "\n".join(value for _, value, _ in texts)
            if storable(joined) == joined:
                continue
            for name, value, _ in texts:
                if storable(value) != value:
                    raise LineWriteError(
                        f"{table.name}.{name} holds a NUL or invalid character "
                        f"({shorten(value, 60)!r})"
                    )


def apply_change_sets(
    session: Session, changes: Sequence[LineChangeSet], run_id: int, now: datetime
) -> dict[str, int]:
    """Write the change sets of a batch of lines in the caller's transaction.

    Returns each written line's id by Connect product id (new lines get theirs here). The
    change sets' rows get their bookkeeping columns in place.
    """
    table = table_of(models.ProductLine)
    line_ids = {c.product_id: c.line_id for c in changes if c.line_id is not None}
    new = [c for c in changes if c.line_id is None and c.header is not None]
    if new:
        # each row names its product: no order needed, so SQLite batches the insert too
        # (with `sort_by_parameter_order` it inserts one line per statement)
        statement = insert(table).returning(table.c.id, table.c.connect_product_id)
        inserted = session.execute(
            statement,
            same_keys(  # a line without change signals has no signature: None then
                [
                    {**c.header, "connect_product_id": c.product_id, "created_at": now}
                    | {"updated_at": now}
                    for c in new
                    if c.header is not None
                ]
            ),
        )
        line_ids |= {product_id: ident for ident, product_id in inserted}
    headers = [
        {**c.header, "id": c.line_id, "updated_at": now}
        for c in changes
        if c.line_id is not None and c.header is not None
    ]
    if headers:
        session.execute(update(models.ProductLine), headers)
    for name, model in MODELS.items():
        inserts: list[Values] = []
        updates: list[Values] = []
        for change in changes:
            writes = change.writes.get(name)
            if not writes:
                continue
            line_id = line_ids[change.product_id]
            # the change set's rows are its own: their bookkeeping is added in place
            bookkeeping = {
                "product_line_id": line_id,
                "created_run_id": run_id,
                "changed_run_id": run_id,
                "created_at": now,
                "updated_at": now,
            }
            for values in writes.inserts:
                values.update(bookkeeping)
            for values in writes.updates:
                values.update(changed_run_id=run_id, updated_at=now)
            inserts += writes.inserts
            updates += writes.updates
        if inserts:
            # Core, not the ORM bulk path: no per-row ORM bookkeeping for rows never read back
            insert_rows(session, table_of(model), inserts)
        if updates:
            session.execute(update(model), updates)
    return line_ids
