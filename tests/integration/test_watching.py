"""Watching syncs and pushes apart: a push never hides a failed sync (issue 35, items 9, 11).

`status`, `/health`, `/metrics` and the alerts keep the last sync's outcome and the catalog's
age from the last successful sync, with the last push's outcome beside them, and show the
prices a hub still sells that the catalog dropped.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from plm_sync.config import Settings
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.errors import RunFailedError
from plm_sync.ops.web import WebServer
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import plm_sync_cli
from tests.integration.conftest import settings_of, with_hub
from tests.integration.test_operations import Receiver

pytestmark = pytest.mark.integration
PRODUCT = "PRD-276-377-545"
SAMPLE = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer, hub: CommerceSandbox) -> Settings:
    return with_hub(settings_of(database_url, sandbox.url, page_size=50), hub)


def status(settings: Settings) -> tuple[int, dict[str, Any], str]:
    env = {"database_url": settings.database_url}
    found = plm_sync_cli("status", "--format", "json", settings=env)
    text = plm_sync_cli("status", settings=env)
    return found.returncode, json.loads(found.stdout), text.stdout


def metrics(settings: Settings) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    env = {"database_url": settings.database_url}
    text = plm_sync_cli("status", "--format", "prometheus", settings=env).stdout
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def health_answer(settings: Settings) -> requests.Response:
    server = WebServer(settings, port=0).start()
    try:
        return requests.get(f"{server.url}/health", timeout=10)
    finally:
        server.stop()


def test_a_successful_push_does_not_hide_a_failed_sync(settings: Settings) -> None:
    synced = run_sync(settings, SyncRequest(full=True))
    assert synced.exit_code == 0
    with pytest.raises(RunFailedError):
        run_sync(
            replace(settings, connect_url="http://127.0.0.1:9/x", max_attempts=1), SyncRequest()
        )
    pushed = push_lines(settings, PushRequest((PRODUCT,)))
    assert pushed.exit_code == 0
    code, data, text = status(settings)
    assert code == 1
    assert data["problems"][0].startswith(f"the last sync ({synced.run_id + 1}) failed")
    assert data["last_run"]["status"] == "failed"
    assert data["last_success"]["id"] == synced.run_id  # the catalog's age: from the sync
    assert data["last_push"]["id"] == pushed.run_id
    assert data["last_push"]["status"] == "succeeded"
    assert f"last push: {pushed.run_id} succeeded" in text
    assert f"(since sync {synced.run_id})" in text
    assert health_answer(settings).status_code == 503
    found = metrics(settings)
    assert found["plm_sync_last_run_status", (("status", "failed"), ("trigger", "cli"))] == 1
    assert found["plm_sync_last_push_status", (("status", "succeeded"),)] == 1
    outcomes = {labels for name, labels in found if name == "plm_sync_last_push_lines"}
    assert outcomes == {(("outcome", "applied"),)}  # not plan_new: one outcome per line
    again = run_sync(settings, SyncRequest(full=True))
    assert again.exit_code == 0
    assert status(settings)[0] == 0
    assert health_answer(settings).status_code == 200


def test_a_price_the_hub_still_sells_is_shown_until_withdrawn(
    settings: Settings, sandbox: SandboxServer, hub: CommerceSandbox, receiver: Receiver
) -> None:
    told = replace(settings, notify=receiver.url)
    assert run_sync(told, SyncRequest(full=True)).exit_code == 0
    assert push_lines(told, PushRequest((PRODUCT,))).exit_code == 0
    batch = copy.deepcopy(
        next(b for b in SAMPLE["pricing_batches"] if b["id"] == "PRB-545-001-001")
    )
    batch["id"] = "PRB-545-001-002"
    del batch["output"]["rows"][8]  # the usage service's price
    batch["events"]["published"] = {"at": "2026-11-20T10:00:00+00:00"}
    sandbox.catalog.markets.put("pricing_batches", batch)
    assert run_sync(told, SyncRequest(full=True, allow_price_changes=True)).exit_code == 0
    pushed = push_lines(told, PushRequest(changed=True))
    assert pushed.exit_code == 3
    alert = receiver.received[-1]
    assert f"push run {pushed.run_id} ended with errors" in alert["title"]
    assert "commerce_price_not_withdrawn" in alert["message"]
    code, data, text = status(told)
    assert code == 1
    (entry,) = data["prices_not_withdrawn"]
    assert (entry["connect_product_id"], entry["marketplace"]) == (PRODUCT, "MP-91111")
    assert entry["rows"] == [["DZH318Z0BQ3Q:0001", "1 month", "1 month"]]
    assert "commerce_price_not_withdrawn" in data["problems"][0]
    assert "not withdrawn: PRD-276-377-545 in MP-91111" in text
    assert health_answer(told).status_code == 503
    assert metrics(told)["plm_sync_prices_not_withdrawn", (("marketplace", "MP-91111"),)] == 1
    requests.post(
        f"{hub.control_url}/remove-price",
        json={
            "account": "1000001",
            "mpn": "DZH318Z0BQ3Q:0001",
            "billing_period": "1 month",
            "subscription_period": "1 month",
        },
        timeout=5,
    ).raise_for_status()
    assert push_lines(told, PushRequest(changed=True)).exit_code == 0
    code, data, _ = status(told)
    assert (code, data["prices_not_withdrawn"]) == (0, [])
    assert not [k for k in metrics(told) if k[0] == "plm_sync_prices_not_withdrawn"]


def test_the_catalog_page_shows_each_lines_counts(settings: Settings) -> None:
    assert run_sync(settings, SyncRequest(full=True)).exit_code == 0
    (line,) = [
        entry
        for entry in requests_catalog(settings)["product_lines"]
        if entry["connect_product_id"] == PRODUCT
    ]
    plans = [plan for plan in line["service_plans"] if plan["active"]]
    periods = sum(len(plan["periods"]) for plan in plans)
    server = WebServer(settings, port=0).start()
    try:
        page = requests.get(f"{server.url}/catalog", timeout=10).text
    finally:
        server.stop()
    assert "built-in method" not in page
    row = page[page.index(f">{PRODUCT}</a>") :].split("</tr>")[0]
    cells = re.findall(r'<td class="num[^"]*">\s*([^<]*?)\s*</td>', row)
    assert cells[:2] == [str(len(plans)), str(periods)]
    assert "MP-91111" in row


def requests_catalog(settings: Settings) -> dict[str, Any]:
    from plm_sync.ops.reports import catalog  # noqa: PLC0415 - the store's catalog JSON

    return catalog(settings, (PRODUCT,))
