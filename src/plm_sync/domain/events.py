"""Item-level findings of a run: values with a level and a stable code, never exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How much an event matters: errors make the run end with exit code 3."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Event:
    """One finding, tied to the Connect product/item and MPN it concerns."""

    level: Level
    code: str
    message: str
    connect_product_id: str | None = None
    connect_item_id: str | None = None
    mpn: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The JSON shape of run reports."""
        return {
            "level": self.level.value,
            "code": self.code,
            "connect_product_id": self.connect_product_id,
            "connect_item_id": self.connect_item_id,
            "mpn": self.mpn,
            "message": self.message,
        }


# Stable event codes (snake_case). As-is reasons add `mpn_no_suffix`, `mpn_bad_term`, ...
RESOURCE_NAME_CONFLICT = "resource_name_conflict"
DUPLICATE_PERIOD = "duplicate_period"
PERIOD_MISMATCH = "period_mismatch"
PLAN_NAME_CONFLICT = "plan_name_conflict"
AS_IS_MPN_COLLISION = "as_is_mpn_collision"
ITEM_NO_MPN = "item_no_mpn"
ITEM_NO_RECURRING_PERIOD = "item_no_recurring_period"
