"""Marketplaces, the marketplaces of each product line and its prices, with history."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plm_sync.domain.digests import content_hash
from plm_sync.domain.price_changes import PriceChanges
from plm_sync.domain.prices import Marketplace as MarketplaceValue
from plm_sync.domain.prices import PricedItem, PriceRow, spell_period
from plm_sync.store.bulk import insert_missing, insert_rows
from plm_sync.store.models import (
    ConnectItem,
    LineMarketplace,
    Marketplace,
    PlanPeriod,
    Price,
    PriceHistory,
    ProductLine,
    ResourceRate,
    ResourceRatePeriod,
    ServicePlan,
    table_of,
)


@dataclass(frozen=True)
class MarketState:
    """What is stored of a line in one marketplace: listed, and the digest of its prices."""

    listed: bool
    digest: str | None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _row(price: Price) -> PriceRow:
    return PriceRow(
        price.mpn,
        price.resource_mpn,
        price.billing_period,
        price.subscription_period,
        _decimal(price.cost),
        price.cost_currency,
        _decimal(price.price),
        price.price_currency,
        _decimal(price.msrp),
        price.effective_date,
        scheduled=price.scheduled,
        source=price.source,
    )


def _values(row: PriceRow) -> dict[str, Any]:
    return {
        "resource_mpn": row.resource_mpn,
        "billing_period": row.billing_period,
        "subscription_period": row.subscription_period,
        "cost": _text(row.cost),
        "cost_currency": row.cost_currency,
        "price": _text(row.price),
        "price_currency": row.price_currency,
        "msrp": _text(row.msrp),
        "effective_date": row.effective_date,
        "source": row.source,
    }


class PriceRepository:
    """Reads and writes prices inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._currencies: dict[str, str] | None = None  # read once, for `line_prices`

    # -- marketplaces --------------------------------------------------------------------

    def save_marketplaces(self, marketplaces: Iterable[MarketplaceValue], run_id: int) -> None:
        """Keep the marketplaces as Connect last served them (written only when changed)."""
        stored = {row.id: row for row in self.session.scalars(select(Marketplace))}
        new: list[dict[str, Any]] = []
        for marketplace in marketplaces:
            values = {
                "name": marketplace.name,
                "currency": marketplace.currency,
                "alt_currencies": list(marketplace.alt_currencies),
                "hubs": [list(hub) for hub in marketplace.hubs],
            }
            digest = content_hash(values)
            row = stored.get(marketplace.id)
            if row is None:  # another process of the run may be inserting it too
                new.append(
                    {"id": marketplace.id, "content_hash": digest, "last_seen_run_id": run_id}
                    | values
                )
            elif row.content_hash != digest:
                for key, value in values.items():
                    setattr(row, key, value)
                row.content_hash, row.last_seen_run_id = digest, run_id
        insert_missing(self.session, table_of(Marketplace), new)

    def listed_marketplaces(self) -> list[MarketplaceValue]:
        """The marketplaces some stored line is listed in, by id."""
        listed = set(
            self.session.scalars(
                select(LineMarketplace.marketplace_id).where(LineMarketplace.listed.is_(True))
            )
        )
        return [value for key, value in sorted(self.marketplaces().items()) if key in listed]

    def marketplaces(self) -> dict[str, MarketplaceValue]:
        """Every marketplace stored, by id."""
        return {
            row.id: MarketplaceValue(
                row.id,
                row.name,
                row.currency,
                tuple(row.alt_currencies or ()),
                tuple((str(hub[0]), str(hub[1])) for hub in row.hubs or ()),
            )
            for row in self.session.scalars(select(Marketplace))
        }

    # -- a line's marketplaces -------------------------------------------------------------

    def states(
        self, product_ids: Collection[str] | None = None
    ) -> dict[str, dict[str, MarketState]]:
        """Each line's marketplaces as stored (all lines, or these products')."""
        query = select(
            ProductLine.connect_product_id,
            LineMarketplace.marketplace_id,
            LineMarketplace.listed,
            LineMarketplace.digest,
        ).join(ProductLine, ProductLine.id == LineMarketplace.product_line_id)
        if product_ids is not None:
            query = query.where(ProductLine.connect_product_id.in_(list(product_ids)))
        found: dict[str, dict[str, MarketState]] = {}
        for product_id, marketplace_id, listed, digest in self.session.execute(query):
            found.setdefault(product_id, {})[marketplace_id] = MarketState(listed, digest)
        return found

    def set_market(
        self,
        line_id: int,
        marketplace_id: str,
        *,
        listed: bool,
        digest: str | None,
        sources: tuple[str | None, str | None] | None = (None, None),
        vendor_id: str | None = None,
        run_id: int,
    ) -> None:
        """Record the line's listing in a marketplace and where its prices came from.

        `sources` None keeps the ones stored: the prices were not replaced (refused, held).
        """
        row = self.session.scalars(
            select(LineMarketplace).where(
                LineMarketplace.product_line_id == line_id,
                LineMarketplace.marketplace_id == marketplace_id,
            )
        ).first()
        values: dict[str, Any] = {
            "listed": listed,
            "digest": digest,
            "changed_run_id": run_id,
        }
        if sources is not None:
            values["source"], values["scheduled_source"] = sources
        if vendor_id is not None:  # a run that does not know it keeps the one stored
            values["vendor_id"] = vendor_id
        if row is None:
            self.session.add(
                LineMarketplace(product_line_id=line_id, marketplace_id=marketplace_id, **values)
            )
        else:
            for key, value in values.items():
                setattr(row, key, value)

    # -- the catalog the prices are checked against ----------------------------------------

    def priced_items(self, line_id: int) -> list[PricedItem]:
        """The line's items: every plan period, and add-on rate periods in base plans."""
        plans = {
            key: (resource, duration, unit, trial, active)
            for key, resource, duration, unit, trial, active in self.session.execute(
                select(
                    ServicePlan.key,
                    ServicePlan.resource_mpn,
                    ServicePlan.billing_duration,
                    ServicePlan.billing_unit,
                    ServicePlan.trial,
                    ServicePlan.active,
                ).where(ServicePlan.product_line_id == line_id)
            )
        }
        items: dict[str, PricedItem] = {}

        def billing(plan: tuple[Any, ...]) -> str:
            _, duration, unit, trial, _ = plan
            return "" if trial or duration is None else spell_period(duration, unit)

        for plan_key, mpn, duration, unit, active in self.session.execute(
            select(
                PlanPeriod.plan_key,
                PlanPeriod.mpn,
                PlanPeriod.duration,
                PlanPeriod.unit,
                PlanPeriod.active,
            ).where(PlanPeriod.product_line_id == line_id)
        ):
            plan = plans.get(plan_key)
            if plan is None:
                continue
            items[mpn] = PricedItem(
                mpn, plan[0], billing(plan), spell_period(duration, unit), active and plan[4]
            )
        rates = {
            key: (plan_key, resource)
            for key, plan_key, resource in self.session.execute(
                select(ResourceRate.key, ResourceRate.plan_key, ResourceRate.resource_mpn).where(
                    ResourceRate.product_line_id == line_id, ResourceRate.addon.is_(True)
                )
            )
        }
        if rates:
            for rate_key, mpn, duration, unit, active in self.session.execute(
                select(
                    ResourceRatePeriod.rate_key,
                    ResourceRatePeriod.mpn,
                    ResourceRatePeriod.duration,
                    ResourceRatePeriod.unit,
                    ResourceRatePeriod.active,
                ).where(ResourceRatePeriod.product_line_id == line_id)
            ):
                rate = rates.get(rate_key)
                plan = plans.get(rate[0]) if rate else None
                if rate is None or plan is None or mpn in items:
                    continue
                items[mpn] = PricedItem(
                    mpn, rate[1], billing(plan), spell_period(duration, unit), active and plan[4]
                )
        return sorted(items.values(), key=lambda item: item.mpn)

    def product_mpns(self, product_id: str) -> frozenset[str]:
        """The MPNs of the Connect product's stored items, priced by its line or not."""
        return frozenset(
            self.session.scalars(
                select(ConnectItem.mpn).where(ConnectItem.product_id == product_id)
            )
        )

    # -- prices ------------------------------------------------------------------------------

    def stored(self, line_id: int, marketplace_id: str) -> list[PriceRow]:
        """The line's active prices in a marketplace."""
        return [
            _row(price)
            for price in self.session.scalars(
                select(Price).where(
                    Price.product_line_id == line_id,
                    Price.marketplace_id == marketplace_id,
                    Price.active.is_(True),
                )
            )
        ]

    def apply(
        self,
        line_id: int,
        marketplace_id: str,
        changes: PriceChanges,
        run_id: int,
        now: datetime,
    ) -> None:
        """Write a marketplace's price changes; changed and removed rows keep history."""
        rows = {
            (price.mpn, price.scheduled): price
            for price in self.session.scalars(
                select(Price).where(
                    Price.product_line_id == line_id, Price.marketplace_id == marketplace_id
                )
            )
        }
        history: list[dict[str, Any]] = []
        inserts: list[dict[str, Any]] = []
        for row in changes.created:
            existing = rows.get(row.key)
            if existing is not None:  # an inactive row comes back
                history.append(self._history(existing, run_id, now))
                self._set(existing, row, run_id)
                continue
            inserts.append(
                {
                    "product_line_id": line_id,
                    "marketplace_id": marketplace_id,
                    "mpn": row.mpn,
                    "scheduled": row.scheduled,
                    "active": True,
                    "created_run_id": run_id,
                    "changed_run_id": run_id,
                    **_values(row),
                }
            )
        for old, new in changes.changed:
            price = rows[old.key]
            history.append(self._history(price, run_id, now))
            self._set(price, new, run_id)
        for row in changes.removed:
            price = rows[row.key]
            history.append(self._history(price, run_id, now))
            price.active, price.changed_run_id = False, run_id
        self.session.flush()
        insert_rows(self.session, table_of(Price), inserts)
        insert_rows(self.session, table_of(PriceHistory), history)

    @staticmethod
    def _set(price: Price, row: PriceRow, run_id: int) -> None:
        for key, value in _values(row).items():
            setattr(price, key, value)
        price.active, price.changed_run_id = True, run_id

    @staticmethod
    def _history(price: Price, run_id: int, now: datetime) -> dict[str, Any]:
        return {
            "price_id": price.id,
            "run_id": run_id,
            "changed_at": now,
            "cost": price.cost,
            "cost_currency": price.cost_currency,
            "price": price.price,
            "price_currency": price.price_currency,
            "msrp": price.msrp,
            "effective_date": price.effective_date,
            "source": price.source,
            "active": price.active,
        }

    def drop_marketplace(self, line_id: int, marketplace_id: str, run_id: int) -> None:
        """A marketplace the line is no longer listed in: its prices go inactive."""
        self.session.execute(
            update(Price)
            .where(
                Price.product_line_id == line_id,
                Price.marketplace_id == marketplace_id,
                Price.active.is_(True),
            )
            .values(active=False, changed_run_id=run_id)
        )

    # -- reading for the catalog -----------------------------------------------------------

    def line_prices(self, line_ids: Collection[int]) -> dict[int, dict[str, Any]]:
        """Per line: `marketplaces` (listed, sorted) and `prices` (DESIGN §6) by marketplace."""
        if not line_ids:
            return {}
        ids = list(line_ids)
        if self._currencies is None:
            rows = self.session.execute(select(Marketplace.id, Marketplace.currency))
            self._currencies = {row.id: row.currency for row in rows.all()}
        currencies = self._currencies
        found: dict[int, dict[str, Any]] = {}
        for market in self.session.scalars(
            select(LineMarketplace)
            .where(LineMarketplace.product_line_id.in_(ids), LineMarketplace.listed.is_(True))
            .order_by(LineMarketplace.marketplace_id)
        ):
            entry = found.setdefault(market.product_line_id, {"marketplaces": [], "prices": {}})
            entry["marketplaces"].append(market.marketplace_id)
            if market.source is None and market.scheduled_source is None:
                continue
            entry["prices"][market.marketplace_id] = {
                "currency": currencies.get(market.marketplace_id),
                "source": market.source or market.scheduled_source,
                **(
                    {"scheduled_source": market.scheduled_source}
                    if market.source and market.scheduled_source
                    else {}
                ),
                "vendor_id": market.vendor_id,
                "rows": [],
            }
        for price in self.session.scalars(
            select(Price)
            .where(Price.product_line_id.in_(ids), Price.active.is_(True))
            .order_by(Price.mpn, Price.scheduled)
        ):
            prices = found.get(price.product_line_id, {}).get("prices", {})
            if price.marketplace_id in prices:
                prices[price.marketplace_id]["rows"].append(_row(price).as_dict())
        return found
