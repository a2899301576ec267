"""Read an operator-edited PLM workbook, validating everything before anything is used."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from plm_sync.errors import MappingsError
from plm_sync.ppr.structure import canonical_sheet, structure

TRUE_WORDS = {"true": True, "false": False}


class WorkbookError(MappingsError):
    """The workbook cannot be imported; lists every problem with sheet, row and column."""


@dataclass(frozen=True)
class PlanEdit:
    """What a ServicePlans row says about a plan."""

    row: int
    identity: str  # OldName when given (a rename), else Name_EN
    name: str
    description: str
    published: bool
    op_units: tuple[tuple[str, bool], ...]
    reseller_groups: tuple[str, ...]
    mpn: str | None


@dataclass(frozen=True)
class RateEdit:
    """What a ResourceRates row says about a plan's resource rate."""

    row: int
    plan: str
    resource: str
    min_units: int
    max_units: int


@dataclass(frozen=True)
class WorkbookEdits:
    """The editable content of a workbook."""

    plans: tuple[PlanEdit, ...]
    rates: tuple[RateEdit, ...]


class _Problems(list[str]):
    def at(self, sheet: str, row: int, column: str, message: str) -> None:
        self.append(f"sheet {sheet} row {row} column {column}: {message}")


@dataclass
class _Table:
    sheet: str
    header: dict[str, int]  # column name -> index
    rows: list[tuple[int, list[Any]]]

    def get(self, values: list[Any], column: str) -> Any:  # noqa: ANN401 - a cell value
        index = self.header.get(column)
        return values[index] if index is not None and index < len(values) else None

    def letter(self, column: str) -> str:
        return f"{get_column_letter(self.header[column] + 1)} ({column})"


def _open(path: Path) -> Any:  # noqa: ANN401 - openpyxl's workbook
    if not path.is_file():
        raise WorkbookError([f"{path}: no such file"])
    try:
        return load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        hint = "export one with `plm-sync ppr export` and edit it in Excel"
        kind = type(error).__name__
        raise WorkbookError([f"{path}: not an .xlsx workbook ({kind}); {hint}"]) from None


def _header(header_cells: Any, name: str, problems: _Problems) -> dict[str, int]:  # noqa: ANN401
    sheet = structure()[canonical_sheet(name)]
    header: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        value = cell.value
        if value is None or str(value).strip() == "":
            continue
        column = str(value).strip()
        letter = get_column_letter(index + 1)
        if column in header:
            first = get_column_letter(header[column] + 1)
            problems.append(
                f"sheet {name}: column {column!r} appears twice (columns {first} "
                f"and {letter}); PLM rejects duplicate columns, remove one"
            )
            continue
        if sheet.field(column) is None:
            problems.append(
                f"sheet {name} column {letter}: {column!r} is not a column PLM "
                f"knows for {sheet.name}"
            )
            continue
        header[column] = index
    return header


def _table(worksheet: Any, name: str, problems: _Problems) -> _Table:  # noqa: ANN401
    sheet = structure()[canonical_sheet(name)]
    rows_iter = worksheet.iter_rows()
    header = _header(next(rows_iter, ()), name, problems)
    rows: list[tuple[int, list[Any]]] = []
    for row_number, cells in enumerate(rows_iter, start=2):
        values = []
        for index, cell in enumerate(cells):
            if getattr(cell, "data_type", None) == "f":
                problems.append(
                    f"sheet {name} cell {get_column_letter(index + 1)}{row_number}: "
                    "holds a formula; type the value itself"
                )
            values.append(cell.value)
        if any(value not in (None, "") for value in values):
            rows.append((row_number, values))
    for field in sheet.fields:
        if (
            field.mandatory
            and field.name not in header
            and not any(column.startswith(field.name + "_") for column in header)
            and rows
        ):
            problems.append(f"sheet {name}: mandatory column {field.name!r} is missing")
    return _Table(name, header, rows)


