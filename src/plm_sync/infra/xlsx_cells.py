"""Writing rows to streamed (write-only) worksheets where text is never run as a formula."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@")
CELL_MAX = 32_767  # the most characters Excel keeps in one cell
# what an xlsx file cannot hold: XML 1.0 has no C0 controls but tab and line breaks, and no
# lone surrogates
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def cell_text(value: str) -> str:
    """Any stored string as an xlsx cell takes it: illegal characters removed, cut to fit."""
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return value if len(value) <= CELL_MAX else value[: CELL_MAX - 1] + "…"


def append_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    """Append one row; text a spreadsheet would evaluate (`=`, `+`, `-`, `@`) stays text.

    Any string is written: what an xlsx file cannot hold is removed (`cell_text`).
    """
    cells: list[Any] = []
    for raw in values:
        value = cell_text(raw) if isinstance(raw, str) else raw
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # never a formula: Connect text is data
            cell.quotePrefix = True
            cells.append(cell)
        else:
            cells.append(value)
    sheet.append(cells)
