"""Read the sandbox with CloudBlue's own Python client (`connect-openapi-client`) and print
what it saw as JSON. Runs in a virtual environment of its own (the client pins an old `rich`
that plm-sync's tools cannot share), so it imports nothing from plm-sync.

Usage: python official_client_probe.py ENDPOINT API_KEY PRODUCT_WITH_OFFER
"""

from __future__ import annotations

import json
import sys
from typing import Any

from connect.client import ClientError, ConnectClient, R


def _ids(rows: Any) -> list[str]:
    return [row["id"] for row in rows]


def _status(call: Any) -> int | None:
    try:
        call()
    except ClientError as error:
        return error.status_code
    return None


def main(endpoint: str, api_key: str, offer_product: str) -> dict[str, Any]:
    client = ConnectClient(api_key, endpoint=endpoint, use_specs=False, default_limit=3)
    products = client.products.all()
    found: dict[str, Any] = {
        "products": _ids(products),
        "products_count": client.products.all().count(),
        "published": _ids(client.products.filter(R().status.eq("published"))),
        "ilike": _ids(client.products.filter(R().name.ilike("*microsoft*"))),
        "search": _ids(client.products.all().search("Microsoft")),
        "select_keys": sorted(client.products.all().select("-events").first() or {}),
        "items": {},
        "offers": _ids(client.collection("offers").filter(R().product.id.eq(offer_product))),
    }
    for product_id in found["products"]:
        items = client.products[product_id].items
        found["items"][product_id] = _ids(items.all())
    first_product = found["products"][0]
    first_item = found["items"][first_product][0]
    found["single_item"] = client.products[first_product].items[first_item].get()["id"]
    offer_id = found["offers"][0]
    offers = client.collection("offers")
    found["single_offer"] = offers[offer_id].get()["id"]
    found["offer_plans"] = _ids(offers[offer_id].collection("plans").all())
    found["unknown_field"] = _status(lambda: list(client.products.filter(colour="red")))
    # a POST the API refuses leaves its body behind unless the server reads it; the official
    # client pools connections across client instances, so the next GET reuses the socket
    found["post_status"] = _status(lambda: client.products.create({"name": "x" * 2000}))
    wrong = ConnectClient("ApiKey SU-000:wrong", endpoint=endpoint, use_specs=False)
    found["wrong_key_status"] = _status(lambda: list(wrong.products.all()))
    return found


if __name__ == "__main__":
    json.dump(main(*sys.argv[1:4]), sys.stdout)
