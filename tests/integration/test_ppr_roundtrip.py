"""PLM workbook round trips through the store: export, edit, import, sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests

from plm_sync.config import Settings
from plm_sync.delivery.workbooks import export_ppr, import_ppr
from plm_sync.errors import MappingsError
from plm_sync.ops.reports import catalog, list_runs, run_report
from plm_sync.ppr.read import WorkbookError
from plm_sync.runs.runlog import RunLog
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT
from tests.integration.conftest import API_KEY, settings_of

pytestmark = pytest.mark.integration
SAMPLE = "PRD-276-377-545"
MONTHLY = "Cloud Service (NCE COM MTH)"


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> Settings:
    settings = settings_of(database_url, sandbox.url)
    run_sync(settings, SyncRequest(full=True))
    return settings


def plans(settings: Settings) -> dict[str, dict[str, Any]]:
    (line,) = catalog(settings, (SAMPLE,))["product_lines"]
    return {plan["name"]: plan for plan in line["service_plans"]}


def edit(path: Path, sheet: str, match: str, column: str, value: object) -> None:
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    header = [cell.value for cell in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == match:
            row[header.index(column)].value = value
    book.save(path)


def test_export_then_import_unchanged_records_no_change(settings: Settings, tmp_path: Path) -> None:
    before = catalog(settings)
    path = export_ppr(settings, SAMPLE, tmp_path / "ppr.xlsx")
    outcome = import_ppr(settings, path)
    report = run_report(settings, outcome.run_id)
    assert report["status"] == "succeeded"
    assert report["scope"] == "ppr import: ppr.xlsx"
    counts = report["counts"]
    assert counts["created"] == counts["updated"] == counts["deactivated"] == 0
    assert not [e for e in report["events"] if e["code"].startswith("override")]
    assert catalog(settings) == before


def test_edits_are_kept_by_the_catalog_the_next_export_and_later_syncs(
    settings: Settings, sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = export_ppr(settings, SAMPLE, tmp_path / "ppr.xlsx")
    edit(path, "ServicePlans", MONTHLY, "Published", "False")
    edit(path, "ServicePlans", MONTHLY, "Description_EN", "Monthly cloud, edited")
    edit(path, "ResourceRates", MONTHLY, "MaxUnits", 300)
    edit(path, "ServicePlans", MONTHLY, "OldName_1", MONTHLY)
    edit(path, "ServicePlans", MONTHLY, "Name_EN", "Cloud Service Monthly")
    report = run_report(settings, import_ppr(settings, path).run_id)
    assert report["counts"]["updated"] >= 1
    assert sum(e["code"] == "override_set" for e in report["events"]) == 4

    def check() -> None:
        stored = plans(settings)
        assert MONTHLY not in stored
        renamed = stored["Cloud Service Monthly"]
        assert renamed["published"] is False
        assert renamed["description"] == "Monthly cloud, edited"
        assert renamed["resource_rates"][0]["max_units"] == 300
        assert "Cloud Service Monthly" in stored["Cloud Service (NCE COM ANN)"]["upgrade_paths"]

    check()
    again = export_ppr(settings, SAMPLE, tmp_path / "again.xlsx")
    rows = list(openpyxl.load_workbook(again)["ServicePlans"].iter_rows(values_only=True))
    header = rows[0]
    row = next(
        dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] == "Cloud Service Monthly"
    )
    assert (row["Published"], row["Description_EN"]) == ("False", "Monthly cloud, edited")

    unchanged = run_report(settings, run_sync(settings, SyncRequest(full=True)).run_id)
    assert unchanged["counts"]["updated"] == 0
    check()
    response = requests.patch(
        f"{sandbox.control_url}/items/{SAMPLE}-0001",
        json={"name": "Cloud Service Pro (NCE COM MTH)"},
        headers={"Authorization": f"ApiKey {API_KEY}"},
        timeout=10,
    )
    assert response.status_code == 200
    changed = run_report(settings, run_sync(settings, SyncRequest(full=True)).run_id)
    shadowed = [e["message"] for e in changed["events"] if e["code"] == "override_shadows_change"]
    assert any("Cloud Service Pro (NCE COM MTH)" in message for message in shadowed)
    assert plans(settings)["Cloud Service Monthly"]["published"] is False


def test_a_bad_workbook_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    path = export_ppr(settings, SAMPLE, tmp_path / "ppr.xlsx")
    edit(path, "ServicePlans", MONTHLY, "Published", "False")
    edit(path, "ResourceRates", MONTHLY, "MinUnits", "one")
    before = (catalog(settings), list_runs(settings))
    with pytest.raises(MappingsError, match="MinUnits"):
        import_ppr(settings, path)
    assert (catalog(settings), list_runs(settings)) == before


def test_an_unknown_plan_is_refused(settings: Settings, tmp_path: Path) -> None:
    path = export_ppr(settings, SAMPLE, tmp_path / "ppr.xlsx")
    edit(path, "ServicePlans", MONTHLY, "OldName_1", "Never Existed (NCE COM MTH)")
    before = catalog(settings)
    with pytest.raises(MappingsError, match="unknown plan 'Never Existed"):
        import_ppr(settings, path)
    assert catalog(settings) == before


def test_dry_run_reports_and_keeps_everything(settings: Settings, tmp_path: Path) -> None:
    path = export_ppr(settings, SAMPLE, tmp_path / "ppr.xlsx")
    edit(path, "ServicePlans", MONTHLY, "Published", "False")
    before = catalog(settings)
    report = run_report(settings, import_ppr(settings, path, dry_run=True).run_id)
    assert report["dry_run"] is True
    assert any(e["code"] == "override_set" for e in report["events"])
    assert catalog(settings) == before


OFFER_PRODUCT = "PRD-900-100-200"
PREMIUM = "Business Premium (NCE COM MTH)"


def edit_rate(path: Path, plan: str, mpn: str, column: str, value: object) -> None:
    book = openpyxl.load_workbook(path)
    ws = book["ResourceRates"]
    header = [cell.value for cell in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == plan and row[header.index("MPN")].value == mpn:
            row[header.index(column)].value = value
    book.save(path)


def test_an_offer_line_round_trips_with_its_switches(settings: Settings, tmp_path: Path) -> None:
    before = catalog(settings, (OFFER_PRODUCT,))
    path = export_ppr(settings, OFFER_PRODUCT, tmp_path / "offer.xlsx")
    report = run_report(settings, import_ppr(settings, path).run_id)
    assert (report["counts"]["created"], report["counts"]["updated"]) == (0, 0)
    assert catalog(settings, (OFFER_PRODUCT,)) == before
    edit_rate(path, PREMIUM, "CFQ7TTC0LCHC:0002", "MaxUnits", 250)
    # a workbook exported before plm-sync wrote PLM's `OldName_1` says `OldName`: still read
    book = openpyxl.load_workbook(path)
    header = [cell.value for cell in book["ServicePlans"][1]]
    book["ServicePlans"].cell(row=1, column=header.index("OldName_1") + 1, value="OldName")
    book.save(path)
    edit(path, "ServicePlans", PREMIUM, "OldName", PREMIUM)
    edit(path, "ServicePlans", PREMIUM, "Name_EN", "Business Premium monthly")
    import_ppr(settings, path)
    (line,) = catalog(settings, (OFFER_PRODUCT,))["product_lines"]
    renamed = {plan["name"]: plan for plan in line["service_plans"]}["Business Premium monthly"]
    limits = {r["resource_mpn"]: r["max_units"] for r in renamed["resource_rates"]}
    assert limits == {"CFQ7TTC0LCHC:0002": 250, "CFQ7TTC0LHSF:0001": -1}
    # switch paths follow the renamed plan
    sources = {switch["source_plan"] for switch in line["plan_switches"]}
    assert "Business Premium monthly" in sources
    assert PREMIUM not in sources


def test_limits_of_an_offer_plans_other_resources_are_refused(
    settings: Settings, tmp_path: Path
) -> None:
    before = catalog(settings, (OFFER_PRODUCT,))
    path = export_ppr(settings, OFFER_PRODUCT, tmp_path / "offer.xlsx")
    edit_rate(path, PREMIUM, "CFQ7TTC0LHSF:0001", "MaxUnits", 10)
    with pytest.raises(WorkbookError, match="only the limits of its first resource"):
        import_ppr(settings, path)
    assert catalog(settings, (OFFER_PRODUCT,)) == before


# The header rules CloudBlue's Connect extension checks before it sends a workbook to PLM
# (../shared/commerce/PROTOCOL.md §9, from its PPR_SCHEMA), as data: required columns per
# sheet, and the numbered columns that must carry their `_N`.
XVS_REQUIRED_SHEETS = ("Resources", "ServicePlans", "PlanPeriods", "ResourceRates")
XVS_REQUIRED_COLUMNS = {
    "Resources": ("Name_EN", "Description_EN", "ResourceCategory", "MPN", "UOM", "Measurable"),
    "ServicePlans": (
        "Name_EN",
        "Description_EN",
        "PlanCategory",
        "ServiceTerms",
        "BillingPeriodDuration",
        "BillingPeriodType",
        "PricePeriod",
        "RecurringType",
    ),
    "ResourceRates": ("ServicePlan", "Resource", "MinUnits", "MaxUnits"),
    "PlanPeriods": ("ServicePlan", "Period", "PeriodType"),
    "PlanSwitchPaths": (
        "FromPlan",
        "ToPlan",
        "ImmediateSwitchAllowed",
        "SubsPeriodChange",
        "UpsizeAllowed",
        "DownsizeAllowed",
    ),
    "ResourceDependencies": ("ChildResource", "ParentResource", "DependenceKind"),
    "UpgradeResourceMapping": ("FromResource",),
    "OpUnitServicePlans": ("OpUnit", "ServicePlanName"),
}
XVS_NUMBERED = {
    "ServicePlans": ("OldName", "ResellerGroupName", "UpgradePath", "SalesCategory"),
    "OpUnitServicePlans": ("TermsConditions", "ResellerGroupName"),
    "UpgradeResourceMapping": ("ToResource",),
}


def xvs_problems(path: Path) -> list[str]:
    """What the Connect extension's header check would refuse in a workbook."""
    book = openpyxl.load_workbook(path, read_only=True)
    problems = [f"sheet {name} missing" for name in XVS_REQUIRED_SHEETS if name not in book]
    for sheet in book.worksheets:
        header = [str(cell.value) for cell in next(sheet.iter_rows(max_row=1)) if cell.value]
        required = XVS_REQUIRED_COLUMNS.get(sheet.title, ())
        problems += [f"{sheet.title}: no {name}" for name in required if name not in header]
        for base in XVS_NUMBERED.get(sheet.title, ()):
            problems += [f"{sheet.title}: {base} without _N" for name in header if name == base]
    book.close()
    return problems


