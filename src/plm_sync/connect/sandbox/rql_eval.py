"""The RQL subset the sandbox understands: parse a query string and filter/sort JSON rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

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


def _comparable(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _compare(row_value: Any, wanted: str, test: Callable[[Any, Any], bool]) -> bool:  # noqa: ANN401
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


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def predicate(call: Call) -> Predicate:
    """A row test for a filter call."""
    name, args = call.name, call.args
    if name in _COMPARISONS:
        if len(args) != 2 or not all(isinstance(arg, str) for arg in args):  # noqa: PLR2004
            msg = f"{name}() takes a field and a value"
            raise RqlSyntaxError(msg)
        path, wanted = args
        test = _COMPARISONS[name]
        return lambda row: _compare(lookup(row, path), wanted, test)
    if name in {"in", "out"}:
        if len(args) != 2 or not isinstance(args[1], tuple):  # noqa: PLR2004
            msg = f"{name}() takes a field and a (list)"
            raise RqlSyntaxError(msg)
        path, values = args[0], {str(value) for value in args[1]}
        if name == "in":
            return lambda row: _text(lookup(row, path)) in values
        return lambda row: _text(lookup(row, path)) not in values
    if name in {"and", "or"}:
        parts = [predicate(arg) for arg in args if isinstance(arg, Call) and _filters(arg)]
        if name == "and":
            return lambda row: all(part(row) for part in parts)
        return lambda row: any(part(row) for part in parts)
    if name == "not":
        if len(args) != 1 or not isinstance(args[0], Call):
            msg = "not() takes one expression"
            raise RqlSyntaxError(msg)
        inner = predicate(args[0])
        return lambda row: not inner(row)
    msg = f"unknown RQL operator {name}()"
    raise RqlSyntaxError(msg)


def _text(value: Any) -> str:  # noqa: ANN401
    return str(value).lower() if isinstance(value, bool) else str(value)


def _filters(call: Call) -> bool:
    return call.name not in {"ordering", "select"}


@dataclass
class Query:
    """A parsed query string: row filters, sort keys, and paging."""

    filters: list[Predicate] = field(default_factory=list)
    ordering: list[str] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0

    def apply(self, rows: list[Row]) -> list[Row]:
        """Filter then sort (stable) the rows; paging is the caller's."""
        kept = [row for row in rows if all(test(row) for test in self.filters)]
        for key in reversed(self.ordering):
            descending = key.startswith("-")
            path = key.lstrip("+-")
            kept.sort(key=_sort_by(path), reverse=descending)
        return kept


def _sort_by(path: str) -> Callable[[Row], tuple[int, str]]:
    def key(row: Row) -> tuple[int, str]:
        value = lookup(row, path)
        return (0, "") if value is None else (1, str(value))

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
        query.ordering.extend(str(arg) for arg in call.args)
    elif call.name == "and":
        for arg in call.args:
            if isinstance(arg, Call) and not _filters(arg):
                _walk_top(arg, query)
        query.filters.append(predicate(call))
    elif call.name != "select":
        query.filters.append(predicate(call))


def parse_query(raw_query: str) -> Query:
    """Parse `eq(status,published)&ordering(name)&limit=100&offset=0&name=x`."""
    query = Query()
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
            else:
                query.filters.append(predicate(Call("eq", (key, value))))
            continue
        _walk_top(parse_rql(part), query)
    return query
