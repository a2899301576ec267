"""Prices checked where they enter (issue 35, items 1-8), on both databases, over loopback.

Each case publishes a batch copied from the sandbox's `PRB-545-001-001` with edited rows, as a
user would, syncs, and reads what is stored back through the catalog.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from plm_sync.config import Settings
from plm_sync.ops.reports import catalog
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.pushes import PushRepository
from tests.integration.conftest import settings_of
from tests.integration.conftest import sync_report as sync

pytestmark = pytest.mark.integration
PRODUCT, MARKET, BATCH = "PRD-276-377-545", "MP-91111", "PRB-545-001-001"
SAMPLE = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
MONTHLY = "CFQ7TTC0HDK0:0001_P1M:Monthly"
ANNUAL = "CFQ7TTC0HDK0:0001_P1Y:Annual"


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> Settings:
    return settings_of(database_url, sandbox.url, page_size=50)


def events(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [event for event in report["events"] if event["code"] == code]


def prices(settings: Settings) -> dict[str, Any]:
    (line,) = catalog(settings, (PRODUCT,))["product_lines"]
    return dict(line["prices"][MARKET])


def by_mpn(found: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {row["mpn"]: (row["cost"], row["price"]) for row in found["rows"]}


def rows() -> list[list[Any]]:
    batch = next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH)
    return copy.deepcopy(batch["output"]["rows"])


def publish(
    sandbox: SandboxServer,
    table: list[list[Any]],
    batch_id: str,
    stamp: str,
    *,
    scheduled_from: str | None = None,
) -> None:
    """A new batch of the sample's stream with these rows (scheduled from a date, or active)."""
    batch = copy.deepcopy(next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH))
    batch["id"] = batch_id
    batch["output"]["rows"] = table
    batch["events"]["published"] = {"at": stamp}
    if scheduled_from is not None:
        batch["context"]["pricelist_version"] = {
            "id": f"PLV-{batch_id[4:]}",
            "status": "scheduled",
            "start_at": f"{scheduled_from}T00:00:00+00:00",
        }
    sandbox.catalog.markets.put("pricing_batches", batch)


def edit(table: list[list[Any]], number: int, column: str, value: Any) -> list[list[Any]]:
    table[number - 1][table[0].index(column)] = value  # `number`: the sheet's row (header 1)
    return table


