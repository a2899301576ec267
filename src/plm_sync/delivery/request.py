"""What a push is asked to do, what it counts, and the event codes its lines leave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plm_sync.commerce.hubs import normal_url
from plm_sync.errors import UsageError
from plm_sync.store.pushes import PUSH_TRIGGER

PRICE_KEYS = ("prices", "marketplaces")  # a line's catalog keys the price wizard delivers
PRICES_WITH, PRICES_ONLY, PRICES_NONE = "with", "only", "none"


@dataclass(frozen=True)
class PushRequest:
    """What to push: named lines, or the lines changed since their last push (or both)."""

    product_ids: tuple[str, ...] = ()
    changed: bool = False  # only lines whose catalog differs from what was last pushed
    dry_run: bool = False
    upgrade_product: bool = False
    trigger: str = PUSH_TRIGGER
    force: bool = False  # send lines even when the hub holds them as they are
    prices: str = PRICES_WITH  # the lines' prices too (`with`), `only` them, or `none`
    plan: bool = False  # record what would change as a plan waiting for approval (a dry run)
    approving: int | None = None  # the plan (its run id) this push carries out
    promote_from: str | None = None  # a staging hub's URL: only what it holds verified goes on

    def __post_init__(self) -> None:
        if not self.product_ids and not self.changed:
            msg = "name the product lines to push (PRD-…) or pass --changed"
            raise UsageError(msg)
        if self.plan:
            object.__setattr__(self, "dry_run", True)  # a plan sends nothing

    @property
    def scope(self) -> str:
        """The run's scope: `push PRD-1 PRD-2`, `push --changed`."""
        parts = ["push"]
        if self.plan:
            parts.append("--plan")
        if self.approving is not None:
            parts.append(f"--approve {self.approving}")
        if self.changed:
            parts.append("--changed")
        if self.promote_from:
            parts += ["--promote-from", normal_url(self.promote_from)]
        if self.force:
            parts.append("--force")
        if self.prices != PRICES_WITH:
            parts.append("--prices-only" if self.prices == PRICES_ONLY else "--no-prices")
        if self.product_ids:
            shown = list(self.product_ids[:5])
            more = len(self.product_ids) - len(shown)
            parts += shown + ([f"(+{more} more)"] if more else [])
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """JSON for a task's arguments."""
        return {
            "product_ids": list(self.product_ids),
            "changed": self.changed,
            "dry_run": self.dry_run,
            "upgrade_product": self.upgrade_product,
            "trigger": self.trigger,
            "force": self.force,
            "prices": self.prices,
            "plan": self.plan,
            "approving": self.approving,
            "promote_from": self.promote_from,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PushRequest:
        """Inverse of `as_dict`."""
        return cls(
            tuple(data.get("product_ids") or ()),
            changed=bool(data.get("changed")),
            dry_run=bool(data.get("dry_run")),
            upgrade_product=bool(data.get("upgrade_product")),
            trigger=str(data.get("trigger") or PUSH_TRIGGER),
            force=bool(data.get("force")),
            prices=str(data.get("prices") or PRICES_WITH),
            plan=bool(data.get("plan")),
            approving=None if data.get("approving") is None else int(data["approving"]),
            promote_from=data.get("promote_from") or None,
        )


@dataclass
class PushTally:
    """What the lines of a push came to (the run's counts)."""

    products: int = 0
    updated: int = 0  # lines applied (or, in a dry run, that PLM would change)
    unchanged: int = 0
    errors: int = 0
    retries: int = 0
    seen: list[str] = field(default_factory=list)

    def merge(self, other: dict[str, Any]) -> None:
        """Add a line task's tally."""
        self.products += int(other.get("products", 0))
        self.updated += int(other.get("updated", 0))
        self.unchanged += int(other.get("unchanged", 0))
        self.errors += int(other.get("errors", 0))
        self.retries += int(other.get("retries", 0))
        self.seen += list(other.get("seen", []))

    def as_dict(self) -> dict[str, Any]:
        """JSON for the closing task."""
        return {
            "products": self.products,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "retries": self.retries,
            "seen": self.seen,
        }
