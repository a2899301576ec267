"""Operator actions on the run log: cancel a queued or running run, prune old runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from plm_sync.config import Settings
from plm_sync.domain.runs import RunStatus
from plm_sync.errors import UsageError
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.runs import RunRepository

log = structlog.get_logger(__name__)


def cancel_run(settings: Settings, run_id: str) -> RunStatus:
    """Cancel a queued run at once, or ask a running one to stop at its next product line.

    Returns the run's status after the call: `cancelled`, or `running` while it winds down.
    """
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        run = RunRepository(session).cancel(_run_number(run_id), datetime.now(UTC))
        status = RunStatus(run.status)
        ident = run.id
    log.info("run_cancel_requested", cancelled_run_id=ident, status=str(status))
    return status


def prune_runs(settings: Settings, older_than: timedelta) -> list[int]:
    """Delete runs finished more than `older_than` ago, with their events.

    Keeps the latest successful run, the run that set the incremental cursor and open runs.
    """
    cutoff = datetime.now(UTC) - older_than
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        pruned = RunRepository(session).prune(cutoff)
    log.info("runs_pruned", count=len(pruned), before=cutoff.isoformat())
    return pruned


def _run_number(run_id: str) -> int:
    try:
        return int(run_id)
    except ValueError:
        raise UsageError(f"run id {run_id!r} is not a number: `plm-sync runs` lists them") from None
