"""Realistic NCE-shaped Connect catalogs for tests, the demo and benchmarks, from a seed."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from plm_sync.sandbox.connect.generate_prices import add_prices

Row = dict[str, Any]

# (commitment term, billing word, Connect period, commitment count, name suffix)
NCE_VARIANTS: tuple[tuple[str, str, str, int, str], ...] = (
    ("P1M", "Monthly", "monthly", 1, "NCE COM MTH"),
    ("P1Y", "Monthly", "monthly", 12, "NCE COM 1YR MTH"),
    ("P1Y", "Annual", "yearly", 1, "NCE COM 1YR ANN"),
    ("P3Y", "Annual", "yearly", 3, "NCE COM 3YR ANN"),
    ("P3Y", "Triennial", "years_3", 1, "NCE COM 3YR TRI"),
)
_FAMILIES = (
    "Microsoft 365",
    "Office 365",
    "Dynamics 365",
    "Microsoft Teams",
    "Power BI",
    "Exchange Online",
    "SharePoint Online",
    "Windows 365",
    "Microsoft Intune",
    "Project",
    "Visio",
    "Azure Active Directory",
    "Defender for Endpoint",
    "Copilot",
    "Viva",
)
_EDITIONS = (
    "E1",
    "E3",
    "E5",
    "F1",
    "F3",
    "Business Basic",
    "Business Standard",
    "Business Premium",
    "Plan 1",
    "Plan 2",
    "Premium",
    "Pro",
    "Enterprise",
    "Essentials",
    "Add-On (500 GB)",
)
_ALPHABET = "ABCDEFGHJKLMNPQRSTVWXZ0123456789"
START = datetime(2026, 1, 1, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


class _Generator:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)  # noqa: S311 - test data, not cryptography
        self.clock = START
        self.vendor_ids: set[str] = set()

    def tick(self) -> str:
        self.clock += timedelta(seconds=self.random.randint(1, 90))
        return _stamp(self.clock)

    def vendor_id(self) -> str:
        while True:
            code = "".join(self.random.choice(_ALPHABET) for _ in range(4))
            candidate = f"CFQ7TTC0{code}:{self.random.randint(1, 9):04d}"
            if candidate not in self.vendor_ids:
                self.vendor_ids.add(candidate)
                return candidate

    def sku_name(self) -> str:
        return f"{self.random.choice(_FAMILIES)} {self.random.choice(_EDITIONS)}"

    def product(self, index: int) -> Row:
        number = self.random.randint(100, 999)
        pid = f"PRD-{number:03d}-{index // 1000:03d}-{index % 1000:03d}"
        created = self.tick()
        return {
            "id": pid,
            "name": f"Microsoft NCE Catalog {index + 1}",
            "status": "published",
            "version": 1,
            "owner": {"id": "VA-000-001", "name": "Microsoft"},
            "category": {"id": "CAT-00012", "name": "Productivity"},
            "visibility": {"owner": True, "listing": True, "syndication": True, "catalog": True},
            "events": {"created": {"at": created}, "updated": {"at": created}},
        }

    def item(self, pid: str, number: int, fields: Row) -> Row:
        at = self.tick()
        status = "published"
        roll = self.random.random()
        if roll < 0.02:  # noqa: PLR2004 - share of end-of-sale items
            status = "endofsale"
        elif roll < 0.03:  # noqa: PLR2004 - share of drafts
            status = "draft"
        row: Row = {
            "id": f"{pid}-{number:04d}",
            "status": status,
            "unit": {"id": "licenses", "name": "Licenses", "title": "Licenses", "unit": "unit"},
            "type": "reservation",
            "local_id": f"{pid.replace('-', '_')}_{number:04d}",
            "precision": "integer",
            "commitment": {"multiplier": "billing_period", "count": 1},
            "dynamic": False,
            "position": number * 10,
            "events": {"created": {"at": at}, "updated": {"at": at}},
        }
        row.update(fields)
        row.setdefault("display_name", row.get("name"))
        return row

    def sku_items(self, pid: str, first: int, wanted: int) -> list[Row]:
        vendor = self.vendor_id()
        name = self.sku_name()
        kind = self.random.random()
        fields: list[Row] = []
        if kind < 0.05:  # noqa: PLR2004 - trial SKUs
            fields.append(
                {
                    "mpn": f"{vendor}_P1M:None",
                    "name": f"{name} Trial (NCE COM BAS 1MO)",
                    "period": "monthly_trial",
                }
            )
            fields.append(
                {
                    "mpn": f"{vendor}_P1M:Monthly",
                    "name": f"{name} Trial (NCE COM MTH)",
                    "period": "monthly",
                }
            )
        elif kind < 0.08:  # noqa: PLR2004 - pay-as-you-go SKUs
            fields.append(
                {
                    "mpn": f"{vendor}_P1M:Monthly",
                    "name": f"{name} (NCE PAYG)",
                    "period": "monthly",
                    "type": "ppu",
                    "unit": {"id": "unit", "name": "Units", "title": "Units", "unit": "unit"},
                }
            )
        elif kind < 0.10:  # noqa: PLR2004 - legacy MPNs that do not follow the rule
            fields.append(
                {"mpn": f"{vendor}_ANNUAL", "name": f"{name} Annual NCE", "period": "yearly"}
            )
        elif kind < 0.11:  # noqa: PLR2004 - malformed rows
            fields.append(
                {
                    "mpn": f"{vendor}_P1M:Monthly",
                    "name": f"{name} (NCE COM MTH)",
                    "period": "monthly",
                    "type": None,
                }
            )
        else:
            for term, word, period, count, label in NCE_VARIANTS:
                fields.append(
                    {
                        "mpn": f"{vendor}_{term}:{word}",
                        "name": f"{name} ({label})",
                        "period": period,
                        "commitment": {"multiplier": "billing_period", "count": count},
                    }
                )
        rows = []
        for offset, extra in enumerate(fields[:wanted]):
            row = self.item(pid, first + offset, extra)
            if row.get("type") is None:
                del row["type"]
            rows.append(row)
        return rows


def _offer(product: Row, rows: list[Row], at: str) -> Row:
    """A listed offer for a generated product.

    A plan per SKU that has the five NCE variants (each item with a min/max constraint), two
    feature groups, and an upgrade switch from each such plan to the next.
    """
    skus: dict[str, list[Row]] = {}
    for row in rows:
        if row.get("type") == "reservation" and row["status"] != "draft":
            skus.setdefault(row["mpn"].rpartition("_")[0], []).append(row)
    full = [mpn for mpn, found in skus.items() if len(found) == len(NCE_VARIANTS)]
    offer_id = product["id"].replace("PRD-", "OFR-")
    events = {"created": {"at": at}, "updated": {"at": at}}
    plans, items, features, switches = [], [], [], []
    for number, mpn in enumerate(full, start=1):
        plan_id = f"PLN-{offer_id[4:]}-{number:04d}"
        plans.append(
            {
                "id": plan_id,
                "name": skus[mpn][0]["name"].rpartition(" (")[0],
                "color": "#2A7AE2",
                "periods": ["monthly", "yearly", "years_3"],
                "commitments": ["1y", "3y"],
                "description": f"Plan of {mpn}",
                "position": number,
                "events": events,
            }
        )
        items.append(
            {
                "id": f"OFI-{offer_id[4:]}-{number:04d}",
                "name": mpn,
                "plans": [
                    {
                        "plan": plan_id,
                        "item": {"id": row["id"], "status": row["status"], "type": "reservation"},
                        "period": row["period"],
                        "constraint": {"type": "min_max", "min": 1, "max": 300},
                    }
                    for row in skus[mpn]
                ],
                "events": events,
            }
        )
        if number > 1:
            switches.append(
                {
                    "id": f"SWI-{offer_id[4:]}-{number:04d}",
                    "type": "upgrade",
                    "from": {"id": plans[-2]["id"], "name": plans[-2]["name"]},
                    "to": {"id": plan_id, "name": plans[-1]["name"]},
                    "preset": {"id": "PRE-BENCH-1", "name": "Immediate upgrade"},
                    "status": "active",
                    "events": events,
                }
            )
    groups = [
        {"id": "FGR-1", "name": "Apps", "position": 1},
        {"id": "FGR-2", "name": "Security", "position": 2},
    ]
    for index, (name, group) in enumerate(
        (("Desktop apps", "FGR-1"), ("Defender", "FGR-2")), start=1
    ):
        features.append(
            {
                "id": f"FTR-{index}",
                "name": name,
                "group": {"id": group},
                "position": index,
                "plans": [
                    {"id": plan["id"], "value": "Yes" if i % 2 else "No"}
                    for i, plan in enumerate(plans)
                ],
            }
        )
    return {
        "id": offer_id,
        "name": f"{product['name']} offer",
        "status": "listed",
        "type": "generic",
        "events": events,
        "plans": plans,
        "items": items,
        "features": features,
        "features_groups": groups,
        "switches": switches,
    }


_OTHER_STATUSES = ("draft", "indevelopment", "endofsale")
CREATED_ONLY_EVERY = 5  # one product in 5 carries only `events.created`
NO_EVENTS_EVERY = 9  # one item in 9 carries no `events`


def _real_shapes(products: list[Row], items: dict[str, list[Row]]) -> None:
    """Give rows the shapes of real Connect payloads (tests/fixtures), without random draws.

    Real products carry `icon`, descriptions, `customer_ui_settings`, `published_at`,
    `latest`, `media`, `stats`, `capabilities`, `public` and `extensions`, versions above 1,
    and often only `events.created`; real items carry `description`, `ui`, `depth`,
    `parent`, `group` and `replacement`, and some have no `events` at all.
    """
    for index, product in enumerate(products):
        created = product["events"]["created"]["at"]
        product["version"] = 1 + index % 3
        product.update(
            {
                "icon": f"/media/VA-000-001/{product['id']}/media/icon.png",
                "short_description": f"{product['name']} for resellers",
                "detailed_description": f"# {product['name']}\n\nMicrosoft NCE subscriptions.",
                "customer_ui_settings": {"description": "", "getting_started": ""},
                "published_at": created,
                "latest": True,
                "media": [],
                "stats": {"listings": 1, "agreements": {"distribution": 0, "sourcing": 0}},
                "capabilities": {"ppu": None, "reporting": {"consumption": False}},
                "public": False,
                "extensions": {},
            }
        )
        product["events"]["published"] = {"at": created}
        if index % CREATED_ONLY_EVERY == CREATED_ONLY_EVERY - 1:  # as both real products
            del product["events"]["updated"]
        for number, item in enumerate(items[product["id"]]):
            item.update(
                {
                    "description": f"{item.get('name', '')}: Microsoft NCE licence",
                    "ui": {"visibility": True},
                    "depth": 0,
                    "parent": None,
                    "group": None,
                    "replacement": None,
                }
            )
            if number % NO_EVENTS_EVERY == NO_EVENTS_EVERY - 1:  # as a real item
                item.pop("events", None)


def _other_statuses(products: list[Row], items: dict[str, list[Row]]) -> None:
    """One product in ten more, in a status other than published (copies of earlier ones)."""
    for index, original in enumerate(products[: len(products) // 10]):
        pid = f"PRD-{900 + index % 100:03d}-{index // 100:03d}-999"
        status = _OTHER_STATUSES[index % len(_OTHER_STATUSES)]
        copied = copy.deepcopy(original)
        products.append(copied | {"id": pid, "status": status, "name": f"{status} copy"})
        items[pid] = [
            copy.deepcopy(row) | {"id": f"{pid}-{number:04d}"}
            for number, row in enumerate(items[original["id"]][:5], start=1)
        ]


ADDON_TERMS = ("P1M:Monthly", "P1Y:Monthly", "P1Y:Annual", "P3Y:Annual")  # not P3Y:Triennial
LEGACY_TERMS = ("P1M:Monthly", "P1Y:Annual")


def _reference(row: Row) -> Row:
    return {"id": row["id"], "name": row["name"], "status": row["status"]}


def _variant_rows(original: list[Row]) -> list[Row] | None:
    """The items of the first SKU of a product sold in all five NCE variants, if any."""
    skus: dict[str, list[Row]] = {}
    for row in original:
        if row.get("type") == "reservation" and row["status"] == "published":
            skus.setdefault(row["mpn"].rpartition("_")[0], []).append(row)
    return next((rows for rows in skus.values() if len(rows) == len(NCE_VARIANTS)), None)


def addon_product(product: Row, base: list[Row], pid: str, name: str) -> tuple[Row, list[Row]]:
    """A product with a base SKU, an add-on SKU and a legacy end-of-sale SKU.

    The add-on's items name the base item of the same variant as Connect `parent` (it has
    no triennial variant, so the base's triennial plan lacks it); the legacy items are end
    of sale and name the base item of the same variant as their `replacement`. Built from
    `base` (the five variant rows of a SKU) without random draws.
    """
    added = copy.deepcopy(product) | {"id": pid, "name": name}
    rows: list[Row] = []

    def copy_row(row: Row, mpn: str, item_name: str, **fields: Any) -> Row:  # noqa: ANN401
        number = len(rows) + 1
        made = copy.deepcopy(row) | {
            "id": f"{pid}-{number:04d}",
            "local_id": f"{pid.replace('-', '_')}_{number:04d}",
            "position": number * 10,
            "mpn": mpn,
            "name": item_name,
            "display_name": item_name,
            "description": f"{item_name}: Microsoft NCE licence",
        }
        made.update(fields)
        rows.append(made)
        return made

    family = base[0]["name"].rpartition(" (")[0]
    vendor = base[0]["mpn"].rpartition("_")[0]
    bases = {}
    for row in base:
        term = row["mpn"].rpartition("_")[2]
        bases[term] = copy_row(row, row["mpn"], row["name"])
    # (vendor id prefix, terms, name, fields given the base item of the same variant)
    kinds: tuple[tuple[str, tuple[str, ...], str, Any], ...] = (
        ("CFQ7TTA0", ADDON_TERMS, "Storage Add-On", lambda b: {"parent": b, "depth": 1}),
        ("CFQ7TTL0", LEGACY_TERMS, "Legacy", lambda b: {"status": "endofsale", "replacement": b}),
    )
    for prefix, terms, suffix, fields in kinds:
        other = vendor.replace("CFQ7TTC0", prefix, 1)
        for row in base:
            term = row["mpn"].rpartition("_")[2]
            if term in terms:
                label = row["name"].rpartition(" (")[2]
                copy_row(
                    row,
                    f"{other}_{term}",
                    f"{family} {suffix} ({label}",
                    **fields(_reference(bases[term])),
                )
    return added, rows


ADDON_PRODUCTS_EVERY = 10  # one product in ten more: base, add-on and legacy SKUs


def _addon_products(originals: list[Row], products: list[Row], items: dict[str, list[Row]]) -> None:
    """One product in ten more, with add-ons (Connect `parent`) and end-of-sale replacements."""
    for index, original in enumerate(originals[: len(originals) // ADDON_PRODUCTS_EVERY]):
        base = _variant_rows(items[original["id"]])
        if base is None:
            continue
        pid = f"PRD-{800 + index % 100:03d}-{index // 100:03d}-888"
        product, rows = addon_product(original, base, pid, f"{original['name']} with add-ons")
        products.append(product)
        items[pid] = rows


def generate_catalog(
    products: int,
    items_per_product: int,
    seed: int = 0,
    *,
    offers: bool = False,
    prices: bool = False,
) -> dict[str, Any]:
    """A catalog file's content: `products` products of about `items_per_product` items.

    Mostly the five NCE variants per SKU (P1M/P1Y/P3Y x Monthly/Annual/Triennial); about 5 %
    of SKUs are trials, 3 % pay-as-you-go, 2 % legacy as-is MPNs and 1 % malformed (no
    `type`); about 2 % of items are end-of-sale and 1 % drafts. Same seed, same catalog.
    Rows have the shapes real Connect serves (see `_real_shapes`), and one product in ten
    more sits in another status (draft, in development, end of sale); one in ten more has an
    add-on SKU (items with a Connect `parent`) and a legacy end-of-sale SKU whose items name
    their `replacement` (see `addon_product`). With `offers`, every
    product gets a listed offer (see `_offer`) and the catalog the switch preset it uses.
    With `prices`, marketplaces, listings and price sources (`generate_prices`).
    """
    if products < 0 or items_per_product < 0:
        msg = "products and items per product must not be negative"
        raise ValueError(msg)
    generator = _Generator(seed)
    catalog_products: list[Row] = []
    items: dict[str, list[Row]] = {}
    for index in range(products):
        product = generator.product(index)
        rows: list[Row] = []
        while len(rows) < items_per_product:
            rows += generator.sku_items(product["id"], len(rows) + 1, items_per_product - len(rows))
        product["events"]["updated"] = {"at": generator.tick()}
        catalog_products.append(product)
        items[product["id"]] = rows
    _real_shapes(catalog_products, items)
    originals = list(catalog_products)
    _other_statuses(catalog_products, items)
    _addon_products(originals, catalog_products, items)
    catalog: dict[str, Any] = {"products": catalog_products, "items": items}
    if offers:
        catalog["offers"] = {
            product["id"]: [_offer(product, items[product["id"]], generator.tick())]
            for product in catalog_products
        }
        catalog["presets"] = [{"id": "PRE-BENCH-1", "name": "Immediate upgrade", "type": "switch"}]
    return add_prices(catalog, seed) if prices else catalog
