"""What plm_sync can know of the Celery workers' queue without importing Celery.

The worker package answers through the `plm_sync.queue` entry point (`tasks.queue`): how
many tasks wait in the broker's queue. A run fanned out to the workers whose heartbeat went
quiet while its tasks still wait there is waiting for a worker, not dead: the stale-run sweep
leaves it open, and `status` and `doctor` say so.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import structlog

from plm_sync.config import Settings

log = structlog.get_logger(__name__)


def queued_tasks(settings: Settings) -> int | None:
    """Tasks ready in the workers' queue; None: no worker package, or no broker answered."""
    for entry in entry_points(group="plm_sync.queue"):
        try:
            count = entry.load()(settings)
        except Exception as error:  # noqa: BLE001 - a broken plug-in never stops a sweep
            log.warning("queue_probe_failed", plugin=entry.name, error=str(error))
            return None
        return None if count is None else int(count)
    return None
