"""Marketplaces, the lines listed in them, and their prices with their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plm_sync.domain import text as limits
from plm_sync.store.models.base import Base


class Marketplace(Base):
    """A Connect marketplace as last read: currencies and the Commerce hubs serving it."""

    __tablename__ = "marketplaces"

    id: Mapped[str] = mapped_column(String(limits.ID_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.NAME_MAX))
    currency: Mapped[str] = mapped_column(String(8))
    alt_currencies: Mapped[list[str]] = mapped_column(JSON)
    hubs: Mapped[list[Any]] = mapped_column(JSON)  # [[hub id, external id], ...]
    content_hash: Mapped[str] = mapped_column(String(64))
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)


class LineMarketplace(Base):
    """A marketplace a product line is listed in (or was), and where its prices came from.

    `digest` covers the price sources and everything the prices were checked against: equal
    digests mean the marketplace's prices need no recomputing.
    """

    __tablename__ = "line_marketplaces"
    __table_args__ = (UniqueConstraint("product_line_id", "marketplace_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(
        ForeignKey("product_lines.id", ondelete="CASCADE"), index=True
    )
    marketplace_id: Mapped[str] = mapped_column(String(limits.ID_MAX))
    listed: Mapped[bool] = mapped_column(Boolean)
    digest: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    scheduled_source: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    vendor_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    changed_run_id: Mapped[int | None] = mapped_column(Integer)


class PriceValues:
    """What a price says, kept alike by a price and its history.

    Amounts as decimal text (exact, and the same on both databases), currencies, effective
    date, source, activity.
    """

    cost: Mapped[str | None] = mapped_column(String(limits.SHORT_MAX))
    cost_currency: Mapped[str | None] = mapped_column(String(8))
    price: Mapped[str | None] = mapped_column(String(limits.SHORT_MAX))
    price_currency: Mapped[str | None] = mapped_column(String(8))
    msrp: Mapped[str | None] = mapped_column(String(limits.SHORT_MAX))
    effective_date: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(limits.ID_MAX))
    active: Mapped[bool] = mapped_column(Boolean)


class Price(PriceValues, Base):
    """One item's price in one marketplace (now, or scheduled); changes keep history."""

    __tablename__ = "prices"
    __table_args__ = (UniqueConstraint("product_line_id", "marketplace_id", "mpn", "scheduled"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_line_id: Mapped[int] = mapped_column(
        ForeignKey("product_lines.id", ondelete="CASCADE"), index=True
    )
    marketplace_id: Mapped[str] = mapped_column(String(limits.ID_MAX))
    mpn: Mapped[str] = mapped_column(String(limits.MPN_MAX))
    scheduled: Mapped[bool] = mapped_column(Boolean)
    resource_mpn: Mapped[str] = mapped_column(String(limits.MPN_MAX))
    billing_period: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    subscription_period: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    created_run_id: Mapped[int | None] = mapped_column(Integer)
    changed_run_id: Mapped[int | None] = mapped_column(Integer)


class PriceHistory(PriceValues, Base):
    """A price's values before a run changed or removed it."""

    __tablename__ = "price_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_id: Mapped[int] = mapped_column(ForeignKey("prices.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime]
