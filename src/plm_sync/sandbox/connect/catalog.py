"""The sandbox's catalog: Connect-shaped products and items in memory, with test mutations."""

from __future__ import annotations

import copy
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plm_sync.sandbox.connect.markets import MarketsError, SandboxMarkets

Row = dict[str, Any]
SAMPLE_CATALOG = Path(__file__).with_name("sample_catalog.json")
# What an offer carries beyond its header: `GET /offers/{id}/<part>` (`_` -> `-` in URLs).
OFFER_PARTS = ("plans", "items", "features", "features_groups", "switches")


class CatalogError(ValueError):
    """The catalog file or a mutation is not usable; the message says which entry."""


def now_iso() -> str:
    """The current time as Connect writes it: `2026-11-22T10:00:00+00:00`."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _stamp(row: Row, at: str) -> None:
    events = row.setdefault("events", {})
    if not isinstance(events, dict):
        events = row["events"] = {}
    events["updated"] = {"at": at}


def _check_offers(offers: Any, known: set[str]) -> dict[str, list[Row]]:  # noqa: ANN401
    """`offers` maps known product ids to offers with an id and list-valued parts."""
    if not isinstance(offers, dict) or not all(isinstance(v, list) for v in offers.values()):
        msg = "'offers' must map product ids to lists of offers"
        raise CatalogError(msg)
    for pid, rows in offers.items():
        if pid not in known:
            msg = f"offers are listed for product {pid!r}, which is not in 'products'"
            raise CatalogError(msg)
        for index, offer in enumerate(rows):
            if not isinstance(offer, dict) or not isinstance(offer.get("id"), str):
                msg = f"offers[{pid}][{index}] needs a text 'id'"
                raise CatalogError(msg)
            for part in OFFER_PARTS:
                if not isinstance(offer.get(part, []), list):
                    msg = f"offer {offer['id']}: '{part}' must be a list"
                    raise CatalogError(msg)
    return offers


class SandboxCatalog:
    """Products and their items, as a Connect account would serve them.

    Mutations stamp `events.updated.at` on the item **and** its product, so an incremental
    sync (which filters products by that field) sees the change.
    """

    def __init__(
        self,
        products: list[Row],
        items: dict[str, list[Row]],
        offers: dict[str, list[Row]] | None = None,
        presets: list[Row] | None = None,
        markets: SandboxMarkets | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.markets = markets or SandboxMarkets()
        self._products = {product["id"]: product for product in products}
        self._items = {pid: list(rows) for pid, rows in items.items()}
        self._offers = {
            offer["id"]: {**offer, "product": {"id": pid}}
            for pid, rows in (offers or {}).items()
            for offer in rows
        }
        self._presets = list(presets or [])
        self.broken: set[str] = set()
        # a test's hold: after `_open_listings` item listings, the next ones wait until released
        self._gate = threading.Event()
        self._gate.set()
        self._open_listings: int | None = None
        self._passed: set[str] = set()  # products whose items went through
        for pid in self._products:
            self._items.setdefault(pid, [])

    @classmethod
    def from_data(cls, data: Any) -> SandboxCatalog:  # noqa: ANN401 - parsed JSON
        """Validate `{"products": [...], "items": {"PRD-…": [...]}}`.

        Optional: `"offers": {"PRD-…": [offer with plans, items, features, features_groups,
        switches]}`, `"presets": [...]`, and marketplaces, listings and price sources
        (`sandbox.markets`).
        """
        if not isinstance(data, dict) or not isinstance(data.get("products"), list):
            msg = 'catalog must be {"products": [...], "items": {"PRD-...": [...]}}'
            raise CatalogError(msg)
        products = data["products"]
        for index, product in enumerate(products):
            if not isinstance(product, dict) or not isinstance(product.get("id"), str):
                msg = f"products[{index}] needs a text 'id'"
                raise CatalogError(msg)
        items = data.get("items", {})
        if not isinstance(items, dict) or not all(isinstance(v, list) for v in items.values()):
            msg = "'items' must map product ids to lists of items"
            raise CatalogError(msg)
        known = {product["id"] for product in products}
        for pid in items:
            if pid not in known:
                msg = f"items are listed for product {pid!r}, which is not in 'products'"
                raise CatalogError(msg)
        offers = _check_offers(data.get("offers", {}), known)
        presets = data.get("presets", [])
        if not isinstance(presets, list):
            msg = "'presets' must be a list of switch presets"
            raise CatalogError(msg)
        try:
            markets = SandboxMarkets(data)
        except MarketsError as error:
            raise CatalogError(str(error)) from None
        return cls(products, items, offers, presets, markets)

    @classmethod
    def load(cls, path: Path) -> SandboxCatalog:
        """Read a catalog file; errors name the file."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            msg = f"{path}: cannot read the catalog: {error.strerror}"
            raise CatalogError(msg) from None
        except ValueError as error:
            msg = f"{path}: not valid JSON: {error}"
            raise CatalogError(msg) from None
        try:
            return cls.from_data(data)
        except CatalogError as error:
            msg = f"{path}: {error}"
            raise CatalogError(msg) from None

    def products(self) -> list[Row]:
        """A snapshot of every product."""
        with self._lock:
            return list(self._products.values())

    def product(self, product_id: str) -> Row | None:
        """One product, or None."""
        with self._lock:
            return self._products.get(product_id)

    def items(self, product_id: str) -> list[Row] | None:
        """A snapshot of one product's items; None when the product does not exist."""
        with self._lock:
            rows = self._items.get(product_id)
            return None if rows is None else list(rows)

    def offers(self) -> list[Row]:
        """Every offer as `GET /offers` lists it (without its plans, items, ...)."""
        with self._lock:
            return [
                {key: value for key, value in offer.items() if key not in OFFER_PARTS}
                for offer in self._offers.values()
            ]

    def offer_part(self, offer_id: str, part: str) -> list[Row] | None:
        """An offer's plans, items, features, features_groups or switches; None if unknown."""
        with self._lock:
            offer = self._offers.get(offer_id)
            return None if offer is None else list(offer.get(part, []))

    def presets(self) -> list[Row]:
        """The account's presets (`GET /offers-ns/presets`)."""
        with self._lock:
            return list(self._presets)

    def update_offer(
        self, offer_id: str, part: str, rows: list[Row], at: str | None = None
    ) -> None:
        """Replace one part of an offer (e.g. its switches) and stamp its product."""
        stamp = at or now_iso()
        with self._lock:
            if offer_id not in self._offers or part not in OFFER_PARTS:
                msg = f"no offer {offer_id!r} or no part {part!r} ({', '.join(OFFER_PARTS)})"
                raise CatalogError(msg)
            offer = copy.deepcopy(self._offers[offer_id])
            offer[part] = rows
            _stamp(offer, stamp)
            self._offers[offer_id] = offer
            self._touch_product(offer["product"]["id"], stamp)

    def item_count(self) -> int:
        """Items across all products."""
        with self._lock:
            return sum(len(rows) for rows in self._items.values())

    def _find(self, item_id: str) -> tuple[str, int]:
        for pid, rows in self._items.items():
            for index, row in enumerate(rows):
                if row.get("id") == item_id:
                    return pid, index
        msg = f"no item {item_id!r}"
        raise CatalogError(msg)

    def _touch_product(self, product_id: str, at: str) -> None:
        product = copy.deepcopy(self._products[product_id])
        _stamp(product, at)
        self._products[product_id] = product

    def update_item(
        self, item_id: str, changes: Row, at: str | None = None, *, stamp: bool = True
    ) -> Row:
        """Merge `changes` into an item (an empty dict just touches it).

        Without `stamp`, neither the item nor its product gets a new `events.updated` (real
        Connect does not always stamp them).
        """
        moment = at or now_iso()
        with self._lock:
            pid, index = self._find(item_id)
            row = {**copy.deepcopy(self._items[pid][index]), **changes}
            if stamp:
                _stamp(row, moment)
                self._touch_product(pid, moment)
            self._items[pid][index] = row
            return row

    def add_product(self, row: Row, items: list[Row] | None = None) -> Row:
        """Add a product (as its row is given, events and all) with its items."""
        with self._lock:
            if not isinstance(row.get("id"), str) or not isinstance(row.get("name"), str):
                msg = "a new product needs a text 'id' and 'name'"
                raise CatalogError(msg)
            if row["id"] in self._products:
                msg = f"product {row['id']!r} exists already"
                raise CatalogError(msg)
            self._products[row["id"]] = copy.deepcopy(row)
            self._items[row["id"]] = copy.deepcopy(list(items or []))
            return row

    def add_item(self, product_id: str, row: Row, at: str | None = None) -> Row:
        """Add an item to a product."""
        stamp = at or now_iso()
        with self._lock:
            if product_id not in self._products:
                msg = f"no product {product_id!r}"
                raise CatalogError(msg)
            if not isinstance(row.get("id"), str):
                msg = "a new item needs a text 'id'"
                raise CatalogError(msg)
            if any(existing.get("id") == row["id"] for existing in self._items[product_id]):
                msg = f"item {row['id']!r} exists already"
                raise CatalogError(msg)
            added = copy.deepcopy(row)
            _stamp(added, stamp)
            self._items[product_id].append(added)
            self._touch_product(product_id, stamp)
            return added

    def remove_item(self, item_id: str, at: str | None = None) -> None:
        """Delete an item, as if the vendor removed it."""
        stamp = at or now_iso()
        with self._lock:
            pid, index = self._find(item_id)
            del self._items[pid][index]
            self._touch_product(pid, stamp)

    def update_product(
        self, product_id: str, changes: Row, at: str | None = None, *, stamp: bool = True
    ) -> Row:
        """Merge `changes` into a product (e.g. a new status or version) and stamp it.

        Without `stamp` its `events.updated` stays as it was.
        """
        with self._lock:
            if product_id not in self._products:
                msg = f"no product {product_id!r}"
                raise CatalogError(msg)
            product = {**copy.deepcopy(self._products[product_id]), **changes}
            if stamp:
                _stamp(product, at or now_iso())
            self._products[product_id] = product
            return product

    def hold_items_after(self, products: int) -> None:
        """Serve the items of `products` more products, then hold the next ones until `release`.

        Keeps a run open for as long as a test needs (a worker to kill mid-run), whatever the
        machine's speed; the pages of a product already let through are always served.
        """
        with self._lock:
            self._open_listings = products
            self._passed = set()
            self._gate.clear()

    def release(self) -> None:
        """Let held item listings (and every later one) through."""
        with self._lock:
            self._open_listings = None
            self._gate.set()

    def wait_at_gate(self, product_id: str, timeout: float = 300.0) -> None:
        """Called before a product's items are served: passes, or waits for `release`."""
        with self._lock:
            if self._open_listings is None or product_id in self._passed:
                return
            if self._open_listings > 0:
                self._open_listings -= 1
                self._passed.add(product_id)
                return
        self._gate.wait(timeout)

    def break_product(self, product_id: str, broken: bool = True) -> None:
        """Make a product's items endpoint answer 500 every time (or heal it)."""
        with self._lock:
            if product_id not in self._products:
                msg = f"no product {product_id!r}"
                raise CatalogError(msg)
            if broken:
                self.broken.add(product_id)
            else:
                self.broken.discard(product_id)

    def touch_product(self, product_id: str, at: str | None = None) -> None:
        """Bump a product's `events.updated.at`."""
        with self._lock:
            if product_id not in self._products:
                msg = f"no product {product_id!r}"
                raise CatalogError(msg)
            self._touch_product(product_id, at or now_iso())
