"""`plm-sync doctor` checks that need Celery: is the broker reachable, does any worker answer."""

from __future__ import annotations

from celery import Celery

from plm_sync.config import DEFAULT_BROKER_URL, Settings
from plm_sync.ops.doctor import Check, Outcome
from plm_sync.store.database import safe_url
from tasks.queue import queued_tasks


def broker_checks(settings: Settings) -> list[Check]:
    """The broker and the workers.

    An unreachable broker fails when PLM_SYNC_BROKER_URL names one and is a warning on the
    default (a CLI-only deployment needs none); no worker answering is a warning.
    """
    where = safe_url(settings.broker_url)
    app = Celery("plm_sync_doctor", broker=settings.broker_url)
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=settings.worker_ping_seconds)
    except Exception as error:  # noqa: BLE001 - any transport error means unreachable
        default = settings.broker_url == DEFAULT_BROKER_URL
        return [
            Check(
                "broker",
                Outcome.WARN if default else Outcome.FAIL,
                f"cannot reach {where} ({type(error).__name__}); "
                + (
                    "only workers and `enqueue` need it (PLM_SYNC_BROKER_URL)"
                    if default
                    else "check PLM_SYNC_BROKER_URL and that the broker runs"
                ),
            )
        ]
    checks = [Check("broker", Outcome.OK, f"{where} reachable")]
    replies = app.control.ping(timeout=settings.worker_ping_seconds)
    if replies:
        names = sorted(name for reply in replies for name in reply)
        checks.append(Check("workers", Outcome.OK, f"{len(names)} answered: {', '.join(names)}"))
    else:
        queued = queued_tasks(settings)
        waiting = (
            f"{queued} task(s) wait in the queue {settings.queue!r}: the open run waits for a "
            "worker"
            if queued
            else "queued runs wait until one starts"
        )
        checks.append(
            Check(
                "workers",
                Outcome.WARN,
                f"none answered within {settings.worker_ping_seconds:g} s "
                f"(PLM_SYNC_WORKER_PING_SECONDS): {waiting} (`celery -A tasks worker`)",
            )
        )
    app.close()
    return checks
