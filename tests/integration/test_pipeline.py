"""The real pipeline against the real sandbox, into SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from plm_sync.config import Settings
from plm_sync.errors import MappingsError, RunConflictError, RunFailedError
from plm_sync.ops.reports import catalog, list_runs
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import CATALOG_TABLES
from plm_sync.store.runs import RunRepository, RunStart
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT
from tests.integration.conftest import API_KEY, settings_of, start_sandbox
from tests.integration.conftest import sync_report as sync

pytestmark = pytest.mark.integration
SAMPLE = "PRD-276-377-545"
HEADERS = {"Authorization": f"ApiKey {API_KEY}"}


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> Settings:
    return settings_of(database_url, sandbox.url, page_size=25)


def control(sandbox: SandboxServer, method: str, path: str, body: Any = None) -> None:
    response = requests.request(
        method, f"{sandbox.control_url}{path}", json=body, headers=HEADERS, timeout=10
    )
    assert response.status_code < 300, response.text


def latest_change(settings: Settings) -> datetime | None:
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        stamps = [session.scalar(select(func.max(table.updated_at))) for table in CATALOG_TABLES]
    return max(stamp for stamp in stamps if stamp is not None)


def plan(data: dict[str, Any], product: str, name: str) -> dict[str, Any]:
    line = next(line for line in data["product_lines"] if line["connect_product_id"] == product)
    return next(plan for plan in line["service_plans"] if plan["name"] == name)


def test_full_sync_builds_the_catalog(settings: Settings) -> None:
    report = sync(settings, full=True)
    assert report["status"] == "succeeded"
    assert report["exit_code"] == 0
    counts = report["counts"]
    assert (counts["products"], counts["items"], counts["skipped"]) == (5, 114, 2)
    assert counts["created"] > 0
    assert counts["updated"] == counts["deactivated"] == counts["errors"] == 0
    assert report["cursor_after"] == "2026-10-02T09:00:00+00:00"
    codes = {event["code"] for event in report["events"]}
    assert {"plan_created", "mpn_no_suffix"} <= codes


def test_catalog_json_matches_design_for_the_nce_sample(settings: Settings) -> None:
    sync(settings, full=True)
    data = catalog(settings, (SAMPLE,))
    (line,) = data["product_lines"]
    assert (line["connect_product_id"], line["name"], line["vendor"]) == (
        SAMPLE,
        "Microsoft NCE Sample",
        "Microsoft",
    )
    resources = {r["mpn"]: r for r in line["resources"]}
    assert resources["CFQ7TTC0HDK0:0001"] == {
        "mpn": "CFQ7TTC0HDK0:0001",
        "name": "Cloud Service",
        "uom": "Licenses",
        "measurable": False,
        "as_is": False,
        "active": True,
    }
    assert resources["DZH318Z0BQ3Q:0001"]["measurable"] is True
    assert resources["CFQ7TTC0LFLX:0001_ANNUAL"]["as_is"] is True
    assert "CFQ7TTC0LH18:0001" not in resources  # draft item skipped
    monthly = plan(data, SAMPLE, "Cloud Service (NCE COM MTH)")
    assert monthly["resource_mpn"] == "CFQ7TTC0HDK0:0001"
    assert monthly["billing_period"] == {"duration": 1, "unit": "month"}
    assert (monthly["trial"], monthly["active"]) == (False, True)
    assert monthly["periods"] == [
        {
            "duration": 1,
            "unit": "month",
            "trial": False,
            "mpn": "CFQ7TTC0HDK0:0001_P1M:Monthly",
            "connect_item_id": f"{SAMPLE}-0001",
            "active": True,
        },
        {
            "duration": 1,
            "unit": "year",
            "trial": False,
            "mpn": "CFQ7TTC0HDK0:0001_P1Y:Monthly",
            "connect_item_id": f"{SAMPLE}-0002",
            "active": True,
        },
    ]
    (rate,) = monthly["resource_rates"]
    assert (rate["resource_mpn"], rate["min_units"], rate["max_units"]) == (
        "CFQ7TTC0HDK0:0001",
        1,
        -1,
    )
    assert [(p["duration"], p["unit"], p["mpn"]) for p in rate["periods"]] == [
        (1, "month", "CFQ7TTC0HDK0:0001_P1M:Monthly"),
        (1, "year", "CFQ7TTC0HDK0:0001_P1Y:Monthly"),
    ]
    assert monthly["upgrade_paths"] == [
        "Cloud Service (NCE COM ANN)",
        "Cloud Service (NCE COM TRI)",
    ]
    assert monthly["sharing"] == {
        "op_units": [],
        "reseller_groups": [],
        "op_unit_reseller_groups": {},
    }
    trial = plan(data, SAMPLE, "Office 365 E3 Trial (NCE COM TRIAL)")
    assert (trial["trial"], trial["billing_period"]) == (True, None)
    assert trial["periods"][0]["trial"] is True
    eos = plan(data, SAMPLE, "Microsoft Stream Storage Add-On (500 GB) (NCE COM MTH)")
    assert eos["active"] is False
    assert line["plan_switches"] == []


def test_no_change_resync_writes_no_catalog_row(settings: Settings) -> None:
    first = sync(settings, full=True)
    stamp = latest_change(settings)
    second = sync(settings, full=True)
    counts = second["counts"]
    assert counts["created"] == counts["updated"] == counts["deactivated"] == 0
    assert counts["unchanged"] == first["counts"]["created"]
    assert latest_change(settings) == stamp
    assert catalog(settings) == catalog(settings)


def test_incremental_sync_sees_only_changed_products(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    nothing = sync(settings)
    assert nothing["counts"]["products"] == 0
    assert nothing["scope"] == "incremental"
    control(sandbox, "PATCH", f"/items/{SAMPLE}-0001", {"name": "Cloud Service Plus (NCE COM)"})
    changed = sync(settings)
    assert changed["counts"]["products"] == 1
    assert changed["counts"]["updated"] > 0
    assert changed["cursor_after"] > changed["cursor_before"]
    resource_names = {
        r["mpn"]: r["name"] for r in catalog(settings, (SAMPLE,))["product_lines"][0]["resources"]
    }
    assert resource_names["CFQ7TTC0HDK0:0001"] == "Cloud Service Plus"
    assert sync(settings)["counts"]["products"] == 0


def test_removed_and_endofsale_items_are_deactivated_not_deleted(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    control(sandbox, "DELETE", f"/items/{SAMPLE}-0004")  # the only triennial period
    control(sandbox, "PATCH", f"/items/{SAMPLE}-0002", {"status": "endofsale"})
    report = sync(settings)
    assert report["counts"]["deactivated"] >= 3
    data = catalog(settings, (SAMPLE,))
    triennial = plan(data, SAMPLE, "Cloud Service (NCE COM TRI)")
    assert triennial["active"] is False
    assert len(triennial["periods"]) == 1
    monthly = plan(data, SAMPLE, "Cloud Service (NCE COM MTH)")
    assert [p["active"] for p in monthly["periods"]] == [True, False]
    assert "Cloud Service (NCE COM TRI)" not in monthly["upgrade_paths"]
    codes = {event["code"] for event in report["events"]}
    assert "plan_deactivated" in codes


def test_dry_run_reports_changes_and_writes_no_catalog_row(settings: Settings) -> None:
    report = sync(settings, full=True, dry_run=True)
    assert report["dry_run"] is True
    assert report["counts"]["created"] > 0
    assert any("would be created" in event["message"] for event in report["events"])
    assert catalog(settings) == {"product_lines": []}
    assert report["cursor_after"] is None
    real = sync(settings, full=True)
    assert real["counts"]["created"] == report["counts"]["created"]


def test_a_product_whose_items_fail_fails_alone(settings: Settings, sandbox: SandboxServer) -> None:
    broken = sandbox.catalog.products()[1]["id"]
    control(sandbox, "POST", f"/products/{broken}/break")
    report = sync(replace(settings, max_attempts=2, max_retry_wait=5), full=True)
    assert report["status"] == "succeeded_with_errors"
    assert report["exit_code"] == 3
    failures = [e for e in report["events"] if e["code"] == "product_fetch_failed"]
    assert [e["connect_product_id"] for e in failures] == [broken]
    stored = {line["connect_product_id"] for line in catalog(settings)["product_lines"]}
    assert broken not in stored
    assert SAMPLE in stored
    assert report["cursor_after"] is None  # the cursor waits for a complete run


def test_malformed_items_are_item_errors_and_the_run_goes_on(
    database_url: str, tmp_path: Path
) -> None:
    server = start_sandbox(SandboxCatalog.from_data(generate_catalog(2, 300, seed=0)))
    try:
        settings = settings_of(database_url, server.url)
        report = sync(settings, full=True)
    finally:
        server.stop()
    assert report["status"] == "succeeded_with_errors"
    assert report["exit_code"] == 3
    invalid = [e for e in report["events"] if e["code"] == "item_invalid"]
    assert invalid
    assert all(e["connect_item_id"] and "type" in e["message"] for e in invalid)
    assert report["counts"]["errors"] == len(invalid)
    assert report["counts"]["created"] > 1000


def test_full_sync_deactivates_products_gone_from_connect(
    settings: Settings, sandbox: SandboxServer
) -> None:
    sync(settings, full=True)
    gone = sandbox.catalog.products()[2]["id"]
    control(sandbox, "PATCH", f"/products/{gone}", {"status": "endofsale"})
    incremental = sync(settings)
    assert incremental["counts"]["deactivated"] == 0
    held = sync(settings, full=True)  # more plans than the default brake allows (20)
    assert held["counts"]["deactivated"] == 0
    assert [e["connect_product_id"] for e in held["events"] if e["code"] == "deactivation_limit"]
    assert held["exit_code"] == 3
    full = sync(settings, full=True, allow_deactivations=True)
    assert full["counts"]["deactivated"] > 0
    lines = {line["connect_product_id"]: line for line in catalog(settings)["product_lines"]}
    assert lines[gone]["active"] is False
    assert all(not p["active"] for p in lines[gone]["service_plans"])
    assert lines[SAMPLE]["active"] is True


def test_a_failed_full_sync_deactivates_nothing(settings: Settings, sandbox: SandboxServer) -> None:
    sync(settings, full=True)
    products = sandbox.catalog.products()
    control(sandbox, "PATCH", f"/products/{products[2]['id']}", {"status": "draft"})
    control(sandbox, "POST", f"/products/{products[1]['id']}/break")
    report = sync(replace(settings, max_attempts=1), full=True)
    assert report["counts"]["deactivated"] == 0
    lines = {line["connect_product_id"]: line for line in catalog(settings)["product_lines"]}
    assert lines[products[2]["id"]]["active"] is True


def test_import_one_product(settings: Settings) -> None:
    report = sync(settings, full=True, product_ids=(SAMPLE,))
    assert report["counts"]["products"] == 1
    assert [line["connect_product_id"] for line in catalog(settings)["product_lines"]] == [SAMPLE]
    assert report["cursor_after"] is None
    missing = sync(settings, full=True, product_ids=("PRD-000-000-404",))
    assert missing["exit_code"] == 3
    assert missing["events"][0]["code"] == "product_not_found"


def test_a_second_run_is_refused_while_one_runs(settings: Settings) -> None:
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        held = RunRepository(session).start(
            RunStart("schedule", "full", full=True, dry_run=False), datetime.now(UTC)
        )
        held_id = held.id
    with pytest.raises(RunConflictError, match=f"run {held_id} \\(schedule, full\\)") as raised:
        run_sync(settings, SyncRequest(full=True))
    assert raised.value.exit_code == 2
    assert [run["id"] for run in list_runs(settings)] == [held_id]


@pytest.mark.parametrize("owner_alive", [False, True])
def test_a_run_left_running_by_a_dead_process_is_marked_failed(
    settings: Settings, owner_alive: bool
) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    owner = (
        f"{socket.gethostname()}:{os.getpid()}"
        if owner_alive
        else (f"{socket.gethostname()}:999999999")
    )
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        runs = RunRepository(session)
        crashed = runs.start(
            RunStart("cli", "full", full=True, dry_run=False),
            long_ago if owner_alive else datetime.now(UTC),
            owner=owner,
        )
        crashed_id = crashed.id
    report = sync(settings, full=True)
    assert report["status"] == "succeeded"
    old = next(run for run in list_runs(settings) if run["id"] == crashed_id)
    assert old["status"] == "failed"
    assert "marked failed by a later run" in old["message"]


def test_a_bad_api_key_fails_the_run_with_exit_2_and_closes_it(settings: Settings) -> None:
    with pytest.raises(RunFailedError, match="PLM_SYNC_CONNECT_API_KEY") as raised:
        run_sync(replace(settings, connect_api_key="SU-WRONG:key"), SyncRequest(full=True))
    assert raised.value.exit_code == 2
    assert "SU-WRONG:key" not in str(raised.value)
    (run,) = list_runs(settings)
    assert run["status"] == "failed"
    assert "fetching products" in run["message"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param("plans: {upgrade_paths: sideways}\n", "upgrade_paths", id="bad-value"),
        pytest.param("", "the file is empty", id="empty-file"),
        pytest.param(None, "plm.yaml: not found", id="missing-file"),
    ],
)
def test_invalid_mappings_stop_before_anything_is_written(
    settings: Settings, tmp_path: Path, content: str | None, fragment: str
) -> None:
    sync(settings, full=True)
    before = (catalog(settings), list_runs(settings))
    if content is not None:
        (tmp_path / "plm.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(MappingsError, match=fragment):
        run_sync(replace(settings, mappings=tmp_path), SyncRequest(full=True))
    assert (catalog(settings), list_runs(settings)) == before


def test_a_rules_change_reapplies_without_a_connect_change(
    settings: Settings, tmp_path: Path
) -> None:
    sync(settings, full=True)
    text = (ROOT / "mappings" / "plm.yaml").read_text(encoding="utf-8")
    (tmp_path / "plm.yaml").write_text(
        text.replace('name_template: "{name} ({label})"', 'name_template: "{name} - {label}"'),
        encoding="utf-8",
    )
    report = sync(replace(settings, mappings=tmp_path), full=True)
    assert report["counts"]["updated"] > 0
    names = {
        p["name"] for line in catalog(settings)["product_lines"] for p in line["service_plans"]
    }
    assert "Cloud Service - NCE COM MTH" in names
