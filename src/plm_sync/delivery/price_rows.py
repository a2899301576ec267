"""A line's prices as a hub receives them: the wizard file's rows, digests, read-back drift.

Pure functions over the catalog JSON of a line (`prices` per marketplace) and what a hub
showed or was last sent; no I/O. `upload_batches` splits a file by effective date the way the
wizard takes it (Commerce refuses a date in the past: such rows are sent as effective today).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import groupby
from typing import Any

from plm_sync.delivery.price_list import price_list_rows
from plm_sync.domain.digests import content_hash
from plm_sync.domain.price_checks import amount_problem
from plm_sync.store.pushes import PriceKey, PriceMemory

ROWS_NAMED = 5  # rows an event names
EMPTY = content_hash([])  # the digest of a marketplace with no price rows


def price_digest(line: dict[str, Any], marketplace_id: str) -> str:
    """What a hub receives of a line's prices in a marketplace: the wizard file's rows."""
    return content_hash(price_list_rows(line, marketplace_id))


def priced_marketplaces(line: dict[str, Any]) -> list[str]:
    """The marketplaces a line has price rows in, sorted."""
    return sorted(mp for mp, prices in (line.get("prices") or {}).items() if prices.get("rows"))


def price_keys(line: dict[str, Any], marketplace_id: str) -> frozenset[PriceKey]:
    """The rows of the wizard's file as Commerce matches them: MPN, billing, subscription."""
    if marketplace_id not in priced_marketplaces(line):
        return frozenset()
    return frozenset(wanted_prices(line, marketplace_id))


def sent_digest(line: dict[str, Any], marketplace_id: str) -> str:
    """The digest a hub keeps of a line's prices in a marketplace (`EMPTY` when none)."""
    if marketplace_id not in priced_marketplaces(line):
        return EMPTY
    return price_digest(line, marketplace_id)


def dropped_rows(
    line: dict[str, Any], marketplace_id: str, held: PriceMemory
) -> frozenset[PriceKey]:
    """Rows the hub holds (as far as plm-sync knows) that the catalog no longer has."""
    known = (held.rows or frozenset()) | held.not_withdrawn
    return known - price_keys(line, marketplace_id)


def prices_due(line: dict[str, Any], memory: dict[str, PriceMemory]) -> bool:
    """Whether a push has prices of the line to send, forget or check on this hub."""
    listed = set(line.get("marketplaces") or ())
    for marketplace_id in priced_marketplaces(line):
        held = memory.get(marketplace_id)
        if held is None or held.content != price_digest(line, marketplace_id):
            return True
    return any(
        marketplace_id not in listed or bool(dropped_rows(line, marketplace_id, held))
        for marketplace_id, held in memory.items()
    )


def stored_out_of_bounds(rows: list[dict[str, Any]]) -> list[str]:
    """Rows (catalog JSON) with an amount outside the bounds the sync checks (stored earlier)."""
    found = []
    for row in rows:
        for name, key in (("Cost", "cost"), ("Price", "price"), ("MSRP", "msrp")):
            value = row.get(key)
            if value is None:
                continue
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                found.append(f"{row.get('mpn')}: {name} {str(value)[:40]!r} is not a number")
                continue
            problem = amount_problem(name, amount)
            if problem is not None:
                found.append(f"{row.get('mpn')}: {problem}")
    return found


def _price(value: Any) -> Decimal | None:  # noqa: ANN401 - a cell or JSON
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number.normalize() if number.is_finite() else None


def shown_prices(shown: list[dict[str, Any]]) -> dict[PriceKey, Decimal | None]:
    """The prices a reseller's flat catalog shows (active rows), keyed as the wizard's file."""
    return {
        (
            str(row.get("mpn")),
            str(row.get("billingPeriod")),
            str(row.get("subscriptionPeriod") or ""),
        ): _price(row.get("price"))
        for row in shown
        if row.get("active", True) not in {False, "false", "False"}
    }


def price_drift(wanted: dict[PriceKey, Decimal | None], shown: list[dict[str, Any]]) -> list[str]:
    """The rows whose price on the hub is not the catalog's (`key: hub -> catalog`)."""
    held = shown_prices(shown)
    found = []
    for key, price in sorted(wanted.items()):
        label = f"{key[0]} ({key[1]} / {key[2] or '-'})"
        if key not in held:
            found.append(f"{label}: not on the hub -> {price}")
        elif held[key] != price:
            found.append(f"{label}: {held[key]} -> {price}")
    mpns = {key[0] for key in wanted}
    found += [
        f"{key[0]} ({key[1]} / {key[2] or '-'}): {held[key]} on the hub, not in the catalog"
        for key in sorted(held)
        if key[0] in mpns and key not in wanted
    ]
    return found


def wanted_prices(line: dict[str, Any], marketplace_id: str) -> dict[PriceKey, Decimal | None]:
    """The catalog's prices in a marketplace, keyed as Commerce matches them."""
    header, *rows = price_list_rows(line, marketplace_id)
    at = [header.index(name) for name in ("MPN", "Billing Period", "Subscription Period", "Price")]
    return {(str(r[at[0]]), str(r[at[1]]), str(r[at[2]] or "")): _price(r[at[3]]) for r in rows}


def named(rows: frozenset[PriceKey]) -> str:
    """The first rows by MPN, billing and term, for an event (`and N more`)."""
    shown = ", ".join(
        f"{mpn} ({billing} / {term or '-'})" for mpn, billing, term in sorted(rows)[:ROWS_NAMED]
    )
    more = len(rows) - ROWS_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class Batch:
    """The rows of one upload: one effective date (as sent) and whether it was moved."""

    effective: date
    moved_from: str | None  # the rows' own date when it had passed (sent as today)
    rows: list[list[Any]]  # header first


def upload_batches(rows: list[list[Any]], today: date) -> list[Batch]:
    """The file's rows by effective date; a date passed is today (Commerce refuses the past)."""
    header, body = rows[0], rows[1:]
    column = header.index("Effective Date")

    def effective(row: list[Any]) -> str:
        return str(row[column] or "")[:10]

    batches = []
    for stamp, grouped in groupby(sorted(body, key=effective), key=effective):
        members = list(grouped)
        try:
            day = date.fromisoformat(stamp)
        except ValueError:
            day = today
        moved = stamp if day < today else None
        day = max(day, today)
        batches.append(
            Batch(
                day,
                moved,
                [header] + [[*r[:column], day.isoformat(), *r[column + 1 :]] for r in members],
            )
        )
    return batches
