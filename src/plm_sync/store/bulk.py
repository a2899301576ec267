"""Bulk inserts of many rows: COPY on PostgreSQL, Core executemany elsewhere.

psycopg's executemany sends each row as a statement of its own (pipelined); for the dozens to
thousands of catalog rows of one product line, COPY moves them in one stream. SQLAlchemy's
multi-row VALUES batching without RETURNING measured 1.6 x slower than executemany here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import JSON, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

COPY_MIN_ROWS = 20  # below this, one executemany is as quick as opening a COPY
IN_CHUNK = 500  # values per IN (...) list: well under every database's parameter limit

_V = TypeVar("_V")


def in_chunks(values: Sequence[_V], size: int = IN_CHUNK) -> Iterator[Sequence[_V]]:
    """`values` a slice of `size` at a time (for IN lists of a bounded length)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the union of their keys, missing ones None (one statement takes them all).

    A later-added, empty column is left out of some rows, and a line without change signals
    has no signature: an executemany or a COPY needs every row to name the same columns.
    """
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    if all(len(row) == len(keys) for row in rows):
        return rows
    return [{key: row.get(key) for key in keys} for row in rows]


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` inside the session's transaction."""
    if not rows:
        return
    rows = same_keys(list(rows))
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < COPY_MIN_ROWS:
        connection.execute(insert(table), list(rows))
        return
    import psycopg  # noqa: PLC0415 - PostgreSQL only
    from psycopg.types.json import Json  # noqa: PLC0415

    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    quoted = ", ".join(f'"{name}"' for name in columns)
    raw = connection.connection.driver_connection
    assert raw is not None  # noqa: S101 - an open connection has its driver connection
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        Json(row[name])
                        if name in json_columns and row[name] is not None
                        else row[name]
                        for name in columns
                    ]
                )
    except psycopg.Error as error:  # typed as SQLAlchemy types the statements it sends
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error


def insert_missing(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rows whose primary key is not stored yet; the others are left as they are.

    Two processes of one run (`--jobs`, workers) may insert the same row at once: the one
    that comes second inserts nothing instead of failing (`ON CONFLICT DO NOTHING`).
    """
    if not rows:
        return
    dialect = session.connection().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing()
    session.execute(statement, same_keys(list(rows)))
