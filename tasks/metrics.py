"""`/metrics` from the Celery side: how many messages wait in the broker's queue.

Loaded through the `plm_sync.ops.metrics` entry point; a broker that does not answer within a
second gives no value (the scrape goes on without it).
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily, Metric

from plm_sync.config import Settings
from tasks.queue import queued_tasks


def queue_depth(settings: Settings) -> list[Metric]:
    """`plm_sync_queue_depth{queue}`: messages waiting (not yet taken by a worker)."""
    waiting = queued_tasks(settings)
    if waiting is None:
        return []
    family = GaugeMetricFamily(
        "plm_sync_queue_depth", "Messages waiting in the broker's queue", labels=["queue"]
    )
    family.add_metric([settings.queue], waiting)
    return [family]
