"""Drift: a hub edited by hand behind the push's back is found, named, and repaired by a push.

The Commerce sandbox's `/_sandbox/edit` changes a rate, a description, a sharing or a price
the way an operator does in Commerce's UI; `plm-sync drift` reads the line back, names each
field (hub -> catalog), exits 3, changes nothing; `push --force` repairs; drift is then clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from plm_sync.config import Settings
from plm_sync.delivery.drift import DriftRequest, drift_lines
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.ops.reports import health, run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, hub_settings, settings_of, with_hub
from tests.integration.test_ppr_roundtrip import MONTHLY

pytestmark = pytest.mark.integration
LINE, MARKET, RESELLER = "PRD-276-377-545", "MP-91111", "1000001"


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer, hub: CommerceSandbox) -> Settings:
    settings = with_hub(settings_of(database_url, sandbox.url, page_size=50), hub)
    run_sync(settings, SyncRequest(full=True))
    pushed = push_lines(settings, PushRequest((LINE,)))
    assert pushed.exit_code == 0, run_report(settings, pushed.run_id)["events"]
    return settings


def edit(hub: CommerceSandbox, body: dict[str, Any]) -> None:
    answer = requests.post(f"{hub.control_url}/edit", json=body, timeout=5)
    assert answer.status_code == 200, answer.text


def drifted(settings: Settings, **request: Any) -> dict[str, Any]:
    request.setdefault("product_ids", (LINE,))
    outcome = drift_lines(settings, DriftRequest(**request))
    report = run_report(settings, outcome.run_id)
    report["exit_code"] = outcome.exit_code
    return report


def messages(report: dict[str, Any], code: str) -> list[str]:
    return [event["message"] for event in report["events"] if event["code"] == code]


def test_a_hub_as_pushed_has_no_drift(settings: Settings, hub: CommerceSandbox) -> None:
    before = hub.plm.state()
    report = drifted(settings, product_ids=(), all_lines=True)
    assert report["exit_code"] == 0, report["events"]
    assert report["trigger"] == "drift"
    assert report["scope"] == "drift --all"
    assert len(messages(report, "drift_none")) == 1
    after = hub.plm.state()
    assert after["applies"] == before["applies"]  # nothing sent that changes PLM


def test_hand_edits_are_named_and_a_forced_push_repairs_them(
    settings: Settings, hub: CommerceSandbox
) -> None:
    edit(hub, {"product": LINE, "plan": MONTHLY, "rate": {"resource": "Cloud Service", "max": 7}})
    edit(hub, {"product": LINE, "plan": MONTHLY, "description": "edited in Commerce"})
    prices = requests.get(f"{hub.control_url}/prices/{RESELLER}", timeout=5).json()
    first = prices[0]
    edit(
        hub,
        {
            "account": RESELLER,
            "mpn": first["mpn"],
            "billing_period": first["billingPeriod"],
            "subscription_period": first["subscriptionPeriod"],
            "price": "999",
        },
    )
    report = drifted(settings)
    assert report["exit_code"] == 3, report["events"]
    assert report["status"] == "succeeded_with_errors"
    (plan,) = messages(report, "drift_plan_changed")
    assert MONTHLY in plan
    assert "max 7 -> unlimited" in plan or "max 7 ->" in plan
    assert "description edited in commerce ->" in plan
    (price,) = messages(report, "drift_prices")
    assert "999 ->" in price
    assert f"plm-sync push {LINE} --force" in price
    assert report["counts"]["updated"] == 1  # one line drifted

    problems = health(settings, 26)["problems"]
    assert any("differ from the catalog" in problem for problem in problems)

    repaired = push_lines(settings, PushRequest((LINE,), force=True))
    assert repaired.exit_code == 0, run_report(settings, repaired.run_id)["events"]
    clean = drifted(settings)
    assert clean["exit_code"] == 0, clean["events"]
    assert health(settings, 26)["ok"], health(settings, 26)["problems"]


def test_a_plan_removed_by_hand_is_missing(settings: Settings, hub: CommerceSandbox) -> None:
    edit(hub, {"product": LINE, "plan": MONTHLY, "remove": True})
    report = drifted(settings)
    (missing,) = messages(report, "drift_plan_missing")
    assert MONTHLY in missing


def test_the_cli_exits_3_on_drift_and_reads_another_hub_with_hub(
    settings: Settings, hub: CommerceSandbox
) -> None:
    env = {
        "database_url": settings.database_url,
        "connect_url": settings.connect_url or "",
        "connect_api_key": API_KEY,
        "mappings": str(ROOT / "mappings"),
    } | hub_settings(hub)
    edit(hub, {"product": LINE, "plan": MONTHLY, "published": False})
    result = plm_sync_cli("drift", LINE, "--format", "json", settings=env)
    assert result.returncode == 3, result.stderr
    assert "isPublished False -> True" in result.stdout
    other = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    try:
        fresh = plm_sync_cli("drift", "--all", "--hub", other.url, settings=env)
    finally:
        other.stop()
    assert fresh.returncode == 0, fresh.stderr  # the other hub received no line: none to read
    refused = plm_sync_cli("drift", settings=env)
    assert refused.returncode == 2
    assert "--all" in refused.stderr
