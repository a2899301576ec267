"""The tasks: each parses its arguments and calls `plm_sync`; the run logic lives there."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from celery import chord
from sqlalchemy.exc import OperationalError

from plm_sync.config import load_settings
from plm_sync.errors import PlmSyncError, RunConflictError
from plm_sync.pipeline import (
    SyncRequest,
    close_run,
    open_run,
    plan_run,
    sweep_runs,
    sync_product,
)
from plm_sync.runlog import prune_runs
from plm_sync.workbooks import import_ppr
from tasks.app import app

log = structlog.get_logger(__name__)


def dispatch(run_id: int, request: dict[str, Any]) -> None:
    """Queue the planning task of an opened run."""
    plan.apply_async(args=(run_id, request))


@app.task(name="plm_sync.scheduled_sync", bind=True)
def scheduled_sync(self: Any, full: bool = False) -> dict[str, Any]:  # noqa: ANN401
    """Beat's entry: open a run unless one is open (then skip, logged), and plan it."""
    request = SyncRequest(trigger="schedule", full=full)
    try:
        run_id = open_run(load_settings(), request, owner=f"celery:{self.request.id}")
    except RunConflictError as error:
        log.info("scheduled_run_skipped", full=full, reason=str(error))
        return {"skipped": str(error)}
    dispatch(run_id, request.as_dict())
    return {"run_id": run_id}


@app.task(name="plm_sync.plan_run", bind=True)
def plan(self: Any, run_id: int, request: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN401
    """Take the run, list its products and fan out one task per product, then the closing task."""
    with structlog.contextvars.bound_contextvars(run_id=run_id):
        products = plan_run(
            load_settings(),
            run_id,
            SyncRequest.from_dict(request),
            owner=f"celery:{self.request.id}",
        )
    if products is None:  # cancelled or failed before a worker took it
        return {"run_id": run_id, "skipped": True}
    header = [sync_product_task.s(run_id, request, product) for product in products]
    callback = close_run_task.s(run_id, request)
    if header:
        chord(header)(callback)
    else:
        callback.delay([])
    return {"run_id": run_id, "products": len(products)}


@app.task(
    name="plm_sync.sync_product",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 3},
)
def sync_product_task(
    run_id: int, request: dict[str, Any], product: dict[str, Any]
) -> dict[str, Any]:
    """One product line of a run (idempotent; a database hiccup retries the task)."""
    try:
        with structlog.contextvars.bound_contextvars(run_id=run_id):
            return sync_product(load_settings(), run_id, SyncRequest.from_dict(request), product)
    except PlmSyncError as error:
        log.warning(
            "product_task_failed", run_id=run_id, product_id=product.get("id"), error=str(error)
        )
        return {"products": 1, "errors": 1, "failed_products": 1, "seen": [product.get("id")]}


@app.task(name="plm_sync.close_run")
def close_run_task(
    tallies: list[dict[str, Any]], run_id: int, request: dict[str, Any]
) -> dict[str, Any]:
    """Add up the product tasks and close the run (cursor moves only on full success)."""
    with structlog.contextvars.bound_contextvars(run_id=run_id):
        outcome = close_run(load_settings(), run_id, SyncRequest.from_dict(request), tallies)
    return {"run_id": outcome.run_id, "status": str(outcome.status)}


@app.task(name="plm_sync.sweep_stale_runs")
def sweep_stale_runs() -> list[int]:
    """Mark failed the runs whose heartbeat went stale (killed workers, lost tasks)."""
    return sweep_runs(load_settings())


@app.task(name="plm_sync.prune_runs")
def prune_old_runs() -> list[int]:
    """Drop runs (and their events) older than PLM_SYNC_RETENTION_DAYS."""
    settings = load_settings()
    if settings.retention_days is None:
        return []
    return prune_runs(settings, timedelta(days=settings.retention_days))


@app.task(name="plm_sync.ppr_import")
def ppr_import(path: str, dry_run: bool = False) -> dict[str, Any]:
    """Import an operator's PLM workbook (a file the workers can read) as its own run."""
    outcome = import_ppr(load_settings(), Path(path), dry_run=dry_run, trigger="operator")
    return {"run_id": outcome.run_id, "status": str(outcome.status)}
