"""The Connect records the rules work on: only the fields the pipeline needs, already typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ItemType(StrEnum):
    """Connect item types: reservation (licences) and pay-per-use."""

    RESERVATION = "reservation"
    PPU = "ppu"


@dataclass(frozen=True)
class SourceProduct:
    """A Connect product: becomes one PLM product line."""

    id: str
    name: str
    vendor: str
    status: str
    updated_at: str | None = None
    # digest of the row's change signals (version, status, events); an incremental run syncs
    # the products whose signature differs from the one their line was stored with
    signature: str = ""
    vendor_id: str = field(default="", compare=False, repr=False)  # Connect `owner.id`, VA-…
    # fields whose control characters were removed when read (an `info` event says so); not
    # part of the product's identity or digest
    cleaned: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class SourceItem:
    """A Connect item: one vendor SKU x commitment term x billing frequency.

    `commitment_count` counts billing periods (Connect: monthly with a 1-year commitment is 12;
    1 means no commitment). `period` is Connect's own `period` value, lower case.
    """

    id: str
    product_id: str
    name: str
    mpn: str
    type: ItemType
    period: str
    commitment_count: int
    unit: str
    status: str
    updated_at: str | None = None
    parent_id: str | None = None  # Connect `parent`: this item is an add-on of that item
    replacement_id: str | None = None  # Connect `replacement`: the item replacing this one
    # fields whose control characters were removed when read (an `info` event says so)
    cleaned: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_active(self) -> bool:
        """Published items are sold; `endofsale` items are kept but deactivated."""
        return self.status == "published"
