"""An offer with plans, features and switches, served by the sandbox, synced into SQLite and
PostgreSQL, read back as catalog JSON and exported as a PLM workbook."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests

from plm_sync.config import Settings
from plm_sync.delivery.workbooks import export_ppr
from plm_sync.errors import MappingsError
from plm_sync.ops.reports import catalog, read_report
from plm_sync.ops.views.html import render_report
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT
from tests.integration.conftest import API_KEY, settings_of
from tests.integration.conftest import sync_report as sync

pytestmark = pytest.mark.integration
PID = "PRD-900-100-200"
OFFER_ID = "OFR-900-100-200"
HEADERS = {"Authorization": f"ApiKey {API_KEY}"}
SAMPLE = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
SWITCHES = SAMPLE["offers"][PID][0]["switches"]


@pytest.fixture
def mappings(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", folder)
    return folder


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer, mappings: Path) -> Settings:
    # every offer part is paged too
    return settings_of(database_url, sandbox.url, mappings=mappings, page_size=2)


def next_second() -> None:
    """Until the clock is in a later whole second than now (what a change is stamped with)."""
    now = int(time.time())
    while int(time.time()) <= now:
        time.sleep(0.01)


def line_of(settings: Settings) -> dict[str, Any]:
    (line,) = catalog(settings, (PID,))["product_lines"]
    return line


def put_switches(sandbox: SandboxServer, rows: list[dict[str, Any]]) -> None:
    response = requests.put(
        f"{sandbox.control_url}/offers/{OFFER_ID}/switches", json=rows, headers=HEADERS, timeout=10
    )
    assert response.status_code == 200, response.text


def test_plans_follow_the_offer_with_constraints_and_features(settings: Settings) -> None:
    report = sync(settings, full=True)
    assert (report["status"], report["exit_code"]) == ("succeeded", 0)
    codes = {event["code"] for event in report["events"] if event["connect_product_id"] == PID}
    assert {"offer_plans_used", "plan_created", "plan_switch_created"} <= codes
    line = line_of(settings)
    assert line["plan_source"] == "offer"
    assert line["offer"] == {"id": OFFER_ID, "name": "Microsoft 365 Business"}
    plans = {plan["name"]: plan for plan in line["service_plans"]}
    assert sorted(plans) == [
        f"Business {tier} (NCE COM {label})"
        for tier in ("Basic", "Premium", "Standard")
        for label in ("ANN", "MTH")
    ]
    premium = plans["Business Premium (NCE COM MTH)"]
    assert premium["offer_plan_id"] == "PLN-900-003"
    assert premium["billing_period"] == {"duration": 1, "unit": "month"}
    assert [(p["duration"], p["unit"], p["mpn"]) for p in premium["periods"]] == [
        (1, "month", "CFQ7TTC0LCHC:0002_P1M:Monthly"),
        (1, "year", "CFQ7TTC0LCHC:0002_P1Y:Monthly"),
    ]
    rates = {rate["resource_mpn"]: rate for rate in premium["resource_rates"]}
    assert (rates["CFQ7TTC0LCHC:0002"]["min_units"], rates["CFQ7TTC0LCHC:0002"]["max_units"]) == (
        1,
        300,
    )
    assert (rates["CFQ7TTC0LHSF:0001"]["min_units"], rates["CFQ7TTC0LHSF:0001"]["max_units"]) == (
        0,
        -1,
    )
    assert [p["mpn"] for p in rates["CFQ7TTC0LHSF:0001"]["periods"]] == [
        "CFQ7TTC0LHSF:0001_P1M:Monthly",
        "CFQ7TTC0LHSF:0001_P1Y:Monthly",
    ]
    assert premium["description"].splitlines() == [
        "Advanced security with everything in Standard.",
        "Apps: Desktop Office apps: Yes; Mailbox: 50 GB",
        "Security: Defender for Business: Yes; Intune device management: Yes",
    ]
    assert {"group": "Security", "name": "Defender for Business", "value": "Yes"} in premium[
        "features"
    ]
    assert premium["upgrade_paths"] == ["Business Premium (NCE COM ANN)"]
    # lines without an offer keep the MPN grouping
    other = catalog(settings, ("PRD-276-377-545",))["product_lines"][0]
    assert other["plan_source"] == "mpn"
    assert other["offer"] is None


def test_connect_switches_become_one_way_paths_with_presets(settings: Settings) -> None:
    sync(settings, full=True)
    switches = {(s["source_plan"], s["target_plan"]): s for s in line_of(settings)["plan_switches"]}
    assert len(switches) == 6
    up = switches["Business Basic (NCE COM MTH)", "Business Standard (NCE COM MTH)"]
    assert (up["operation"], up["preset"], up["origin"], up["connect_switch_id"]) == (
        "upgrade",
        "Immediate upgrade",
        "connect",
        "SWI-900-001",
    )
    assert up["item_mapping"] == {
        "CFQ7TTC0LH18:0001_P1M:Monthly": "CFQ7TTC0LDPB:0001_P1M:Monthly",
        "CFQ7TTC0LH18:0001_P1Y:Monthly": "CFQ7TTC0LDPB:0001_P1Y:Monthly",
        "CFQ7TTC0LHSF:0001_P1M:Monthly": "CFQ7TTC0LHSF:0001_P1M:Monthly",
        "CFQ7TTC0LHSF:0001_P1Y:Monthly": "CFQ7TTC0LHSF:0001_P1Y:Monthly",
    }
    assert up["resource_mapping"] == [{"from": "CFQ7TTC0LH18:0001", "to": "CFQ7TTC0LDPB:0001"}]
    down = switches["Business Premium (NCE COM ANN)", "Business Standard (NCE COM ANN)"]
    assert down["preset_settings"]["immediate"] is False  # from mappings/switches.yaml
    assert down["preset_settings"]["downsize"] is True
    assert ("Business Standard (NCE COM ANN)", "Business Basic (NCE COM ANN)") not in switches


def test_the_export_carries_switch_paths_and_resource_mapping(
    settings: Settings, tmp_path: Path
) -> None:
    sync(settings, full=True)
    path = export_ppr(settings, PID, tmp_path / "offer.xlsx")
    book = openpyxl.load_workbook(path)
    paths = list(book["PlanSwitchPaths"].iter_rows(values_only=True))[1:]
    assert len(paths) == 6
    assert (
        "Business Premium (NCE COM MTH)",
        "Business Standard (NCE COM MTH)",
        "False",
        "Date of upgrade",
        "False",
        "False",
        "True",
        "False",
        "False",
    ) in paths
    mapping = list(book["UpgradeResourceMapping"].iter_rows(values_only=True))
    assert mapping == [
        ("FromResource", "ToResource_1"),
        ("Microsoft 365 Business Basic", "Microsoft 365 Business Standard"),
        ("Microsoft 365 Business Premium", "Microsoft 365 Business Standard"),
        ("Microsoft 365 Business Standard", "Microsoft 365 Business Premium"),
    ]
    rates = list(book["ResourceRates"].iter_rows(values_only=True))
    header = rates[0]
    premium_addon = next(
        row
        for row in rates
        if row[0] == "Business Premium (NCE COM MTH)" and row[-1] == "CFQ7TTC0LHSF:0001"
    )
    assert (premium_addon[header.index("MinUnits")], premium_addon[header.index("MaxUnits")]) == (
        0,
        -1,
    )
    plans = {row[0]: row for row in book["ServicePlans"].iter_rows(values_only=True)}
    description = plans["Business Basic (NCE COM ANN)"][2]
    assert "Apps: Desktop Office apps: No; Mailbox: 50 GB" in description


def test_a_switch_change_in_connect_is_seen_by_an_incremental_sync(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    ended = [
        {**switch, "status": "endofsale"} if switch["id"] == "SWI-900-003" else switch
        for switch in SWITCHES
    ]
    put_switches(sandbox, ended)
    report = sync(settings)
    assert report["exit_code"] == 0
    ended_paths = [e for e in report["events"] if e["code"] == "plan_switch_deactivated"]
    assert len(ended_paths) == 2  # end of sale: kept, inactive (exported as RemoveSwitchPath)
    assert (
        f"{PID}: Business Premium (NCE COM MTH) -> Business Standard (NCE COM MTH)"
        in report["diff"]["switches_deactivated"]
    )
    assert {"connect_product_id": PID, "plans_from": f"offer {OFFER_ID}"}.items() <= next(
        row for row in report["products"] if row["connect_product_id"] == PID
    ).items()
    run = read_report(settings, report["id"])
    page = render_report(run.document, run.shown, run.total, run.changes, history=[])
    assert "switch paths deactivated" in page
    switches = {(s["source_plan"], s["target_plan"]): s for s in line_of(settings)["plan_switches"]}
    assert (
        switches["Business Premium (NCE COM MTH)", "Business Standard (NCE COM MTH)"]["active"]
        is False
    )
    next_second()  # Connect stamps whole seconds; the cursor filter is `gt`
    put_switches(sandbox, SWITCHES[:1])  # two switches gone from Connect
    report = sync(settings)
    assert [e["code"] for e in report["events"]].count("plan_switch_deactivated") == 2
    active = [s for s in line_of(settings)["plan_switches"] if s["active"]]
    assert {s["connect_switch_id"] for s in active} == {"SWI-900-001"}


def test_an_invalid_switch_leaves_the_stored_line_as_it_was(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    before = line_of(settings)
    broken = [*SWITCHES, {**SWITCHES[0], "id": "SWI-900-404", "to": {"id": "PLN-404"}}]
    put_switches(sandbox, broken)
    report = sync(settings)
    assert (report["status"], report["exit_code"]) == ("succeeded_with_errors", 3)
    errors = [e for e in report["events"] if e["level"] == "error"]
    assert [e["code"] for e in errors] == ["switch_invalid"]
    assert "Connect switch SWI-900-404 of offer OFR-900-100-200" in errors[0]["message"]
    assert "the product line was left as it was" in errors[0]["message"]
    assert line_of(settings) == before
    assert report["cursor_after"] == report["cursor_before"]  # retried on the next run


def test_operator_switches_and_item_mappings_from_switches_yaml(
    settings: Settings, mappings: Path
) -> None:
    text = (
        (mappings / "switches.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "switches: []",
            """switches:
  - product: PRD-900-100-200
    source: {plan: "Business Basic (NCE COM MTH)"}
    target: {plan: "Business Premium (NCE COM MTH)"}
    preset: Immediate upgrade
    operation: upgrade
    items: {"CFQ7TTC0LH18:0001_P1M:Monthly": "CFQ7TTC0LCHC:0002_P1M:Monthly",
            "CFQ7TTC0LH18:0001_P1Y:Monthly": "CFQ7TTC0LCHC:0002_P1Y:Monthly",
            "CFQ7TTC0LHSF:0001_P1M:Monthly": null,
            "CFQ7TTC0LHSF:0001_P1Y:Monthly": null}
