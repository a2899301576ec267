"""PLM's own description of the workbook: sheets, columns, mandatory marks and defaults."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STRUCTURE_FILE = Path(__file__).with_name("structure.json")
# Columns PLM numbers or localises: UpgradePath_1, OpUnit_US, Name_DE, ...
NUMBERED = (
    "UpgradePath",
    "ResellerGroupName",
    "SalesCategory",
    "TermsConditions",
    "ToResource",
    "OldName",
)
LOCALISED = ("Name", "Description")
LANGUAGE = re.compile(r"[A-Z]{2}")
SHEET_SPELLINGS = {"CancelationPolicies": "CancellationPolicies"}
# Columns real PLM workbooks carry beyond the StructureRequirements list (see
# tests/fixtures/test_PPR_apply_to_marketplaces.xlsx): the MPN key on every sheet.
EXTRA_COLUMNS = {"MPN": None, "IncUnits": "ResourceRates"}


@dataclass(frozen=True)
class Field:
    """One column of a sheet."""

    name: str
    mandatory: bool
    has_default: bool
    default: str | int | None


@dataclass(frozen=True)
class Sheet:
    """One sheet and its columns."""

    name: str
    mandatory: bool
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        """The field a column header stands for (numbered and localised forms included)."""
        exact = {field.name: field for field in self.fields}
        if name in exact:
            return exact[name]
        if name in EXTRA_COLUMNS and EXTRA_COLUMNS[name] in {None, self.name}:
            return Field(name, mandatory=False, has_default=False, default=None)
        base, _, suffix = name.rpartition("_")
        field = exact.get(base)
        allowed = (
            field is not None
            and bool(suffix)
            and (
                (base in NUMBERED and suffix.isdigit())
                or (base in LOCALISED and LANGUAGE.fullmatch(suffix) is not None)
                or base == "OpUnit"
            )
        )
        return field if allowed else None


@cache
def structure() -> dict[str, Sheet]:
    """Every sheet PLM knows, by name."""
    data = json.loads(STRUCTURE_FILE.read_text(encoding="utf-8"))
    return {
        sheet["sheet"]: Sheet(
            sheet["sheet"],
            sheet["mandatory"],
            tuple(
                Field(f["field"], f["mandatory"], f["has_default"], f["default"])
                for f in sheet["fields"]
            ),
        )
        for sheet in data["sheets"]
    }


def canonical_sheet(name: str) -> str:
    """Real files spell the cancellation sheet two ways; both mean the same sheet."""
    return SHEET_SPELLINGS.get(name, name)


def defaults(sheet: str) -> dict[str, str | int]:
    """The defaults PLM lists for a sheet's columns, as PLM writes them."""
    return {
        field.name: field.default
        for field in structure()[sheet].fields
        if field.has_default and field.default not in (None, "")
    }
