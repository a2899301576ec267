"""Every event code is named once, in one registry, and fits the run log's column."""

from __future__ import annotations

import re
from pathlib import Path

from plm_sync.domain import events
from plm_sync.store.models import RunEvent

SRC = Path(events.__file__).resolve().parents[1]


def registry() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(events).items()
        if name.isupper() and isinstance(value, str)
    }


def test_each_code_is_one_snake_case_word_that_fits_the_column() -> None:
    codes = registry()
    width = RunEvent.__table__.c.code.type.length
    assert len(set(codes.values())) == len(codes), "two names for one code"
    for name, code in codes.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), name
        assert len(code) <= width, name


def test_no_module_outside_the_registry_defines_an_event_code() -> None:
    codes = set(registry().values())
    definition = re.compile(r'^[A-Z][A-Z_]* = "([a-z_]+)"', re.MULTILINE)
    elsewhere = [
        f"{path.relative_to(SRC)}: {code}"
        for path in SRC.rglob("*.py")
        if path.name != "events.py" and "migrations" not in path.parts
        for code in definition.findall(path.read_text(encoding="utf-8"))
        if code in codes
    ]
    assert elsewhere == []
