"""Prices from Connect's pricing batches and price lists, over loopback, on both databases."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from plm_sync.config import Settings
from plm_sync.ops.reports import catalog
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG, SandboxCatalog
from plm_sync.sandbox.connect.server import SandboxServer
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, settings_of, start_sandbox
from tests.integration.conftest import sync_report as sync

pytestmark = pytest.mark.integration
BATCH_PRODUCT, LIST_PRODUCT = "PRD-276-377-545", "PRD-900-100-200"
BATCH = "PRB-545-001-001"
SAMPLE = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> Settings:
    return settings_of(database_url, sandbox.url, page_size=50)


def events(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [event for event in report["events"] if event["code"] == code]


def line(settings: Settings, product_id: str) -> dict[str, Any]:
    (found,) = catalog(settings, (product_id,))["product_lines"]
    return found


def batch_rows(sandbox: SandboxServer) -> list[list[Any]]:
    batch = next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH)
    return copy.deepcopy(batch["output"]["rows"])


def publish(sandbox: SandboxServer, rows: list[list[Any]], stamp: str) -> None:
    """The batch published again with these rows (as a new batch of the same stream)."""
    batch = copy.deepcopy(next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH))
    batch["output"]["rows"] = rows
    batch["events"]["published"] = {"at": stamp}
    sandbox.catalog.markets.put("pricing_batches", batch)


def scaled(rows: list[list[Any]], factor: float, column: str = "Price") -> list[list[Any]]:
    header, *data = rows
    index = header.index(column)
    for row in data:
        row[index] = round(row[index] * factor, 2)
    return [header, *data]


def test_prices_from_a_batch_and_a_price_list_land_in_the_catalog(settings: Settings) -> None:
    first = sync(settings, full=True)
    assert first["exit_code"] == 0, [e for e in first["events"] if e["level"] == "error"]
    batch_line = line(settings, BATCH_PRODUCT)
    assert batch_line["marketplaces"] == ["MP-91111"]
    usd = batch_line["prices"]["MP-91111"]
    assert (usd["currency"], usd["source"]) == ("USD", BATCH)
    monthly = next(row for row in usd["rows"] if row["mpn"] == "CFQ7TTC0HDK0:0001_P1M:Monthly")
    assert monthly == {
        "mpn": "CFQ7TTC0HDK0:0001_P1M:Monthly",
        "resource_mpn": "CFQ7TTC0HDK0:0001",
        "billing_period": "1 month",
        "subscription_period": "1 month",
        "cost": 10,
        "cost_currency": "USD",
        "price": 12.5,
        "price_currency": "USD",
        "msrp": 12.5,
        "effective_date": "2026-11-01",
    }
    assert [row["mpn"] for row in usd["rows"]] == sorted(row["mpn"] for row in usd["rows"])
    list_line = line(settings, LIST_PRODUCT)
    eur = list_line["prices"]["MP-92222"]
    assert (eur["currency"], eur["source"]) == ("EUR", "PLV-200-002-0003")
    annual = next(row for row in eur["rows"] if row["mpn"] == "CFQ7TTC0LH18:0001_P1Y:Annual")
    assert (annual["cost"], annual["price"], annual["billing_period"]) == (58.14, 72.96, "1 year")
    unlisted = line(settings, "PRD-221-000-000")
    assert (unlisted["marketplaces"], unlisted["prices"]) == ([], {})
    assert len(events(first, "price_created")) == len(usd["rows"]) + len(eur["rows"])
    assert len(events(first, "marketplace_added")) == 2
    assert {
        (row["connect_product_id"], row["marketplace"], row["created"])
        for row in first["price_changes"]
    } == {(BATCH_PRODUCT, "MP-91111", 8), (LIST_PRODUCT, "MP-92222", 9)}

    again = sync(settings, full=True)
    assert not [e for e in again["events"] if e["code"].startswith(("price_", "marketplace_"))]
    assert line(settings, BATCH_PRODUCT) == batch_line


def test_a_changed_batch_gives_price_changed_and_an_incremental_run_finds_it(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    publish(sandbox, scaled(batch_rows(sandbox), 1.1), "2026-11-20T10:00:00+00:00")
    report = sync(settings)  # incremental: no product changed, the batch did
    changed = events(report, "price_changed")
    assert len(changed) == 8
    monthly = next(e for e in changed if e["mpn"] == "CFQ7TTC0HDK0:0001_P1M:Monthly")
    assert "price 12.5 -> 13.75 (+10.0%)" in monthly["message"]
    usd = line(settings, BATCH_PRODUCT)["prices"]["MP-91111"]
    assert next(r for r in usd["rows"] if r["mpn"] == monthly["mpn"])["price"] == 13.75
    assert report["exit_code"] == 0


def test_a_change_beyond_the_limit_is_held_until_allowed(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    before = line(settings, BATCH_PRODUCT)
    publish(sandbox, scaled(batch_rows(sandbox), 1.6), "2026-11-21T10:00:00+00:00")
    held = sync(settings, full=True)
    assert held["exit_code"] == 3
    limits = events(held, "price_change_limit")
    assert limits
    assert "MP-91111" in limits[0]["message"]
    assert "+60.0%" in limits[0]["message"]
    assert "--allow-price-changes" in held["message"]
    assert line(settings, BATCH_PRODUCT) == before
    allowed = sync(settings, full=True, allow_price_changes=True)
    assert allowed["exit_code"] == 0
    assert len(events(allowed, "price_changed")) == 8
    assert line(settings, BATCH_PRODUCT) != before


def test_a_batch_file_without_price_currency_changes_nothing(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    before = line(settings, BATCH_PRODUCT)
    rows = batch_rows(sandbox)
    index = rows[0].index("Price Currency")
    publish(
        sandbox,
        [[cell for number, cell in enumerate(row) if number != index] for row in rows],
        "2026-11-22T10:00:00+00:00",
    )
    report = sync(settings, full=True)
    assert report["exit_code"] == 3
    (invalid,) = events(report, "price_file_invalid")
    assert BATCH in invalid["message"]
    assert "Price Currency" in invalid["message"]
    assert line(settings, BATCH_PRODUCT) == before


def test_unknown_mpns_missing_prices_and_wrong_currencies_are_reported(
    settings: Settings, sandbox: SandboxServer
) -> None:
    rows = batch_rows(sandbox)
    header = rows[0]
    unknown = list(rows[1])
    unknown[header.index("MPN")] = "NOSUCHSKU:0001"
    euro = list(rows[2])
    euro[header.index("Price Currency")] = "GBP"
    publish(sandbox, [header, unknown, euro, *rows[4:]], "2026-11-23T10:00:00+00:00")
    report = sync(settings, full=True)
    assert [e["mpn"] for e in events(report, "price_unknown_mpn")] == ["NOSUCHSKU:0001"]
    (currency,) = events(report, "price_currency_mismatch")
    assert "GBP" in currency["message"]
    missing = {event["mpn"] for event in events(report, "price_missing")}
    assert {"CFQ7TTC0HDK0:0001_P1M:Monthly", "CFQ7TTC0HDK0:0001_P1Y:Monthly"} <= missing
    assert all(event["level"] == "warning" for event in events(report, "price_missing"))


def test_a_listing_removed_withdraws_the_marketplace(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    sandbox.catalog.markets.remove("listings", "LST-545-001")
    report = sync(settings, full=True)
    assert [e["connect_product_id"] for e in events(report, "marketplace_removed")] == [
        BATCH_PRODUCT
    ]
    assert len(events(report, "price_removed")) == 8
    withdrawn = line(settings, BATCH_PRODUCT)
    assert (withdrawn["marketplaces"], withdrawn["prices"]) == ([], {})


def test_the_prices_command_and_the_wizards_file(
    settings: Settings, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sync(settings, full=True)
    env = {
        "database_url": settings.database_url,
        "connect_url": sandbox.url,
        "connect_api_key": API_KEY,
        "mappings": str(ROOT / "mappings"),
    }
    shown = plm_sync_cli("prices", BATCH_PRODUCT, "--format", "json", settings=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["prices"] == line(settings, BATCH_PRODUCT)["prices"]
    path = tmp_path / "out" / "prices.xlsx"
    written = plm_sync_cli(
        "prices", BATCH_PRODUCT, "--format", "xlsx", "-o", str(path), settings=env
    )
    assert written.returncode == 0, written.stderr
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Price-list"]
    values = [list(row) for row in book["Price-list"].iter_rows(values_only=True)]
    header = values[0]
    for column in (
        "MPN", "Vendor ID", "Service Template / Product Line", "Product", "Billing Period",
        "Subscription Period", "UOM", "Effective Date", "Cost Currency", "Cost",
        "Price Currency", "Price", "MSRP", "Fee Type", "Active",
    ):  # fmt: skip
        assert column in header, column
    first = dict(zip(header, values[1], strict=True))
    assert first["MPN"] == "CFQ7TTC0HDK0:0001"  # the resource's MPN, periods beside it
    assert (first["Billing Period"], first["Subscription Period"]) == ("1 month", "1 month")
    assert (first["Cost"], first["Price"], first["Price Currency"]) == (10, 12.5, "USD")
    assert first["Vendor ID"] == "VA-392-495"
    assert len(values) == 9
    unknown = plm_sync_cli("prices", BATCH_PRODUCT, "--marketplace", "MP-00000", settings=env)
    assert unknown.returncode == 2
    assert "MP-00000" in unknown.stderr
    absent = plm_sync_cli("prices", "PRD-999-999-999", settings=env)
    assert absent.returncode == 2
    assert "PRD-999-999-999" in absent.stderr


def test_sharing_from_listings_follows_the_marketplaces(
    settings: Settings, sandbox: SandboxServer, tmp_path: Path
) -> None:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for source in (ROOT / "mappings").glob("*.yaml"):
        (mappings / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (mappings / "sharing.yaml").write_text(
        "marketplaces: {MP-91111: US, MP-92222: DE}\nfrom_listings: true\n", encoding="utf-8"
    )
    shared = replace(settings, mappings=mappings, deactivation_limit="1")
    sync(shared, full=True)
    plans = line(shared, BATCH_PRODUCT)["service_plans"]
    assert all(plan["sharing"]["op_units"] == ["US"] for plan in plans)
    assert all(
        p["sharing"]["op_units"] == ["DE"] for p in line(shared, LIST_PRODUCT)["service_plans"]
    )
    assert all(
        p["sharing"]["op_units"] == [] for p in line(shared, "PRD-221-000-000")["service_plans"]
    )
    sandbox.catalog.markets.remove("listings", "LST-545-001")
    held = sync(shared, full=True)  # taking plans from a unit counts like deactivating them
    assert held["exit_code"] == 3
    assert [e["connect_product_id"] for e in events(held, "deactivation_limit")] == [BATCH_PRODUCT]
    assert line(shared, BATCH_PRODUCT)["service_plans"] == plans
    allowed = sync(shared, full=True, allow_deactivations=True)
    assert allowed["exit_code"] == 0
    withdrawn = events(allowed, "plan_sharing_changed")
    assert withdrawn
    assert all("unshared from operating unit US" in e["message"] for e in withdrawn)
    assert all(p["sharing"]["op_units"] == [] for p in line(shared, BATCH_PRODUCT)["service_plans"])


@pytest.mark.parametrize("jobs", [1, 2])
def test_no_price_file_is_read_inside_a_transaction(
    database_url: str, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """Price files are downloaded before the batch's transaction opens, never inside one: no
    transaction waits on Connect (SQLite's write lock above all), whichever thread reads."""
    import threading  # noqa: PLC0415

    from sqlalchemy import event  # noqa: PLC0415
    from sqlalchemy.engine import Engine  # noqa: PLC0415

    from plm_sync.sandbox.connect.generate import generate_catalog  # noqa: PLC0415
    from plm_sync.sync import prices as price_sync  # noqa: PLC0415

    open_transactions: dict[int, int] = {}
    inside: list[str] = []
    reads: list[str] = []

    def begin(_conn: Any) -> None:
        ident = threading.get_ident()
        open_transactions[ident] = open_transactions.get(ident, 0) + 1

    def end(_conn: Any) -> None:
        ident = threading.get_ident()
        open_transactions[ident] = open_transactions.get(ident, 0) - 1

    def read(what: str) -> None:
        reads.append(what)
        if open_transactions.get(threading.get_ident(), 0) > 0:
            inside.append(what)

    real_table, real_points = price_sync.batch_table, price_sync.price_points

    def table(client: Any, batch_id: str) -> Any:
        read(batch_id)
        return real_table(client, batch_id)

    def points(client: Any, version_id: str, product_id: str) -> Any:
        read(version_id)
        return real_points(client, version_id, product_id)

    monkeypatch.setattr(price_sync, "batch_table", table)
    monkeypatch.setattr(price_sync, "price_points", points)
    data = generate_catalog(12, 20, seed=7, offers=True, prices=True)
    server = start_sandbox(SandboxCatalog.from_data(data))
    hooks = [("begin", begin), ("commit", end), ("rollback", end)]
    for name, hook in hooks:
        event.listen(Engine, name, hook)
    try:
        settings = settings_of(database_url, server.url, jobs=jobs, batch_lines=4)
        report = sync(settings, full=True)
    finally:
        for name, hook in hooks:
            event.remove(Engine, name, hook)
        server.stop()
    assert report["exit_code"] == 0, report["message"]
    assert reads, "the catalog has price files"
    assert not inside, inside
