"""The workbook as the sandbox's PLM reads it: sheets into the `excelConfig` of a parse answer.

Every entry is `{value, action: "EDIT"}` (`../shared/commerce/samples/
parse_ppr_success_response.json`); a workbook PLM could not read is `WorkbookRefused`, with
the message `parseConfig` would give.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from openpyxl import load_workbook

from plm_sync.ppr.structure import canonical_sheet, structure

PERIOD_TYPES = {"day(s)": "day", "month(s)": "month", "year(s)": "year"}


class WorkbookRefused(ValueError):  # noqa: N818 - PLM's refusal, not a plm-sync error
    """PLM would not read this workbook; the message says why, as `parseConfig`'s `message`."""


Rows = list[dict[str, Any]]


def read_sheets(data: bytes) -> dict[str, Rows]:
    """Every sheet as rows keyed by header, checked against PLM's mandatory sheets and columns."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        msg = f"the excelConfig is not an .xlsx workbook ({error.__class__.__name__})"
        raise WorkbookRefused(msg) from None
    known = structure()
    sheets: dict[str, Rows] = {}
    problems: list[str] = []
    try:
        for worksheet in book.worksheets:
            name = canonical_sheet(worksheet.title)
            rows = worksheet.iter_rows(values_only=True)
            header = [str(cell) if cell is not None else "" for cell in next(rows, ())]
            sheet = known.get(name)
            if sheet is None or name == "StructureRequirements":
                continue
            problems.extend(
                f"sheet {name}: mandatory column {field_.name} is missing"
                for field_ in sheet.fields
                if field_.mandatory and not any(sheet.field(h) == field_ for h in header)
            )
            problems.extend(
                f"sheet {name}: unknown column {h}" for h in header if h and sheet.field(h) is None
            )
            sheets[name] = [
                dict(zip(header, row, strict=False))
                for row in rows
                if any(value not in (None, "") for value in row)
            ]
    finally:
        book.close()
    problems.extend(
        f"mandatory sheet {sheet.name} is missing"
        for sheet in known.values()
        if sheet.mandatory and sheet.name not in sheets
    )
    if problems:
        raise WorkbookRefused("; ".join(problems))
    return sheets


def _flag(value: Any) -> bool:  # noqa: ANN401 - a cell
    return str(value).strip().casefold() in {"true", "1", "yes"}


def _number(value: Any, default: float = 0) -> float:  # noqa: ANN401 - a cell
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _period_type(value: Any) -> str:  # noqa: ANN401 - a cell
    return PERIOD_TYPES.get(str(value).strip().casefold(), str(value).strip().casefold())


def _numbered(row: dict[str, Any], base: str) -> list[str]:
    names = [key for key in row if key.startswith(base + "_") and key[len(base) + 1 :].isdigit()]
    names.sort(key=lambda key: int(key[len(base) + 1 :]))
    return [str(row[key]) for key in names if row[key] not in (None, "")]


def edit_entry(value: dict[str, Any]) -> dict[str, Any]:
    """One entry of a parse answer, as PLM marks what a workbook sets."""
    return {"value": value, "action": "EDIT"}


def _delegated(row: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The plan's copies for the operating units it is shared with (`OpUnit_<code>` TRUE).

    A real hub names the unit's reseller account (`vendorName`); the sandbox names the code.
    """
    return [
        edit_entry(
            {
                "name": {"en": name},
                "vendorId": 1000000 + index,
                "vendorName": key.removeprefix("OpUnit_"),
                "isPublished": True,
                "resellerGroups": [],
            }
        )
        for index, key in enumerate(sorted(row), start=1)
        if key.startswith("OpUnit_") and _flag(row[key])
    ]