def test_negative_prices_are_refused_per_row_and_zero_prices_braked(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    before = by_mpn(prices(settings))
    table = edit(rows(), 2, "Price", -12.5)  # the monthly item
    edit(table, 3, "Cost", 0)  # 1 month / 1 year: 0/0
    edit(table, 3, "Price", 0)
    edit(table, 4, "MSRP", -1)  # the annual item
    publish(sandbox, table, "PRB-545-001-002", "2026-11-20T10:00:00+00:00")
    report = sync(settings, full=True)
    refused = events(report, "price_row_refused")
    assert {(e["mpn"], e["level"]) for e in refused} == {(MONTHLY, "error"), (ANNUAL, "error")}
    monthly = next(e for e in refused if e["mpn"] == MONTHLY)
    assert "PRB-545-001-002 row 2" in monthly["message"]
    assert "Price -12.5 is negative" in monthly["message"]
    zero = events(report, "price_zero")
    assert [(e["mpn"], e["level"]) for e in zero] == [("CFQ7TTC0HDK0:0001_P1Y:Monthly", "warning")]
    assert events(report, "price_change_limit"), "a price becoming 0 is braked"
    assert report["exit_code"] == 3
    assert by_mpn(prices(settings)) == before
    allowed = sync(settings, full=True, allow_price_changes=True)
    after = by_mpn(prices(settings))
    assert after["CFQ7TTC0HDK0:0001_P1Y:Monthly"] == (0, 0)
    assert after[MONTHLY] == before[MONTHLY]  # refused: the stored price stays
    assert after[ANNUAL] == before[ANNUAL]
    assert all(price is None or price >= 0 for _, price in after.values())
    assert allowed["exit_code"] == 3  # the refused rows are errors until the source is fixed


def test_duplicate_rows_refuse_the_batch(settings: Settings, sandbox: SandboxServer) -> None:
    sync(settings, full=True)
    before = prices(settings)
    table = rows()
    twin = list(table[3])  # the annual item at 135
    twin[table[0].index("Price")] = 999
    table.append(twin)
    publish(sandbox, table, "PRB-545-001-002", "2026-11-20T10:00:00+00:00")
    report = sync(settings, full=True)
    (invalid,) = events(report, "price_file_invalid")
    assert f"rows 4 and 10 both price {ANNUAL}" in invalid["message"]
    assert prices(settings) == before
    assert before["source"] == BATCH  # the source named is the batch the rows came from


@pytest.mark.parametrize("column", ["Price", "MSRP", "Cost"])
def test_a_formula_in_a_price_cell_refuses_the_batch(
    settings: Settings, sandbox: SandboxServer, column: str
) -> None:
    sync(settings, full=True)
    before = prices(settings)
    publish(
        sandbox, edit(rows(), 2, column, "=10*1.25"), "PRB-545-001-002", "2026-11-20T10:00:00+00:00"
    )
    report = sync(settings, full=True)
    (invalid,) = events(report, "price_file_invalid")
    assert f"column {column} holds a formula ('=10*1.25')" in invalid["message"]
    assert report["exit_code"] == 3
    assert prices(settings) == before


@pytest.mark.parametrize("huge", ["1E+400", 1e300, "12345678901234"])
def test_a_huge_price_is_refused(settings: Settings, sandbox: SandboxServer, huge: Any) -> None:
    sync(settings, full=True)
    before = prices(settings)
    publish(sandbox, edit(rows(), 2, "Price", huge), "PRB-545-001-002", "2026-11-20T10:00:00+00:00")
    report = sync(settings, full=True, allow_price_changes=True)
    (refused,) = events(report, "price_row_refused")
    assert refused["mpn"] == MONTHLY
    assert "is not below 1,000,000,000,000" in refused["message"]
    assert len(refused["message"]) < 500
    after = prices(settings)
    assert by_mpn(after) == by_mpn(before)
    assert all(math.isfinite(row["price"]) for row in after["rows"])


@pytest.mark.parametrize(
    ("change", "column"),
    [("EUR", "Price Currency"), ("EUR", "Cost Currency"), ("X-", "MPN")],
)
def test_a_batch_most_of_whose_rows_are_left_out_is_refused_whole(
    settings: Settings, sandbox: SandboxServer, change: str, column: str
) -> None:
    sync(settings, full=True)
    before = prices(settings)
    table = rows()
    index = table[0].index(column)
    for row in table[1:]:
        row[index] = change + row[index] if column == "MPN" else change
    publish(sandbox, table, "PRB-545-001-002", "2026-11-20T10:00:00+00:00")
    report = sync(settings, full=True)
    assert not events(report, "price_removed")
    (limit,) = events(report, "price_change_limit")
    assert "8 of the 8 price row(s) of PRB-545-001-002 were left out" in limit["message"]
    assert "refused whole" in limit["message"]
    assert report["exit_code"] == 3
    assert report["status"] != "succeeded"
    assert prices(settings) == before


def test_a_price_left_out_is_a_removal_and_braked(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    before = prices(settings)
    table = rows()
    del table[1]  # one of 8 rows (12.5 %, within the brake's share): the monthly item's
    publish(sandbox, table, "PRB-545-001-002", "2026-11-20T10:00:00+00:00")
    held = sync(settings, full=True)
    (limit,) = events(held, "price_change_limit")
    assert limit["mpn"] == MONTHLY
    assert "would be removed" in limit["message"]
    assert not events(held, "price_removed")
    assert held["exit_code"] == 3
    assert prices(settings) == before
    allowed = sync(settings, full=True, allow_price_changes=True)
    assert [e["mpn"] for e in events(allowed, "price_removed")] == [MONTHLY]
    assert MONTHLY not in by_mpn(prices(settings))
    assert prices(settings)["source"] == "PRB-545-001-002"


def test_a_scheduled_batch_is_braked_like_a_current_one(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    before = prices(settings)
    table = rows()
    header = table[0]
    for row in table[1:]:
        row[header.index("Price")] *= 10
        row[header.index("Cost")] = round(row[header.index("Cost")] * 0.1, 2)
        row[header.index("Effective Date")] = "2027-01-01T00:00:00+00:00"
    publish(
        sandbox, table, "PRB-545-001-003", "2026-11-25T10:00:00+00:00", scheduled_from="2027-01-01"
    )
    report = sync(settings, full=True)
    limits = events(report, "price_change_limit")
    assert limits
    assert all("(scheduled)" in event["message"] for event in limits)
    assert report["exit_code"] == 3
    assert prices(settings) == before
    allowed = sync(settings, full=True, allow_price_changes=True)
    assert allowed["exit_code"] == 0
    scheduled = [row for row in prices(settings)["rows"] if row.get("scheduled")]
    assert len(scheduled) == 8


def verdict(settings: Settings) -> tuple[str, ...]:
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        found = PushRepository(session).verdicts([PRODUCT]).get(PRODUCT)
    return found.codes if found is not None else ()


def test_a_clean_price_read_clears_a_stale_price_error(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    bad = rows()
    bad[0][bad[0].index("Price Currency")] = "Currency"  # the column is gone: file refused
    publish(sandbox, bad, "PRB-545-001-009", "2026-11-20T10:00:00+00:00")
    failed = sync(settings)  # incremental: only the batch changed
    assert events(failed, "price_file_invalid")
    assert verdict(settings) == ("price_file_invalid",)
    assert prices(settings)["source"] == BATCH  # not the refused batch
    for _ in range(2):
        sync(settings)  # still the bad batch: still the error
    assert verdict(settings) == ("price_file_invalid",)
    publish(sandbox, rows(), "PRB-545-001-010", "2026-11-21T10:00:00+00:00")
    clean = sync(settings)
    assert clean["exit_code"] == 0, [e for e in clean["events"] if e["level"] == "error"]
    assert verdict(settings) == ()
    assert prices(settings)["source"] == "PRB-545-001-010"
