"""The run log's `runs` rows for `runs` and `status`: SQLAlchemy Core, one table, no ORM.

`plm-sync runs` and `status` start often (monitoring polls them): they read this one table
through a Core definition of the columns they show, without mapping the whole schema.
`run_json` is the one JSON shape of a run (DESIGN §7), from a Core row or an ORM `Run` alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)

from plm_sync.domain.runs import COUNT_FIELDS, RunStatus

# the columns of `runs` a listing shows (the table itself: store.models.Run, migrations)
RUNS = Table(
    "runs",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("trigger", String(16)),
    Column("scope", String(1000)),
    Column("full", Boolean),
    Column("dry_run", Boolean),
    Column("status", String(32)),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    *(Column(name, Integer) for name in COUNT_FIELDS),
    Column("skipped", Integer),
    Column("failed_products", Integer),
    Column("retries", Integer),
    Column("cursor_before", String(64)),
    Column("cursor_after", String(64)),
    Column("message", Text),
)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything plm-sync stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_json(run: Any) -> dict[str, Any]:  # noqa: ANN401 - a Core row or an ORM Run
    """The JSON of `plm-sync runs` (DESIGN §7)."""
    return {
        "id": run.id,
        "trigger": run.trigger,
        "scope": run.scope,
        "status": run.status,
        "full": run.full,
        "dry_run": run.dry_run,
        "started_at": aware(run.started_at).isoformat(),
        "finished_at": aware(run.finished_at).isoformat() if run.finished_at else None,
        "retries": run.retries,
        "counts": {name: getattr(run, name) for name in COUNT_FIELDS}
        | {"skipped": run.skipped, "failed_products": run.failed_products},
        "cursor_before": run.cursor_before,
        "cursor_after": run.cursor_after,
        "message": run.message,
    }


def with_seconds(run: dict[str, Any]) -> dict[str, Any]:
    """A run's JSON with how long it took (`seconds`; None while open)."""
    if run["finished_at"]:
        started = datetime.fromisoformat(run["started_at"])
        finished = datetime.fromisoformat(run["finished_at"])
        run["seconds"] = round((finished - started).total_seconds(), 2)
    else:
        run["seconds"] = None
    return run


def recent_runs(
    connection: Connection,
    limit: int = 20,
    status: str | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """Runs, newest first, in the JSON shape of DESIGN §7 (plus `seconds`)."""
    query = select(RUNS).order_by(RUNS.c.id.desc()).limit(limit)
    if status:
        query = query.where(RUNS.c.status == status)
    if since:
        query = query.where(RUNS.c.started_at >= since)
    return [with_seconds(run_json(row)) for row in connection.execute(query)]


def health_of(runs: list[dict[str, Any]], max_age_hours: float) -> dict[str, Any]:
    """Is the catalog in sync, from the newest runs (see `reports.health`)."""
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