def test_the_header_rules_accept_a_real_extension_workbook() -> None:
    assert xvs_problems(ROOT / "tests/fixtures/test_PPR_apply_to_marketplaces.xlsx") == []


@pytest.mark.parametrize("product", [SAMPLE, "PRD-900-100-200"])
def test_every_exported_sheet_meets_the_extension_header_rules(
    settings: Settings, tmp_path: Path, product: str
) -> None:
    path = export_ppr(settings, product, tmp_path / "ppr.xlsx")
    assert xvs_problems(path) == []
    book = openpyxl.load_workbook(path, read_only=True)
    header = [cell.value for cell in next(book["ServicePlans"].iter_rows(max_row=1))]
    assert "OldName_1" in header
    book.close()


def test_a_failure_after_the_line_is_written_leaves_no_line_without_its_events(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = catalog(settings)
    path = export_ppr(settings, SAMPLE, tmp_path / "ppr.xlsx")
    edit(path, "ServicePlans", MONTHLY, "Description_EN", "Edited, then the events failed")

    def fail(*_: object, **__: object) -> None:
        raise OSError("injected: the events could not be written")

    # the line's rows are written, then its events fail: the line's transaction holds both
    monkeypatch.setattr(RunLog, "write", fail)
    with pytest.raises(OSError, match="injected"):
        import_ppr(settings, path)
    assert catalog(settings) == before
    assert list_runs(settings, limit=1)[0]["status"] == "failed"
