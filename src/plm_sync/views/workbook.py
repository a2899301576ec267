"""The run report as an Excel workbook: the HTML report's content in sheets, formula-safe."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@")


def _row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    cells: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text from Connect is never a formula
            cells.append(cell)
        else:
            cells.append(value)
    sheet.append(cells)


def write_report_workbook(report: dict[str, Any], path: Path) -> None:
    """Sheets Summary, Changes, Products and Events."""
    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    _row(summary, ["Field", "Value"])
    for key in (
        "id",
        "status",
        "trigger",
        "scope",
        "dry_run",
        "started_at",
        "finished_at",
        "seconds",
        "retries",
        "cursor_before",
        "cursor_after",
        "message",
    ):
        _row(summary, [key, report.get(key)])
    for key, value in report["counts"].items():
        _row(summary, [key, value])
    changes = book.create_sheet("Changes")
    _row(changes, ["Change", "Plan or switch path"])
    for label, key in (
        ("plan appeared", "plans_created"),
        ("plan changed", "plans_updated"),
        ("plan deactivated", "plans_deactivated"),
        ("sharing changed", "sharing_changed"),
        ("switch path appeared", "switches_created"),
        ("switch path changed", "switches_updated"),
        ("switch path deactivated", "switches_deactivated"),
    ):
        for name in report["diff"][key]:
            _row(changes, [label, name])
    products = book.create_sheet("Products")
    _row(products, ["Connect product", "Plans from", "Errors", "Warnings", "Info", "Codes"])
    for product in report["products"]:
        _row(
            products,
            [
                product["connect_product_id"],
                product.get("plans_from", ""),
                product["error"],
                product["warning"],
                product["info"],
                ", ".join(product["codes"]),
            ],
        )
    events = book.create_sheet("Events")
    _row(events, ["Level", "Code", "Connect product", "Connect item", "MPN", "Message"])
    for event in report["events"]:
        _row(
            events,
            [
                event["level"],
                event["code"],
                event["connect_product_id"],
                event["connect_item_id"],
                event["mpn"],
                event["message"],
            ],
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
