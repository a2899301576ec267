"""Run-status reports and catalog views, read from the store for the CLI."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from plm_sync.config import Settings
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.runs import RunRepository, event_json, run_json


def list_runs(
    settings: Settings, limit: int = 20, status: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Runs, newest first, in the JSON shape of DESIGN §7."""
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        return [run_json(run) for run in RunRepository(session).runs(limit, status, since)]


def run_report(settings: Settings, run_id: int | str) -> dict[str, Any]:
    """One run with its events (`latest` for the newest) and a summary of events by code."""
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        runs = RunRepository(session)
        run = runs.get(run_id)
        events = [event_json(event) for event in runs.events(run.id)]
    report = run_json(run)
    report["events"] = events
    report["event_summary"] = [
        {"level": level, "code": code, "count": count}
        for (level, code), count in sorted(Counter((e["level"], e["code"]) for e in events).items())
    ]
    return report


def catalog(settings: Settings, product_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    """The stored hierarchical catalog (DESIGN §6)."""
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        return CatalogRepository(session).catalog(product_ids)
