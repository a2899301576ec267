"""Write one product line as the PLM plan workbook, in openpyxl's streaming (write-only) mode."""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from plm_sync.domain.rules import PlmRules
from plm_sync.errors import UsageError
from plm_sync.infra.xlsx_cells import append_row
from plm_sync.ppr.structure import defaults, structure

PERIOD_TYPES = {"day": "Day(s)", "month": "Month(s)", "year": "Year(s)"}
PLAN_NEEDS = ("PlanCategory", "ServiceTerms", "RecurringType")
SWITCH_COLUMNS = (
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
POLICY_COLUMNS = (
    "ServicePlan",
    "Period",
    "PeriodType",
    "Trial",
    "Action",
    "ActionPeriod",
    "ActionPeriodTimezone",
    "ApplicableTo",
)


def flag(value: bool) -> str:
    """PLM's spelling of booleans."""
    return "True" if value else "False"


class _Writer:
    """Appends formula-safe rows to one sheet."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet

    def row(self, values: Iterable[Any]) -> None:
        append_row(self.sheet, values)


def _sheet(book: Workbook, name: str, header: Sequence[str]) -> _Writer:
    writer = _Writer(book.create_sheet(name))
    writer.row(header)
    return writer


def _billing(plan: dict[str, Any]) -> dict[str, Any]:
    billing = plan["billing_period"]
    if billing is None and plan["periods"]:  # a trial bills over its trial period
        billing = plan["periods"][0]
    return billing or {"duration": 1, "unit": "month"}


def _plan_columns(
    plans: list[dict[str, Any]], plan_defaults: dict[str, Any], managed: Collection[str] = ()
) -> tuple[list[str], list[str]]:
    units = sorted({unit for plan in plans for unit in plan["sharing"]["op_units"]} | {*managed})
    paths = max((len(plan["upgrade_paths"]) for plan in plans), default=0)
    groups = max((len(plan["sharing"]["reseller_groups"]) for plan in plans), default=0)
    head = ["Name_EN", "OldName_1", "Description_EN", "Published"]  # PLM's spelling
    fixed = {"BillingPeriodDuration", "BillingPeriodType", "MPN", *head}
    middle = [name for name in plan_defaults if name not in fixed]
    structural = [
        name for name in defaults("ServicePlans") if name not in fixed and name not in middle
    ]
    columns = [*head, *middle, *structural, "BillingPeriodDuration", "BillingPeriodType"]
    columns += [f"UpgradePath_{n}" for n in range(1, paths + 1)]
    columns += [f"OpUnit_{unit}" for unit in units]
    columns += [f"ResellerGroupName_{n}" for n in range(1, groups + 1)]
    return [*columns, "MPN"], units


def _plan_defaults(rules: PlmRules) -> dict[str, Any]:
    plan_defaults: dict[str, Any] = {**defaults("ServicePlans"), **rules.plan_defaults}
    missing = [name for name in PLAN_NEEDS if not plan_defaults.get(name)]
    if missing:
        settings = ", ".join(f"plans.defaults.{name}" for name in missing)
        raise UsageError(
            f"PLM needs {', '.join(missing)} for every service plan: set {settings} in "
            "mappings/plm.yaml"
        )
    return plan_defaults


def _service_plans(
    book: Workbook,
    line: dict[str, Any],
    plan_defaults: dict[str, Any],
    units: Collection[str] = (),
) -> None:
    plans = line["service_plans"]
    columns, units = _plan_columns(plans, plan_defaults, units)
    writer = _sheet(book, "ServicePlans", columns)
    for plan in plans:
        billing = _billing(plan)
        values: dict[str, Any] = {
            **plan_defaults,
            "Name_EN": plan["name"],
            "OldName_1": None,
            "Description_EN": plan.get("description") or plan["name"],
            "Published": flag(plan["published"] and plan["active"]),
            "BillingPeriodDuration": billing["duration"],
            "BillingPeriodType": PERIOD_TYPES[billing["unit"]],
            "MPN": plan["resource_mpn"],
        }
        values |= {
            f"UpgradePath_{n}": name for n, name in enumerate(plan["upgrade_paths"], start=1)
        }
        values |= {f"OpUnit_{unit}": flag(unit in plan["sharing"]["op_units"]) for unit in units}
        values |= {
            f"ResellerGroupName_{n}": name
            for n, name in enumerate(plan["sharing"]["reseller_groups"], start=1)
        }
        writer.row(values.get(column) for column in columns)


def _resources(book: Workbook, line: dict[str, Any], rules: PlmRules) -> None:
    columns = [
        "Name_EN",
        "ResourceCategory",
        "UOM",
        "Measurable",
        "Vendor",
        "MPN",
        "Description_EN",
    ]
    writer = _sheet(book, "Resources", columns)
    for resource in line["resources"]:
        writer.row(
            [
                resource["name"],
                rules.workbook.resource_category,
                resource["uom"],
                flag(resource["measurable"]),
                line["vendor"],
                resource["mpn"],
                resource["name"],
            ]
        )


def _plan_periods(book: Workbook, line: dict[str, Any], rules: PlmRules) -> None:
    extra = {
        **{k: v for k, v in defaults("PlanPeriods").items() if k not in {"Active", "Trial"}},
        **rules.workbook.plan_periods,
    }
    columns = ["ServicePlan", "Active", "Period", "PeriodType", "Trial", *extra, "MPN"]
    writer = _sheet(book, "PlanPeriods", columns)
    for plan in line["service_plans"]:
        for period in plan["periods"]:
            writer.row(
                [
                    plan["name"],
                    flag(period["active"] and plan["active"]),
                    period["duration"],
                    PERIOD_TYPES[period["unit"]],
                    flag(period["trial"]),
                    *extra.values(),
                    period["mpn"],
                ]
            )


def _resource_rates(book: Workbook, line: dict[str, Any], rules: PlmRules) -> None:
    names = {resource["mpn"]: resource for resource in line["resources"]}
    extra = {
        **{k: v for k, v in defaults("ResourceRates").items() if k != "Measurable"},
        **rules.workbook.resource_rates,
    }
    columns = ["ServicePlan", "Resource", "MinUnits", "MaxUnits", "Measurable", *extra, "MPN"]
    writer = _sheet(book, "ResourceRates", columns)
    for plan in line["service_plans"]:
        for rate in plan["resource_rates"]:
            resource = names.get(rate["resource_mpn"], {})
            writer.row(
                [
                    plan["name"],
                    resource.get("name", rate["resource_mpn"]),
                    rate["min_units"],
                    rate["max_units"],
                    flag(bool(resource.get("measurable"))),
                    *extra.values(),
                    rate["resource_mpn"],
                ]
            )


def _op_unit_plans(book: Workbook, line: dict[str, Any]) -> None:
    plans = line["service_plans"]
    width = max(
        (
            len(groups)
            for plan in plans
            for groups in plan["sharing"]["op_unit_reseller_groups"].values()
        ),
        default=0,
    )
    columns = [
        "OpUnit",
        "ServicePlanName",
        "Published",
        *(f"ResellerGroupName_{n}" for n in range(1, width + 1)),
        "MPN",
    ]
    writer = _sheet(book, "OpUnitServicePlans", columns)
    for plan in plans:
        nested = plan["sharing"]["op_unit_reseller_groups"]
        for unit in plan["sharing"]["op_units"]:
            groups = list(nested.get(unit, []))
            writer.row(
                [
                    unit,
                    plan["name"],
                    flag(plan["published"] and plan["active"]),
                    *groups,
                    *([None] * (width - len(groups))),
                    plan["resource_mpn"],
                ]
            )


def _switches(book: Workbook, line: dict[str, Any]) -> None:
    """PlanSwitchPaths: one row per one-way path, with its preset's settings.

    A path that is no longer sold (Connect `endofsale`, operation `eos`) is written with
    RemoveSwitchPath = True, so PLM removes it. Paths whose plans no longer carry those
    names (renamed after the path ended) are left out.
    """
    writer = _sheet(book, "PlanSwitchPaths", SWITCH_COLUMNS)
    names = {plan["name"] for plan in line["service_plans"]}
    for switch in line.get("plan_switches", []):
        if not {switch["source_plan"], switch["target_plan"]} <= names:
            continue  # an old path between plans renamed since: PLM knows no such plan
        preset = switch.get("preset_settings") or {}
        writer.row(
            [
                switch["source_plan"],
                switch["target_plan"],
                flag(preset.get("immediate", True)),
                preset.get("start_date", "Date of upgrade"),
                flag(preset.get("period_change", False)),
                flag(preset.get("upsize", True)),
                flag(preset.get("downsize", False)),
                flag(preset.get("partial", False)),
                flag(not switch.get("active", True)),
            ]
        )


def _resource_mapping(book: Workbook, line: dict[str, Any]) -> None:
    """UpgradeResourceMapping: each resource that a switch maps to other resources.

    One row per source resource (by name, as ResourceRates names them), its targets in
    ToResource_1..N (real PLM files have no MPN column on this sheet).
    """
    names = {resource["mpn"]: resource["name"] for resource in line["resources"]}
    targets: dict[str, set[str]] = {}
    for switch in line.get("plan_switches", []):
        if not switch.get("active", True):
            continue
        for pair in switch.get("resource_mapping", []):
            targets.setdefault(pair["from"], set()).add(pair["to"])
    width = max((len(found) for found in targets.values()), default=0)
    columns = ["FromResource", *(f"ToResource_{n}" for n in range(1, width + 1))]
    writer = _sheet(book, "UpgradeResourceMapping", columns)
    for source in sorted(targets, key=lambda mpn: (names.get(mpn, mpn), mpn)):
        found = sorted(names.get(mpn, mpn) for mpn in targets[source])
        writer.row([names.get(source, source), *found])


DEPENDENCY_COLUMNS = (
    "ChildResource",
    "ParentResource",
    "DependenceKind",
    "DependenceMultiplier",
    "MPN",
)


def _dependencies(book: Workbook, line: dict[str, Any]) -> None:
    """ResourceDependencies: each add-on requires its base (written for lines that have any).

    Resources by name, as ResourceRates names them; MPN is the child's.
    """
    active = [dep for dep in line.get("resource_dependencies", []) if dep.get("active", True)]
    if not active:
        return
    names = {resource["mpn"]: resource["name"] for resource in line["resources"]}
    writer = _sheet(book, "ResourceDependencies", DEPENDENCY_COLUMNS)
    for dependency in active:
        writer.row(
            [
                names.get(dependency["child_mpn"], dependency["child_mpn"]),
                names.get(dependency["parent_mpn"], dependency["parent_mpn"]),
                dependency["kind"],
                dependency["multiplier"],
                dependency["child_mpn"],
            ]
        )


def _policies(book: Workbook, name: str, line: dict[str, Any], rows: Sequence[Any]) -> None:
    writer = _sheet(book, name, POLICY_COLUMNS)
    for plan in line["service_plans"]:
        for period in plan["periods"]:
            for policy in rows:
                writer.row(
                    [
                        plan["name"],
                        period["duration"],
                        PERIOD_TYPES[period["unit"]],
                        flag(period["trial"]),
                        policy["Action"],
                        policy["ActionPeriod"],
                        policy["ActionPeriodTimezone"],
                        policy["ApplicableTo"],
                    ]
                )


def _structure_requirements(book: Workbook) -> None:
    writer = _sheet(book, "StructureRequirements", ["Sheet", "Field", "Default Value"])
    for sheet in structure().values():
        for index, field in enumerate(sheet.fields):
            name = sheet.name + ("*" if sheet.mandatory else "") if index == 0 else None
            mark = "*" if field.mandatory else "**" if field.has_default else ""
            default = field.default if field.has_default else ""
            writer.row([name, field.name + mark, default])


def write_workbook(
    line: dict[str, Any],
    rules: PlmRules,
    path: Path | BinaryIO,
    *,
    units: Collection[str] = (),
) -> None:
    """Write the workbook of one product line (catalog JSON shape) to `path`.

    `units`: the operating units sharing.yaml names; each gets its `OpUnit_<code>` column,
    FALSE on a plan not shared with it (PLM then takes the plan from that unit).

    Sheets: StructureRequirements, ServicePlans, Resources, PlanPeriods, ResourceRates,
    OpUnitServicePlans, PlanSwitchPaths, UpgradeResourceMapping, ResourceDependencies (lines
    with add-ons) and the two policy sheets,
    with PLM's column names, value spellings (`Month(s)`, `True`) and defaults. Text that
    starts with `=`, `+`, `-` or `@` is written as text, never as a formula. Prices are not
    part of it.
    """
    plan_defaults = _plan_defaults(rules)  # checked before the streaming workbook opens
    book = Workbook(write_only=True)
    _structure_requirements(book)
    _service_plans(book, line, plan_defaults, units)
    _resources(book, line, rules)
    _plan_periods(book, line, rules)
    _resource_rates(book, line, rules)
    _op_unit_plans(book, line)
    _switches(book, line)
    _resource_mapping(book, line)
    _dependencies(book, line)
    _policies(book, rules.workbook.cancellation_sheet, line, rules.workbook.cancellation_policies)
    _policies(book, "DownsizePolicies", line, rules.workbook.downsize_policies)
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)  # openpyxl saves to a path or a binary stream


def workbook_bytes(line: dict[str, Any], rules: PlmRules, *, units: Collection[str] = ()) -> bytes:
    """The workbook of one product line, in memory (what a push sends)."""
    stream = io.BytesIO()
    write_workbook(line, rules, stream, units=units)
    return stream.getvalue()
