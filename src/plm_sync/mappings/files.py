"""Reading operator YAML files and collecting every problem of a file at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from plm_sync.errors import MappingsError


class Problems:
    """Collects every problem of one file, so the operator sees them all at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        """Note a problem at `key` (a dotted path in the file)."""
        self.items.append(f"{self.path}: {key}: {message}")

    def unknown_keys(self, where: str, found: Mapping[str, Any], allowed: set[str]) -> None:
        """Note every key of `found` that is not allowed."""
        for key in sorted(set(found) - allowed):
            self.add(
                f"{where}.{key}" if where else key,
                f"unknown key; expected one of {', '.join(sorted(allowed))}",
            )


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a key given twice in one mapping.

    PyYAML keeps the last of two equal keys without a word: a second `billing:` section
    would silently replace the first.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                earlier = first.setdefault(key, key_node)
            except TypeError:  # an unhashable key: PyYAML says so itself below
                continue
            if earlier is not key_node:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice (first on line {earlier.start_mark.line + 1}); "
                    "keep one of them",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


# Deeper than this, a YAML file is not an operator file (and would exhaust Python's stack).
MAX_DEPTH = 50


def _depth(node: yaml.Node) -> int:
    """How deeply collections nest in `node` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(node, 0)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(current, yaml.SequenceNode):
            stack += [(child, depth + 1) for child in current.value]
        elif isinstance(current, yaml.MappingNode):
            stack += [(child, depth + 1) for pair in current.value for child in pair]
    return deepest


def _load(text: str) -> Any:
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _depth(node) > MAX_DEPTH:
            raise yaml.YAMLError(f"collections nest more than {MAX_DEPTH} levels deep")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file whose top level is a mapping (empty = {}); errors name the file and line.

    A key given twice in one mapping, text that is not UTF-8 and absurd nesting are refused.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MappingsError([f"{path}: cannot read: {error.strerror}"]) from None
    except UnicodeDecodeError as error:
        raise MappingsError(
            [
                (
                    f"{path}: not UTF-8 text (byte 0x{error.object[error.start]:02x} at "
                    f"position {error.start}); save the file as UTF-8"
                )
            ]
        ) from None
    try:
        data = _load(text)
    except RecursionError:
        raise MappingsError(
            [f"{path}: not valid YAML: collections nest too deeply for an operator file"]
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise MappingsError([f"{path}: {where}not valid YAML: {problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MappingsError([f"{path}: the top level must be a mapping of keys"])
    return data
