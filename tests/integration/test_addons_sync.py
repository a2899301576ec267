"""Add-ons and end-of-sale replacements from the sandbox into both databases and the PPR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests

from plm_sync.config import Settings
from plm_sync.delivery.workbooks import export_ppr
from plm_sync.ops.reports import catalog, run_report
from plm_sync.ppr.structure import structure
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.integration.conftest import API_KEY, settings_of

pytestmark = pytest.mark.integration
PRODUCT = "PRD-300-000-600"  # the sample's line with an add-on and a legacy SKU
BASE, ADDON, LEGACY = "CFQ7TTC0GQ49:0008", "CFQ7TTA0GQ49:0008", "CFQ7TTL0GQ49:0008"


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> Settings:
    return settings_of(database_url, sandbox.url)


def line(settings: Settings) -> dict[str, Any]:
    (found,) = catalog(settings, (PRODUCT,))["product_lines"]
    return found


def sheet_rows(path: Path, name: str) -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[name].iter_rows(values_only=True))
    book.close()
    header = [str(cell) for cell in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def test_a_line_with_an_add_on_and_replacements(settings: Settings, tmp_path: Path) -> None:
    first = run_sync(settings, SyncRequest(full=True))
    report = run_report(settings, first.run_id)
    stored = line(settings)
    plans = {plan["name"]: plan for plan in stored["service_plans"]}
    assert not [plan for plan in plans.values() if plan["resource_mpn"] == ADDON]
    base_plans = [plan for plan in plans.values() if plan["resource_mpn"] == BASE]
    with_addon = [
        plan for plan in base_plans if any(r.get("addon") for r in plan["resource_rates"])
    ]
    assert len(with_addon) == 2
    rate = next(r for r in with_addon[0]["resource_rates"] if r.get("addon"))
    assert (rate["resource_mpn"], rate["min_units"]) == (ADDON, 0)
    assert stored["resource_dependencies"] == [
        {
            "child_mpn": ADDON,
            "parent_mpn": BASE,
            "kind": "Requires",
            "multiplier": 1,
            "active": True,
        }
    ]
    switches = [s for s in stored["plan_switches"] if s["operation"] == "eos"]
    assert len(switches) == 2
    assert all(s["active"] and s["origin"] == "replacement" for s in switches)
    assert report["diff"]["addon_rates_created"]
    assert report["diff"]["dependencies_created"] == [f"{PRODUCT}: {ADDON} requires {BASE}"]
    codes = {event["code"] for event in report["events"] if event["connect_product_id"] == PRODUCT}
    assert {"addon_attached", "addon_period_missing"} <= codes

    # the workbook: add-on rates in the base plans, a dependency row, no add-on plan
    path = export_ppr(settings, PRODUCT, tmp_path / "addons.xlsx")
    rates = sheet_rows(path, "ResourceRates")
    addon_name = "Microsoft Teams E1 Storage Add-On"
    assert {row["ServicePlan"] for row in rates if row["MPN"] == ADDON} == {
        plan["name"] for plan in with_addon
    }
    assert {row["MinUnits"] for row in rates if row["MPN"] == ADDON} == {0}
    (dependency,) = sheet_rows(path, "ResourceDependencies")
    assert dependency["ChildResource"] == addon_name
    assert dependency["DependenceKind"] == "Requires"
    assert not [row for row in sheet_rows(path, "ServicePlans") if row["MPN"] == ADDON]
    switch_rows = sheet_rows(path, "PlanSwitchPaths")
    assert {row["FromPlan"] for row in switch_rows} >= {s["source_plan"] for s in switches}
    # PLM's mandatory sheets and columns are all there
    book = openpyxl.load_workbook(path, read_only=True)
    for sheet in structure().values():
        if sheet.mandatory:
            assert sheet.name in book.sheetnames
    book.close()

    # a re-sync writes nothing
    again = run_report(settings, run_sync(settings, SyncRequest(full=True)).run_id)
    assert again["counts"]["created"] == again["counts"]["updated"] == 0
    assert again["counts"]["deactivated"] == 0


def test_an_add_on_that_loses_its_parent_goes_back_to_its_own_plans(
    settings: Settings, sandbox: SandboxServer
) -> None:
    run_sync(settings, SyncRequest(full=True))
    for number in range(6, 10):  # the add-on's four items
        answer = requests.patch(
            f"{sandbox.control_url}/items/{PRODUCT}-{number:04d}",
            json={"parent": None},
            headers={"Authorization": API_KEY},
            timeout=5,
        )
        answer.raise_for_status()
    report = run_report(settings, run_sync(settings, SyncRequest(full=True)).run_id)
    stored = line(settings)
    assert stored["resource_dependencies"][0]["active"] is False
    assert [p for p in stored["service_plans"] if p["resource_mpn"] == ADDON and p["active"]]
    assert report["diff"]["dependencies_deactivated"] == [f"{PRODUCT}: {ADDON} requires {BASE}"]
    assert report["diff"]["addon_rates_deactivated"]
