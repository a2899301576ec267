"""The Connect snapshot: products, items and offers as Connect served them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plm_sync.domain import text as limits
from plm_sync.store.models.base import Base


class ConnectProduct(Base):
    """The last Connect product row seen, with its content hash."""

    __tablename__ = "connect_products"

    id: Mapped[str] = mapped_column(String(limits.ID_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.NAME_MAX))
    vendor: Mapped[str] = mapped_column(String(limits.NAME_MAX))
    status: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    updated_at: Mapped[str | None] = mapped_column(String(limits.STAMP_MAX))
    content_hash: Mapped[str] = mapped_column(String(64))
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)


class ConnectItem(Base):
    """The last Connect item row seen (fields the rules use), with its content hash."""

    __tablename__ = "connect_items"

    id: Mapped[str] = mapped_column(String(limits.ID_MAX), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(limits.ID_MAX), index=True)
    mpn: Mapped[str] = mapped_column(String(limits.MPN_MAX))
    name: Mapped[str] = mapped_column(String(limits.NAME_MAX))
    type: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    commitment_count: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(limits.UNIT_MAX))
    status: Mapped[str] = mapped_column(String(limits.SHORT_MAX))
    updated_at: Mapped[str | None] = mapped_column(String(limits.STAMP_MAX))
    content_hash: Mapped[str] = mapped_column(String(64))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    # an add-on's base item; the item replacing this end-of-sale one
    parent_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))
    replacement_id: Mapped[str | None] = mapped_column(String(limits.ID_MAX))


class ConnectOffer(Base):
    """The offer a product's plans last followed (None row: no published offer), as JSON."""

    __tablename__ = "connect_offers"

    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)
