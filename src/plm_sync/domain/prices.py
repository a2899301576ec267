"""Prices of a product line per marketplace, as pure functions.

Read, checked as the price-import wizard will, matched to the catalog, compared with what is
stored and braked when a change looks wrong. No I/O: the Connect adapter hands in table rows
(a pricing batch's output file) or price points (a price list version), the store hands in
the line's priced items and stored prices.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from plm_sync.domain import events as codes
from plm_sync.domain.digests import content_hash
from plm_sync.domain.events import Event, Level

# Columns of Commerce's price-import wizard (PROTOCOL.md §6), in its order.
WIZARD_COLUMNS = (
    "MPN",
    "Vendor ID",
    "Vendor Name",
    "Service Template / Product Line",
    "Product",
    "Billing Period",
    "Subscription Period",
    "Billing Model",
    "UOM",
    "Lower Limit",
    "Effective Date",
    "Cost Billing Period",
    "Cost Currency",
    "Cost",
    "Price Currency",
    "Price",
    "MSRP",
    "Margin",
    "Reseller Margin",
    "Fee Type",
    "Subscriptions",
    "Seats",
    "Active",
)
PROBLEMS_SHOWN = 5  # problems of a price file named in its event

# Bounds of an amount (cost, price, MSRP), set by where it goes: the wizard's file holds
# numbers as spreadsheet doubles (15 significant digits are exact), Connect's price lists
# carry at most 8 decimal places, and the stored text fits the 32-character column.
MAX_AMOUNT = Decimal(10) ** 12  # every amount is below it
MAX_PLACES = 8
MAX_DIGITS = 15


@dataclass(frozen=True)
class Formula:
    """A spreadsheet cell that holds a formula (its text), not a value: never read as one."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Marketplace:
    """A Connect marketplace: its currencies and the Commerce hubs it is served from."""

    id: str
    name: str
    currency: str
    alt_currencies: tuple[str, ...] = ()
    hubs: tuple[tuple[str, str], ...] = ()  # (Connect hub id, external id: the reseller)

    def accepts(self, currency: str) -> bool:
        """Whether prices in `currency` may be sold in this marketplace."""
        return currency.upper() in {
            self.currency.upper(),
            *(c.upper() for c in self.alt_currencies),
        }


@dataclass(frozen=True)
class PricedItem:
    """A sold item of a product line: its flat MPN with its resource and periods."""

    mpn: str
    resource_mpn: str
    billing_period: str  # as the wizard spells it: "1 month", "1 year", "" for a trial
    subscription_period: str
    active: bool = True


@dataclass(frozen=True)
class PriceRow:
    """One price of one item in one marketplace (DESIGN §6 `prices.rows`)."""

    mpn: str
    resource_mpn: str
    billing_period: str
    subscription_period: str
    cost: Decimal | None
    cost_currency: str | None
    price: Decimal | None
    price_currency: str | None
    msrp: Decimal | None
    effective_date: str  # YYYY-MM-DD
    scheduled: bool = False  # from a scheduled source: takes effect at its date
    source: str = ""

    @property
    def key(self) -> tuple[str, bool]:
        """What identifies a row among a marketplace's prices: the item, now or scheduled."""
        return self.mpn, self.scheduled

    def as_dict(self) -> dict[str, object]:
        """The catalog JSON shape: numbers as JSON numbers, `msrp` null when absent."""
        return {
            "mpn": self.mpn,
            "resource_mpn": self.resource_mpn,
            "billing_period": self.billing_period,
            "subscription_period": self.subscription_period,
            "cost": _number(self.cost),
            "cost_currency": self.cost_currency,
            "price": _number(self.price),
            "price_currency": self.price_currency,
            "msrp": _number(self.msrp),
            "effective_date": self.effective_date,
            **({"scheduled": True} if self.scheduled else {}),
        }


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class RawPrice:
    """A price as a source states it, before it is matched to the catalog."""

    row: int  # the source's row number (a spreadsheet's, from 2), for messages
    mpn: str
    billing_period: str
    subscription_period: str
    cost: Decimal | None
    cost_currency: str | None
    price: Decimal | None
    price_currency: str | None
    msrp: Decimal | None
    effective_date: str


