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


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file whose top level is a mapping (empty = {}); errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MappingsError([f"{path}: cannot read: {error.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
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