def excel_config(sheets: dict[str, Rows]) -> dict[str, Any]:
    """The `excelConfig` part of a parse answer, from the workbook's rows."""
    periods: dict[str, list[dict[str, Any]]] = {}
    for row in sheets.get("PlanPeriods", []):
        periods.setdefault(str(row.get("ServicePlan")), []).append(
            edit_entry(
                {
                    "trial": _flag(row.get("Trial")),
                    "periodType": _period_type(row.get("PeriodType")),
                    "refundType": "no_refund",
                    "active": row.get("Active") is None or _flag(row.get("Active")),
                    "period": int(_number(row.get("Period"), 1)),
                    "fullRefundPeriod": int(_number(row.get("FullRefundPeriod"))),
                    "cancellationFeeType": "none",
                    "cancellationFeeValue": "",
                    "mpn": row.get("MPN"),
                }
            )
        )
    rates: dict[str, list[dict[str, Any]]] = {}
    for row in sheets.get("ResourceRates", []):
        rates.setdefault(str(row.get("ServicePlan")), []).append(
            edit_entry(
                {
                    "name": {"en": str(row.get("Resource"))},
                    "min": _number(row.get("MinUnits")),
                    "max": _number(row.get("MaxUnits"), -1),
                    "measurable": _flag(row.get("Measurable")),
                    "inCP": row.get("ShowInCP") is None or _flag(row.get("ShowInCP")),
                    "instore": row.get("ShowInStore") is None or _flag(row.get("ShowInStore")),
                    "mpn": row.get("MPN"),
                }
            )
        )
    plans = []
    for row in sheets.get("ServicePlans", []):
        name = str(row.get("Name_EN"))
        plans.append(
            edit_entry(
                {
                    "name": {"en": name},
                    "description": {"en": str(row.get("Description_EN") or name)},
                    "pricePeriodType": str(row.get("PricePeriod") or "billing period").lower(),
                    "autoRenewType": "Before Expiration",
                    "renewOrderInterval": int(_number(row.get("RenewOrderInterval"), 4)),
                    "vendorTimezone": str(row.get("VendorTimezone") or "UTC"),
                    "resources": rates.get(name, []),
                    "subscriptionPeriods": periods.get(name, []),
                    "planCategory": row.get("PlanCategory"),
                    "salesCategories": _numbered(row, "SalesCategory"),
                    "serviceTerms": row.get("ServiceTerms"),
                    "termsConditions": [],
                    "vendorId": 1,
                    "delegatedServicePlans": _delegated(row, name),
                    "isEnableVolumePricingModel": False,
                    "ratingMode": row.get("RatingMode"),
                    "upgrades": _numbered(row, "UpgradePath"),
                    "isPublished": _flag(row.get("Published")),
                    "isAllowedScheduledChanges": _flag(row.get("AllowScheduledChanges")),
                    "resellerGroups": _numbered(row, "ResellerGroupName"),
                    "billingPeriodAlignment": "Subscription Period Start",
                    "coTermingPossibilities": "",
                    "expDateAlignedWithEndOfMonth": False,
                    "expDateAlignedWithSubscr": False,
                    "billingAlignmentResellerRedefineAllowed": False,
                    # not in a real answer: the sandbox keeps them to build the live plan
                    "billingPeriod": int(_number(row.get("BillingPeriodDuration"), 1)),
                    "billingPeriodType": _period_type(row.get("BillingPeriodType")),
                    "mpn": row.get("MPN"),
                }
            )
        )
    resources = [
        edit_entry(
            {
                "resourceType": {
                    "name": {"en": str(row.get("Name_EN") or row.get("Name"))},
                    "description": {"en": str(row.get("Description_EN") or "")},
                },
                "resourceCategory": {"id": 5, "name": {"en": str(row.get("ResourceCategory"))}},
                "uom": row.get("UOM"),
                "measurable": _flag(row.get("Measurable")),
                "mpn": row.get("MPN"),
            }
        )
        for row in sheets.get("Resources", [])
    ]
    dependencies = [
        edit_entry(
            {
                "child": row.get("ChildResource"),
                "parent": row.get("ParentResource"),
                "kind": row.get("DependenceKind"),
                "multiplier": _number(row.get("DependenceMultiplier"), 1),
            }
        )
        for row in sheets.get("ResourceDependencies", [])
    ]
    return {
        "resources": resources,
        "serviceTemplates": [],
        "servicePlans": plans,
        "termsConditionsDetails": {},
        "subscriptionNotificationTemplates": [],
        "resourceDependencies": dependencies,
        "opUnitResourceCategories": {},
    }
