"""The exported workbook against PLM's own reference files and rules."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from plm_sync.domain.catalog import PlanSwitch, PresetSettings, Sharing
from plm_sync.domain.catalog_json import computed_line_json
from plm_sync.domain.grouping import group_items
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct
from plm_sync.errors import UsageError
from plm_sync.mappings import load_plm_rules
from plm_sync.ppr.export import write_workbook
from plm_sync.ppr.read import read_workbook
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
PRODUCT = SourceProduct("PRD-123-456-789", "Microsoft NCE", "Microsoft", "published")
RULES = load_plm_rules(ROOT / "mappings")
HOSTILE = "=cmd|' /C calc'!A0"


def item(number: int, mpn: str, name: str, period: str = "monthly", **extra: Any) -> SourceItem:
    return SourceItem(
        id=f"{PRODUCT.id}-{number:04d}",
        product_id=PRODUCT.id,
        name=name,
        mpn=mpn,
        type=extra.get("type", ItemType.RESERVATION),
        period=period,
        commitment_count=1,
        unit="Licenses",
        status="published",
    )


def line() -> dict[str, Any]:
    grouped = group_items(
        PRODUCT,
        [
            item(1, "CFQ7TTC0LFLZ:0002_P1M:Monthly", "Microsoft 365 E3 (NCE COM MTH)"),
            item(2, "CFQ7TTC0LFLZ:0002_P1Y:Monthly", "Microsoft 365 E3 (NCE COM 1YR MTH)"),
            item(3, "CFQ7TTC0LFLZ:0002_P1Y:Annual", "Microsoft 365 E3 (NCE COM ANN)", "yearly"),
            item(4, "CFQ7TTC0LF8R:0008_P1M:None", "Office 365 E3 Trial (X)", "monthly_trial"),
            item(5, "HOSTILE_P1M:Monthly", f"{HOSTILE} (NCE COM MTH)"),
        ],
        RULES,
    ).product_line
    plans = tuple(
        replace(
            plan, sharing=Sharing(("AT", "US"), ("Direct Gold",), (("US", ("Reseller US L2 ST",)),))
        )
        if plan.resource_mpn.startswith("CFQ7TTC0LFLZ")
        else plan
        for plan in grouped.service_plans
    )
    switches = (
        PlanSwitch(
            "Microsoft 365 E3 (NCE COM MTH)",
            "Microsoft 365 E3 (NCE COM ANN)",
            "Immediate upgrade",
            "upgrade",
            (("CFQ7TTC0LFLZ:0002_P1M:Monthly", "CFQ7TTC0LFLZ:0002_P1Y:Annual"),),
        ),
        PlanSwitch(
            "Microsoft 365 E3 (NCE COM ANN)",
            f"{HOSTILE} (NCE COM MTH)",
            "Downgrade at renewal",
            "downgrade",
            (("CFQ7TTC0LFLZ:0002_P1Y:Annual", "HOSTILE_P1M:Monthly"),),
            PresetSettings(immediate=False, start_date="Renewal", upsize=False, downsize=True),
            (("CFQ7TTC0LFLZ:0002", "HOSTILE"),),
        ),
        PlanSwitch(
            "Office 365 E3 Trial (NCE COM TRIAL)",
            "Microsoft 365 E3 (NCE COM MTH)",
            "Immediate upgrade",
            "eos",
            (("CFQ7TTC0LF8R:0008_P1M:None", None),),
            resource_mapping=(("CFQ7TTC0LF8R:0008", "CFQ7TTC0LFLZ:0002"),),
            active=False,
        ),
    )
    return computed_line_json(replace(grouped, service_plans=plans, plan_switches=switches))


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    path = tmp_path / "out.xlsx"
    write_workbook(line(), RULES, path)
    return path


def sheet_rows(path: Path, name: str) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path)
    return [row for row in book[name].iter_rows(values_only=True) if any(row)]


def reference_structure() -> dict[str, list[tuple[str, bool]]]:
    """PLM's StructureRequirements, read straight from the reference workbook."""
    book = openpyxl.load_workbook(FIXTURES / "Sweet_Pies_v2.xlsx")
    found: dict[str, list[tuple[str, bool]]] = {}
    current = ""
    for sheet, field, _ in list(book["StructureRequirements"].iter_rows(values_only=True))[1:]:
        if sheet:
            current = sheet
            found[current] = []
        if field:
            found[current].append(
                (field.rstrip("*"), field.endswith("*") and not field.endswith("**"))
            )
    return found


