"""Run reports for people: HTML pages (Jinja2, autoescaped) and Excel workbooks (openpyxl)."""

from datetime import UTC, datetime
from typing import Any

from plm_sync.domain.moments import aware

# The report's "Changes" table: label and key of the report's `diff`, in the order shown.
CHANGE_ROWS = (
    ("plans appeared", "plans_created"),
    ("plans changed", "plans_updated"),
    ("plans deactivated", "plans_deactivated"),
    ("sharing changed", "sharing_changed"),
    ("switch paths appeared", "switches_created"),
    ("switch paths changed", "switches_updated"),
    ("switch paths deactivated", "switches_deactivated"),
    ("add-on rates appeared", "addon_rates_created"),
    ("add-on rates changed", "addon_rates_updated"),
    ("add-on rates went", "addon_rates_deactivated"),
    ("dependencies appeared", "dependencies_created"),
    ("dependencies changed", "dependencies_updated"),
    ("dependencies went", "dependencies_deactivated"),
)


def when(moment: str | datetime | None) -> str:
    """An ISO timestamp as people read it: `2026-11-30 08:02:24 UTC` (no microseconds)."""
    if not moment:
        return ""
    parsed = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    return aware(parsed).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


PAGE_EVENTS = 1000  # events a report page lists; the JSON report has every one


class PageEvents:
    """The events a page lists, chosen while the events stream past: at most `limit`.

    Errors and warnings come first in line, then info events, each in run order; the page
    shows them in run order. A run of 100,000 changes stays a readable page.
    """

    def __init__(self, limit: int = PAGE_EVENTS) -> None:
        self.limit = limit
        self.problems: list[tuple[int, dict[str, Any]]] = []
        self.info: list[tuple[int, dict[str, Any]]] = []

    def add(self, index: int, event: dict[str, Any]) -> None:
        """Offer the event at `index` of the run's events."""
        kept = self.info if event["level"] == "info" else self.problems
        if len(kept) < self.limit:
            kept.append((index, event))

    def shown(self) -> list[dict[str, Any]]:
        """The chosen events in run order."""
        chosen = self.problems + self.info[: self.limit - len(self.problems)]
        return [event for _, event in sorted(chosen, key=lambda pair: pair[0])]