@dataclass
class PriceFile:
    """What one source gave for one marketplace: rows, or the problems that refuse it."""

    source: str
    rows: list[RawPrice] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    scheduled: bool = False


# -- periods as the wizard writes them ------------------------------------------------------

_PERIOD = re.compile(r"(\d+)\s*([a-z]+?)(?:\(s\)|s)?", re.IGNORECASE)
_UNITS = {"day": "day", "days": "day", "month": "month", "year": "year", "yr": "year"}


def spell_period(duration: int, unit: str) -> str:
    """`1 month`, `3 years`: how the wizard and the price files spell a period."""
    return f"{duration} {unit}{'' if duration == 1 else 's'}"


def normal_period(text: str) -> str | None:
    """A period as a price file writes it (`1 month`, `1 Month(s)`, `3 Years`), canonical.

    None when it is not a period.
    """
    match = _PERIOD.fullmatch(text.strip())
    if match is None:
        return None
    unit = _UNITS.get(match.group(2).casefold())
    if unit is None:
        return None
    return spell_period(int(match.group(1)), unit)


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


# -- prices from a price list ----------------------------------------------------------------


@dataclass(frozen=True)
class PriceListRule:
    """Which price-list attributes are the cost, the price and the MSRP (`pricing.yaml`).

    Connect's own definitions: `Price` is the distributor's cost, `Suggested T0 Price` the
    vendor's suggested end-customer price. With `markup`, the price is the cost raised by it,
    rounded to the price list's precision.
    """

    cost: str = "Price"
    price: str = "Suggested T0 Price"
    msrp: str | None = "Suggested T0 Price"
    markup: Decimal | None = None  # 0.25 for 25 %


@dataclass(frozen=True)
class PricingRules:
    """`pricing.yaml`: how price lists become prices, and each marketplace's reseller account."""

    price_list: PriceListRule = field(default_factory=PriceListRule)
    resellers: tuple[tuple[str, str], ...] = ()  # (marketplace id, Commerce reseller account)

    @property
    def fingerprint(self) -> str:
        """What, of these rules, the prices of a line depend on."""
        return content_hash(self.price_list)

    def reseller_of(self, marketplace: Marketplace) -> str | None:
        """The Commerce reseller account of a marketplace: named here, else its hub's."""
        named = dict(self.resellers).get(marketplace.id)
        if named:
            return named
        return next((external for _, external in marketplace.hubs if external), None)


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


# -- checked against the catalog -------------------------------------------------------------


def amount_problem(name: str, value: Decimal | None) -> str | None:  # noqa: PLR0911 - one return per bound
    """Why an amount cannot be a price in Commerce; None when it can (or is absent).

    Negative, or outside what the database and the wizard's file hold exactly: below
    `MAX_AMOUNT`, at most `MAX_PLACES` decimal places and `MAX_DIGITS` significant digits.
    """
    if value is None:
        return None
    shown = f"{name} {str(value)[:40]}"
    if not value.is_finite():
        return f"{shown} is not a finite number"
    if value < 0:
        return f"{shown} is negative"
    if value >= MAX_AMOUNT:
        return f"{shown} is not below {MAX_AMOUNT:,}, the largest amount plm-sync stores"
    exact = value.normalize()
    _, digits, exponent = exact.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - finite, checked above
    if -exponent > MAX_PLACES:
        return f"{shown} has more than {MAX_PLACES} decimal places"
    if len(digits) > MAX_DIGITS:
        return (
            f"{shown} has more than {MAX_DIGITS} significant digits, more than the wizard's "
            "file holds exactly"
        )
    return None


@dataclass
class Checked:
    """A marketplace's prices for a line, matched to its items, with what the checks found."""

    rows: list[PriceRow] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    read: int = 0  # rows the sources gave
    left_out: int = 0  # of them, rows not used: naming no item, wrong currency, refused
    kept: set[tuple[str, bool]] = field(default_factory=set)  # slots whose row was refused

    @property
    def errors(self) -> int:
        """Error events among the findings."""
        return sum(1 for event in self.events if event.level is Level.ERROR)

    def left_out_share(self) -> Decimal:
        """The share of the rows read that were left out (0 when none was read)."""
        return Decimal(self.left_out) / self.read if self.read else Decimal(0)


