"""The beat schedule, from settings: syncs, sweeps, the quiet-schedule check, drift, prunes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.schedules import crontab

from plm_sync.config import Settings
from plm_sync.errors import UsageError

SWEEP_EVERY = timedelta(minutes=5)
CHECK_EVERY = timedelta(minutes=15)
CRON_FIELDS = 5


def full_sync_crontab(expression: str, *, setting: str = "PLM_SYNC_FULL_SYNC_CRON") -> crontab:
    """`minute hour day-of-month month day-of-week`, e.g. `30 2 * * *` (UTC)."""
    parts = expression.split()
    if len(parts) != CRON_FIELDS:
        raise UsageError(
            f"{setting}={expression!r} needs 5 fields: minute hour "
            "day-of-month month day-of-week, e.g. '30 2 * * *'"
        )
    minute, hour, day_of_month, month, day_of_week = parts
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month,
            day_of_week=day_of_week,
        )
    except ValueError as error:
        raise UsageError(f"{setting}={expression!r}: {error}") from None


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Entries for celery beat; run exactly one beat process (each beat sends every entry)."""
    if settings.incremental_minutes <= 0:
        raise UsageError("PLM_SYNC_INCREMENTAL_MINUTES must be above 0")
    schedule: dict[str, dict[str, Any]] = {
        "plm-sync-incremental": {
            "task": "plm_sync.scheduled_sync",
            "schedule": timedelta(minutes=settings.incremental_minutes),
            "kwargs": {"full": False},
        },
        "plm-sync-full": {
            "task": "plm_sync.scheduled_sync",
            "schedule": full_sync_crontab(settings.full_sync_cron),
            "kwargs": {"full": True},
        },
        "plm-sync-sweep-stale-runs": {
            "task": "plm_sync.sweep_stale_runs",
            "schedule": SWEEP_EVERY,
        },
        # tells PLM_SYNC_NOTIFY once when no scheduled sync succeeded for PLM_SYNC_STALE_AFTER
        "plm-sync-check-schedule": {
            "task": "plm_sync.check_schedule",
            "schedule": CHECK_EVERY,
        },
    }
    drift = settings.drift_schedule.strip()
    if drift.casefold() not in {"off", "none", ""} and settings.commerce_configured:
        schedule["plm-sync-drift"] = {
            "task": "plm_sync.delivery.drift",
            "schedule": full_sync_crontab(drift, setting="PLM_SYNC_DRIFT_SCHEDULE"),
        }
    if settings.retention_days is not None:  # off unless PLM_SYNC_RETENTION_DAYS is set
        schedule["plm-sync-prune-runs"] = {
            "task": "plm_sync.prune_runs",
            "schedule": crontab(minute="15", hour="3"),
        }
    return schedule
