"""Price files read, as pure functions: a pricing batch's output table, a price list's points.

The Connect adapter hands in the rows; nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from plm_sync.domain.prices import Formula, PricedItem, PriceFile, PriceListRule, RawPrice

# -- reading a price file --------------------------------------------------------------------

_REQUIRED = ("MPN", "Billing Period", "Effective Date")


def _decimal(value: object) -> Decimal | None:
    """A cell as a number; None when empty; ValueError when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError  # noqa: TRY004 - a cell that is not a number, like any other
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError
        return Decimal(str(value))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite():
        raise ValueError
    return number


def parse_date(value: object) -> str | None:
    """A date the wizard can read as YYYY-MM-DD; None when it is not one.

    An ISO date or timestamp, `MM/DD/YYYY`, or a spreadsheet date.
    """
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%m/%d/%Y").date().isoformat()  # noqa: DTZ007 - a date
    except ValueError:
        return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def read_price_table(source: str, table: Sequence[Sequence[object]]) -> PriceFile:
    """The rows of a pricing batch's output sheet (header row first), checked.

    As Commerce's price-import wizard checks them: required `MPN`, `Billing Period`,
    `Effective Date`, and `Cost` or `Price` with its currency column; numbers are numbers;
    dates are dates.

    Problems name the source, the row and the column; a file with any is refused whole.
    """
    found = PriceFile(source)
    if not table:
        found.problems.append(f"{source}: the sheet is empty")
        return found
    header = [_text(cell) for cell in table[0]]
    columns = {name: index for index, name in reversed(list(enumerate(header))) if name}
    missing = [name for name in _REQUIRED if name not in columns]
    if "Cost" not in columns and "Price" not in columns:
        missing.append("Cost or Price")
    for amount, currency in (("Cost", "Cost Currency"), ("Price", "Price Currency")):
        if amount in columns and currency not in columns:
            missing.append(currency)
    if missing:
        found.problems.append(f"{source}: column(s) {', '.join(missing)} missing in row 1")
        return found
    for number, values in enumerate(table[1:], start=2):
        if all(_text(value) == "" for value in values):
            continue
        row, problems = _table_row(number, _Row(values, columns))
        found.problems += [f"{source}: row {number}: {problem}" for problem in problems]
        if row is not None:
            found.rows.append(row)
    return found


@dataclass(frozen=True)
class _Row:
    """One data row of a sheet; called with a column name, its cell (None past the row)."""

    values: Sequence[object]
    columns: Mapping[str, int]

    def __call__(self, name: str) -> object:
        index = self.columns.get(name)
        return self.values[index] if index is not None and index < len(self.values) else None


_READ = (
    "MPN",
    "Billing Period",
    "Subscription Period",
    "Effective Date",
    "Cost",
    "Cost Currency",
    "Price",
    "Price Currency",
    "MSRP",
)


def _table_row(number: int, cell: Callable[[str], object]) -> tuple[RawPrice | None, list[str]]:
    """One data row of a price sheet: the price, or the problems that refuse it."""
    formulas = [
        f"column {name} holds a formula ({str(cell(name))[:40]!r}); type the value itself"
        for name in _READ
        if isinstance(cell(name), Formula)
    ]
    if formulas:
        return None, formulas
    problems: list[str] = []
    amounts: dict[str, Decimal | None] = {}
    for name in ("Cost", "Price", "MSRP"):
        try:
            amounts[name] = _decimal(cell(name))
        except ValueError:
            problems.append(f"column {name}: {str(cell(name))[:40]!r} is not a number")
            amounts[name] = None
    mpn, billing = _text(cell("MPN")), _text(cell("Billing Period"))
    when = parse_date(cell("Effective Date"))
    cost_currency = _text(cell("Cost Currency")) or None
    price_currency = _text(cell("Price Currency")) or None
    checks = (
        (not mpn, "column MPN is empty"),
        (not billing, "column Billing Period is empty"),
        (
            when is None,
            f"column Effective Date: {str(cell('Effective Date') or '')[:40]!r} is not a date",
        ),
        (amounts["Cost"] is None and amounts["Price"] is None, "neither Cost nor Price is given"),
        (amounts["Cost"] is not None and not cost_currency, "column Cost Currency is empty"),
        (amounts["Price"] is not None and not price_currency, "column Price Currency is empty"),
    )
    problems += [problem for failed, problem in checks if failed]
    if problems:
        return None, problems
    row = RawPrice(
        number,
        mpn,
        billing,
        _text(cell("Subscription Period")),
        amounts["Cost"],
        cost_currency,
        amounts["Price"],
        price_currency,
        amounts["MSRP"],
        str(when),
    )
    return row, []


# -- prices from a price list's points ----------------------------------------


def read_price_points(
    source: str,
    points: Iterable[Mapping[str, object]],
    items: Sequence[PricedItem],
    *,
    currency: str,
    effective_date: str,
    precision: int,
    rule: PriceListRule,
) -> PriceFile:
    """Price points of a price list version as priced rows of the line's items.

    A point names its item by `mpn` (the flat MPN); its billing period is the item's.
    Points without a cost and a price are left out (an empty point is no price).
    """
    by_mpn = {item.mpn: item for item in items}
    found = PriceFile(source)
    step = Decimal(1).scaleb(-precision)
    for number, point in enumerate(points, start=1):
        mpn = _text(point.get("mpn"))
        attributes = point.get("attributes")
        values = attributes if isinstance(attributes, Mapping) else {}
        try:
            cost = _decimal(values.get(rule.cost))
            price = None if rule.markup is not None else _decimal(values.get(rule.price))
            msrp = _decimal(values.get(rule.msrp)) if rule.msrp else None
        except ValueError:
            found.problems.append(f"{source}: point {number} ({mpn}): an attribute is not a number")
            continue
        if rule.markup is not None and cost is not None:
            price = (cost * (1 + rule.markup)).quantize(step, rounding=ROUND_HALF_UP)
        if cost is None and price is None:
            continue
        item = by_mpn.get(mpn)
        found.rows.append(
            RawPrice(
                number,
                mpn,
                item.billing_period if item else "",
                item.subscription_period if item else "",
                cost,
                currency if cost is not None else None,
                price,
                currency if price is not None else None,
                msrp,
                effective_date,
            )
        )
    return found