class _Matcher:
    """Finds the item a row names: its flat MPN, or its resource MPN with its periods."""

    def __init__(self, items: Sequence[PricedItem]) -> None:
        self.by_mpn = {item.mpn: item for item in items}
        self.by_resource: dict[tuple[str, str, str], PricedItem] = {}
        self.by_billing: dict[tuple[str, str], list[PricedItem]] = {}
        for item in items:
            self.by_resource[item.resource_mpn, item.billing_period, item.subscription_period] = (
                item
            )
            self.by_billing.setdefault((item.resource_mpn, item.billing_period), []).append(item)

    def __call__(self, raw: RawPrice) -> PricedItem | None:
        found = self.by_mpn.get(raw.mpn)
        if found is not None:
            return found
        billing = normal_period(raw.billing_period) or ""
        subscription = normal_period(raw.subscription_period) if raw.subscription_period else None
        if subscription is not None:
            return self.by_resource.get((raw.mpn, billing, subscription))
        candidates = self.by_billing.get((raw.mpn, billing), [])
        return candidates[0] if len(candidates) == 1 else None


def find_duplicates(files: Sequence[PriceFile], items: Sequence[PricedItem]) -> None:
    """Add to each file a problem for every two of its rows that price the same item.

    Commerce refuses duplicate values in a price file; which of two rows is meant is not
    for plm-sync to guess, so a file with any is refused whole.
    """
    match = _Matcher(items)
    for file in files:
        first: dict[str, int] = {}
        for raw in file.rows:
            item = match(raw)
            if item is None:
                continue
            earlier = first.setdefault(item.mpn, raw.row)
            if earlier != raw.row:
                file.problems.append(
                    f"{file.source}: rows {earlier} and {raw.row} both price {item.mpn} "
                    f"({item.billing_period or 'trial'} / {item.subscription_period}); "
                    "keep one of them"
                )


def check_prices(  # noqa: C901 - one pass over the rows, a branch per check
    product_id: str,
    marketplace: Marketplace,
    files: Sequence[PriceFile],
    items: Sequence[PricedItem],
    elsewhere: Collection[str] = (),
) -> Checked:
    """Match each price to an item of the line and check it.

    A row names an item by its flat MPN, or by its resource MPN with the row's billing and
    subscription periods. A row naming no item is `price_unknown_mpn` (warning, left out); a
    row naming an item of the Connect product that the line does not price (`elsewhere`:
    the product's item MPNs; a trial, an add-on in no plan, an item the rules skip) is the
    same warning but not counted as read: a price file covers the whole product. A
    currency the marketplace does not sell in is `price_currency_mismatch` (error, left out);
    a negative or out-of-bounds amount is `price_row_refused` (error: the row is left out and
    the item keeps its stored price); a price below its cost is `price_below_cost` and a
    price of 0 `price_zero` (warnings, kept); an active item without a price is
    `price_missing` (warning).
    """
    checked = Checked()
    match = _Matcher(items)
    priced: set[str] = set()
    for file in files:
        for raw in file.rows:
            checked.read += 1
            item = match(raw)
            where = f"{file.source} row {raw.row}"
            if item is None:
                other = raw.mpn in elsewhere
                if other:
                    checked.read -= 1
                else:
                    checked.left_out += 1
                checked.events.append(
                    Event(
                        Level.WARNING,
                        codes.PRICE_UNKNOWN_MPN,
                        f"{marketplace.id}: {where} names {raw.mpn[:255]!r} "
                        f"({raw.billing_period[:40] or '-'} / "
                        f"{raw.subscription_period[:40] or '-'}), "
                        + (
                            "an item of the product that this line does not price"
                            if other
                            else "no item of this product line"
                        )
                        + "; the row was left out",
                        product_id,
                        None,
                        raw.mpn[:255],
                    )
                )
                continue
            found = _row_findings(product_id, marketplace, raw, item, where)
            checked.events += found
            if any(event.level is Level.ERROR for event in found):
                checked.left_out += 1
                if any(event.code == codes.PRICE_ROW_REFUSED for event in found):
                    checked.kept.add((item.mpn, file.scheduled))
                    priced.add(item.mpn)
                continue
            checked.rows.append(
                PriceRow(
                    item.mpn,
                    item.resource_mpn,
                    item.billing_period,
                    item.subscription_period,
                    raw.cost,
                    raw.cost_currency,
                    raw.price,
                    raw.price_currency,
                    raw.msrp,
                    raw.effective_date,
                    scheduled=file.scheduled,
                    source=file.source,
                )
            )
            if not file.scheduled:
                priced.add(item.mpn)
    # one row per item and slot: the last a source gives wins (its later effective date)
    kept: dict[tuple[str, bool], PriceRow] = {}
    for row in checked.rows:
        earlier = kept.get(row.key)
        if earlier is None or row.effective_date >= earlier.effective_date:
            kept[row.key] = row
    checked.rows = sorted(kept.values(), key=lambda row: (row.mpn, row.scheduled))
    for item in items:  # trials (no billing period) are not sold: they need no price
        if item.active and item.billing_period and item.mpn not in priced:
            checked.events.append(
                Event(
                    Level.WARNING,
                    codes.PRICE_MISSING,
                    f"{marketplace.id}: no price for {item.mpn} "
                    f"({item.billing_period or 'trial'} / {item.subscription_period})",
                    product_id,
                    None,
                    item.mpn,
                )
            )
    return checked


