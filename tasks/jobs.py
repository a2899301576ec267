"""The tasks: each parses its arguments and calls `plm_sync`; the run logic lives there."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import structlog
from celery import Task, chord
from celery.result import AsyncResult
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings, load_settings
from plm_sync.delivery.drift import DriftRequest, close_drift, drift_line, open_drift, plan_drift
from plm_sync.delivery.push import (
    PushRequest,
    close_push,
    open_push,
    plan_push,
    push_after,
    push_line,
)
from plm_sync.delivery.workbooks import apply_ppr
from plm_sync.errors import PlmSyncError, RunConflictError
from plm_sync.ops.alerts import check_schedule
from plm_sync.runs.runlog import prune_runs, sweep_runs
from plm_sync.store.database import connect
from plm_sync.sync.fanout import (
    close_run,
    in_chunks,
    open_run,
    plan_run,
    sync_product,
    sync_products,
)
from plm_sync.sync.request import SyncRequest
from tasks.app import app

log = structlog.get_logger(__name__)
CHUNK_WAIT_SECONDS = 2  # a closing task waiting for a chunk still running looks again after


class PlmSyncTask(Task):  # type: ignore[misc] # Celery ships no type hints
    """The unit of work of every plm-sync task, owned once per worker process.

    Settings and the database (one engine and session factory, schema checked once) are
    built on first use, so in the prefork child that runs the task (never before the fork),
    and every task hands them to the `plm_sync` function it calls: no task or function opens
    a database of its own. A transient database error (the server restarting, a dropped
    connection) retries the task here, for every task: each is idempotent (a product line is
    a content diff, a close finds a closed run closed). The operator files are cached per
    process by content (`mappings.cached_rules`). Each run task binds its run's id to the
    log lines it writes (`RunLog.bound`), nothing else does.
    """

    autoretry_for = (OperationalError,)
    retry_backoff = True
    retry_kwargs: ClassVar[dict[str, int]] = {"max_retries": 3}

    _settings: Settings | None = None
    _factory: sessionmaker[Session] | None = None

    @property
    def settings(self) -> Settings:
        """Settings from this process's environment, read once."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def factory(self) -> sessionmaker[Session]:
        """The session factory of this process; the schema is upgraded once."""
        if self._factory is None:
            self._factory = connect(self.settings.database_url)
        return self._factory


def fan_out(header: list[Any], callback: Any) -> None:  # noqa: ANN401 - Celery signatures
    """The tasks of `header` in parallel, then `callback` with their results (a chord).

    With no task, `callback` runs at once with none.
    """
    if header:
        chord(header)(callback)
    else:
        callback.delay([])


def dispatch(run_id: int, request: dict[str, Any]) -> None:
    """Queue the planning task of an opened run."""
    plan.apply_async(args=(run_id, request))


@app.task(name="plm_sync.scheduled_sync", bind=True, base=PlmSyncTask)
def scheduled_sync(self: PlmSyncTask, full: bool = False) -> dict[str, Any]:
    """Beat's entry: open a run unless one is open (then skip, logged), and plan it."""
    request = SyncRequest(trigger="schedule", full=full)
    try:
        run_id = open_run(self.settings, self.factory, request, owner=f"celery:{self.request.id}")
    except RunConflictError as error:
        log.info("scheduled_run_skipped", full=full, reason=str(error))
        return {"skipped": str(error)}
    dispatch(run_id, request.as_dict())
    return {"run_id": run_id}


@app.task(name="plm_sync.plan_run", bind=True, base=PlmSyncTask)
def plan(self: PlmSyncTask, run_id: int, request: dict[str, Any]) -> dict[str, Any]:
    """Take the run, list its products and fan out one task per product, then the closing task."""
    planned = plan_run(
        self.settings,
        self.factory,
        run_id,
        SyncRequest.from_dict(request),
        owner=f"celery:{self.request.id}",
    )
    if planned is None:  # cancelled or failed before a worker took it
        return {"run_id": run_id, "skipped": True}
    offers = planned.offers
    parts = in_chunks(planned.products, self.settings.task_products)
    ids = [str(uuid4()) for _ in parts]
    header = [
        sync_chunk_task.s(
            run_id,
            request,
            part,
            offer_rows=None
            if offers is None
            else {product["id"]: offers.get(product["id"], []) for product in part},
            chunk=number,
        ).set(task_id=task_id)
        for number, (part, task_id) in enumerate(zip(parts, ids, strict=True))
    ]
    fan_out(header, close_run_task.s(run_id, request, listed=planned.listed, chunks=ids))
    return {"run_id": run_id, "products": len(planned.products), "tasks": len(parts)}


