"""A product line's prices in one marketplace as the file Commerce's price-import wizard takes.

One sheet `Price-list`, headers in row 1 from the wizard's column set (PROTOCOL.md §6). Commerce
matches a price on MPN, vendor, billing period and subscription period, and its MPN is the
resource's: a row's `MPN` is the PLM resource MPN, term and billing go in the period columns.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from plm_sync.domain.prices import WIZARD_COLUMNS
from plm_sync.infra.xlsx_cells import append_row

SHEET = "Price-list"
# the wizard's columns this file fills (MSRP only when a row has one)
COLUMNS = tuple(
    name
    for name in WIZARD_COLUMNS
    if name not in {"Margin", "Reseller Margin", "Subscriptions", "Seats", "Lower Limit"}
)


def price_list_rows(line: dict[str, Any], marketplace_id: str) -> list[list[Any]]:
    """Header and rows of the wizard's file for one line (catalog JSON) and marketplace."""
    prices = line["prices"][marketplace_id]
    resources = {resource["mpn"]: resource for resource in line["resources"]}
    with_msrp = any(row["msrp"] is not None for row in prices["rows"])
    columns = [name for name in COLUMNS if name != "MSRP" or with_msrp]
    rows: list[list[Any]] = [columns]
    for row in prices["rows"]:
        resource = resources.get(row["resource_mpn"], {})
        values = {
            "MPN": row["resource_mpn"],
            "Vendor ID": prices.get("vendor_id") or "",
            "Vendor Name": line["vendor"],
            "Service Template / Product Line": line["name"],
            "Product": resource.get("name", row["resource_mpn"]),
            "Billing Period": row["billing_period"],
            "Subscription Period": row["subscription_period"],
            "Billing Model": "Charge Before Billing Period",
            "UOM": resource.get("uom", ""),
            "Effective Date": row["effective_date"],
            "Cost Billing Period": "Service Plan Billing Period",
            "Cost Currency": row["cost_currency"] or "",
            "Cost": row["cost"],
            "Price Currency": row["price_currency"] or "",
            "Price": row["price"],
            "MSRP": row["msrp"],
            "Fee Type": "Recurring",
            "Active": "True",
        }
        rows.append([values.get(name) for name in columns])
    return rows


def price_list_bytes(rows: list[list[Any]]) -> bytes:
    """The wizard's file of these rows (header first), in memory: what an upload sends."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    for row in rows:
        append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_price_list(line: dict[str, Any], marketplace_id: str, path: Path) -> Path:
    """Write the wizard's file; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(price_list_bytes(price_list_rows(line, marketplace_id)))
    return path
