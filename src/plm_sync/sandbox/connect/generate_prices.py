"""Marketplaces, listings and price sources for a generated catalog (`generate --prices`).

Two marketplaces (USD and EUR). Every published product is listed in the USD one, priced by a
published pricing batch whose output file names each sold item by its flat MPN; every third
is also listed in the EUR one, priced by a price list version's points. Prices are drawn from
their own random stream, so a catalog with prices has the same products and items as one
without.
"""

from __future__ import annotations

import random
from typing import Any

Row = dict[str, Any]
USD, EUR = "MP-91111", "MP-92222"
_BILLING = {"monthly": "1 month", "yearly": "1 year", "years_3": "3 years", "years_2": "2 years"}
HEADER = [
    "MPN", "Vendor ID", "Billing Period", "Subscription Period", "Effective Date",
    "Cost Currency", "Cost", "Price Currency", "Price", "MSRP",
]  # fmt: skip


def _marketplaces() -> list[Row]:
    return [
        {
            "id": USD,
            "name": "US Reseller Marketplace",
            "currency": "USD",
            "hubs": [
                {"hub": {"id": "HB-0000-0001", "name": "Commerce US"}, "external_id": "1000001"}
            ],
        },
        {
            "id": EUR,
            "name": "EU Reseller Marketplace",
            "currency": "EUR",
            "hubs": [
                {"hub": {"id": "HB-0000-0002", "name": "Commerce EU"}, "external_id": "1000002"}
            ],
        },
    ]


def _sold(items: list[Row]) -> list[Row]:
    return [row for row in items if row.get("status") == "published" and row.get("mpn")]


def add_prices(catalog: dict[str, Any], seed: int) -> dict[str, Any]:
    """`catalog` with marketplaces, listings, pricing batches and a price list."""
    draw = random.Random(seed * 7919 + 13)  # noqa: S311 - test data, not cryptography
    listings: list[Row] = []
    batches: list[Row] = []
    points: list[Row] = []
    for number, product in enumerate(catalog["products"]):
        if product.get("status") != "published":
            continue
        pid = product["id"]
        vendor = (product.get("owner") or {}).get("id", "VA-000-000")
        listings.append(_listing(f"LST-{number:05d}-1", pid, USD, f"PRL-{number:05d}-1"))
        rows: list[list[Any]] = [HEADER]
        for item in _sold(catalog["items"].get(pid, [])):
            cost = round(draw.uniform(1, 200), 2)
            price = round(cost * draw.uniform(1.05, 1.4), 2)
            billing = _BILLING.get(str(item.get("period", "")).casefold(), "1 month")
            rows.append(
                [item["mpn"], vendor, billing, "", "2026-11-01", "USD", cost, "USD", price, price]
            )
        batches.append(_batch(f"PRB-{number:05d}-1", pid, USD, rows))
        if number % 3 == 0:
            listings.append(_listing(f"LST-{number:05d}-2", pid, EUR, "PRL-EUR-1"))
            for item in _sold(catalog["items"].get(pid, [])):
                cost = round(draw.uniform(1, 200), 2)
                points.append(
                    {
                        "id": f"PP-{len(points) + 1:07d}",
                        "status": "filled",
                        "item": {
                            "global_id": item["id"],
                            "mpn": item["mpn"],
                            "product": {"id": pid},
                        },
                        "attributes": {"Price": cost, "Suggested T0 Price": round(cost * 1.25, 2)},
                    }
                )
    version = {
        "id": "PLV-EUR-1-0001",
        "status": "active",
        "start_at": "2026-11-01T00:00:00+00:00",
        "pricelist": {"id": "PRL-EUR-1", "name": "EUR list", "precision": 2, "currency": "EUR"},
        "events": {"activated": {"at": "2026-10-31T08:00:00+00:00"}},
    }
    return {
        **catalog,
        "marketplaces": _marketplaces(),
        "listings": listings,
        "pricing_batches": batches,
        "price_lists": [
            {"id": "PRL-EUR-1", "name": "EUR list", "status": "active", "precision": 2}
        ],
        "price_versions": [version] if points else [],
        "price_points": {"PLV-EUR-1-0001": points} if points else {},
    }


def _listing(ident: str, product_id: str, marketplace: str, pricelist: str) -> Row:
    return {
        "id": ident,
        "status": "listed",
        "product": {"id": product_id},
        "contract": {"id": f"CRD-{marketplace}", "marketplace": {"id": marketplace}},
        "marketplace": {"id": marketplace},
        "pricelist": {"id": pricelist, "status": "active"},
    }


def _batch(ident: str, product_id: str, marketplace: str, rows: list[list[Any]]) -> Row:
    return {
        "id": ident,
        "status": "published",
        "stream": {
            "id": f"STR-{ident}",
            "context": {"product": {"id": product_id}, "marketplace": {"id": marketplace}},
        },
        "context": {"pricelist_version": {"id": f"PLV-{ident}", "status": "active"}},
        "events": {"published": {"at": "2026-10-30T10:00:00+00:00"}},
        "output": {"id": f"MFL-{ident}", "rows": rows},
    }
