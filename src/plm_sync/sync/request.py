"""What a sync run is asked to do: its scope (full, incremental, products), dry run, brake.

A JSON-able value, so the same request travels in Celery task messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plm_sync.domain.runs import RunStart


@dataclass(frozen=True)
class SyncRequest:
    """What to sync: incremental by default, `full` reconciles, `product_ids` narrows."""

    trigger: str = "cli"
    full: bool = False
    product_ids: tuple[str, ...] = ()
    dry_run: bool = False
    allow_deactivations: bool = False  # lift the deactivation brake for this one run
    allow_price_changes: bool = False  # lift the price-change brake for this one run

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, for task messages."""
        return {
            "trigger": self.trigger,
            "full": self.full,
            "product_ids": list(self.product_ids),
            "dry_run": self.dry_run,
            "allow_deactivations": self.allow_deactivations,
            "allow_price_changes": self.allow_price_changes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SyncRequest:
        """Inverse of `as_dict`."""
        return cls(
            trigger=str(data.get("trigger", "cli")),
            full=bool(data.get("full")),
            product_ids=tuple(data.get("product_ids") or ()),
            dry_run=bool(data.get("dry_run")),
            allow_deactivations=bool(data.get("allow_deactivations")),
            allow_price_changes=bool(data.get("allow_price_changes")),
        )

    def run_start(self, *, queued: bool = False) -> RunStart:
        """How the run log records this request."""
        return RunStart(
            self.trigger,
            self.scope,
            self.full or bool(self.product_ids),
            self.dry_run,
            queued=queued,
        )

    @property
    def scope(self) -> str:
        """Human-readable scope for the run log."""
        kind = "full" if self.full or self.product_ids else "incremental"
        if self.product_ids:
            return f"{kind}: {', '.join(self.product_ids)}"
        return kind
