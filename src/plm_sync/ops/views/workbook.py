"""The run report as an Excel workbook: the HTML report's content in sheets, formula-safe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from plm_sync.infra.xlsx_cells import append_row
from plm_sync.ops.views import CHANGE_ROWS


def write_report_workbook(
    report: dict[str, Any],
    diff: Mapping[str, Iterable[str]],
    events: Iterable[dict[str, Any]],
    path: Path,
) -> None:
    """Sheets Summary, Changes, Products, Prices (when the run changed any) and Events.

    The diff's names and the events are streamed in and written out in openpyxl's
    write-only mode: memory stays bounded however many there are.
    """
    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    append_row(summary, ["Field", "Value"])
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
        append_row(summary, [key, report.get(key)])
    for key, value in report["counts"].items():
        append_row(summary, [key, value])
    changes = book.create_sheet("Changes")
    append_row(changes, ["Change", "Plan or switch path"])
    for label, key in CHANGE_ROWS:
        for name in diff[key]:
            append_row(changes, [label, name])
    products = book.create_sheet("Products")
    append_row(products, ["Connect product", "Plans from", "Errors", "Warnings", "Info", "Codes"])
    for product in report["products"]:
        append_row(
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
    if report.get("price_changes"):
        prices = book.create_sheet("Prices")
        columns = ["listed", "unlisted", "created", "changed", "removed", "held"]
        append_row(prices, ["Connect product", "Marketplace", *columns])
        for row in report["price_changes"]:
            append_row(
                prices,
                [row["connect_product_id"], row["marketplace"], *(row[c] for c in columns)],
            )
    sheet = book.create_sheet("Events")
    append_row(sheet, ["Level", "Code", "Connect product", "Connect item", "MPN", "Message"])
    for event in events:
        append_row(
            sheet,
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
