"""Marketplaces, listings and price sources from Connect, read once per run.

`/marketplaces`, the `listed` `/listings`, the published `/pricing/batches` whose price list
version is active or scheduled, and the active or scheduled `/pricing/versions`: four paged
reads per run (per product task on the workers). A batch's output file and a version's
points are read only for a line whose price sources changed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from plm_sync.connect.client import ConnectClient
from plm_sync.connect.rql import and_, eq, in_
from plm_sync.domain.price_files import parse_date
from plm_sync.domain.prices import Formula, Marketplace
from plm_sync.domain.text import ID_MAX, has_control
from plm_sync.errors import ConnectAuthError, ConnectNotFoundError, ConnectProtocolError

SOURCE_STATUSES = ("active", "scheduled")


def _id(value: Any) -> str | None:  # noqa: ANN401 - JSON
    """An id from a plain id or a `{"id": …}` reference, if it is one fit to keep."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and value and len(value) <= ID_MAX and not has_control(value):
        return value
    return None


def _at(row: dict[str, Any], *names: str) -> str:
    """The first `events.<name>.at` stamp the row has ('' for none)."""
    events = row.get("events")
    for name in names:
        event = events.get(name) if isinstance(events, dict) else None
        at = event.get("at") if isinstance(event, dict) else None
        if isinstance(at, str):
            return at[:64]
    return ""


def parse_marketplace(row: Any) -> Marketplace | None:  # noqa: ANN401 - JSON
    """A `dp.Marketplace` row; None when it lacks an id or a currency."""
    if not isinstance(row, dict) or _id(row.get("id")) is None:
        return None
    currency = row.get("currency")
    if not isinstance(currency, str) or not currency.strip():
        return None
    alternatives = tuple(
        str(row[key]).strip().upper()
        for key in ("alt_currency_1", "alt_currency_2")
        if isinstance(row.get(key), str) and row[key].strip()
    )
    hubs = []
    for hub in row.get("hubs") or []:
        if not isinstance(hub, dict):
            continue
        hub_id = _id(hub.get("hub")) or ""
        external = hub.get("external_id")
        hubs.append((hub_id, str(external)[:ID_MAX] if external is not None else ""))
    name = row.get("name")
    return Marketplace(
        id=str(row["id"]),
        name=name[:1000] if isinstance(name, str) else str(row["id"]),
        currency=currency.strip().upper()[:8],
        alt_currencies=alternatives,
        hubs=tuple(hubs),
    )


@dataclass(frozen=True)
class Batch:
    """A published pricing batch of one product in one marketplace."""

    id: str
    product_id: str
    marketplace_id: str
    scheduled: bool  # its price list version is scheduled (not yet active)
    start_at: str  # the version's start, YYYY-MM-DD ('' when unknown)
    stamp: str  # when it was published (or last updated): a newer batch replaces an older

    @property
    def signature(self) -> str:
        """What changes when the batch's prices may have changed."""
        return f"{self.id}@{self.stamp}"


def parse_batch(row: Any) -> Batch | None:  # noqa: ANN401 - JSON
    """A `streams.PricingBatch` row naming its product and marketplace; None otherwise."""
    if not isinstance(row, dict) or _id(row.get("id")) is None:
        return None
    stream = row.get("stream")
    context = stream.get("context") if isinstance(stream, dict) else None
    if not isinstance(context, dict):
        return None
    product_id, marketplace_id = _id(context.get("product")), _id(context.get("marketplace"))
    version = (row.get("context") or {}).get("pricelist_version")
    if not isinstance(version, dict):
        version = {}
    status = str(version.get("status") or "").casefold()
    if product_id is None or marketplace_id is None or status not in SOURCE_STATUSES:
        return None
    return Batch(
        id=str(row["id"]),
        product_id=product_id,
        marketplace_id=marketplace_id,
        scheduled=status == "scheduled",
        start_at=parse_date(version.get("start_at")) or "",
        stamp=_at(row, "published", "updated", "created"),
    )


@dataclass(frozen=True)
class PriceVersion:
    """A price list version (active or scheduled) and the list's precision."""

    id: str
    pricelist_id: str
    scheduled: bool
    start_at: str
    precision: int
    currency: str | None
    stamp: str

    @property
    def signature(self) -> str:
        """What changes when the version's points may have changed."""
        return f"{self.id}@{self.stamp}"


