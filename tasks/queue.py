"""How many tasks wait in the broker's queue: what tells a run waiting for workers from a dead one.

Asked by the stale-run sweep, `status` and `doctor` (through the `plm_sync.queue` entry
point: plm_sync itself never imports Celery) and by `/metrics`. The queue is declared
passively, which every kombu transport answers with its count of messages ready for a
consumer: on Redis the length of the queue's list, on RabbitMQ the queue's ready messages
(not those a worker holds).
"""

from __future__ import annotations

from celery import Celery

from plm_sync.config import Settings

PROBE_SECONDS = 1.0


def queued_tasks(settings: Settings) -> int | None:
    """Messages ready in the workers' queue (0: no queue yet); None: no broker answered."""
    app = Celery("plm_sync_queue", broker=settings.broker_url)
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=PROBE_SECONDS)
            try:
                _, waiting, _ = connection.channel().queue_declare(settings.queue, passive=True)
            except Exception:  # noqa: BLE001 - the broker answers, the queue is not there yet
                return 0
            return int(waiting)
    except Exception:  # noqa: BLE001 - no broker: nothing is known to wait
        return None
    finally:
        app.close()
