"""The run log's `runs` rows for `runs` and `status`: SQLAlchemy Core, one table, no ORM.

`plm-sync runs` and `status` start often (monitoring polls them): they read this one table
through a Core definition of the columns they show, without mapping the whole schema.
`run_json` is the one JSON shape of a run (DESIGN §7), from a Core row or an ORM `Run` alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
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

from plm_sync.domain.moments import aware
from plm_sync.domain.runs import COUNT_FIELDS, SUCCEEDED_STATUSES, RunStatus

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


# what health reads of the hubs' price records: the rows a hub still sells, named by product
PRICE_PUSHES = Table(
    "price_pushes",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("product_line_id", Integer),
    Column("hub", String(500)),
    Column("marketplace_id", String(64)),
    Column("not_withdrawn", JSON),
    Column("run_id", Integer),
)
LINES = Table(
    "product_lines",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("connect_product_id", String(64)),
)
PUSH_TRIGGER = "push"  # store.pushes.PUSH_TRIGGER (not imported: this module stays small)
DRIFT_TRIGGER = "drift"  # drift.DRIFT_TRIGGER: a read-back of the hub, neither sync nor push
NOT_SYNCS = (PUSH_TRIGGER, DRIFT_TRIGGER)


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


def health_runs(connection: Connection) -> list[dict[str, Any]]:
    """The runs health judges from, newest first.

    The recent ones, and the newest sync, successful sync, scheduled sync and push however
    far back: a long row of pushes never hides the last sync.
    """
    closed = RUNS.c.status.not_in([str(RunStatus.QUEUED), str(RunStatus.RUNNING)])
    syncs = RUNS.c.trigger.not_in(NOT_SYNCS)
    newest = [
        (closed, syncs),
        (
            syncs,
            RUNS.c.status.in_(sorted(SUCCEEDED_STATUSES)),
            RUNS.c.dry_run.is_(False),
        ),
        (closed, RUNS.c.trigger == "schedule"),
        (closed, RUNS.c.trigger == PUSH_TRIGGER),
        (closed, RUNS.c.trigger == DRIFT_TRIGGER),
    ]
    found = {run["id"]: run for run in recent_runs(connection, 20)}
    for conditions in newest:
        row = connection.execute(
            select(RUNS).where(*conditions).order_by(RUNS.c.id.desc()).limit(1)
        ).first()
        if row is not None:
            found.setdefault(row.id, with_seconds(run_json(row)))
    return [found[key] for key in sorted(found, reverse=True)]


def not_withdrawn(connection: Connection) -> list[dict[str, Any]]:
    """Price rows the catalog dropped that a hub still sold at its last push, by line.

    `commerce_price_not_withdrawn` until a push reads them gone (or the catalog holds them).
    """
    query = (
        select(
            LINES.c.connect_product_id,
            PRICE_PUSHES.c.hub,
            PRICE_PUSHES.c.marketplace_id,
            PRICE_PUSHES.c.not_withdrawn,
            PRICE_PUSHES.c.run_id,
        )
        .join(LINES, LINES.c.id == PRICE_PUSHES.c.product_line_id)
        .where(PRICE_PUSHES.c.not_withdrawn.is_not(None))
        .order_by(LINES.c.connect_product_id, PRICE_PUSHES.c.hub, PRICE_PUSHES.c.marketplace_id)
    )
    found = []
    for product_id, hub, marketplace, rows, run_id in connection.execute(query):
        if not isinstance(rows, list) or not rows:
            continue
        found.append(
            {
                "connect_product_id": product_id,
                "hub": hub,
                "marketplace": marketplace,
                "rows": [list(map(str, row)) for row in rows if isinstance(row, list)],
                "run_id": run_id,
            }
        )
    return found


def _successful(run: dict[str, Any]) -> bool:
    return run["status"] in SUCCEEDED_STATUSES and not run["dry_run"]


def health_of(
    runs: list[dict[str, Any]],
    max_age_hours: float,
    withdrawals: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Is the catalog in sync, and did the last push deliver (see `reports.health`).

    The catalog's outcome and age come from the syncs (and imports) alone: a push after a
    failed sync hides nothing. The last push's outcome stands beside them, with the prices a
    hub still sells that the catalog dropped (`withdrawals`, from `not_withdrawn`), and the
    last drift check's (lines the hub holds otherwise than the catalog).
    """
    finished = [run for run in runs if not RunStatus(run["status"]).is_open]
    syncs = [run for run in finished if run["trigger"] not in NOT_SYNCS]
    pushes = [run for run in finished if run["trigger"] == PUSH_TRIGGER]
    drift = next((run for run in finished if run["trigger"] == DRIFT_TRIGGER), None)
    running = next((run for run in runs if RunStatus(run["status"]).is_open), None)
    success = next((run for run in syncs if _successful(run)), None)
    scheduled = next((run for run in syncs if run["trigger"] == "schedule"), None)
    age = None
    if success is not None:
        age = (datetime.now(UTC) - datetime.fromisoformat(success["finished_at"])).total_seconds()
    last = syncs[0] if syncs else None
    push = pushes[0] if pushes else None
    problems = []
    if last is not None and last["status"] == "failed":
        problems.append(f"the last sync ({last['id']}) failed: {last['message']}")
    if age is None:
        problems.append("no successful sync yet")
    elif age > max_age_hours * 3600:
        problems.append(f"the catalog is {age / 3600:.1f} h old (limit {max_age_hours:g} h)")
    if push is not None and push["status"] == "failed":
        problems.append(f"the last push ({push['id']}) failed: {push['message']}")
    if drift is not None and drift["status"] == "failed":
        problems.append(f"the last drift check ({drift['id']}) failed: {drift['message']}")
    elif drift is not None and drift["counts"]["updated"]:
        problems.append(
            f"the last drift check ({drift['id']}) found {drift['counts']['updated']} line(s) on "
            f"the hub that differ from the catalog: `plm-sync report {drift['id']}` lists them"
        )
    withdrawals = withdrawals or []
    if withdrawals:
        rows = sum(len(entry["rows"]) for entry in withdrawals)
        named = ", ".join(
            f"{entry['connect_product_id']} in {entry['marketplace']}" for entry in withdrawals[:5]
        )
        problems.append(
            f"{rows} price row(s) left the catalog but a hub still sells them ({named}; "
            "commerce_price_not_withdrawn): remove them in Commerce, then push again"
        )
    return {
        "ok": not problems,
        "problems": problems,
        "last_run": last,
        "last_scheduled_run": scheduled,
        "last_success": success,
        "age_seconds": None if age is None else round(age),
        "last_push": push,
        "last_drift": drift,
        "prices_not_withdrawn": withdrawals,
        "running": running,
    }