def _row_findings(
    product_id: str, marketplace: Marketplace, raw: RawPrice, item: PricedItem, where: str
) -> list[Event]:
    """What the checks find in one matched row; an error leaves the row out."""
    mismatch = _currency_mismatch(product_id, marketplace, raw, item, where)
    if mismatch is not None:
        return [mismatch]
    problems = [
        problem
        for problem in (
            amount_problem("Cost", raw.cost),
            amount_problem("Price", raw.price),
            amount_problem("MSRP", raw.msrp),
        )
        if problem is not None
    ]
    if problems:
        return [
            Event(
                Level.ERROR,
                codes.PRICE_ROW_REFUSED,
                f"{marketplace.id}: {where} ({raw.mpn[:255]}): {'; '.join(problems)}: the row "
                f"was refused and {item.mpn} keeps its stored price; fix the source",
                product_id,
                None,
                item.mpn,
            )
        ]
    found = []
    if raw.cost is not None and raw.price is not None and raw.price < raw.cost:
        found.append(
            Event(
                Level.WARNING,
                codes.PRICE_BELOW_COST,
                f"{marketplace.id}: price {raw.price} {raw.price_currency} is below the "
                f"cost {raw.cost} {raw.cost_currency} ({where})",
                product_id,
                None,
                item.mpn,
            )
        )
    if raw.price == 0 or (raw.price is None and raw.cost == 0):
        found.append(
            Event(
                Level.WARNING,
                codes.PRICE_ZERO,
                f"{marketplace.id}: {where} prices {item.mpn} at 0 (cost {raw.cost}, price "
                f"{raw.price}): a new or changed price of 0 is held by the price brake unless "
                "allowed with --allow-price-changes",
                product_id,
                None,
                item.mpn,
            )
        )
    return found


def _currency_mismatch(
    product_id: str, marketplace: Marketplace, raw: RawPrice, item: PricedItem, where: str
) -> Event | None:
    wrong = [
        currency
        for currency in (raw.cost_currency, raw.price_currency)
        if currency and not marketplace.accepts(currency)
    ]
    if not wrong:
        return None
    accepted = ", ".join((marketplace.currency, *marketplace.alt_currencies))
    return Event(
        Level.ERROR,
        codes.PRICE_CURRENCY_MISMATCH,
        f"{marketplace.id}: {where}: currency {wrong[0][:16]} is not the marketplace's "
        f"({accepted}); the row was left out, fix the source",
        product_id,
        None,
        item.mpn,
    )


