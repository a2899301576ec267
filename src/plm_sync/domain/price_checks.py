"""Prices checked as the price-import wizard will, and matched to the line's catalog."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from plm_sync.domain import events as codes
from plm_sync.domain.events import Event, Level
from plm_sync.domain.prices import (
    MAX_AMOUNT,
    MAX_DIGITS,
    MAX_PLACES,
    Marketplace,
    PricedItem,
    PriceFile,
    PriceRow,
    RawPrice,
    normal_period,
)

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
