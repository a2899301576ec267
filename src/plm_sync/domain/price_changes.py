"""Prices compared with what is stored, braked when a change looks wrong, and told as events."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from plm_sync.domain import events as codes
from plm_sync.domain.events import Event, Level
from plm_sync.domain.price_checks import Checked
from plm_sync.domain.prices import PROBLEMS_SHOWN, PriceFile, PriceRow

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