# -- compared with what is stored, and braked ------------------------------------------------


@dataclass
class PriceChanges:
    """What a marketplace's new prices do to the stored ones."""

    created: list[PriceRow] = field(default_factory=list)
    changed: list[tuple[PriceRow, PriceRow]] = field(default_factory=list)  # (old, new)
    removed: list[PriceRow] = field(default_factory=list)
    unchanged: int = 0
    current: dict[str, PriceRow] = field(default_factory=dict)  # the stored price now, by MPN

    @property
    def any(self) -> bool:
        """Whether anything is to be written."""
        return bool(self.created or self.changed or self.removed)


def _same(old: PriceRow, new: PriceRow) -> bool:
    return replace(old, source="") == replace(new, source="")


def diff_prices(
    stored: Iterable[PriceRow],
    desired: Iterable[PriceRow],
    *,
    keep: Collection[tuple[str, bool]] = (),
) -> PriceChanges:
    """Rows to create, change (old, new) and remove, by item and slot.

    A stored row whose slot is in `keep` (its new row was refused) stays as it is.
    """
    stored = list(stored)
    before = {row.key: row for row in stored}
    changes = PriceChanges(current={row.mpn: row for row in stored if not row.scheduled})
    for row in desired:
        old = before.pop(row.key, None)
        if old is None:
            changes.created.append(row)
        elif _same(old, row):
            changes.unchanged += 1
        else:
            changes.changed.append((old, row))
    for slot in keep:
        if before.pop(slot, None) is not None:
            changes.unchanged += 1
    changes.removed = sorted(before.values(), key=lambda row: row.key)
    return changes


