"""Run reports for people: HTML pages (Jinja2, autoescaped) and Excel workbooks (openpyxl)."""

from datetime import UTC, datetime

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


def when(moment: str | None) -> str:
    """An ISO timestamp as people read it: `2026-11-30 08:02:24 UTC` (no microseconds)."""
    if not moment:
        return ""
    parsed = datetime.fromisoformat(moment)
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
