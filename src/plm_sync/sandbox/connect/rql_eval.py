"""The RQL subset the sandbox understands: parse a query string and filter/sort JSON rows."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from plm_sync.domain.moments import parse_moment

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


class RqlSyntaxError(ValueError):
    """The query is not RQL the sandbox knows; answered with HTTP 400."""


@dataclass(frozen=True)
class Call:
    """`name(arg, ...)`; an argument is a Call, a value, or a tuple of values."""

    name: str
    args: tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> RqlSyntaxError:
        return RqlSyntaxError(f"{what} at position {self.pos} of {self.text!r}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self) -> str:
        char = self.peek()
        if char in {'"', "'"}:
            end = self.text.find(char, self.pos + 1)
            if end < 0:
                raise self.fail("unclosed quote")
            token = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return token
        start = self.pos
        while self.peek() and self.peek() not in "(),":
            self.pos += 1
        return self.text[start : self.pos]

    def argument(self) -> Any:  # noqa: ANN401 - Call, str or tuple
        if self.peek() == "(":
            self.pos += 1
            values: list[str] = []
            while self.peek() != ")":
                if not self.peek():
                    raise self.fail("unclosed list")
                values.append(self.value())
                if self.peek() == ",":
                    self.pos += 1
            self.pos += 1
            return tuple(values)
        start = self.pos
        token = self.value()
        if self.peek() == "(" and token.isidentifier():
            self.pos = start
            return self.call()
        return token

    def call(self) -> Call:
        start = self.pos
        while self.peek().isalnum() or self.peek() == "_":
            self.pos += 1
        name = self.text[start : self.pos]
        if not name or self.peek() != "(":
            raise self.fail("expected an operator such as eq(")
        self.pos += 1
        args: list[Any] = []
        while self.peek() != ")":
            if not self.peek():
                raise self.fail("unclosed call")
            args.append(self.argument())
            if self.peek() == ",":
                self.pos += 1
        self.pos += 1
        return Call(name, tuple(args))


def parse_rql(text: str) -> Call:
    """Parse one RQL expression such as `and(eq(status,published),gt(a.b,1))`."""
    parser = _Parser(text)
    call = parser.call()
    if parser.pos != len(text):
        raise parser.fail("unexpected text after the expression")
    return call


def lookup(row: Row, path: str) -> Any:  # noqa: ANN401 - JSON value
    """A dotted field of a JSON row (`events.updated.at`); None when any part is missing."""
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


# -- what a collection lets a query filter, order and search on (from the public spec) ------


@dataclass(frozen=True)
class Field:
    """A filterable field: its RQL lookups, and whether it orders and searches."""

    lookups: frozenset[str]
    ordering: bool = False
    search: bool = False


Schema = Mapping[str, Field]
FIELDS_FILE = Path(__file__).with_name("rql_fields.json")


def load_schemas() -> dict[str, Schema]:
    """The declared fields of products, items, offers and presets (Connect spec v37)."""
    data = json.loads(FIELDS_FILE.read_text(encoding="utf-8"))
    return {
        collection: {
            name: Field(
                frozenset(spec["lookups"]), spec.get("ordering", False), spec.get("search", False)
            )
            for name, spec in fields.items()
        }
        for collection, fields in data.items()
        if not collection.startswith("_")
    }


class RqlFieldError(RqlSyntaxError):
    """A filter, lookup or ordering the collection does not declare (HTTP 400 naming it)."""


def _check(schema: Schema | None, field: str, lookup: str) -> None:
    if schema is None:
        return
    declared = schema.get(field)
    if declared is None:
        msg = f"unknown filter field {field!r}; this collection filters on " + ", ".join(
            sorted(schema)
        )
        raise RqlFieldError(msg)
    if lookup not in declared.lookups:
        takes = ", ".join(sorted(declared.lookups))
        msg = f"{lookup}() is not a lookup of {field!r}; it takes {takes}"
        raise RqlFieldError(msg)


# -- values ------------------------------------------------------------------------------


def _moment(value: str) -> datetime | None:
    return parse_moment(value)


def _comparable(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        moment = _moment(value)
        return value if moment is None else moment
    return value


def _compare(row_value: Any, wanted: Any, test: Callable[[Any, Any], bool]) -> bool:  # noqa: ANN401
    if isinstance(wanted, Call):  # eq(field,null()) / eq(field,empty())
        special = _special(wanted)
        return test(_is_special(row_value, special), True)  # noqa: FBT003
    if row_value is None:
        return False
    left, right = _comparable(row_value), _comparable(wanted)
    if isinstance(left, int | float) and isinstance(right, str):
        try:
            right = float(right)
        except ValueError:
            return False
    try:
        return test(left, right)
    except TypeError:
        return test(str(row_value), wanted)


def _special(call: Call) -> str:
    if call.name not in {"null", "empty"} or call.args:
        msg = f"{call.name}() is not a value; use null() or empty()"
        raise RqlSyntaxError(msg)
    return call.name


def _is_special(value: Any, special: str) -> bool:  # noqa: ANN401
    return value is None if special == "null" else value == ""


def _like(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """RQL `like` patterns: `*` stands for any text, the rest is literal."""
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def predicate(call: Call, schema: Schema | None = None) -> Predicate:  # noqa: C901, PLR0911, PLR0912 - a case per operator
    """A row test for a filter call; a field or lookup the schema does not declare is refused."""
    name, args = call.name, call.args
    if name in _COMPARISONS:
        if len(args) != 2 or not isinstance(args[0], str) or isinstance(args[1], tuple):  # noqa: PLR2004
            msg = f"{name}() takes a field and a value"
            raise RqlSyntaxError(msg)
        path, wanted = args
        if isinstance(wanted, Call):  # null() needs the `null` lookup, empty() the operator's
            _check(schema, path, "null" if _special(wanted) == "null" else name)
        else:
            _check(schema, path, name)
        test = _COMPARISONS[name]
        return lambda row: _compare(lookup(row, path), wanted, test)
    if name in {"like", "ilike"}:
        if len(args) != 2 or not all(isinstance(arg, str) for arg in args):  # noqa: PLR2004
            msg = f"{name}() takes a field and a pattern such as *Microsoft*"
            raise RqlSyntaxError(msg)
        path, pattern = args
        _check(schema, path, name)
        compiled = _like(pattern, ignore_case=name == "ilike")
        return lambda row: (
            isinstance(lookup(row, path), str) and bool(compiled.fullmatch(lookup(row, path)))
        )
    if name in {"in", "out"}:
        if len(args) != 2 or not isinstance(args[1], tuple):  # noqa: PLR2004
            msg = f"{name}() takes a field and a (list)"
            raise RqlSyntaxError(msg)
        path, values = args[0], {str(value) for value in args[1]}
        _check(schema, path, name)
        if name == "in":
            return lambda row: _text(lookup(row, path)) in values
        return lambda row: _text(lookup(row, path)) not in values
    if name in {"and", "or"}:
        parts = [predicate(arg, schema) for arg in args if isinstance(arg, Call) and _filters(arg)]
        if name == "and":
            return lambda row: all(part(row) for part in parts)
        return lambda row: any(part(row) for part in parts)
    if name == "not":
        if len(args) != 1 or not isinstance(args[0], Call):
            msg = "not() takes one expression"
            raise RqlSyntaxError(msg)
        inner = predicate(args[0], schema)
        return lambda row: not inner(row)
    msg = f"unknown RQL operator {name}()"
    raise RqlSyntaxError(msg)


def _text(value: Any) -> str:  # noqa: ANN401
    return str(value).lower() if isinstance(value, bool) else str(value)


def _filters(call: Call) -> bool:
    return call.name not in {"ordering", "select"}


@dataclass
class Query:
    """A parsed query string: row filters, search, sort keys, projection and paging."""

    schema: Schema | None = None
    filters: list[Predicate] = field(default_factory=list)
    ordering: list[str] = field(default_factory=list)
    search: str | None = None
    hidden: list[str] = field(default_factory=list)  # `select(-field)`: left out of rows
    limit: int | None = None
    offset: int = 0

    def apply(self, rows: list[Row]) -> list[Row]:
        """Filter, search, then sort (stable) the rows; paging is the caller's."""
        kept = [row for row in rows if all(test(row) for test in self.filters)]
        if self.search:
            kept = [row for row in kept if self._found(row)]
        for key in reversed(self.ordering):
            descending = key.startswith("-")
            path = key.lstrip("+-")
            kept.sort(key=_sort_by(path), reverse=descending)
        return kept

    def _found(self, row: Row) -> bool:
        term = (self.search or "").casefold()
        fields = (
            [name for name, spec in self.schema.items() if spec.search]
            if self.schema is not None
            else ["id", "name"]
        )
        return any(
            term in _text(lookup(row, name)).casefold()
            for name in fields
            if lookup(row, name) is not None
        )

    def project(self, rows: list[Row]) -> list[Row]:
        """The rows as answered: `select(-a.b)` leaves `a.b` out."""
        if not self.hidden:
            return rows
        return [_without(row, self.hidden) for row in rows]

    def add_ordering(self, keys: tuple[Any, ...]) -> None:
        """`ordering(a,-b)`: only on the fields the collection orders by."""
        for key in keys:
            path = str(key).lstrip("+-")
            if self.schema is not None:
                declared = self.schema.get(path)
                if declared is None or not declared.ordering:
                    orderable = sorted(name for name, spec in self.schema.items() if spec.ordering)
                    msg = f"cannot order by {path!r}; this collection orders by " + (
                        ", ".join(orderable) or "nothing"
                    )
                    raise RqlFieldError(msg)
            self.ordering.append(str(key))


