"""Writing rows to streamed (write-only) worksheets where text is never run as a formula."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@")


def append_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    """Append one row; text a spreadsheet would evaluate (`=`, `+`, `-`, `@`) stays text."""
    cells: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # never a formula: Connect text is data
            cell.quotePrefix = True
            cells.append(cell)
        else:
            cells.append(value)
    sheet.append(cells)
