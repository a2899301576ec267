"""Run-status reports and catalog views, read from the store for the CLI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from plm_sync.config import Settings
from plm_sync.domain.changes import ChangeKind
from plm_sync.domain.events import Event
from plm_sync.domain.runs import RunStatus
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.runs import RunRepository, event_of, run_json


def _with_seconds(run: dict[str, Any]) -> dict[str, Any]:
    if run["finished_at"]:
        started = datetime.fromisoformat(run["started_at"])
        finished = datetime.fromisoformat(run["finished_at"])
        run["seconds"] = round((finished - started).total_seconds(), 2)
    else:
        run["seconds"] = None
    return run


def list_runs(
    settings: Settings, limit: int = 20, status: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Runs, newest first, in the JSON shape of DESIGN §7 (plus `seconds`)."""
    with (
        open_database(settings.database_url, migrate=False) as factory,
        unit_of_work(factory) as session,
    ):
        return [
            _with_seconds(run_json(run))
            for run in RunRepository(session).runs(limit, status, since)
        ]


def run_report(settings: Settings, run_id: int | str) -> dict[str, Any]:
    """One run with its events (`latest` for the newest) and a summary of events by code."""
    with (
        open_database(settings.database_url, migrate=False) as factory,
        unit_of_work(factory) as session,
    ):
        runs = RunRepository(session)
        run = runs.get(run_id)
        rows = [event_of(row) for row in runs.events(run.id)]
        events = [event.as_dict() for event in rows]
        sources = CatalogRepository(session).plan_sources(
            {event["connect_product_id"] for event in events if event["connect_product_id"]}
            | set(run.product_ids or ())
        )
    report = _with_seconds(run_json(run))
    report["events"] = events
    report["event_summary"] = [
        {"level": level, "code": code, "count": count}
        for (level, code), count in sorted(Counter((e["level"], e["code"]) for e in events).items())
    ]
    report["codes"] = sorted({event["code"] for event in events})
    report["diff"] = _diff(rows)
    report["products"] = _products(events, run.product_ids or ())
    for product in report["products"]:
        product["plans_from"] = sources.get(product["connect_product_id"] or "", "")
    return report


def _diff(events: Iterable[Event]) -> dict[str, list[str]]:
    """What changed: plans, sharing, switch paths, add-on rates and resource dependencies.

    Grouped on the change events' code and subject (events recorded before subjects were
    stored name their plan in the message, which is shown whole).
    """
    diff: dict[str, list[str]] = {key: [] for key in _DIFF_KEYS.values()}
    for event in events:
        key = _DIFF_KEYS.get(event.code)
        if key is None:
            continue
        prefix = f"{event.connect_product_id}: " if event.connect_product_id else ""
        diff[key].append(prefix + (event.subject or event.message))
    return diff


_DIFF_KEYS: dict[str, str] = {
    ChangeKind.PLAN_CREATED.value: "plans_created",
    ChangeKind.PLAN_UPDATED.value: "plans_updated",
    ChangeKind.PLAN_DEACTIVATED.value: "plans_deactivated",
    ChangeKind.PLAN_SHARING_CHANGED.value: "sharing_changed",
    ChangeKind.SWITCH_CREATED.value: "switches_created",
    ChangeKind.SWITCH_UPDATED.value: "switches_updated",
    ChangeKind.SWITCH_DEACTIVATED.value: "switches_deactivated",
    ChangeKind.ADDON_RATE_CREATED.value: "addon_rates_created",
    ChangeKind.ADDON_RATE_UPDATED.value: "addon_rates_updated",
    ChangeKind.ADDON_RATE_DEACTIVATED.value: "addon_rates_deactivated",
    ChangeKind.DEPENDENCY_CREATED.value: "dependencies_created",
    ChangeKind.DEPENDENCY_UPDATED.value: "dependencies_updated",
    ChangeKind.DEPENDENCY_DEACTIVATED.value: "dependencies_deactivated",
}


def _products(events: list[dict[str, Any]], seen: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Events grouped by Connect product: counts per level and the codes seen.

    Products the run read without any event are listed too, with zero counts.
    """
    grouped: dict[str, dict[str, Any]] = {
        product_id: {
            "connect_product_id": product_id,
            "error": 0,
            "warning": 0,
            "info": 0,
            "codes": set(),
        }
        for product_id in seen
    }
    for event in events:
        product = grouped.setdefault(
            event["connect_product_id"] or "",
            {
                "connect_product_id": event["connect_product_id"],
                "error": 0,
                "warning": 0,
                "info": 0,
                "codes": set(),
            },
        )
        product[event["level"]] += 1
        product["codes"].add(event["code"])
    rows = sorted(
        grouped.values(), key=lambda p: (-p["error"], -p["warning"], p["connect_product_id"] or "")
    )
    for row in rows:
        row["codes"] = sorted(row["codes"])
    return rows


def health(settings: Settings, max_age_hours: float) -> dict[str, Any]:
    """Is the catalog in sync? The last run, the last success and its age, any running run.

    `ok` is false when the newest finished run failed or the last success is older than
    `max_age_hours` (or there is none).
    """
    runs = list_runs(settings, limit=200)
    finished = [run for run in runs if not RunStatus(run["status"]).is_open]
    running = next((run for run in runs if RunStatus(run["status"]).is_open), None)
    success = next(
        (
            run
            for run in finished
            if run["status"] in {RunStatus.SUCCEEDED, RunStatus.SUCCEEDED_WITH_ERRORS}
            and not run["dry_run"]
        ),
        None,
    )
    scheduled = next((run for run in finished if run["trigger"] == "schedule"), None)
    age = None
    if success is not None:
        age = (datetime.now(UTC) - datetime.fromisoformat(success["finished_at"])).total_seconds()
    last = finished[0] if finished else None
    problems = []
    if last is not None and last["status"] == "failed":
        problems.append(f"the last run ({last['id']}) failed: {last['message']}")
    if age is None:
        problems.append("no successful run yet")
    elif age > max_age_hours * 3600:
        problems.append(f"the catalog is {age / 3600:.1f} h old (limit {max_age_hours:g} h)")
    return {
        "ok": not problems,
        "problems": problems,
        "last_run": last,
        "last_scheduled_run": scheduled,
        "last_success": success,
        "age_seconds": None if age is None else round(age),
        "running": running,
    }


def catalog(settings: Settings, product_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    """The stored hierarchical catalog (DESIGN §6)."""
    with (
        open_database(settings.database_url, migrate=False) as factory,
        unit_of_work(factory) as session,
    ):
        return CatalogRepository(session).catalog(product_ids)
