"""The Celery application, configured from the same settings as the CLI."""

from __future__ import annotations

from celery import Celery

from plm_sync.config import Settings, load_settings
from plm_sync.infra.logging import configure_logging
from tasks.leases import RenewLeases
from tasks.schedule import beat_schedule


def make_app(settings: Settings | None = None) -> Celery:
    """A Celery app for plm-sync.

    JSON only; `acks_late` with `reject_on_worker_lost` so a task whose worker dies is
    delivered again (tasks are idempotent); prefetch 1; hard and soft time limits. On Redis
    the `visibility_timeout` is a lease the worker renews every quarter of it while it holds
    a task (`tasks.leases`), so a running task is never handed to a second worker and the
    tasks of a dead worker are back after one timeout.
    """
    settings = settings or load_settings()
    visibility = settings.visibility_timeout
    app = Celery("plm_sync", include=["tasks.jobs"])
    app.steps["consumer"].add(RenewLeases)
    app.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.result_backend or settings.broker_url,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=max(settings.task_time_limit - 30, 1),
        broker_transport_options={
            "visibility_timeout": visibility,
            # How often workers look for tasks of dead workers whose lease ran out
            # (kombu's default scans only every 100 s).
            "unacked_restore_interval": settings.redelivery_check_seconds,
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": visibility},
        result_expires=7 * 24 * 3600,
        task_default_queue=settings.queue,
        beat_schedule=beat_schedule(settings),
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        plm_sync_lease_renew_seconds=max(visibility / 4, 1),
    )
    return app


configure_logging("json", "info")
app = make_app()