def _flag(
    table: _Table, problems: _Problems, row: int, values: list[Any], column: str, *, default: bool
) -> bool:
    value = table.get(values, column)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    found = TRUE_WORDS.get(str(value).strip().lower())
    if found is None:
        problems.at(table.sheet, row, table.letter(column), f"{value!r} is not True or False")
        return default
    return found


def _whole(
    table: _Table, problems: _Problems, row: int, values: list[Any], column: str
) -> int | None:
    value = table.get(values, column)
    if isinstance(value, bool) or value is None or value == "":
        problems.at(
            table.sheet,
            row,
            table.letter(column) if column in table.header else column,
            f"needs a whole number, got {value!r}",
        )
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if number != number or number != int(number):  # noqa: PLR0124 - NaN check
        problems.at(table.sheet, row, table.letter(column), f"{value!r} is not a whole number")
        return None
    return int(number)


def _text(value: Any) -> str:  # noqa: ANN401
    return "" if value is None else str(value).strip()


def _plans(table: _Table, problems: _Problems) -> list[PlanEdit]:
    units = [column for column in table.header if column.startswith("OpUnit_")]
    groups = sorted(
        (c for c in table.header if c.startswith("ResellerGroupName_")),
        key=lambda c: int(c.rpartition("_")[2]) if c[-1].isdigit() else 0,
    )
    plans: list[PlanEdit] = []
    seen: dict[str, int] = {}
    for row, values in table.rows:
        name = _text(table.get(values, "Name_EN"))
        if not name:
            problems.at(table.sheet, row, "Name_EN", "a service plan needs a name")
            continue
        if name in seen:
            problems.at(
                table.sheet,
                row,
                "Name_EN",
                f"plan {name!r} is listed twice (also row {seen[name]})",
            )
            continue
        seen[name] = row
        plans.append(
            PlanEdit(
                row=row,
                identity=_text(table.get(values, "OldName_1"))
                or _text(table.get(values, "OldName"))  # as workbooks exported before 0.2 say
                or name,
                name=name,
                description=_text(table.get(values, "Description_EN")) or name,
                published=_flag(table, problems, row, values, "Published", default=True),
                op_units=tuple(
                    (
                        c.removeprefix("OpUnit_"),
                        _flag(table, problems, row, values, c, default=False),
                    )
                    for c in units
                ),
                reseller_groups=tuple(
                    _text(table.get(values, c)) for c in groups if _text(table.get(values, c))
                ),
                mpn=_text(table.get(values, "MPN")) or None,
            )
        )
        if "BillingPeriodDuration" in table.header:
            _whole(table, problems, row, values, "BillingPeriodDuration")
    return plans


def _rates(table: _Table, problems: _Problems, plan_names: set[str]) -> list[RateEdit]:
    rates = []
    for row, values in table.rows:
        plan = _text(table.get(values, "ServicePlan"))
        if plan not in plan_names:
            problems.at(
                table.sheet,
                row,
                "ServicePlan",
                f"unknown plan {plan!r}: it is not on the ServicePlans sheet",
            )
            continue
        low = _whole(table, problems, row, values, "MinUnits")
        high = _whole(table, problems, row, values, "MaxUnits")
        if low is None or high is None:
            continue
        if low < 0 or (high != -1 and high < low):
            problems.at(
                table.sheet,
                row,
                "MinUnits/MaxUnits",
                f"needs 0 <= MinUnits <= MaxUnits (MaxUnits -1 = unlimited), got {low} and {high}",
            )
            continue
        rates.append(RateEdit(row, plan, _text(table.get(values, "Resource")), low, high))
    return rates


def _references(tables: dict[str, _Table], problems: _Problems, plan_names: set[str]) -> None:
    for sheet, column in (
        ("PlanPeriods", "ServicePlan"),
        ("OpUnitServicePlans", "ServicePlanName"),
        ("PlanSwitchPaths", "FromPlan"),
        ("PlanSwitchPaths", "ToPlan"),
    ):
        table = tables.get(sheet)
        if table is None:
            continue
        for row, values in table.rows:
            plan = _text(table.get(values, column))
            if plan and plan not in plan_names:
                problems.at(
                    sheet,
                    row,
                    column,
                    f"unknown plan {plan!r}: it is not on the ServicePlans sheet",
                )