def test_every_mandatory_sheet_and_column_is_there_with_plms_spelling(exported: Path) -> None:
    book = openpyxl.load_workbook(exported)
    for sheet, fields in reference_structure().items():
        name = sheet.rstrip("*")
        if not sheet.endswith("*"):
            continue
        assert name in book.sheetnames, name
        header = list(next(book[name].iter_rows(values_only=True)))
        for field, mandatory in fields:
            if mandatory:
                assert field in header, (name, field)


def test_columns_are_ones_plm_writes(exported: Path) -> None:
    references = [
        openpyxl.load_workbook(FIXTURES / name)
        for name in ("Sweet_Pies_v2.xlsx", "test_PPR_apply_to_marketplaces.xlsx")
    ]
    known: dict[str, set[str]] = {}
    for book in references:
        for sheet in book.worksheets:
            name = {"CancelationPolicies": "CancellationPolicies"}.get(sheet.title, sheet.title)
            known.setdefault(name, set()).update(
                str(v) for v in next(sheet.iter_rows(values_only=True)) if v
            )
    ours = openpyxl.load_workbook(exported)
    for sheet in ours.worksheets:
        header = [v for v in next(sheet.iter_rows(values_only=True)) if v]
        for column in header:
            base = column.rpartition("_")[0] if column[-1].isdigit() else column
            assert (
                column in known[sheet.title]
                or f"{base}_1" in known[sheet.title]
                or (column.startswith("OpUnit_"))
            ), (sheet.title, column)


def test_values_use_plm_spellings(exported: Path) -> None:
    plans = sheet_rows(exported, "ServicePlans")
    header, rows = plans[0], plans[1:]
    by_name = {row[header.index("Name_EN")]: dict(zip(header, row, strict=True)) for row in rows}
    monthly = by_name["Microsoft 365 E3 (NCE COM MTH)"]
    assert (monthly["BillingPeriodDuration"], monthly["BillingPeriodType"]) == (1, "Month(s)")
    assert monthly["Published"] == "True"
    assert (monthly["OpUnit_AT"], monthly["OpUnit_US"]) == ("True", "True")
    assert monthly["ResellerGroupName_1"] == "Direct Gold"
    assert monthly["UpgradePath_1"] == "Microsoft 365 E3 (NCE COM ANN)"
    assert monthly["RecurringType"] == "Charge Before Billing Period"
    assert monthly["PlanCategory"] == "Microsoft NCE"
    assert monthly["MPN"] == "CFQ7TTC0LFLZ:0002"
    assert by_name["Microsoft 365 E3 (NCE COM ANN)"]["BillingPeriodType"] == "Year(s)"
    trial = by_name["Office 365 E3 Trial (NCE COM TRIAL)"]
    assert trial["OpUnit_US"] == "False"
    periods = sheet_rows(exported, "PlanPeriods")
    period_header = periods[0]
    trial_period = next(
        dict(zip(period_header, r, strict=True))
        for r in periods[1:]
        if r[0] == "Office 365 E3 Trial (NCE COM TRIAL)"
    )
    assert (trial_period["Trial"], trial_period["Period"], trial_period["PeriodType"]) == (
        "True",
        1,
        "Month(s)",
    )
    assert trial_period["MPN"] == "CFQ7TTC0LF8R:0008_P1M:None"
    assert (trial_period["FullRefundPeriod"], trial_period["AfterRefundPeriod"]) == (7, "No Refund")
    units = sheet_rows(exported, "OpUnitServicePlans")
    assert units[0] == ("OpUnit", "ServicePlanName", "Published", "ResellerGroupName_1", "MPN")
    assert (
        "US",
        "Microsoft 365 E3 (NCE COM MTH)",
        "True",
        "Reseller US L2 ST",
        "CFQ7TTC0LFLZ:0002",
    ) in units
    assert ("AT", "Microsoft 365 E3 (NCE COM MTH)", "True", None, "CFQ7TTC0LFLZ:0002") in units


