"""Bad workbooks: each problem is named with sheet, row and column, and nothing is read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from plm_sync.ppr.export import write_workbook
from plm_sync.ppr.read import WorkbookError, read_workbook
from tests.unit.ppr.test_export import RULES, line

Edit = Callable[[openpyxl.Workbook], None]


def edited(tmp_path: Path, change: Edit) -> Path:
    path = tmp_path / "good.xlsx"
    write_workbook(line(), RULES, path)
    book = openpyxl.load_workbook(path)
    change(book)
    out = tmp_path / "edited.xlsx"
    book.save(out)
    return out


def header_index(sheet: openpyxl.worksheet.worksheet.Worksheet, name: str) -> int:
    return [cell.value for cell in sheet[1]].index(name) + 1


def set_cell(sheet: str, column: str, value: object, row: int = 2) -> Edit:
    def change(book: openpyxl.Workbook) -> None:
        ws = book[sheet]
        ws.cell(row=row, column=header_index(ws, column), value=value)

    return change


def rename_header(sheet: str, old: str, new: str) -> Edit:
    def change(book: openpyxl.Workbook) -> None:
        ws = book[sheet]
        ws.cell(row=1, column=header_index(ws, old), value=new)

    return change


def test_not_an_xlsx_file(tmp_path: Path) -> None:
    path = tmp_path / "plans.xlsx"
    path.write_text("Name_EN,Published\nA,True\n", encoding="utf-8")
    with pytest.raises(WorkbookError, match=r"plans.xlsx: not an .xlsx workbook"):
        read_workbook(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda book: book.remove(book["ResourceRates"]),
            "mandatory sheet 'ResourceRates' is missing",
            id="missing-sheet",
        ),
        pytest.param(
            lambda book: book.create_sheet("Prices"),
            "sheet 'Prices' is not a PLM sheet",
            id="unknown-sheet",
        ),
        pytest.param(
            lambda book: [book.create_sheet(name) for name in ("A", "B", "C", "D")],
            "sheets 'A', 'B', 'C', 'D' are not PLM sheets; PLM knows",
            id="unknown-sheets-listed-once",
        ),
        pytest.param(
            rename_header("ServicePlans", "OldName_1", "Description_EN"),
            "sheet ServicePlans: column 'Description_EN' appears twice (columns B and C)",
            id="duplicate-column",
        ),
        pytest.param(
            rename_header("ResourceRates", "Measurable", "Colour"),
            "sheet ResourceRates column E: 'Colour' is not a column PLM knows",
            id="unknown-column",
        ),
        pytest.param(
            rename_header("ResourceRates", "MinUnits", "IncUnits"),
            "sheet ResourceRates: mandatory column 'MinUnits' is missing",
            id="missing-mandatory-column",
        ),
        pytest.param(
            set_cell("ResourceRates", "MaxUnits", "lots"),
            "sheet ResourceRates row 2 column D (MaxUnits): 'lots' is not a whole number",
            id="bad-number",
        ),
        pytest.param(
            set_cell("ResourceRates", "MinUnits", 2.5),
            "sheet ResourceRates row 2 column C (MinUnits): 2.5 is not a whole number",
            id="fraction",
        ),
        pytest.param(
            set_cell("ServicePlans", "Published", "yes"),
            "sheet ServicePlans row 2 column D (Published): 'yes' is not True or False",
            id="bad-flag",
        ),
        pytest.param(
            set_cell("ResourceRates", "ServicePlan", "Nope (NCE COM MTH)"),
            "sheet ResourceRates row 2 column ServicePlan: unknown plan 'Nope (NCE COM MTH)'",
            id="unknown-plan",
        ),
        pytest.param(
            set_cell("PlanSwitchPaths", "ToPlan", "Nope (NCE COM ANN)", row=3),
            "sheet PlanSwitchPaths row 3 column ToPlan: unknown plan 'Nope (NCE COM ANN)'",
            id="switch-path-to-an-unknown-plan",
        ),
        pytest.param(
            set_cell("ServicePlans", "Description_EN", "=1+1"),
            "sheet ServicePlans cell C2: holds a formula",
            id="formula",
        ),
        pytest.param(
            set_cell("ResourceRates", "MaxUnits", 0, row=3),
            "needs 0 <= MinUnits <= MaxUnits",
            id="max-below-min",
        ),
    ],
)
def test_each_bad_workbook_gives_its_error(tmp_path: Path, change: Edit, message: str) -> None:
    path = edited(tmp_path, change)
    with pytest.raises(WorkbookError) as raised:
        read_workbook(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    def change(book: openpyxl.Workbook) -> None:
        set_cell("ResourceRates", "MaxUnits", "lots")(book)
        set_cell("ServicePlans", "Published", "maybe")(book)
        book.create_sheet("Extra")

    with pytest.raises(WorkbookError) as raised:
        read_workbook(edited(tmp_path, change))
    assert len(raised.value.problems) == 3


def with_dependencies(*rows: tuple[str, str]) -> Edit:
    def change(book: openpyxl.Workbook) -> None:
        sheet = book.create_sheet("ResourceDependencies")
        sheet.append(["ChildResource", "ParentResource", "DependenceKind", "DependenceMultiplier"])
        for child, parent in rows:
            sheet.append([child, parent, "Requires", 1])

    return change


def resource_names(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book["Resources"].iter_rows(values_only=True))
    book.close()
    column = list(rows[0]).index("Name_EN")
    return [str(row[column]) for row in rows[1:]]


def test_dependencies_between_known_resources_are_accepted(tmp_path: Path) -> None:
    good = tmp_path / "plain.xlsx"
    write_workbook(line(), RULES, good)
    first, second, *_ = resource_names(good)
    read_workbook(edited(tmp_path, with_dependencies((first, second))))


def test_dependencies_on_unknown_resources_or_in_a_cycle_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "plain.xlsx"
    write_workbook(line(), RULES, good)
    first, second, *_ = resource_names(good)
    path = edited(tmp_path, with_dependencies((first, "Nothing"), (first, second), (second, first)))
    with pytest.raises(WorkbookError) as raised:
        read_workbook(path)
    text = "\n".join(raised.value.problems)
    assert "ResourceDependencies row 2 column ParentResource: unknown resource 'Nothing'" in text
    assert "dependency cycle" in text
