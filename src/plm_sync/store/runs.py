"""Run log repository: start (one at a time), heartbeat, finish, events, cursor, reports."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plm_sync.domain.events import Event
from plm_sync.errors import RunConflictError, UsageError
from plm_sync.store.models import Run, RunEvent, SyncState

CURSOR = "products_updated_at"
RUNNING = "running"
COUNT_FIELDS = ("products", "items", "created", "updated", "unchanged", "deactivated", "errors")


def this_owner() -> str:
    """`host:pid` of this process, so a crashed run on this host is recognised."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_is_dead(owner: str) -> bool:
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class RunStart:
    """What a new run is."""

    trigger: str
    scope: str
    full: bool
    dry_run: bool


class RunRepository:
    """The `runs`, `run_events` and `sync_state` tables; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def sweep_stale(self, now: datetime, stale_after: timedelta) -> list[int]:
        """Mark failed the runs left `running` by a dead process or without a fresh heartbeat."""
        swept = []
        for run in self.session.scalars(select(Run).where(Run.status == RUNNING)):
            heartbeat = _aware(run.heartbeat_at)
            if _owner_is_dead(run.owner):
                reason = f"process {run.owner} is gone (crashed or killed)"
            elif now - heartbeat > stale_after:
                reason = f"no heartbeat since {heartbeat.isoformat()} (crashed or stuck)"
            else:
                continue
            run.status = "failed"
            run.finished_at = now
            run.message = f"marked failed by a later run: {reason}"
            swept.append(run.id)
        return swept

    def start(self, start: RunStart, now: datetime, owner: str | None = None) -> Run:
        """Insert a `running` run; refused when another run is running on this database."""
        run = Run(
            trigger=start.trigger,
            scope=start.scope,
            full=start.full,
            dry_run=start.dry_run,
            status=RUNNING,
            started_at=now,
            heartbeat_at=now,
            owner=owner or this_owner(),
            cursor_before=self.cursor(),
        )
        try:
            # The partial unique index refuses a second running run, whoever races; the
            # savepoint keeps this session usable to name the run that holds the place.
            with self.session.begin_nested():
                self.session.add(run)
        except IntegrityError:
            other = self.session.scalars(select(Run).where(Run.status == RUNNING)).first()
            detail = (
                f"run {other.id} ({other.trigger}, {other.scope}) started "
                f"{_aware(other.started_at).isoformat()} by {other.owner}"
                if other
                else "another run"
            )
            raise RunConflictError(
                f"{detail} is still running on this database; wait for it to finish "
                "(`plm-sync runs`), or, if its process is gone, retry after its heartbeat "
                "goes stale"
            ) from None
        return run

    def heartbeat(self, run_id: int, now: datetime) -> None:
        """Show the run is alive."""
        self.session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=now))

    def finish(self, run_id: int, now: datetime, status: str, **fields: Any) -> bool:  # noqa: ANN401
        """Close a still-running run with its status, counts and message.

        False when the run was closed already (e.g. marked failed after a lost heartbeat).
        """
        result = self.session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == RUNNING)
            .values(status=status, finished_at=now, heartbeat_at=now, **fields)
        )
        return bool(getattr(result, "rowcount", 0))

    def add_events(self, run_id: int, events: Iterable[Event]) -> int:
        """Store events in one statement; returns how many."""
        rows = [{**event.as_dict(), "run_id": run_id} for event in events]
        if rows:
            self.session.execute(insert(RunEvent), rows)
        return len(rows)

    def replace_product_events(self, run_id: int, product_id: str, events: Iterable[Event]) -> int:
        """Store a product's events, replacing what this run recorded for it before."""
        self.session.execute(
            delete(RunEvent).where(
                RunEvent.run_id == run_id, RunEvent.connect_product_id == product_id
            )
        )
        return self.add_events(run_id, events)

    def cursor(self) -> str | None:
        """The incremental cursor (`events.updated.at` of the newest product synced)."""
        state = self.session.get(SyncState, CURSOR)
        return state.value if state else None

    def set_cursor(self, value: str, run_id: int, now: datetime) -> None:
        """Move the cursor (only when a whole run succeeded)."""
        state = self.session.get(SyncState, CURSOR)
        if state is None:
            self.session.add(SyncState(name=CURSOR, value=value, run_id=run_id, updated_at=now))
        else:
            state.value, state.run_id, state.updated_at = value, run_id, now

    # -- reading ---------------------------------------------------------------------------

    def runs(
        self, limit: int = 20, status: str | None = None, since: datetime | None = None
    ) -> Sequence[Run]:
        """Newest first."""
        query = select(Run).order_by(Run.id.desc()).limit(limit)
        if status:
            query = query.where(Run.status == status)
        if since:
            query = query.where(Run.started_at >= since)
        return self.session.scalars(query).all()

    def get(self, run_id: int | str) -> Run:
        """A run by id, or the newest for `latest`; UsageError when there is none."""
        if run_id == "latest":
            run = self.session.scalars(select(Run).order_by(Run.id.desc()).limit(1)).first()
            if run is None:
                raise UsageError("no run yet: start one with `plm-sync sync`")
            return run
        try:
            ident = int(run_id)
        except ValueError:
            raise UsageError(f"run id {run_id!r} is not a number or 'latest'") from None
        found = self.session.get(Run, ident)
        if found is None:
            raise UsageError(f"no run {ident}: `plm-sync runs` lists them")
        return found

    def events(self, run_id: int) -> Sequence[RunEvent]:
        """A run's events in the order they were recorded."""
        return self.session.scalars(
            select(RunEvent).where(RunEvent.run_id == run_id).order_by(RunEvent.id)
        ).all()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything plm-sync stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_json(run: Run) -> dict[str, Any]:
    """The JSON of `plm-sync runs` (DESIGN §7)."""
    return {
        "id": run.id,
        "trigger": run.trigger,
        "scope": run.scope,
        "status": run.status,
        "full": run.full,
        "dry_run": run.dry_run,
        "started_at": _aware(run.started_at).isoformat(),
        "finished_at": _aware(run.finished_at).isoformat() if run.finished_at else None,
        "retries": run.retries,
        "counts": {name: getattr(run, name) for name in COUNT_FIELDS}
        | {"skipped": run.skipped, "failed_products": run.failed_products},
        "cursor_before": run.cursor_before,
        "cursor_after": run.cursor_after,
        "message": run.message,
    }


def event_json(event: RunEvent) -> dict[str, Any]:
    """The JSON of one event in `plm-sync report`."""
    return {
        "level": event.level,
        "code": event.code,
        "connect_product_id": event.connect_product_id,
        "connect_item_id": event.connect_item_id,
        "mpn": event.mpn,
        "message": event.message,
    }
