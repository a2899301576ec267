"""The scheduled sync gone quiet: told once to PLM_SYNC_NOTIFY (a beat task asks every 15 min).

No scheduled sync has succeeded for `PLM_SYNC_STALE_AFTER` (2 h): the message is sent once
per quiet spell (the last success it was about is remembered in `sync_state`), and again only
after a success and a new spell.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings
from plm_sync.infra.notify import Message, send, targets
from plm_sync.runs.runlog import utcnow
from plm_sync.store.database import unit_of_work
from plm_sync.store.runs import RunRepository

STATE = "stale_alert_for"  # the last scheduled success the alert was about ("none": never)


def check_schedule(
    settings: Settings, factory: sessionmaker[Session], now: datetime | None = None
) -> bool:
    """Send the quiet-schedule alert when it is due; True when one was sent."""
    urls = targets(settings.notify)
    if not urls:
        return False
    now = now or utcnow()
    with unit_of_work(factory) as session:
        runs = RunRepository(session)
        last, first = runs.schedule_span()
        since = last or first
        if since is None or now - since <= timedelta(seconds=settings.stale_after):
            return False
        about = last.isoformat() if last else "none"
        if runs.state(STATE) == about:
            return False  # told already about this quiet spell
        runs.set_state(STATE, about, now)
    hours = (now - since).total_seconds() / 3600
    body = (
        f"No scheduled sync has succeeded for {hours:.1f} h (PLM_SYNC_STALE_AFTER="
        f"{settings.stale_after:g} s); "
        + (f"the last one finished at {about}." if last else "none has ever succeeded.")
        + " Check that beat and the workers run (`plm-sync doctor`), and the latest runs "
        + (
            f"at {settings.public_url.rstrip('/')}/runs."
            if settings.public_url
            else "(`plm-sync runs`)."
        )
    )
    send(urls, Message("plm-sync: the scheduled sync has gone quiet", body, "warning"))
    return True