""",
        )
    )
    (mappings / "switches.yaml").write_text(text, encoding="utf-8")
    report = sync(settings, full=True)
    assert report["exit_code"] == 0
    switches = {(s["source_plan"], s["target_plan"]): s for s in line_of(settings)["plan_switches"]}
    added = switches["Business Basic (NCE COM MTH)", "Business Premium (NCE COM MTH)"]
    assert added["origin"] == "mappings"
    assert added["item_mapping"]["CFQ7TTC0LHSF:0001_P1M:Monthly"] is None
    assert len(switches) == 7


def test_an_invalid_switches_file_stops_the_run_before_anything_changes(
    settings: Settings, mappings: Path
) -> None:
    (mappings / "switches.yaml").write_text("switches:\n  - preset: nope\n", encoding="utf-8")
    with pytest.raises(MappingsError, match=r"switches\.yaml: switches\[1\]\.source"):
        run_sync(settings, SyncRequest(full=True))


def test_offers_can_be_turned_off(settings: Settings) -> None:
    report = sync(replace(settings, offers=False), full=True)
    assert report["exit_code"] == 0
    line = line_of(settings)
    assert (line["plan_source"], line["plan_switches"]) == ("mpn", [])
    assert "Microsoft 365 Business Basic (NCE COM MTH)" in {
        p["name"] for p in line["service_plans"]
    }


def test_an_unchanged_line_reports_its_warnings_again_without_recomputing(
    settings: Settings, sandbox: SandboxServer
) -> None:
    items = SAMPLE["offers"][PID][0]["items"]
    ghost = {
        "id": "OFI-GHOST",
        "name": "Retired SKU",
        "plans": [
            {"plan": "PLN-900-001", "item": {"id": "PRD-900-100-200-9999"}, "period": "monthly"}
        ],
    }
    response = requests.put(
        f"{sandbox.control_url}/offers/{OFFER_ID}/items",
        json=[*items, ghost],
        headers=HEADERS,
        timeout=10,
    )
    assert response.status_code == 200
    first = sync(settings, full=True)
    again = sync(settings, full=True)
    counts = again["counts"]
    assert counts["created"] == counts["updated"] == counts["deactivated"] == 0

    def warnings(report: dict[str, Any]) -> list[tuple[str, str]]:
        return sorted(
            (e["code"], e["message"])
            for e in report["events"]
            if e["level"] != "info" and e["connect_product_id"] == PID
        )

    assert warnings(again) == warnings(first)
    assert "offer_unknown_item" in {code for code, _ in warnings(again)}
