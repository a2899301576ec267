"""Content digests: the short, stable hashes that tell stored rows and lines from new ones.

A digest is blake2b (16 bytes) of the value's *canonical form*, version `DIGEST_VERSION`:
JSON (orjson, keys sorted, no spaces) of the value made plain by these rules:

- a mapping keeps its keys whose value is not None (a column or field added later, still
  empty, changes no digest);
- a dataclass is the mapping of its compared fields whose value differs from the field's
  default (a rules field added with its default changes no digest; derived fields, those
  with `compare=False`, are left out);
- an enum is its value; a set is sorted by canonical form; a tuple is a list; a datetime or
  date is its ISO form; a Decimal its text;
- anything else is refused (TypeError): a digest never depends on `repr`.

Changing these rules changes every stored digest: that is a new `DIGEST_VERSION`, with a
migration that recomputes the digests it can from what is stored (0010 did it for version
2) and says what is recomputed once on the next run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

import orjson

DIGEST_VERSION = 2
_MISSING = dataclasses.MISSING


@cache
def _fields(kind: type[Any]) -> tuple[tuple[str, Any, Any], ...]:
    """A dataclass's compared fields: name, default and default factory."""
    return tuple(
        (field.name, field.default, field.default_factory)
        for field in dataclasses.fields(kind)
        if field.compare
    )


def _dataclass(value: Any) -> dict[str, Any]:  # noqa: ANN401 - any dataclass instance
    plain: dict[str, Any] = {}
    kind: Any = type(value)
    for name, default, factory in _fields(kind):
        item = getattr(value, name)
        if item is None:
            continue
        if default is not _MISSING and item == default:
            continue
        if factory is not _MISSING and item == factory():
            continue
        plain[name] = item if type(item) in _SCALARS else _plain(item)
    return plain


_SCALARS = frozenset({str, int, bool, float})  # plain as they are (None is left out)


def _plain(value: Any) -> Any:  # noqa: ANN401, PLR0911 - one branch per kind of value
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is dict:  # scalars inline: a catalog row is mostly scalars
        return {
            (key if type(key) is str else str(key)): (
                item if type(item) in _SCALARS else _plain(item)
            )
            for key, item in value.items()
            if item is not None
        }
    if kind is list or kind is tuple:
        return [item if type(item) in _SCALARS else _plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass(value)
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, set | frozenset):
        return sorted((_plain(item) for item in value), key=canonical_of_plain)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):  # a dict subclass, a read-only mapping
        return _plain(dict(value))
    msg = f"no canonical form for a {kind.__name__} in a digest"
    raise TypeError(msg)


def canonical_of_plain(value: Any) -> bytes:  # noqa: ANN401 - plain JSON values
    """Canonical JSON of a value already plain.

    What orjson cannot write (an integer beyond 64 bits, a lone surrogate from a hostile
    answer) is written by the standard library in the same shape: the same value always
    takes the same path, so its digest never moves.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8", "surrogatepass")


def canonical(value: Any) -> bytes:  # noqa: ANN401 - plain values, lists, dicts, dataclasses
    """The canonical form of a value (see the module's rules)."""
    return canonical_of_plain(_plain(value))


def content_hash(value: Any) -> str:  # noqa: ANN401 - plain values, lists, dicts, dataclasses
    """A short, stable digest of a value's canonical form (version `DIGEST_VERSION`)."""
    return hashlib.blake2b(canonical(value), digest_size=16).hexdigest()


def plain_hash(value: Any) -> str:  # noqa: ANN401 - plain JSON values
    """`content_hash` of a value already plain (no None in a dict, scalars and lists only).

    The same digest, without walking the value first: for the hot path of a sync, whose
    rows are built plain.
    """
    return hashlib.blake2b(canonical_of_plain(value), digest_size=16).hexdigest()


def legacy_hash(text: str) -> str:
    """A digest of version 1 (blake2b of a `repr`).

    Only to recognise digests stored before version 2 that no migration could recompute
    (what a line's last push delivered).
    """
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