def _dependencies(tables: dict[str, _Table], problems: _Problems) -> None:
    """ResourceDependencies must name resources of the Resources sheet and make no cycle."""
    table = tables.get("ResourceDependencies")
    if table is None:
        return
    resources = tables.get("Resources")
    known = (
        {
            name
            for _, values in resources.rows
            for name in (
                _text(resources.get(values, "Name_EN")),
                _text(resources.get(values, "Name")),
            )
            if name
        }
        if resources is not None
        else set()
    )
    edges: dict[str, set[str]] = {}
    first_row: dict[tuple[str, str], int] = {}
    for row, values in table.rows:
        child = _text(table.get(values, "ChildResource"))
        parent = _text(table.get(values, "ParentResource"))
        for column, name in (("ChildResource", child), ("ParentResource", parent)):
            if name and name not in known:
                problems.at(
                    table.sheet,
                    row,
                    column,
                    f"unknown resource {name!r}: it is not on the Resources sheet",
                )
        if child and parent:
            if child == parent:
                problems.at(table.sheet, row, "ParentResource", f"{child!r} depends on itself")
                continue
            edges.setdefault(child, set()).add(parent)
            first_row.setdefault((child, parent), row)
    cycle = _cycle(edges)
    if cycle:
        row = first_row[(cycle[0], cycle[1])]
        problems.at(
            table.sheet,
            row,
            "ChildResource",
            f"dependency cycle {' -> '.join(repr(name) for name in cycle)}: a resource cannot "
            "(indirectly) require itself",
        )


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    """A dependency cycle as its resources (first repeated at the end), or []."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for parent in sorted(edges.get(node, ())):
            if state.get(parent) == 1:
                return [*path[path.index(parent) :], parent]
            if parent not in state:
                found = visit(parent)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def read_workbook(path: Path) -> WorkbookEdits:
    """Validate a workbook whole and return its editable content.

    Every problem is reported at once, with sheet, row and column and what is expected:
    not an xlsx file, unknown or missing mandatory sheets, unknown or duplicate columns,
    formulas, values of the wrong type, references to plans the workbook does not define,
    dependencies on unknown resources or in a cycle.
    """
    book = _open(path)
    problems = _Problems()
    try:
        tables: dict[str, _Table] = {}
        unknown: list[str] = []
        for worksheet in book.worksheets:
            name = worksheet.title
            if name == "StructureRequirements":  # PLM's own description, not data
                continue
            if canonical_sheet(name) not in structure():
                unknown.append(name)
                continue
            tables[canonical_sheet(name)] = _table(worksheet, name, problems)
    finally:
        book.close()
    if unknown:  # the known sheets are listed once, however many are wrong
        problems.append(
            f"{'sheets' if len(unknown) > 1 else 'sheet'} "
            f"{', '.join(repr(name) for name in unknown)} "
            f"{'are not PLM sheets' if len(unknown) > 1 else 'is not a PLM sheet'}; PLM knows "
            + ", ".join(sorted(structure()))
        )
    for sheet in structure().values():
        if sheet.mandatory and sheet.name not in tables:
            problems.append(f"mandatory sheet {sheet.name!r} is missing")
    plans = _plans(tables["ServicePlans"], problems) if "ServicePlans" in tables else []
    # other sheets may name a renamed plan by its old or its new name
    names = {plan.name for plan in plans} | {plan.identity for plan in plans}
    rates = _rates(tables["ResourceRates"], problems, names) if "ResourceRates" in tables else []
    _references(tables, problems, names)
    _dependencies(tables, problems)
    if problems:
        raise WorkbookError([f"{path}: {problem}" for problem in problems])
    return WorkbookEdits(tuple(plans), tuple(rates))
