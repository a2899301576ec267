"""The sandbox's marketplaces, listings and price sources, in the spec's shapes.

A catalog file may carry (all optional):

    "marketplaces": [dp.Marketplace, ...]
    "listings": [dp.Listing, ...]                  # product, contract.marketplace, pricelist
    "pricing_batches": [streams.PricingBatch + "output": {"id": "MFL-…", "rows": [[...], ...]}]
    "price_lists": [pricing.PriceList, ...]
    "price_versions": [pricing.PriceListVersion, ...]
    "price_points": {"PLV-…": [pricing.PricePoint, ...]}

A batch's output file is served as an xlsx workbook (sheet `Data`) built from its rows.
"""

from __future__ import annotations

import copy
import io
import threading
from typing import Any

Row = dict[str, Any]
COLLECTIONS = ("marketplaces", "listings", "pricing_batches", "price_lists", "price_versions")


class MarketsError(ValueError):
    """A market entry of the catalog file is not usable; the message says which."""


def _check_rows(name: str, rows: Any) -> list[Row]:  # noqa: ANN401 - parsed JSON
    if not isinstance(rows, list):
        msg = f"'{name}' must be a list"
        raise MarketsError(msg)
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            msg = f"{name}[{index}] needs a text 'id'"
            raise MarketsError(msg)
    return rows


class SandboxMarkets:
    """Marketplaces, listings, pricing batches with their files, price lists and points."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or {}
        self._lock = threading.Lock()
        self._rows = {name: _check_rows(name, data.get(name, [])) for name in COLLECTIONS}
        points = data.get("price_points", {})
        if not isinstance(points, dict) or not all(isinstance(v, list) for v in points.values()):
            msg = "'price_points' must map price list version ids to lists of points"
            raise MarketsError(msg)
        self._points: dict[str, list[Row]] = {key: list(rows) for key, rows in points.items()}

    def rows(self, name: str) -> list[Row]:
        """A collection as `GET` lists it (a batch without its output rows)."""
        with self._lock:
            return [
                {key: value for key, value in row.items() if key != "output"}
                for row in self._rows[name]
            ]

    def points(self, version_id: str) -> list[Row] | None:
        """A version's points; None when there is no such version."""
        with self._lock:
            if not any(row["id"] == version_id for row in self._rows["price_versions"]):
                return None
            return list(self._points.get(version_id, []))

    def batch_files(self, batch_id: str) -> list[Row] | None:
        """`GET /pricing/batches/{id}/files`: the batch's output file; None: no such batch."""
        batch = self._batch(batch_id)
        if batch is None:
            return None
        output = batch.get("output")
        if not isinstance(output, dict):
            return []
        file_id = str(output.get("id") or f"MFL-{batch_id}")
        return [
            {
                "id": file_id,
                "name": f"/public/v1/media/pricing/batches/{batch_id}/files/{file_id}.xlsx",
                "type": "output",
                "position": 1,
            }
        ]

    def output_workbook(self, batch_id: str) -> bytes | None:
        """The batch's output file as xlsx bytes (sheet `Data`); None: none."""
        batch = self._batch(batch_id)
        output = batch.get("output") if batch else None
        if not isinstance(output, dict) or not isinstance(output.get("rows"), list):
            return None
        from openpyxl import Workbook  # noqa: PLC0415 - only when a file is asked for

        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(output.get("sheet", "Data")))
        for row in output["rows"]:
            sheet.append(list(row))
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    def _batch(self, batch_id: str) -> Row | None:
        with self._lock:
            return next(
                (row for row in self._rows["pricing_batches"] if row["id"] == batch_id), None
            )

    # -- test mutations ----------------------------------------------------------------------

    def put(self, name: str, row: Row) -> None:
        """Add a row to a collection, or replace the one with its id."""
        if name not in COLLECTIONS or not isinstance(row.get("id"), str):
            msg = f"no collection {name!r} ({', '.join(COLLECTIONS)}) or a row without 'id'"
            raise MarketsError(msg)
        with self._lock:
            rows = [existing for existing in self._rows[name] if existing["id"] != row["id"]]
            self._rows[name] = [*rows, copy.deepcopy(row)]

    def remove(self, name: str, row_id: str) -> None:
        """Drop a row from a collection (a listing removed, a batch deleted)."""
        with self._lock:
            self._rows[name] = [row for row in self._rows.get(name, []) if row["id"] != row_id]
