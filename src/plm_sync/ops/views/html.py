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

from plm_sync.ops.views import CHANGE_ROWS, PAGE_EVENTS, PageEvents, when
from plm_sync.ops.views.graph import switch_graph

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
    loader=PackageLoader("plm_sync.ops.views", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


_environment.filters["when"] = when

# The report page's one script (filters of its events table), inline so that a saved page
# works alone; served pages allow exactly it by its hash (no 'unsafe-inline').
FILTER_SCRIPT = Markup(  # noqa: S704 - a file of this package, no outside text
    (resources.files("plm_sync.ops.views") / "templates" / "filter.js").read_text(encoding="utf-8")
)
SCRIPT_HASH = "sha256-" + base64.b64encode(
    hashlib.sha256(str(FILTER_SCRIPT).encode("utf-8")).digest()
).decode("ascii")


CHART_RUNS = 50  # the newest runs a chart shows


def chart(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars of run durations, dots for error counts, a line of items read; failed runs marked.

    The newest CHART_RUNS runs, oldest first (inline SVG).
    """
    runs = list(reversed(history[:CHART_RUNS]))
    longest = max((run["seconds"] or 0 for run in runs), default=0) or 1
    most_errors = max((run["counts"]["errors"] for run in runs), default=0) or 1
    most_items = max((run["counts"]["items"] for run in runs), default=0) or 1
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
                "failed": run["status"] == "failed",
                "items": run["counts"]["items"],
                "iy": 30 + CHART_HEIGHT - round(run["counts"]["items"] / most_items * CHART_HEIGHT),
            }
        )
    items_line = " ".join(f"{bar['x'] + BAR_WIDTH / 2},{bar['iy']}" for bar in bars)
    return {
        "width": max(len(runs) * (BAR_WIDTH + BAR_GAP), 200),
        "height": CHART_HEIGHT + 30,
        "bars": bars,
        "items_line": items_line,
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


def render_catalog(found: dict[str, Any], root: str = "/") -> str:
    """The catalog browser: product lines, searchable by product id, name and MPN."""
    return _environment.get_template("catalog.html").render(
        found=found, root=root, generated=_generated()
    )


def render_line(page: dict[str, Any], root: str = "/") -> str:
    """One product line as PLM will have it, with its prices, switch graph and history."""
    line = page["line"]
    plans = [plan["name"] for plan in line["service_plans"]]
    return _environment.get_template("line.html").render(
        line=line,
        history=page["history"],
        graph=switch_graph(plans, line["plan_switches"]),
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
    decide: bool = False,
) -> str:
    """One run: summary, changes, products, events by code, filterable events, chart.

    `report` is the JSON report (its events and diff are not read), `shown` the at most
    PAGE_EVENTS events listed (errors and warnings first in line) of `total`: the page says
    how many more there are and that the JSON report holds them all; `changes` the count and
    first names of each kind of change. `root` links back to the runs list when served; None
    (a file) shows no such link. `decide`: a plan waiting, served behind the token: its
    approve and reject buttons.
    """
    return _environment.get_template("report.html").render(
        decide=decide,
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
