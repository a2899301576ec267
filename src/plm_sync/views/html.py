"""Self-contained HTML pages (no external assets), every value escaped by Jinja2."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from plm_sync.views import CHANGE_ROWS, PAGE_EVENTS, PageEvents, when

CHART_HEIGHT = 120
BAR_WIDTH = 18
BAR_GAP = 6
STATUS_COLOURS = {
    "succeeded": "#1b7f3b",
    "succeeded_with_errors": "#a66300",
    "failed": "#b3261e",
    "running": "#1a73e8",
    "queued": "#5f6368",
    "cancelled": "#5f6368",
}

_environment = Environment(
    loader=PackageLoader("plm_sync.views", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


_environment.filters["when"] = when

# The report page's one script (filters of its events table), inline so that a saved page
# works alone; served pages allow exactly it by its hash (no 'unsafe-inline').
FILTER_SCRIPT = Markup(  # noqa: S704 - a file of this package, no outside text
    (resources.files("plm_sync.views") / "templates" / "filter.js").read_text(encoding="utf-8")
)
SCRIPT_HASH = "sha256-" + base64.b64encode(
    hashlib.sha256(str(FILTER_SCRIPT).encode("utf-8")).digest()
).decode("ascii")


def chart(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars of run durations with dots for error counts, oldest run first (inline SVG)."""
    runs = list(reversed(history))
    longest = max((run["seconds"] or 0 for run in runs), default=0) or 1
    most_errors = max((run["counts"]["errors"] for run in runs), default=0) or 1
    bars = []
    for index, run in enumerate(runs):
        seconds = run["seconds"] or 0
        height = max(1, round(seconds / longest * CHART_HEIGHT))
        bars.append(
            {
                "id": run["id"],
                "seconds": seconds,
                "label": f"{seconds:.0f}" if seconds >= 10 else f"{seconds:.1f}",  # noqa: PLR2004
                "errors": run["counts"]["errors"],
                "x": index * (BAR_WIDTH + BAR_GAP),
                "w": BAR_WIDTH,
                "y": 30 + CHART_HEIGHT - height,
                "h": height,
                "ey": 30
                + CHART_HEIGHT
                - round(run["counts"]["errors"] / most_errors * CHART_HEIGHT),
                "colour": STATUS_COLOURS.get(run["status"], "#5f6368"),
            }
        )
    return {
        "width": max(len(runs) * (BAR_WIDTH + BAR_GAP), 200),
        "height": CHART_HEIGHT + 30,
        "bars": bars,
    }


def _generated() -> str:
    return datetime.now(UTC).isoformat()


def render_runs(runs: list[dict[str, Any]], link: Callable[[int], str], root: str = "/") -> str:
    """The runs list page."""
    return _environment.get_template("runs.html").render(
        runs=runs,
        history=runs,
        chart=chart(runs),
        link=link,
        root=root,
        generated=_generated(),
    )


def page_events(events: list[dict[str, Any]], limit: int = PAGE_EVENTS) -> list[dict[str, Any]]:
    """The events a page lists, in run order, at most `limit` of them (errors first in line)."""
    page = PageEvents(limit)
    for index, event in enumerate(events):
        page.add(index, event)
    return page.shown()


def render_report(
    report: dict[str, Any],
    shown: list[dict[str, Any]],
    total: int,
    changes: dict[str, dict[str, Any]],
    *,
    history: list[dict[str, Any]],
    root: str | None = "/",
) -> str:
    """One run: summary, changes, products, events by code, filterable events, chart.

    `report` is the JSON report (its events and diff are not read), `shown` the at most
    PAGE_EVENTS events listed (errors and warnings first in line) of `total`: the page says
    how many more there are and that the JSON report holds them all; `changes` the count and
    first names of each kind of change. `root` links back to the runs list when served; None
    (a file) shows no such link.
    """
    return _environment.get_template("report.html").render(
        filter_script=FILTER_SCRIPT,
        run=report,
        events=shown,
        total=total,
        changes=changes,
        hidden=total - len(shown),
        change_rows=CHANGE_ROWS,
        history=history,
        chart=chart(history),
        root=root,
    )
