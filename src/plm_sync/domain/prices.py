"""Prices of a product line per marketplace: the values, as pure data.

A marketplace, a priced item, a price row, a price file and the pricing rules; reading
them is `price_files`, checking them `price_checks`, comparing and braking
`price_changes`. No I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from plm_sync.domain.digests import content_hash

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