def change_ratio(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    """(new - old) / old; None when there is nothing to compare."""
    if old is None or new is None or old == 0:
        return None
    return (new - old) / old


_SHOWN_RATIO = 10_000  # a change beyond +-1,000,000 % is shown as that


def _percent(ratio: Decimal | None) -> str:
    if ratio is None:
        return ""
    if abs(ratio) >= _SHOWN_RATIO:
        return f" ({'+' if ratio > 0 else '-'}>999999%)"
    return f" ({ratio * 100:+.1f}%)"


@dataclass(frozen=True)
class Held:
    """A change the brake holds: the row (new, or the one removed), what moved, from, to."""

    row: PriceRow
    what: str  # "cost", "price" or "removal"
    before: Decimal | None
    after: Decimal | None


def _beyond(before: Decimal | None, after: Decimal | None, limit: Decimal) -> bool:
    if after is None:
        return False
    if after == 0:
        return before != 0  # a price becoming 0, or a first price of 0
    ratio = change_ratio(before, after)
    return ratio is not None and abs(ratio) > limit


def held_changes(
    changes: PriceChanges, limit: Decimal, *, sold: Collection[str] = ()
) -> list[Held]:
    """The changes beyond the brake.

    A cost or price more than `limit` (a ratio) up or down, or becoming 0, or a first price
    of 0; a scheduled price is compared with the one it replaces (the scheduled one stored,
    else the current one). A current price removed while its item is still sold (`sold`:
    the MPNs of the line's active items) is held too: a removal is a change of -100 %.
    """
    held: list[Held] = []
    pairs: list[tuple[PriceRow | None, PriceRow]] = list(changes.changed)
    pairs += [
        (changes.current.get(new.mpn) if new.scheduled else None, new) for new in changes.created
    ]
    for old, new in pairs:
        for what in ("cost", "price"):
            before = getattr(old, what) if old is not None else None
            after = getattr(new, what)
            if old is None and after != 0:
                continue  # a first price is never held, unless it is 0
            if _beyond(before, after, limit):
                held.append(Held(new, what, before, after))
                break
    held += [
        Held(row, "removal", row.price, None)
        for row in changes.removed
        if not row.scheduled and row.mpn in sold
    ]
    return held


def held_event(product_id: str, marketplace_id: str, held: Held, limit: str) -> Event:
    """`price_change_limit` for one held change, saying how to let it through."""
    row = held.row
    when = " (scheduled)" if row.scheduled else ""
    if held.what == "removal":
        moved = (
            f"the price of {row.mpn}{when} would be removed (was cost {row.cost}, price "
            f"{row.price}) while the item is still sold"
        )
    else:
        moved = (
            f"{held.what} of {row.mpn}{when} would move {held.before} -> {held.after}"
            + _percent(change_ratio(held.before, held.after))
        )
    return Event(
        Level.ERROR,
        codes.PRICE_CHANGE_LIMIT,
        f"{marketplace_id}: {moved}, beyond PLM_SYNC_PRICE_CHANGE_LIMIT={limit}: the new "
        "prices of this line in this marketplace are held, the stored ones stay; if the "
        "change is meant, run again with --allow-price-changes",
        product_id,
        None,
        row.mpn,
        subject=marketplace_id,
    )


def left_out_event(
    product_id: str, marketplace_id: str, checked: Checked, sources: str, limit: str
) -> Event:
    """`price_change_limit` for a source most of whose rows were left out: refused whole."""
    return Event(
        Level.ERROR,
        codes.PRICE_CHANGE_LIMIT,
        f"{marketplace_id}: {checked.left_out} of the {checked.read} price row(s) of {sources} "
        "were left out (naming no item, in another currency, or refused), more than "
        f"PLM_SYNC_PRICE_CHANGE_LIMIT={limit}: the source is refused whole and the stored "
        "prices stay; fix the source or, if it is meant, run again with --allow-price-changes",
        product_id,
        subject=marketplace_id,
    )


def change_events(
    product_id: str, marketplace_id: str, changes: PriceChanges, *, dry_run: bool = False
) -> list[Event]:
    """`price_created`, `price_changed` (old -> new, ±%), `price_removed` for the report."""
    would = "would be " if dry_run else ""
    found = [
        Event(
            Level.INFO,
            codes.PRICE_CREATED,
            f"{marketplace_id}: price {would}created: cost {row.cost} {row.cost_currency or ''}, "
            f"price {row.price} {row.price_currency or ''}, effective {row.effective_date}"
            + (" (scheduled)" if row.scheduled else ""),
            product_id,
            None,
            row.mpn,
            subject=marketplace_id,
        )
        for row in changes.created
    ]
    for old, new in changes.changed:
        parts = []
        for what, before, after in (
            ("cost", old.cost, new.cost),
            ("price", old.price, new.price),
            ("msrp", old.msrp, new.msrp),
        ):
            if before != after:
                parts.append(f"{what} {before} -> {after}{_percent(change_ratio(before, after))}")
        if old.effective_date != new.effective_date:
            parts.append(f"effective {old.effective_date} -> {new.effective_date}")
        for what, was, now in (
            ("cost currency", old.cost_currency, new.cost_currency),
            ("price currency", old.price_currency, new.price_currency),
        ):
            if was != now:
                parts.append(f"{what} {was} -> {now}")
        found.append(
            Event(
                Level.INFO,
                codes.PRICE_CHANGED,
                f"{marketplace_id}: price {would}changed: {'; '.join(parts) or 'source only'}",
                product_id,
                None,
                new.mpn,
                subject=marketplace_id,
            )
        )
    found += [
        Event(
            Level.INFO,
            codes.PRICE_REMOVED,
            f"{marketplace_id}: price {would}removed (was cost {row.cost}, price {row.price})",
            product_id,
            None,
            row.mpn,
            subject=marketplace_id,
        )
        for row in changes.removed
    ]
    return found


def file_invalid_event(product_id: str, marketplace_id: str, file: PriceFile) -> Event:
    """`price_file_invalid`: the first problems of a refused source, and how many more."""
    shown = "; ".join(file.problems[:PROBLEMS_SHOWN])
    more = len(file.problems) - PROBLEMS_SHOWN
    return Event(
        Level.ERROR,
        codes.PRICE_FILE_INVALID,
        f"{marketplace_id}: the prices of {file.source} cannot be used: {shown}"
        + (f"; and {more} more problem(s)" if more > 0 else "")
        + "; the stored prices of this marketplace stay as they were",
        product_id,
        subject=marketplace_id,
    )