def _without(row: Row, hidden: list[str]) -> Row:
    copied = copy.deepcopy(row)
    for path in hidden:
        *parents, leaf = path.split(".")
        target: Any = copied
        for part in parents:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target.pop(leaf, None)
    return copied


def _sort_by(path: str) -> Callable[[Row], tuple[int, int, Any]]:
    """Sort by value: numbers as numbers, date-times by moment, text as text; missing first."""

    def key(row: Row) -> tuple[int, int, Any]:
        value = lookup(row, path)
        if value is None:
            return (0, 0, 0)
        if isinstance(value, bool):
            return (1, 0, int(value))
        if isinstance(value, int | float):
            return (1, 0, value)
        text = str(value)
        moment = _moment(text)
        if moment is not None:
            return (1, 1, moment.timestamp())
        return (1, 2, text)

    return key


def _page_number(name: str, text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        msg = f"{name} must be a whole number, got {text!r}"
        raise RqlSyntaxError(msg) from None
    if number < 0:
        msg = f"{name} must not be negative"
        raise RqlSyntaxError(msg)
    return number


def _walk_top(call: Call, query: Query) -> None:
    if call.name == "ordering":
        query.add_ordering(call.args)
    elif call.name == "select":
        query.hidden.extend(str(arg)[1:] for arg in call.args if str(arg).startswith("-"))
    elif call.name == "and":
        for arg in call.args:
            if isinstance(arg, Call) and not _filters(arg):
                _walk_top(arg, query)
        query.filters.append(predicate(call, query.schema))
    else:
        query.filters.append(predicate(call, query.schema))


def parse_query(raw_query: str, schema: Schema | None = None) -> Query:
    """Parse `eq(status,published)&ordering(name)&limit=100&offset=0&name=x&search=y`.

    With a schema, filters, lookups and orderings the collection does not declare are
    refused (RqlFieldError, HTTP 400 naming the field) instead of matching nothing.
    """
    query = Query(schema=schema)
    for raw_part in raw_query.split("&"):
        if not raw_part:
            continue
        part = unquote(raw_part)
        key, equals, value = part.partition("=")
        if equals and "(" not in key:
            if key == "limit":
                query.limit = _page_number("limit", value)
            elif key == "offset":
                query.offset = _page_number("offset", value)
            elif key == "search":
                query.search = value
            else:
                query.filters.append(predicate(Call("eq", (key, value)), schema))
            continue
        _walk_top(parse_rql(part), query)
    return query