def parse_version(row: Any, pricelist_id: str) -> PriceVersion | None:  # noqa: ANN401 - JSON
    """A `pricing.PriceListVersion` row; None when it is not active or scheduled."""
    if not isinstance(row, dict) or _id(row.get("id")) is None:
        return None
    status = str(row.get("status") or "").casefold()
    if status not in SOURCE_STATUSES:
        return None
    pricelist = row.get("pricelist") if isinstance(row.get("pricelist"), dict) else {}
    precision = pricelist.get("precision") if isinstance(pricelist, dict) else None
    currency = pricelist.get("currency") if isinstance(pricelist, dict) else None
    return PriceVersion(
        id=str(row["id"]),
        pricelist_id=pricelist_id,
        scheduled=status == "scheduled",
        start_at=parse_date(row.get("start_at")) or "",
        precision=int(precision)
        if isinstance(precision, int | float) and 0 <= precision <= 8  # noqa: PLR2004
        else 2,
        currency=currency if isinstance(currency, str) else None,
        stamp=_at(row, "activated", "scheduled", "updated", "created"),
    )


@dataclass
class MarketData:
    """What a run read of marketplaces, listings and pricing batches."""

    marketplaces: dict[str, Marketplace] = field(default_factory=dict)
    # product id -> marketplace id -> the listing's price list id (None: it has none)
    listings: dict[str, dict[str, str | None]] = field(default_factory=dict)
    # (product, marketplace) -> the newest active batch and the newest scheduled one
    batches: dict[tuple[str, str], list[Batch]] = field(default_factory=dict)
    # price list id -> its active and scheduled versions
    versions: dict[str, list[PriceVersion]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_market(client: ConnectClient, product_ids: Sequence[str] = ()) -> MarketData:
    """Marketplaces, listed listings, published batches and price list versions.

    With `product_ids`, only those products' listings, batches and versions.
    """
    data = MarketData()
    _read_marketplaces(client, data)
    _read_listings(client, data, product_ids)
    _read_batches(client, data, product_ids)
    _read_versions(client, data, product_ids)
    return data


def _read_marketplaces(client: ConnectClient, data: MarketData) -> None:
    for row in _market_rows(client, data, "/marketplaces", []):
        marketplace = parse_marketplace(row)
        if marketplace is None:
            data.notes.append("GET /marketplaces: a row without an id or a currency was ignored")
            continue
        data.marketplaces[marketplace.id] = marketplace


def _read_listings(client: ConnectClient, data: MarketData, product_ids: Sequence[str]) -> None:
    filters = [eq("status", "listed")]
    if product_ids:
        filters.append(in_("product.id", product_ids))
    for row in _market_rows(client, data, "/listings", [and_(*filters)]):
        if not isinstance(row, dict):
            continue
        product_id = _id(row.get("product"))
        contract = row.get("contract")
        marketplace_id = _id(row.get("marketplace")) or _id(
            contract.get("marketplace") if isinstance(contract, dict) else None
        )
        if product_id is None or marketplace_id is None:
            continue
        data.listings.setdefault(product_id, {})[marketplace_id] = _id(row.get("pricelist"))


def _read_batches(client: ConnectClient, data: MarketData, product_ids: Sequence[str]) -> None:
    filters = [eq("status", "published"), in_("context.pricelist_version.status", SOURCE_STATUSES)]
    if product_ids:
        filters.append(in_("stream.context.product.id", product_ids))
    newest: dict[tuple[str, str, bool], Batch] = {}
    for row in _market_rows(client, data, "/pricing/batches", [and_(*filters)]):
        batch = parse_batch(row)
        if batch is None:
            continue
        key = (batch.product_id, batch.marketplace_id, batch.scheduled)
        if key not in newest or (batch.stamp, batch.id) > (newest[key].stamp, newest[key].id):
            newest[key] = batch
    for (product_id, marketplace_id, _), batch in sorted(newest.items()):
        data.batches.setdefault((product_id, marketplace_id), []).append(batch)


def _read_versions(client: ConnectClient, data: MarketData, product_ids: Sequence[str]) -> None:
    filters = [in_("status", SOURCE_STATUSES)]
    if product_ids:
        filters.append(in_("pricelist.product.id", product_ids))
    for row in _market_rows(client, data, "/pricing/versions", [and_(*filters)]):
        pricelist = _id(row.get("pricelist")) if isinstance(row, dict) else None
        version = parse_version(row, pricelist) if pricelist else None
        if version is not None:
            data.versions.setdefault(version.pricelist_id, []).append(version)


def _rows(client: ConnectClient, path: str, filters: list[Any]) -> list[Any]:
    return [row for page in client.pages(path, filters) for row in page]


def _market_rows(
    client: ConnectClient, data: MarketData, path: str, filters: list[Any]
) -> list[Any]:
    """A market listing's rows; none, with a note, when this account cannot read it.

    A Connect account (or API key) without marketplaces, listings or pricing answers 404 or
    refuses the path (401/403) while the products read fine: it has no such prices, which is
    no error of any product.
    """
    try:
        return _rows(client, path, filters)
    except (ConnectNotFoundError, ConnectAuthError) as error:
        kind = "not found" if isinstance(error, ConnectNotFoundError) else "refused"
        data.notes.append(
            f"GET {path} {kind} for this API key: no {path.strip('/').replace('/', ' ')} "
            "are read (grant the key access to them to sync marketplaces and prices)"
        )
        return []


def price_points(client: ConnectClient, version_id: str, product_id: str) -> list[dict[str, Any]]:
    """A version's points of one product's items as `{"mpn", "global_id", "attributes"}`."""
    points = []
    filters = [eq("item.product.id", product_id)]
    for row in _rows(client, f"/pricing/versions/{version_id}/points", filters):
        if not isinstance(row, dict):
            continue
        item = row.get("item")
        attributes = row.get("attributes")
        if not isinstance(item, dict) or not isinstance(attributes, dict):
            continue
        mpn = item.get("mpn")
        if not isinstance(mpn, str):
            continue
        points.append({"mpn": mpn, "global_id": item.get("global_id"), "attributes": attributes})
    return points


def batch_table(client: ConnectClient, batch_id: str) -> list[tuple[object, ...]]:
    """The rows (header first) of the `Data` sheet of a batch's one output file."""
    files = [
        row
        for row in _rows(client, f"/pricing/batches/{batch_id}/files", [eq("type", "output")])
        if isinstance(row, dict) and str(row.get("type", "output")) == "output"
    ]
    if len(files) != 1 or not isinstance(files[0].get("name"), str):
        raise ConnectProtocolError(
            f"pricing batch {batch_id} has {len(files)} output files, expected one"
        )
    body = client.download(_media_path(client, files[0]["name"]))
    return _sheet_rows(body, batch_id)


def _media_path(client: ConnectClient, name: str) -> str:
    """A file's `name` as a path below the API's base URL (never another host)."""
    base = urlsplit(client.base_url)
    parts = urlsplit(name)
    if parts.netloc and parts.netloc != base.netloc:
        raise ConnectProtocolError(f"a batch file lives on another host ({parts.netloc}): refused")
    path = parts.path
    if path.startswith(base.path + "/"):
        path = path[len(base.path) :]
    return path if path.startswith("/") else f"/{path}"


def _sheet_rows(body: bytes, batch_id: str) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook  # noqa: PLC0415 - openpyxl only for changed prices

    try:
        # formulas as written (never a cached result): a formula is refused, not read
        book = load_workbook(io.BytesIO(body), read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the same to the run
        raise ConnectProtocolError(
            f"the output file of pricing batch {batch_id} is not an xlsx workbook "
            f"({type(error).__name__})"
        ) from None
    try:
        name = next((title for title in book.sheetnames if title in {"Data", "Price-list"}), None)
        if name is None:
            raise ConnectProtocolError(
                f"the output file of pricing batch {batch_id} has no Data sheet "
                f"(sheets: {', '.join(book.sheetnames)[:200]})"
            )
        return [
            tuple(Formula(str(cell.value)) if cell.data_type == "f" else cell.value for cell in row)
            for row in book[name].iter_rows()
        ]
    finally:
        book.close()
