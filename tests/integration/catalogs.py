"""Small hand-made Connect catalogs for integration tests."""

from __future__ import annotations

from typing import Any

SKUS = ("CFQ7TTC0LH18", "CFQ7TTC0LDPB", "CFQ7TTC0LF8R", "CFQ7TTC0HDK0", "CFQ7TTC0LHPG")


def product_row(index: int) -> dict[str, Any]:
    stamp = {"at": f"2026-11-0{1 + index % 9}T10:00:00+00:00"}
    return {
        "id": f"PRD-{100 + index:03d}-000-000",
        "name": f"Product {index}",
        "status": "published",
        "version": 1,
        "owner": {"id": "VA-000-001", "name": "Microsoft"},
        "events": {"created": stamp, "updated": stamp},
    }


def item_row(product_id: str, number: int, sku: str) -> dict[str, Any]:
    return {
        "id": f"{product_id}-{number:04d}",
        "status": "published",
        "unit": {"id": "licenses", "name": "Licenses"},
        "type": "reservation",
        "period": "monthly",
        "commitment": {"count": 1},
        "mpn": f"{sku}:0001_P1M:Monthly",
        "name": f"Service {sku} (NCE COM MTH)",
        "events": {"created": {"at": "2026-11-01T10:00:00+00:00"}},
    }


def brake_catalog() -> dict[str, Any]:
    """20 products of 5 monthly SKUs each: 100 service plans, no item errors."""
    products = [product_row(index) for index in range(20)]
    return {
        "products": products,
        "items": {
            product["id"]: [
                item_row(product["id"], number, sku) for number, sku in enumerate(SKUS, start=1)
            ]
            for product in products
        },
    }
