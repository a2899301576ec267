"""A small typed builder for the RQL filters plm-sync sends to Connect."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

# Characters RQL gives a meaning to: a value holding one of them must be quoted.
_SPECIAL = set("(),'\" &#%")
# Left as they are in the query string; everything else is percent-encoded. The server unquotes
# with `unquote` (not `unquote_plus`), so '+' in '+00:00' survives.
_SAFE = "()=,:+-._~*'\"!$@/"


def rql_value(value: str | int | datetime) -> str:
    """Render one value: datetimes as ISO 8601, specials quoted, never ambiguous."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            msg = "RQL datetimes must carry a timezone"
            raise ValueError(msg)
        return value.isoformat()
    text = str(value)
    if not text or any(char in _SPECIAL for char in text):
        if '"' not in text:
            return f'"{text}"'
        if "'" not in text:
            return f"'{text}'"
        msg = f"RQL value {text!r} holds both quote kinds and cannot be expressed"
        raise ValueError(msg)
    return text


@dataclass(frozen=True)
class Rql:
    """An RQL expression such as `eq(status,published)`; combine with `&`."""

    text: str

    def __and__(self, other: Rql) -> Rql:
        return and_(self, other)

    def __str__(self) -> str:
        return self.text


def eq(field: str, value: str | int | datetime) -> Rql:
    """`eq(field,value)`."""
    return Rql(f"eq({field},{rql_value(value)})")


def gt(field: str, value: str | int | datetime) -> Rql:
    """`gt(field,value)`: for the updated-since cursor."""
    return Rql(f"gt({field},{rql_value(value)})")


def in_(field: str, values: Iterable[str]) -> Rql:
    """`in(field,(a,b))`."""
    rendered = ",".join(rql_value(value) for value in values)
    return Rql(f"in({field},({rendered}))")


def and_(*parts: Rql) -> Rql:
    """`and(a,b)`; a single part stays as it is."""
    flat = [part for part in parts if part.text]
    if len(flat) == 1:
        return flat[0]
    return Rql(f"and({','.join(part.text for part in flat)})")


def ordering(*fields: str) -> Rql:
    """`ordering(a,-b)`: a stable order makes offset paging safe."""
    return Rql(f"ordering({','.join(fields)})")


def query_string(filters: Iterable[Rql], *, limit: int, offset: int) -> str:
    """The query string Connect expects: RQL terms and `limit`/`offset`, percent-encoded."""
    terms = [quote(part.text, safe=_SAFE) for part in filters if part.text]
    terms += [f"limit={limit}", f"offset={offset}"]
    return "&".join(terms)