def test_structure_requirements_sheet_is_plms(exported: Path) -> None:
    ours = sheet_rows(exported, "StructureRequirements")
    book = openpyxl.load_workbook(FIXTURES / "Sweet_Pies_v2.xlsx")
    theirs = [row for row in book["StructureRequirements"].iter_rows(values_only=True) if any(row)]
    assert [(a, b) for a, b, _ in ours] == [(a, b) for a, b, _ in theirs]


def test_connect_text_is_never_a_formula(exported: Path) -> None:
    with zipfile.ZipFile(exported) as archive:
        sheets = [
            archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")
        ]
    assert not any(b"<f>" in sheet or b"<f " in sheet for sheet in sheets)
    rows = sheet_rows(exported, "ServicePlans")
    assert f"{HOSTILE} (NCE COM MTH)" in [row[0] for row in rows]
    cell = next(
        c
        for c in openpyxl.load_workbook(exported)["ServicePlans"]["A"]
        if c.value == f"{HOSTILE} (NCE COM MTH)"
    )
    assert cell.data_type == "s"


def test_an_export_reads_back_without_problems(exported: Path) -> None:
    edits = read_workbook(exported)
    assert len(edits.plans) == 4
    assert {rate.max_units for rate in edits.rates} == {-1}


def test_the_cancellation_sheet_spelling_follows_the_mappings(tmp_path: Path) -> None:
    rules = replace(
        RULES,
        workbook=replace(
            RULES.workbook,
            cancellation_sheet="CancelationPolicies",
            cancellation_policies=(
                {
                    "Action": "Refund",
                    "ActionPeriod": 7,
                    "ActionPeriodTimezone": "UTC",
                    "ApplicableTo": "All",
                },
            ),
        ),
    )
    write_workbook(line(), rules, tmp_path / "x.xlsx")
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert "CancelationPolicies" in book.sheetnames
    rows = [r for r in book["CancelationPolicies"].iter_rows(values_only=True) if any(r)]
    assert len(rows) == 1 + sum(len(p["periods"]) for p in line()["service_plans"])
    assert rows[1][4:] == ("Refund", 7, "UTC", "All")


def test_missing_plan_settings_are_named(tmp_path: Path) -> None:
    rules = replace(RULES, plan_defaults={})
    with pytest.raises(UsageError, match=r"plans.defaults.PlanCategory"):
        write_workbook(line(), rules, tmp_path / "x.xlsx")


def test_switch_paths_carry_their_preset_and_removal(exported: Path) -> None:
    rows = sheet_rows(exported, "PlanSwitchPaths")
    assert rows[0] == (
        "FromPlan",
        "ToPlan",
        "ImmediateSwitchAllowed",
        "SubsStartDateAfterSwitch",
        "SubsPeriodChange",
        "UpsizeAllowed",
        "DownsizeAllowed",
        "PartialSwitchAllowed",
        "RemoveSwitchPath",
    )
    # in the catalog JSON's order: by source plan, then target plan
    assert rows[1:] == [
        (
            "Microsoft 365 E3 (NCE COM ANN)",
            f"{HOSTILE} (NCE COM MTH)",
            "False",
            "Renewal",
            "False",
            "False",
            "True",
            "False",
            "False",
        ),
        (
            "Microsoft 365 E3 (NCE COM MTH)",
            "Microsoft 365 E3 (NCE COM ANN)",
            "True",
            "Date of upgrade",
            "False",
            "True",
            "False",
            "False",
            "False",
        ),
        (
            "Office 365 E3 Trial (NCE COM TRIAL)",
            "Microsoft 365 E3 (NCE COM MTH)",
            "True",
            "Date of upgrade",
            "False",
            "True",
            "False",
            "False",
            "True",
        ),
    ]


def test_resource_upgrade_mapping_lists_the_resources_active_switches_change(
    exported: Path,
) -> None:
    rows = sheet_rows(exported, "UpgradeResourceMapping")
    assert rows == [("FromResource", "ToResource_1"), ("Microsoft 365 E3", f"{HOSTILE}")]
    book = openpyxl.load_workbook(exported)
    cell = book["UpgradeResourceMapping"]["B2"]
    assert cell.data_type == "s"  # Connect text stays text, never a formula
