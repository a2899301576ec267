"""Moments in time as plm-sync keeps them: always aware, always UTC when nothing says otherwise.

SQLite hands back naive datetimes, Connect and operators may write ISO moments without an
offset, and an HTTP date may lack a zone: everything plm-sync stores or compares is UTC, so a
naive moment is read as UTC, in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime


def aware(moment: datetime) -> datetime:
    """The moment with its zone; a naive one is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_moment(value: str | None) -> datetime | None:
    """An ISO 8601 moment (naive: UTC); None for nothing, or for what is not a moment."""
    if not value:
        return None
    try:
        return aware(datetime.fromisoformat(value))
    except ValueError:
        return None
