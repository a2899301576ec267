"""A line's prices into Commerce through the price-import wizard, as each marketplace's reseller."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from plm_sync.config import Settings
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.ops.reports import run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.integration.conftest import settings_of, with_hub

pytestmark = pytest.mark.integration
SAMPLE = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
BATCH_PRODUCT, LIST_PRODUCT = "PRD-276-377-545", "PRD-900-100-200"  # MP-91111, MP-92222
BATCH = "PRB-545-001-001"


def hub_of(**options: Any) -> CommerceSandbox:
    return CommerceSandbox(CommerceSandboxOptions(task_seconds=0.2, **options)).start()


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = hub_of()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> Settings:
    synced = settings_of(database_url, sandbox.url)
    run_sync(synced, SyncRequest(full=True))
    return synced


def state(hub: CommerceSandbox) -> dict[str, Any]:
    answer = requests.get(f"{hub.control_url}/state", timeout=5)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def events(settings: Settings, run_id: int, code: str) -> list[dict[str, Any]]:
    return [event for event in run_report(settings, run_id)["events"] if event["code"] == code]


def marketplaces(found: list[dict[str, Any]]) -> list[str]:
    """The marketplace each event names (its message; the JSON report has no subject)."""
    return [re.search(r"\bin (MP-[0-9-]+)", event["message"]).group(1) for event in found]  # type: ignore[union-attr]


def push(settings: Settings, *product_ids: str, **request: Any) -> int:
    return push_lines(settings, PushRequest(product_ids, **request)).run_id


def test_a_line_and_its_prices_reach_commerce_once_per_change(
    settings: Settings, sandbox: SandboxServer, hub: CommerceSandbox
) -> None:
    pushing = with_hub(settings, hub)
    run_id = push(pushing, BATCH_PRODUCT, LIST_PRODUCT)
    applied = events(pushing, run_id, "commerce_prices_applied")
    assert sorted(marketplaces(applied)) == ["MP-91111", "MP-92222"]
    assert "reseller 1000001" in next(e for e in applied if "MP-91111" in e["message"])["message"]
    first = state(hub)["prices_set_per_content"]
    assert sorted(first.values()) == [1, 1]
    assert {key.split()[0] for key in first} == {"1000001", "1000002"}

    # nothing changed: nothing is sent, plans or prices
    again = push(pushing, changed=True)
    assert events(pushing, again, "commerce_prices_applied") == []
    assert state(hub)["prices_set_per_content"] == first

    # one marketplace's prices change: that file only is sent, the plans are not applied
    applies = state(hub)["applies"]
    batch = copy.deepcopy(next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH))
    header, *rows = batch["output"]["rows"]
    index = header.index("Price")
    batch["output"]["rows"] = [header] + [
        [*row[:index], round(row[index] * 1.05, 2), *row[index + 1 :]] for row in rows
    ]
    batch["events"]["published"] = {"at": "2026-11-30T10:00:00+00:00"}
    sandbox.catalog.markets.put("pricing_batches", batch)
    assert run_sync(settings, SyncRequest(full=True)).exit_code == 0
    changed = push(pushing, changed=True)
    sent = events(pushing, changed, "commerce_prices_applied")
    assert marketplaces(sent) == ["MP-91111"]
    after = state(hub)
    assert after["applies"] == applies
    assert sorted(after["prices_set_per_content"].values()) == [1, 1, 1]

    # another hub receives everything; --force sends again
    other = hub_of()
    try:
        elsewhere = with_hub(settings, other)
        push(elsewhere, BATCH_PRODUCT, LIST_PRODUCT)
        assert sorted(state(other)["prices_set_per_content"].values()) == [1, 1]
    finally:
        other.stop()
    forced = push(pushing, LIST_PRODUCT, force=True, prices="only")
    assert marketplaces(events(pushing, forced, "commerce_prices_applied")) == ["MP-92222"]


def test_a_dry_run_shows_the_proposals_and_sets_nothing(
    settings: Settings, hub: CommerceSandbox
) -> None:
    pushing = with_hub(settings, hub)
    run_id = push(pushing, BATCH_PRODUCT, dry_run=True)
    (proposed,) = events(pushing, run_id, "commerce_prices_proposed")
    assert "dry run: nothing was set" in proposed["message"]
    assert state(hub)["prices_set_per_content"] == {}
    assert state(hub)["applies"] == 0


def test_an_expired_token_is_renewed_and_an_unknown_reseller_is_named(
    settings: Settings, hub: CommerceSandbox
) -> None:
    pushing = with_hub(settings, hub)
    requests.post(f"{hub.control_url}/expire-tokens", json={"next": 1}, timeout=5)
    run_id = push(pushing, BATCH_PRODUCT)
    assert marketplaces(events(pushing, run_id, "commerce_prices_applied")) == ["MP-91111"]
    lonely = hub_of(resellers=("1000001",))  # the hub has no account 1000002 (MP-92222's)
    try:
        elsewhere = with_hub(settings, lonely)
        outcome = push_lines(elsewhere, PushRequest((LIST_PRODUCT,)))
        (failed,) = events(elsewhere, outcome.run_id, "commerce_prices_failed")
        assert "MP-92222" in failed["message"]
        assert "1000002" in failed["message"]
        assert outcome.exit_code == 3
    finally:
        lonely.stop()


def test_prices_only_needs_the_line_on_the_hub_and_no_prices_sends_plans_only(
    settings: Settings, hub: CommerceSandbox
) -> None:
    pushing = with_hub(settings, hub)
    refused = push_lines(pushing, PushRequest((BATCH_PRODUCT,), prices="only"))
    assert refused.exit_code == 3
    assert events(pushing, refused.run_id, "commerce_line_not_pushed")
    plans = push(pushing, BATCH_PRODUCT, prices="none")
    assert events(pushing, plans, "commerce_applied")
    assert state(hub)["prices_set_per_content"] == {}
    prices = push(pushing, BATCH_PRODUCT, prices="only")
    assert events(pushing, prices, "commerce_prices_applied")
    assert state(hub)["applies"] == 1


def in_second_marketplace(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of a US listing or batch, as one of the EU marketplace (which takes USD too)."""
    text = json.dumps(row)
    for old, new in (
        ("MP-91111", "MP-92222"),
        ("LST-545-001", "LST-545-002"),
        ("PRB-545-001-001", "PRB-545-002-001"),
        ("STR-545-001", "STR-545-002"),
    ):
        text = text.replace(old, new)
    copied: dict[str, Any] = json.loads(text)
    return copied


