"""JSON written piece by piece: a document whose long lists are iterators, in bounded memory.

The text is exactly what `json.dumps(value, indent=..., ensure_ascii=False)` writes for the
same value with every iterator made a list, so a streamed report and a materialised one are
the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any


def write_json(value: Any, write: Callable[[str], object], indent: int | None = 2) -> None:  # noqa: ANN401 - any JSON value
    """Write `value` as JSON through `write`; iterators (generators) become streamed arrays."""
    _write(value, write, indent, 0)


def _write(value: Any, write: Callable[[str], object], indent: int | None, level: int) -> None:  # noqa: ANN401
    if isinstance(value, dict) and value and not all(map(_flat, value.values())):
        if not value:
            write("{}")
            return
        write("{")
        for position, (key, item) in enumerate(value.items()):
            key_text = json.dumps(key, ensure_ascii=False)
            write(_separator(position, indent, level + 1) + key_text + ": ")
            _write(item, write, indent, level + 1)
        write(_closing(indent, level) + "}")
    elif isinstance(value, Iterator) or (isinstance(value, list) and not all(map(_flat, value))):
        position = 0
        for item in value:
            write(("[" if position == 0 else "") + _separator(position, indent, level + 1))
            _write(item, write, indent, level + 1)
            position += 1
        write("[]" if position == 0 else _closing(indent, level) + "]")
    else:
        text = json.dumps(value, indent=indent, ensure_ascii=False)
        if indent is not None and level:
            text = text.replace("\n", "\n" + " " * (indent * level))
        write(text)


def _flat(value: Any) -> bool:  # noqa: ANN401
    """Whether json.dumps can write `value` whole (it holds no container)."""
    return not isinstance(value, dict | list | Iterator)


def _separator(position: int, indent: int | None, level: int) -> str:
    """What goes before the member or element at `position` of a container at `level`."""
    comma = "" if position == 0 else ","
    if indent is None:
        return comma + (" " if position else "")
    return comma + "\n" + " " * (indent * level)


def _closing(indent: int | None, level: int) -> str:
    return "" if indent is None else "\n" + " " * (indent * level)
