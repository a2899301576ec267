"""The hub holds exactly the catalog's prices: checked at the door, then delivered, withdrawn.

Issue 35's end-to-end case: a catalog whose prices went through the checks (negative, zero,
formula, huge, left out, scheduled, duplicate) is pushed into the Commerce sandbox and the
reseller's prices are read back through its flat catalog, on both databases.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from plm_sync.config import Settings
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.ops.reports import catalog, run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG
from plm_sync.sandbox.connect.server import SandboxServer
from tests.integration.conftest import settings_of, with_hub
from tests.integration.conftest import sync_report as sync

pytestmark = pytest.mark.integration
PRODUCT, MARKET, RESELLER = "PRD-276-377-545", "MP-91111", "1000001"
BATCH = "PRB-545-001-001"
SAMPLE = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
Key = tuple[str, str, str]


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer, hub: CommerceSandbox) -> Settings:
    return with_hub(settings_of(database_url, sandbox.url, page_size=50), hub)


def catalog_prices(settings: Settings) -> dict[Key, Decimal]:
    (line,) = catalog(settings, (PRODUCT,))["product_lines"]
    rows = line["prices"].get(MARKET, {}).get("rows", [])
    return {
        (row["resource_mpn"], row["billing_period"], row["subscription_period"]): Decimal(
            str(row["price"])
        )
        for row in rows
        if not row.get("scheduled")
    }


def hub_prices(hub: CommerceSandbox) -> dict[Key, Decimal]:
    answer = requests.get(f"{hub.control_url}/prices/{RESELLER}", timeout=5)
    answer.raise_for_status()
    return {
        (row["mpn"], row["billingPeriod"], row["subscriptionPeriod"]): Decimal(str(row["price"]))
        for row in answer.json()
    }


def push(settings: Settings, **request: Any) -> dict[str, Any]:
    outcome = push_lines(settings, PushRequest((PRODUCT,), **request))
    report = run_report(settings, outcome.run_id)
    report["exit_code"] = outcome.exit_code
    return report


def codes(report: dict[str, Any]) -> list[str]:
    return [event["code"] for event in report["events"]]


def batch_rows() -> list[list[Any]]:
    batch = next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH)
    return copy.deepcopy(batch["output"]["rows"])


def publish(sandbox: SandboxServer, rows: list[list[Any]], number: int, **version: str) -> None:
    batch = copy.deepcopy(next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH))
    batch["id"] = f"PRB-545-001-{number:03d}"
    batch["output"]["rows"] = rows
    batch["events"]["published"] = {"at": f"2026-11-{10 + number:02d}T10:00:00+00:00"}
    if version:
        batch["context"]["pricelist_version"] = {"id": f"PLV-545-001-{number:04d}", **version}
    sandbox.catalog.markets.put("pricing_batches", batch)


def refused_at_the_door(
    settings: Settings, sandbox: SandboxServer, stored: dict[Key, Decimal]
) -> None:
    """A formula, a duplicate row, a scheduled batch x10: the catalog keeps its prices."""
    header, *rows = batch_rows()
    price = header.index("Price")
    for number, cell in ((2, "=10*1.25"), (3, None)):  # a formula; a duplicate row
        table = [header, *copy.deepcopy(rows)]
        if cell is None:
            table.append(list(table[3]))
        else:
            table[1][price] = cell
        publish(sandbox, table, number)
        assert "price_file_invalid" in codes(sync(settings, full=True))
        assert catalog_prices(settings) == stored
        sandbox.catalog.markets.remove("pricing_batches", f"PRB-545-001-{number:03d}")
    scheduled = [header, *copy.deepcopy(rows)]
    for row in scheduled[1:]:
        row[price] *= 10
    publish(sandbox, scheduled, 4, status="scheduled", start_at="2027-01-01T00:00:00+00:00")
    assert "price_change_limit" in codes(sync(settings, full=True))
    assert catalog_prices(settings) == stored
    sandbox.catalog.markets.remove("pricing_batches", "PRB-545-001-004")


def withdrawn_by_an_operator(settings: Settings, hub: CommerceSandbox, gone: Key) -> None:
    """The price the wizard cannot remove, removed in Commerce: the next push reads it gone."""
    removed = requests.post(
        f"{hub.control_url}/remove-price",
        json={
            "account": RESELLER,
            "mpn": gone[0],
            "billing_period": gone[1],
            "subscription_period": gone[2],
        },
        timeout=5,
    )
    assert removed.json() == {"removed": True}
    resolved = push(settings, changed=True)
    assert "commerce_prices_withdrawn" in codes(resolved)
    assert resolved["exit_code"] == 0
    assert hub_prices(hub) == catalog_prices(settings)
    quiet = push(settings, changed=True)
    assert not [e for e in quiet["events"] if e["code"].startswith("commerce_price")]


def test_the_hub_holds_exactly_the_catalogs_prices(
    settings: Settings, sandbox: SandboxServer, hub: CommerceSandbox
) -> None:
    assert sync(settings, full=True)["exit_code"] == 0
    first = push(settings)
    assert first["exit_code"] == 0, [e for e in first["events"] if e["level"] == "error"]
    assert hub_prices(hub) == catalog_prices(settings)
    stored = catalog_prices(settings)

    refused_at_the_door(settings, sandbox, stored)

    # per row: a negative and a huge price refused, a zero price and a removal braked
    header, *rows = batch_rows()
    price = header.index("Price")
    table = [header, *copy.deepcopy(rows)]
    table[1][price] = -12.5  # 1 month / 1 month: refused, keeps 12.5
    table[2][price] = "1E+400"  # 1 month / 1 year: refused, keeps 11.25
    table[3][price] = 0  # 1 year / 1 year: zero, braked
    table[3][header.index("Cost")] = 0
    del table[8]  # the usage service's price: removed, braked
    publish(sandbox, table, 5)
    held = sync(settings, full=True)
    assert {"price_row_refused", "price_zero", "price_change_limit"} <= set(codes(held))
    assert catalog_prices(settings) == stored
    allowed = sync(settings, full=True, allow_price_changes=True)
    assert "price_removed" in codes(allowed)
    now = catalog_prices(settings)
    gone = ("DZH318Z0BQ3Q:0001", "1 month", "1 month")
    assert gone not in now
    assert now[("CFQ7TTC0HDK0:0001", "1 month", "1 month")] == Decimal("12.5")
    assert now[("CFQ7TTC0HDK0:0001", "1 month", "1 year")] == Decimal("11.25")
    assert now[("CFQ7TTC0HDK0:0001", "1 year", "1 year")] == 0

    # the vendor fixes the refused rows: the line is clean again (push refuses it until then)
    assert "commerce_line_not_clean" in codes(push(settings, changed=True))
    fixed = [header, *copy.deepcopy(rows)]
    fixed[3][price], fixed[3][header.index("Cost")] = 0, 0
    del fixed[8]
    publish(sandbox, fixed, 6)
    clean = sync(settings, full=True)
    assert clean["exit_code"] == 0, [e for e in clean["events"] if e["level"] == "error"]
    assert catalog_prices(settings) == now

    # delivered: the zero price is set; the removed one cannot be withdrawn by the wizard
    delivered = push(settings, changed=True)
    assert "commerce_prices_applied" in codes(delivered)
    (kept,) = [e for e in delivered["events"] if e["code"] == "commerce_price_not_withdrawn"]
    assert "DZH318Z0BQ3Q:0001 (1 month / 1 month)" in kept["message"]
    assert delivered["exit_code"] != 0
    assert "unchanged" not in codes(delivered)
    assert hub_prices(hub) == {**now, gone: stored[gone]}
    again = push(settings, changed=True)  # still there: still the error, never "unchanged"
    assert "commerce_price_not_withdrawn" in codes(again)

    withdrawn_by_an_operator(settings, hub, gone)

    # the listing goes: the hub's memory of the marketplace's prices is cleared
    sandbox.catalog.markets.remove("listings", "LST-545-001")
    assert sync(settings, full=True)["exit_code"] == 0
    unlisted = push(settings, changed=True)
    assert "commerce_prices_forgotten" in codes(unlisted)
    assert not [e for e in push(settings, changed=True)["events"] if "price" in e["code"]]


def test_a_huge_price_stored_before_the_checks_is_never_pushed(
    settings: Settings, hub: CommerceSandbox
) -> None:
    from sqlalchemy import text  # noqa: PLC0415

    from plm_sync.store.database import open_database, unit_of_work  # noqa: PLC0415

    assert sync(settings, full=True)["exit_code"] == 0
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        session.execute(
            text("UPDATE prices SET price = '1E+400' WHERE mpn = :mpn"),
            {"mpn": "CFQ7TTC0HDK0:0001_P1M:Monthly"},
        )
        open_intents = "SELECT count(*) FROM push_intents WHERE closed_at IS NULL"
    report = push(settings)
    (failed,) = [e for e in report["events"] if e["code"] == "commerce_prices_failed"]
    assert "is not below 1,000,000,000,000" in failed["message"]
    assert len(failed["message"]) < 600
    assert report["exit_code"] == 3
    assert hub_prices(hub) == {}
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        assert session.execute(text(open_intents)).scalar() == 0
