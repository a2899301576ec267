"""What a sync run (or one chunk of it, in a process or a Celery task) counted, added up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from plm_sync.domain.changes import Changes
from plm_sync.domain.moments import parse_moment


class Progress(Protocol):
    """What the CLI shows while a run goes on."""

    def product(self, product_id: str, items: int) -> None:
        """A product line was processed with `items` items."""


@dataclass
class Tally:
    """What a run (or one product task of it) read, wrote and found, added up."""

    products: int = 0
    items: int = 0
    skipped: int = 0
    errors: int = 0
    failed_products: int = 0
    changes: Changes = field(default_factory=Changes)
    seen: set[str] = field(default_factory=set)  # products synced
    listed: set[str] = field(default_factory=set)  # products Connect lists (published, in scope)
    newest: datetime | None = None
    retries: int = 0
    # lines held back because they deactivate plans: {"product": {...}, "plans": n}
    deferred: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False
    price_held: list[str] = field(default_factory=list)  # "PRD-… in MP-…" the price brake held

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form: what a product task returns."""
        return {
            "products": self.products,
            "items": self.items,
            "skipped": self.skipped,
            "errors": self.errors,
            "failed_products": self.failed_products,
            "created": self.changes.created,
            "updated": self.changes.updated,
            "unchanged": self.changes.unchanged,
            "deactivated": self.changes.deactivated,
            "seen": sorted(self.seen),
            "retries": self.retries,
            "newest": self.newest.isoformat() if self.newest else None,
            "deferred": self.deferred,
            "cancelled": self.cancelled,
            "price_held": self.price_held,
        }

    def counts(self) -> dict[str, int]:
        """The run log's counts (DESIGN §7), retries aside."""
        changes = self.changes
        return {
            "products": self.products,
            "items": self.items,
            "skipped": self.skipped,
            "created": changes.created,
            "updated": changes.updated,
            "unchanged": changes.unchanged,
            "deactivated": changes.deactivated,
            "errors": self.errors,
            "failed_products": self.failed_products,
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add a product task's tally to this one."""
        for name in ("products", "items", "skipped", "errors", "failed_products", "retries"):
            setattr(self, name, getattr(self, name) + int(data.get(name, 0)))
        self.changes.add(
            Changes(
                created=int(data.get("created", 0)),
                updated=int(data.get("updated", 0)),
                unchanged=int(data.get("unchanged", 0)),
                deactivated=int(data.get("deactivated", 0)),
            )
        )
        self.seen.update(data.get("seen", ()))
        self.deferred.extend(data.get("deferred", ()))
        self.price_held.extend(data.get("price_held", ()))
        self.cancelled = self.cancelled or bool(data.get("cancelled"))
        newest = parse_moment(data.get("newest"))
        if newest and (self.newest is None or newest > self.newest):
            self.newest = newest