@app.task(name="plm_sync.sync_chunk", bind=True, base=PlmSyncTask)
def sync_chunk_task(
    self: PlmSyncTask,
    run_id: int,
    request: dict[str, Any],
    products: list[dict[str, Any]],
    *,
    offer_rows: dict[str, list[Any]] | None = None,
    chunk: int = 0,
) -> dict[str, Any]:
    """A chunk of a run's product lines (idempotent; a database hiccup retries the task)."""
    return sync_products(
        self.settings,
        self.factory,
        run_id,
        SyncRequest.from_dict(request),
        products,
        offer_rows=offer_rows,
        chunk=chunk,
    )


@app.task(name="plm_sync.sync_product", bind=True, base=PlmSyncTask)
def sync_product_task(
    self: PlmSyncTask,
    run_id: int,
    request: dict[str, Any],
    product: dict[str, Any],
    offer_rows: list[Any] | None = None,
) -> dict[str, Any]:
    """One product line of a run: tasks queued by a version before chunks (idempotent)."""
    return sync_product(
        self.settings,
        self.factory,
        run_id,
        SyncRequest.from_dict(request),
        product,
        offer_rows=offer_rows,
    )


@app.task(name="plm_sync.close_run", bind=True, base=PlmSyncTask)
def close_run_task(
    self: PlmSyncTask,
    tallies: list[dict[str, Any]],
    run_id: int,
    request: dict[str, Any],
    *,
    listed: list[str] | None = None,
    chunks: list[str] | None = None,
) -> dict[str, Any]:
    """Add up the chunk tasks and close the run (cursor moves only on full success).

    Each chunk counts once: the chord hands a chunk's result twice when its task ran twice
    (a worker killed after storing it, before acking), and may then call this before another
    chunk is done. A chunk missing from the results is read from the result backend by its
    task id; one still running makes this task wait and try again.
    """
    sync = SyncRequest.from_dict(request)
    tallies = list(tallies)  # close_run counts each chunk once
    found = {tally.get("chunk") for tally in tallies}
    for number, task_id in enumerate(chunks or ()):
        if number in found:
            continue
        result = AsyncResult(task_id, app=app)
        if not result.successful():
            log.info("close_waits_for_chunk", run_id=run_id, chunk=number, task_id=task_id)
            waits = int(self.settings.stale_run_seconds // CHUNK_WAIT_SECONDS) + 1
            raise self.retry(countdown=CHUNK_WAIT_SECONDS, max_retries=waits)
        tallies.append(result.result)
    outcome = close_run(self.settings, self.factory, run_id, sync, tallies, listed=listed or ())
    result = outcome.as_dict()
    push = push_after(self.settings, self.factory, sync.dry_run, outcome)
    if push is not None:
        result["push_run_id"] = queue_push(self.settings, self.factory, run_id, push)
    return result


def queue_push(
    settings: Settings, factory: sessionmaker[Session], sync_run_id: int, push: PushRequest
) -> int | None:
    """Open and dispatch the push that follows a sync (PLM_SYNC_PUSH_AFTER_SYNC)."""
    try:
        run_id = open_push(settings, factory, push, owner="celery:queued", queued=True)
    except PlmSyncError as error:  # another run got in first, or Commerce is not set up
        log.warning("push_after_sync_skipped", sync_run_id=sync_run_id, reason=str(error))
        return None
    dispatch_push(run_id, push.as_dict())
    return run_id


def dispatch_push(run_id: int, request: dict[str, Any]) -> None:
    """Queue the planning task of an opened push run."""
    plan_push_task.apply_async(args=(run_id, request))


@app.task(name="plm_sync.plan_push", bind=True, base=PlmSyncTask)
def plan_push_task(self: PlmSyncTask, run_id: int, request: dict[str, Any]) -> dict[str, Any]:
    """Take the push run, check the credentials, fan out one task per line, then the close."""
    planned = plan_push(
        self.settings,
        self.factory,
        run_id,
        PushRequest.from_dict(request),
        owner=f"celery:{self.request.id}",
    )
    if planned is None:
        return {"run_id": run_id, "skipped": True}
    header = [push_line_task.s(run_id, request, product_id) for product_id in planned.product_ids]
    fan_out(header, close_push_task.s(run_id, planned.unplanned))
    return {"run_id": run_id, "lines": len(planned.product_ids)}


@app.task(name="plm_sync.push_line", bind=True, base=PlmSyncTask)
def push_line_task(
    self: PlmSyncTask, run_id: int, request: dict[str, Any], product_id: str
) -> dict[str, Any]:
    """Push one product line into Commerce PLM (an unchanged line sends nothing)."""
    return push_line(
        self.settings, self.factory, run_id, PushRequest.from_dict(request), product_id
    )


@app.task(name="plm_sync.close_push", bind=True, base=PlmSyncTask)
def close_push_task(
    self: PlmSyncTask, tallies: list[dict[str, Any]], run_id: int, unplanned: dict[str, Any]
) -> dict[str, Any]:
    """Add up the line tasks and close the push run."""
    outcome = close_push(self.settings, self.factory, run_id, [unplanned, *tallies])
    return outcome.as_dict()


@app.task(name="plm_sync.sweep_stale_runs", bind=True, base=PlmSyncTask)
def sweep_stale_runs(self: PlmSyncTask) -> list[int]:
    """Mark failed the runs whose heartbeat went stale (killed workers, lost tasks)."""
    return sweep_runs(self.settings, self.factory)


@app.task(name="plm_sync.check_schedule", bind=True, base=PlmSyncTask)
def check_schedule_task(self: PlmSyncTask) -> bool:
    """Tell PLM_SYNC_NOTIFY once when no scheduled sync succeeded for PLM_SYNC_STALE_AFTER."""
    return check_schedule(self.settings, self.factory)


@app.task(name="plm_sync.prune_runs", bind=True, base=PlmSyncTask)
def prune_old_runs(self: PlmSyncTask) -> list[int]:
    """Drop runs (and their events) older than PLM_SYNC_RETENTION_DAYS."""
    if self.settings.retention_days is None:
        return []
    return prune_runs(self.factory, timedelta(days=self.settings.retention_days))


@app.task(name="plm_sync.delivery.drift", bind=True, base=PlmSyncTask)
def drift_task(self: PlmSyncTask) -> dict[str, Any]:
    """Beat's entry: read every line the hub received back (skipped while a run is open)."""
    request = DriftRequest(all_lines=True)
    try:
        run_id = open_drift(
            self.settings, self.factory, request, owner="celery:queued", queued=True
        )
    except RunConflictError as error:
        log.info("drift_run_skipped", reason=str(error))
        return {"skipped": str(error)}
    dispatch_drift(run_id, request.as_dict())
    return {"run_id": run_id}


def dispatch_drift(run_id: int, request: dict[str, Any]) -> None:
    """Queue the planning task of an opened drift run."""
    plan_drift_task.apply_async(args=(run_id, request))


@app.task(name="plm_sync.plan_drift", bind=True, base=PlmSyncTask)
def plan_drift_task(self: PlmSyncTask, run_id: int, request: dict[str, Any]) -> dict[str, Any]:
    """Take the drift run, check the credentials, fan out one task per line, then the close."""
    planned = plan_drift(
        self.settings,
        self.factory,
        run_id,
        DriftRequest.from_dict(request),
        owner=f"celery:{self.request.id}",
    )
    if planned is None:
        return {"run_id": run_id, "skipped": True}
    lines, unplanned = planned
    header = [drift_line_task.s(run_id, request, product_id) for product_id in lines]
    fan_out(header, close_drift_task.s(run_id, unplanned))
    return {"run_id": run_id, "lines": len(lines)}


@app.task(name="plm_sync.drift_line", bind=True, base=PlmSyncTask)
def drift_line_task(
    self: PlmSyncTask, run_id: int, request: dict[str, Any], product_id: str
) -> dict[str, Any]:
    """Read one product line back from the hub (changes nothing in Commerce)."""
    return drift_line(
        self.settings, self.factory, run_id, DriftRequest.from_dict(request), product_id
    )


@app.task(name="plm_sync.close_drift", bind=True, base=PlmSyncTask)
def close_drift_task(
    self: PlmSyncTask, tallies: list[dict[str, Any]], run_id: int, unplanned: dict[str, Any]
) -> dict[str, Any]:
    """Add up the line tasks and close the drift run."""
    return close_drift(self.settings, self.factory, run_id, [unplanned, *tallies]).as_dict()


@app.task(name="plm_sync.ppr_import", bind=True, base=PlmSyncTask)
def ppr_import(self: PlmSyncTask, path: str, dry_run: bool = False) -> dict[str, Any]:
    """Import an operator's PLM workbook (a file the workers can read) as its own run."""
    outcome = apply_ppr(
        self.settings, self.factory, Path(path), dry_run=dry_run, trigger="operator"
    )
    return outcome.as_dict()
