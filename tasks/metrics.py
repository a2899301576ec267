"""`/metrics` from the Celery side: how many messages wait in the broker's queue.

Loaded through the `plm_sync.metrics` entry point; a broker that does not answer within a
second gives no value (the scrape goes on without it).
"""

from __future__ import annotations

from celery import Celery
from prometheus_client.core import GaugeMetricFamily, Metric

from plm_sync.config import Settings

QUEUE = "plm_sync"  # tasks.app's task_default_queue
TIMEOUT = 1.0


def queue_depth(settings: Settings) -> list[Metric]:
    """`plm_sync_queue_depth{queue}`: messages waiting (not yet taken by a worker)."""
    family = GaugeMetricFamily(
        "plm_sync_queue_depth", "Messages waiting in the broker's queue", labels=["queue"]
    )
    try:
        app = Celery("plm_sync_metrics", broker=settings.broker_url)
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=TIMEOUT)
            try:
                _, waiting, _ = connection.channel().queue_declare(QUEUE, passive=True)
            except Exception:  # noqa: BLE001 - the broker answers, the queue is not there yet
                waiting = 0
    except Exception:  # noqa: BLE001 - no broker: no value, and no failed scrape
        return []
    family.add_metric([QUEUE], waiting)
    return [family]
