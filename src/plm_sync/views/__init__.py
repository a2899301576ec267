"""Run reports for people: HTML pages (Jinja2, autoescaped) and Excel workbooks (openpyxl)."""

# The report's "Changes" table: label and key of the report's `diff`, in the order shown.
CHANGE_ROWS = (
    ("plans appeared", "plans_created"),
    ("plans changed", "plans_updated"),
    ("plans deactivated", "plans_deactivated"),
    ("sharing changed", "sharing_changed"),
    ("switch paths appeared", "switches_created"),
    ("switch paths changed", "switches_updated"),
    ("switch paths deactivated", "switches_deactivated"),
)
