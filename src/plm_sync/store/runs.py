"""Run log repository: start (one at a time), heartbeat, finish, events, cursor, reports."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plm_sync.domain.events import Event, Level
from plm_sync.domain.moments import aware
from plm_sync.domain.runs import OPEN_STATUSES, SUCCEEDED_STATUSES, RunStart, RunStatus
from plm_sync.domain.text import shorten
from plm_sync.errors import RunConflictError, UsageError
from plm_sync.store.bulk import insert_rows
from plm_sync.store.models import Run, RunEvent, ServicePlan, SyncState, table_of

CURSOR = "products_updated_at"
WORKERS = "celery:"  # the owners of runs the workers drive start so
QUEUED_OWNER = f"{WORKERS}queued"  # the owner of a run no worker has taken yet


def driven_by_workers(owner: str) -> bool:
    """Whether the workers drive a run (queued, or taken by a worker's task)."""
    return owner.startswith(WORKERS)


START_LOCK = 0x504C4D52  # "PLMR": PostgreSQL advisory lock around opening a run
EVENT_BATCH = 2000  # events read per round trip when a report streams them
RUN_ID_MAX = 2**31 - 1  # run ids are 32-bit integers on both databases


def waiting_message(queued: int, heartbeat: datetime) -> str:
    """What a run waiting for workers says."""
    return (
        f"waiting for workers: {queued} task(s) wait in the broker's queue and no worker has "
        f"taken one since {heartbeat.isoformat()}; start a worker (`celery -A tasks worker`)"
    )


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


class RunRepository:
    """The `runs`, `run_events` and `sync_state` tables; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def sweep_stale(
        self,
        now: datetime,
        stale_after: timedelta,
        queued_after: timedelta | None = None,
        waiting: Callable[[], int | None] | None = None,
    ) -> list[int]:
        """Mark failed the runs left `running` by a dead process or without a fresh heartbeat.

        With `queued_after`, queued runs no worker took within that time are failed too.
        `waiting`: how many tasks wait in the workers' queue; a run the workers drive whose
        heartbeat went quiet while tasks wait there is waiting for a worker, and stays open
        (its message says so).
        """
        swept = []
        for run in self.session.scalars(select(Run).where(Run.status.in_(OPEN_STATUSES))):
            heartbeat = aware(run.heartbeat_at)
            if run.status == RunStatus.QUEUED:
                if queued_after is None or now - heartbeat <= queued_after:
                    continue
                reason = (
                    f"no worker took it within {queued_after} (PLM_SYNC_QUEUED_RUN_TIMEOUT); "
                    "is a worker running and connected to PLM_SYNC_BROKER_URL?"
                )
            elif _owner_is_dead(run.owner):
                reason = f"process {run.owner} is gone (crashed or killed)"
            elif now - heartbeat > stale_after:
                queued = waiting() if waiting and driven_by_workers(run.owner) else None
                if queued:
                    run.message = waiting_message(queued, heartbeat)
                    continue
                reason = f"no heartbeat since {heartbeat.isoformat()} (crashed or stuck)"
            else:
                continue
            run.status = RunStatus.FAILED
            run.finished_at = now
            run.message = f"marked failed by a later run: {reason}"
            swept.append(run.id)
        return swept

    def start(self, start: RunStart, now: datetime, owner: str | None = None) -> Run:
        """Insert a `running` (or `queued`) run; refused while another run is queued or running.

        The partial unique index refuses a second running run whoever races; a queued run is
        checked for after the insert, under a lock on PostgreSQL (SQLite's write lock does the
        same), so a queued run and a new one cannot both get in.
        """
        status = RunStatus.QUEUED if start.queued else RunStatus.RUNNING
        run = Run(
            trigger=start.trigger,
            scope=start.scope,
            full=start.full,
            dry_run=start.dry_run,
            status=status,
            started_at=now,
            heartbeat_at=now,
            owner=QUEUED_OWNER if start.queued else owner or this_owner(),
            cursor_before=self.cursor(),
            deactivation_limit=start.deactivation_limit,
        )
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": START_LOCK})
        # the savepoint keeps this session usable to name the run that holds the place
        savepoint = self.session.begin_nested()
        try:
            self.session.add(run)
            self.session.flush()  # the insert takes the write lock before the check
        except IntegrityError:
            savepoint.rollback()
            raise RunConflictError(self._conflict_message()) from None
        other = self.session.scalars(
            select(Run.id).where(Run.status.in_(OPEN_STATUSES), Run.id != run.id)
        ).first()
        if other is not None:
            savepoint.rollback()
            raise RunConflictError(self._conflict_message())
        savepoint.commit()
        return run

    def _conflict_message(self) -> str:
        other = self.session.scalars(
            select(Run).where(Run.status.in_(OPEN_STATUSES)).order_by(Run.id)
        ).first()
        if other is None:
            return "another run is still running on this database; retry in a moment"
        detail = (
            f"run {other.id} ({other.trigger}, {other.scope}) started "
            f"{aware(other.started_at).isoformat()} by {other.owner}"
        )
        if other.status == RunStatus.QUEUED:
            return (
                f"{detail} is queued for the workers and holds this database; start a worker "
                f"(`celery -A tasks worker`) or cancel it with `plm-sync runs cancel {other.id}`"
            )
        return (
            f"{detail} is still running on this database; wait for it to finish "
            f"(`plm-sync runs`), cancel it with `plm-sync runs cancel {other.id}`, or, if its "
            "process is gone, retry after its heartbeat goes stale"
        )

    def take(self, run_id: int, now: datetime, owner: str) -> bool:
        """A worker takes a queued run: it becomes `running`. False when it is not queued.

        A run cancelled (or swept) before a worker reached it is not taken.
        """
        result = self.session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == RunStatus.QUEUED)
            .values(status=RunStatus.RUNNING, owner=owner, heartbeat_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def cancel(self, run_id: int | str, now: datetime) -> Run:
        """Cancel a queued run at once; ask a running one to stop at its next product line."""
        run = self.get(run_id)
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.CANCELLED
            run.finished_at = now
            run.message = "cancelled by an operator before a worker took it"
        elif run.status == RunStatus.RUNNING:
            if run.cancel_requested_at is None:
                run.cancel_requested_at = now
        else:
            raise UsageError(f"run {run.id} is {run.status}: only queued or running runs cancel")
        return run

    def cancel_requested(self, run_id: int) -> bool:
        """Whether an operator asked this run to stop (or it is closed already)."""
        row = self.session.execute(
            select(Run.status, Run.cancel_requested_at).where(Run.id == run_id)
        ).one_or_none()
        return row is None or row.cancel_requested_at is not None or row.status not in OPEN_STATUSES

    def active_plans(self) -> int:
        """How many service plans are active now (the deactivation brake's base)."""
        return int(
            self.session.scalar(
                select(func.count()).select_from(ServicePlan).where(ServicePlan.active.is_(True))
            )
            or 0
        )

    def prune(self, finished_before: datetime, *, dry_run: bool = False) -> list[int]:
        """Delete runs that finished before a moment, with their events (`dry_run`: name them).

        Never the latest successful run, the run that set the cursor, nor an open run.
        """
        keep = set(
            self.session.scalars(
                select(Run.id)
                .where(Run.status == RunStatus.SUCCEEDED, Run.dry_run.is_(False))
                .order_by(Run.id.desc())
                .limit(1)
            )
        )
        keep.update(run_id for run_id in self.session.scalars(select(SyncState.run_id)) if run_id)
        doomed = [
            run_id
            for run_id in self.session.scalars(
                select(Run.id).where(
                    Run.status.not_in([*OPEN_STATUSES, RunStatus.PLANNED]),  # a plan waits
                    Run.finished_at.is_not(None),
                    Run.finished_at < finished_before,
                )
            )
            if run_id not in keep
        ]
        if dry_run:
            return doomed
        for chunk in range(0, len(doomed), 500):
            ids = doomed[chunk : chunk + 500]
            self.session.execute(delete(RunEvent).where(RunEvent.run_id.in_(ids)))
            self.session.execute(delete(Run).where(Run.id.in_(ids)))
        return doomed

    def settle(self, run_id: int, status: RunStatus, message: str) -> None:
        """A change plan's verdict, given after its run closed: approved, carried out, rejected.

        The one place a closed run's status and message change (an open run closes with
        `finish`).
        """
        self.session.execute(
            update(Run).where(Run.id == run_id).values(status=status, message=message)
        )

    def heartbeat(self, run_id: int, now: datetime) -> None:
        """Show the run is alive."""
        self.session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=now))

    def finish(self, run_id: int, now: datetime, status: RunStatus, **fields: Any) -> bool:  # noqa: ANN401
        """Close a still-open run with its status, counts and message.

        False when the run was closed already (e.g. marked failed after a lost heartbeat).
        """
        result = self.session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status.in_(OPEN_STATUSES))
            .values(status=status, finished_at=now, heartbeat_at=now, **fields)
        )
        return bool(getattr(result, "rowcount", 0))

    def add_events(self, run_id: int, events: Iterable[Event]) -> int:
        """Store events in one statement; returns how many."""
        rows = [{**event.as_row(), "run_id": run_id} for event in events]
        if rows:
            insert_rows(self.session, table_of(RunEvent), rows)
        return len(rows)

    def replace_product_events(self, run_id: int, product_id: str, events: Iterable[Event]) -> int:
        """Store a product's events, replacing what this run recorded for it before."""
        return self.replace_products_events(run_id, [product_id], events)

    def replace_products_events(
        self, run_id: int, product_ids: Sequence[str], events: Iterable[Event]
    ) -> int:
        """Store products' events, replacing what this run recorded for them before.

        One delete per 500 products and one insert, whatever the number of products (a
        batch of a product task's lines).
        """
        for start in range(0, len(product_ids), 500):
            self.session.execute(
                delete(RunEvent).where(
                    RunEvent.run_id == run_id,
                    RunEvent.connect_product_id.in_(list(product_ids[start : start + 500])),
                )
            )
        return self.add_events(run_id, events)

    def has_event(self, run_id: int, codes: Sequence[str]) -> bool:
        """Whether the run recorded an event of one of these codes."""
        found = self.session.scalar(
            select(RunEvent.id).where(RunEvent.run_id == run_id, RunEvent.code.in_(codes)).limit(1)
        )
        return found is not None

    def first_errors(self, run_id: int, limit: int) -> list[Event]:
        """A run's first error events, in recorded order."""
        query = (
            select(RunEvent)
            .where(RunEvent.run_id == run_id, RunEvent.level == Level.ERROR.value)
            .order_by(RunEvent.id)
            .limit(limit)
        )
        return [
            Event(
                Level(row.level),
                row.code,
                row.message,
                row.connect_product_id,
                row.connect_item_id,
                row.mpn,
                row.subject,
            )
            for row in self.session.scalars(query)
        ]

    def cursor(self) -> str | None:
        """The incremental cursor (`events.updated.at` of the newest product synced)."""
        return self.state(CURSOR)

    def set_cursor(self, value: str, run_id: int, now: datetime) -> None:
        """Move the cursor (only when a whole run succeeded)."""
        self.set_state(CURSOR, value, now, run_id=run_id)

    def state(self, name: str) -> str | None:
        """A named value the runs keep between them (`sync_state`)."""
        state = self.session.get(SyncState, name)
        return state.value if state else None

    def set_state(self, name: str, value: str, now: datetime, *, run_id: int | None = None) -> None:
        """Keep a named value between runs (and the run that set it, when one did)."""
        state = self.session.get(SyncState, name)
        if state is None:
            self.session.add(SyncState(name=name, value=value, run_id=run_id, updated_at=now))
        else:
            state.value, state.run_id, state.updated_at = value, run_id, now

    def schedule_span(self) -> tuple[datetime | None, datetime | None]:
        """(when the last scheduled sync that succeeded finished, when the first one began).

        Dry runs do not count as successes; None where there is none.
        """
        last = self.session.scalar(
            select(func.max(Run.finished_at)).where(
                Run.trigger == "schedule",
                Run.status.in_(sorted(SUCCEEDED_STATUSES)),
                Run.dry_run.is_(False),
            )
        )
        first = self.session.scalar(
            select(func.min(Run.started_at)).where(Run.trigger == "schedule")
        )
        return (aware(last) if last else None), (aware(first) if first else None)

    # -- reading ---------------------------------------------------------------------------

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
            raise UsageError(
                f"run id {shorten(str(run_id), 40)!r} is not a number or 'latest'"
            ) from None
        # an id no run can have is asked of no database (PostgreSQL refuses integers past 2**31)
        found = self.session.get(Run, ident) if 0 < ident <= RUN_ID_MAX else None
        if found is None:
            raise UsageError(f"no run {shorten(str(ident), 40)}: `plm-sync runs` lists them")
        return found

    def stream_events(
        self, run_id: int, up_to: int | None = None, code: str | None = None
    ) -> Iterator[tuple[int, Event]]:
        """A run's events (id, event) in recorded order; up to id `up_to`, of `code`, if given.

        Read in batches (a server-side cursor on PostgreSQL): memory stays bounded.
        """
        query = (
            select(
                RunEvent.id,
                RunEvent.level,
                RunEvent.code,
                RunEvent.message,
                RunEvent.connect_product_id,
                RunEvent.connect_item_id,
                RunEvent.mpn,
                RunEvent.subject,
            )
            .where(RunEvent.run_id == run_id)
            .order_by(RunEvent.id)
            .execution_options(yield_per=EVENT_BATCH)
        )
        if up_to is not None:
            query = query.where(RunEvent.id <= up_to)
        if code is not None:
            query = query.where(RunEvent.code == code)
        for ident, level, kind, message, product, item, mpn, subject in self.session.execute(query):
            yield ident, Event(Level(level), kind, message, product, item, mpn, subject)