def test_one_line_priced_in_two_marketplaces_reaches_both_resellers(
    database_url: str, sandbox: SandboxServer, hub: CommerceSandbox
) -> None:
    markets = sandbox.catalog.markets
    listing = next(row for row in SAMPLE["listings"] if row["id"] == "LST-545-001")
    batch = next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH)
    markets.put("listings", in_second_marketplace(listing))
    markets.put("pricing_batches", in_second_marketplace(batch))
    settings = settings_of(database_url, sandbox.url)
    run_sync(settings, SyncRequest(full=True))
    pushing = with_hub(settings, hub)
    run_id = push(pushing, BATCH_PRODUCT)
    applied = events(pushing, run_id, "commerce_prices_applied")
    assert marketplaces(applied) == ["MP-91111", "MP-92222"]
    assert sorted(key.split()[0] for key in state(hub)["prices_set_per_content"]) == [
        "1000001",
        "1000002",
    ]


def test_a_marketplace_without_a_known_reseller_is_named(
    database_url: str, sandbox: SandboxServer, hub: CommerceSandbox
) -> None:
    marketplace = copy.deepcopy(next(m for m in SAMPLE["marketplaces"] if m["id"] == "MP-92222"))
    marketplace["hubs"] = [{"hub": {"id": "HB-0000-0002", "name": "Commerce EU"}}]
    sandbox.catalog.markets.put("marketplaces", marketplace)
    settings = settings_of(database_url, sandbox.url)
    run_sync(settings, SyncRequest(full=True))
    pushing = with_hub(settings, hub)
    outcome = push_lines(pushing, PushRequest((LIST_PRODUCT,)))
    (unknown,) = events(pushing, outcome.run_id, "commerce_reseller_unknown")
    assert "MP-92222" in unknown["message"]
    assert "reseller_account" in unknown["message"]
    assert outcome.exit_code == 3
    assert state(hub)["prices_set_per_content"] == {}
