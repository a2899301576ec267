"""Declarative base of every table: stable constraint names, column types per annotation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, DateTime, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names and column types per annotation."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        str: String(255),
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class (for Core statements that skip ORM bookkeeping)."""
    return cast("Table", model.__table__)
