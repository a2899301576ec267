"""The one run lifecycle, and the operator's actions on the run log: cancel, prune, sweep.

Open (one open run per database, stale runs swept, the deactivation brake's limit fixed),
heartbeat, events, cancellation, close (status, counts, cursor and the one `run_finished`
line).

Every kind of run uses it: a CLI sync, the workers' fan-out of a sync, a workbook import. It
needs no Connect client, only the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import structlog
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings
from plm_sync.domain.events import COMMERCE_AUTH, CONNECT_AUTH, Event, Level
from plm_sync.domain.moments import aware
from plm_sync.domain.runs import COUNT_FIELDS, RunStart, RunStatus
from plm_sync.domain.text import shorten
from plm_sync.errors import (
    EXIT_ITEM_ERRORS,
    EXIT_OK,
    EXIT_RUN_FAILED,
    EXIT_USAGE,
    CommerceAuthError,
    CommerceServiceError,
    ConnectAuthError,
    RunFailedError,
)
from plm_sync.infra.notify import ERRORS_SHOWN, run_message, run_needs_a_person, send, targets
from plm_sync.infra.queue import queued_tasks
from plm_sync.store.database import unit_of_work
from plm_sync.store.models import Run
from plm_sync.store.pushes import PushRepository, judges_lines
from plm_sync.store.run_rows import run_json
from plm_sync.store.runs import RunRepository, driven_by_workers, waiting_message

log = structlog.get_logger(__name__)

HEARTBEAT_EVERY = 30.0  # seconds between heartbeats of a busy run


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: its status and the CLI exit code it means.

    With its counts (DESIGN §7, errors included) and where the incremental cursor stands;
    crosses Celery as `as_dict`.
    """

    run_id: int
    status: RunStatus
    exit_code: int
    counts: Mapping[str, int] = field(default_factory=dict)
    cursor_after: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON for a task's result."""
        return {
            "run_id": self.run_id,
            "status": str(self.status),
            "exit_code": self.exit_code,
            "counts": dict(self.counts),
            "cursor_after": self.cursor_after,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunOutcome:
        """Inverse of `as_dict`."""
        return cls(
            int(data["run_id"]),
            RunStatus(data["status"]),
            int(data["exit_code"]),
            {str(key): int(value) for key, value in (data.get("counts") or {}).items()},
            data.get("cursor_after"),
        )


# -- the status policy: one place decides a run's status, its exit code and its failure event


def status_of(*, failed: bool, cancelled: bool, errors: int) -> RunStatus:
    """A closing run's status: failed, cancelled, with errors, or succeeded."""
    if failed:
        return RunStatus.FAILED
    if cancelled:
        return RunStatus.CANCELLED
    return RunStatus.SUCCEEDED_WITH_ERRORS if errors else RunStatus.SUCCEEDED


def exit_code_of(status: RunStatus, *, refused: bool = False) -> int:
    """The CLI exit code of a run's final status (DESIGN §5); a cancelled run did not fail.

    `refused`: the run failed because a service refused the credentials or the settings
    (Connect's key, Commerce's OAuth): exit 2, as any error of settings.
    """
    if status is RunStatus.FAILED and refused:
        return EXIT_USAGE
    return {
        RunStatus.SUCCEEDED: EXIT_OK,
        RunStatus.SUCCEEDED_WITH_ERRORS: EXIT_ITEM_ERRORS,
        RunStatus.CANCELLED: EXIT_ITEM_ERRORS,
        RunStatus.PLANNED: EXIT_OK,  # a plan recorded, waiting for approval
    }.get(status, EXIT_RUN_FAILED)


def failure_events(failure: BaseException | None) -> list[Event]:
    """The one run-level event a failure of settings leaves (none for other failures).

    Connect refusing the key fails the run with one `connect_auth` error, however many
    product lines were still to read (on the CLI and on the workers alike).
    """
    if isinstance(failure, ConnectAuthError):
        how = "check PLM_SYNC_CONNECT_API_KEY (or its _FILE) and the key's rights in Connect"
        return [Event(Level.ERROR, CONNECT_AUTH, f"Connect refused the API key: {failure}; {how}")]
    if isinstance(failure, CommerceAuthError | CommerceServiceError):
        return [Event(Level.ERROR, COMMERCE_AUTH, f"Commerce refused the push: {failure}")]
    return []


REFUSED_CODES = (CONNECT_AUTH, COMMERCE_AUTH)


def run_failed_error(run: str, step: str, error: BaseException) -> RunFailedError:
    """What a failed run raises: the run, the step and the cause, in one line.

    An error of settings (a refused key, a missing service: exit code 2 of its own) keeps
    exit 2; any other failure is exit 1.
    """
    code = EXIT_USAGE if getattr(error, "exit_code", None) == EXIT_USAGE else EXIT_RUN_FAILED
    return RunFailedError(f"{run} failed while {step}: {describe_failure(error)}", exit_code=code)


def describe_failure(error: BaseException) -> str:
    """An error in one short line: a database error without its SQL statement or values."""
    if isinstance(error, StatementError) and error.orig is not None:
        cause = str(error.orig).strip().splitlines()
        text = f"the database refused it ({type(error.orig).__name__}: {cause[0] if cause else ''})"
    else:
        text = str(error)
    return shorten(" ".join(text.split()), 500)


class RunLog:
    """One run's row in the run log, from open to close; every write is its own transaction."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        run_id: int,
        *,
        cursor_before: str | None = None,
        deactivation_limit: int | None = None,
        clock: Callable[[], datetime] = utcnow,
        settings: Settings | None = None,
    ) -> None:
        self.factory = factory
        self.settings = settings  # PLM_SYNC_NOTIFY is told when the run needs a person
        self.run_id = run_id
        self.cursor_before = cursor_before
        self.deactivation_limit = deactivation_limit  # None: the brake is lifted
        self.clock = clock
        self._last_heartbeat = time.monotonic()
        self._cancelled = False

    @classmethod
    def open(
        cls,
        factory: sessionmaker[Session],
        settings: Settings,
        start: RunStart,
        *,
        owner: str | None = None,
        brake: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> RunLog:
        """Sweep runs left by dead processes, then record a new run (running, or queued).

        Refused (RunConflictError, exit 2) while another run is queued or running. With
        `brake`, the limit of plans the run may deactivate is fixed now, from the plans
        active before it.
        """
        with unit_of_work(factory) as session:
            runs = RunRepository(session)
            now = clock()
            _sweep(runs, settings, now)
            limit = settings.brake.allowed(runs.active_plans()) if brake else None
            start = RunStart(
                start.trigger,
                start.scope,
                start.full,
                start.dry_run,
                queued=start.queued,
                deactivation_limit=limit,
            )
            run = runs.start(start, now, owner)
            opened = cls(
                factory,
                run.id,
                cursor_before=run.cursor_before,
                deactivation_limit=limit,
                clock=clock,
                settings=settings,
            )
        log.info(
            "run_started" if not start.queued else "run_queued",
            run_id=opened.run_id,
            scope=start.scope,
            dry_run=start.dry_run,
        )
        return opened

    @classmethod
    def resume(
        cls,
        factory: sessionmaker[Session],
        run_id: int,
        *,
        clock: Callable[[], datetime] = utcnow,
        settings: Settings | None = None,
    ) -> RunLog:
        """A run opened elsewhere (another task, another process), as it was opened."""
        with unit_of_work(factory) as session:
            run = RunRepository(session).get(run_id)
            return cls(
                factory,
                run.id,
                cursor_before=run.cursor_before,
                deactivation_limit=run.deactivation_limit,
                clock=clock,
                settings=settings,
            )

    @contextmanager
    def bound(self) -> Iterator[None]:
        """Every log line inside carries this run's id; none leaks past the block."""
        with structlog.contextvars.bound_contextvars(run_id=self.run_id):
            yield

    def take(self, owner: str) -> bool:
        """A worker takes the run: a queued run becomes running. False: it is not open."""
        with unit_of_work(self.factory) as session:
            runs = RunRepository(session)
            if runs.take(self.run_id, self.clock(), owner):
                return True
            status = RunStatus(runs.get(self.run_id).status)
        if status is not RunStatus.RUNNING:
            log.info("run_not_open", status=str(status))
            return False
        return True

    def heartbeat(self, force: bool = False) -> None:
        """Show the run is alive (at most every HEARTBEAT_EVERY seconds unless forced)."""
        if not force and time.monotonic() - self._last_heartbeat < HEARTBEAT_EVERY:
            return
        with unit_of_work(self.factory) as session:
            RunRepository(session).heartbeat(self.run_id, self.clock())
        self._last_heartbeat = time.monotonic()

    def record(self, events: Iterable[Event], product_id: str | None = None) -> int:
        """Store events in their own transaction; returns how many are errors.

        With a product id, that product's earlier events of this run are replaced, so a
        redelivered product task records them once.
        """
        events = list(events)
        with unit_of_work(self.factory) as session:
            self.write(session, events, product_id, replace=product_id is not None)
        return sum(1 for event in events if event.level is Level.ERROR)

    def write(
        self,
        session: Session,
        events: list[Event],
        product_id: str | None = None,
        *,
        replace: bool = False,
    ) -> None:
        """The one way events are stored: in the caller's transaction.

        A line's events go in the transaction that writes the line (sync and workbook
        import alike), a batch of unchanged lines' in the batch's, a run's closing event in
        the close's; `record` is this in a transaction of its own. `replace`: the product's
        earlier events of this run go first (a product task that may have run before).
        """
        runs = RunRepository(session)
        if replace and product_id is not None:
            runs.replace_product_events(self.run_id, product_id, events)
        else:
            runs.add_events(self.run_id, events)

    def write_replacing(
        self, session: Session, events: list[Event], product_ids: list[str]
    ) -> None:
        """Products' events in the caller's transaction, replacing this run's earlier ones.

        A batch of a product task that may have run before: one delete, one insert.
        """
        RunRepository(session).replace_products_events(self.run_id, product_ids, events)

    def cancel_requested(self, session: Session | None = None) -> bool:
        """Whether an operator cancelled the run (or it was closed); remembered once seen.

        With a session, asked inside the caller's transaction (a product line's), which
        costs one small query instead of a transaction of its own.
        """
        if not self._cancelled:
            if session is None:
                with unit_of_work(self.factory) as own:
                    self._cancelled = RunRepository(own).cancel_requested(self.run_id)
            else:
                self._cancelled = RunRepository(session).cancel_requested(self.run_id)
            if self._cancelled:
                log.warning("run_cancel_seen")
        return self._cancelled

    def conclude(
        self,
        counts: Mapping[str, int],
        *,
        errors: int | None = None,
        failure: BaseException | None = None,
        step: str = "",
        cancelled: bool = False,
        message: str | None = None,
        status: RunStatus | None = None,
        product_ids: Iterable[str] = (),
        priced_ids: Iterable[str] = (),
        cursor_after: str | None = None,
    ) -> RunOutcome:
        """Close the run from what it counted: the one closer of sync, push, drift and import.

        Its status: failed (`failure`, named with the step it happened in, the error's own
        step first), cancelled, with errors (`errors`, else `counts["errors"]`), succeeded;
        `status` overrides it (a plan that waits for approval). Counts a run kind does not
        keep are 0.
        """
        found = int(counts.get("errors") or 0) if errors is None else errors
        if status is None:
            status = status_of(failed=failure is not None, cancelled=cancelled, errors=found)
        if failure is not None:
            message = f"failed while {getattr(failure, 'step', step)}: {describe_failure(failure)}"
        return self.close(
            status,
            counts=dict.fromkeys(COUNT_FIELDS, 0) | dict(counts),
            cursor_after=cursor_after,
            message=message,
            product_ids=product_ids,
            priced_ids=priced_ids,
            failure=failure,
        )

    def close(
        self,
        status: RunStatus,
        *,
        counts: Mapping[str, Any] | None = None,
        cursor_after: str | None = None,
        message: str | None = None,
        product_ids: Iterable[str] = (),
        priced_ids: Iterable[str] = (),
        failure: BaseException | None = None,
    ) -> RunOutcome:
        """Close the run with its status and counts; move the cursor with it, in one transaction.

        The same transaction writes the failure's run-level event (`failure_events`) and
        gives the lines a sync or import read their verdict (`priced_ids`: lines of which it
        read the prices alone, whose price verdict it gives). Logs the run's one
        `run_finished` summary line. A run closed already (swept after a lost heartbeat,
        failed by another task) keeps its status, which the outcome gives.
        """
        product_ids = sorted(product_ids)
        events = failure_events(failure)
        fields = dict(counts or {}) | {
            "cursor_after": cursor_after or self.cursor_before,
            "message": message,
        }
        if events:
            fields["errors"] = int(fields.get("errors") or 0) + len(events)
        with unit_of_work(self.factory) as session:
            runs = RunRepository(session)
            now = self.clock()
            closed = runs.finish(self.run_id, now, status, product_ids=product_ids, **fields)
            run = runs.get(self.run_id)
            if not closed:
                log.warning("run_already_closed", status=str(status), kept=run.status)
                status = RunStatus(run.status)
                refused = runs.has_event(self.run_id, REFUSED_CODES)
            else:
                if events:
                    self.write(session, events)
                refused = bool(events)
                if judges_lines(run.trigger, run.dry_run):
                    PushRepository(session).record_verdicts(
                        self.run_id, product_ids, priced=priced_ids
                    )
                if cursor_after and cursor_after != self.cursor_before:
                    runs.set_cursor(cursor_after, self.run_id, now)
        if closed:
            log.info("run_finished", run_id=self.run_id, status=str(status), **fields)
            self._notify()
        return RunOutcome(
            self.run_id,
            status,
            exit_code_of(status, refused=refused),
            {name: int(getattr(run, name) or 0) for name in COUNT_FIELDS},
            run.cursor_after,
        )

    def _notify(self) -> None:
        """Tell PLM_SYNC_NOTIFY about a run that needs a person (never fails the run)."""
        settings = self.settings
        urls = targets(settings.notify) if settings is not None else []
        if settings is None or not urls:
            return
        with unit_of_work(self.factory) as session:
            runs = RunRepository(session)
            run = run_json(runs.get(self.run_id))
            if not run_needs_a_person(run):
                return
            errors = [event.as_dict() for event in runs.first_errors(self.run_id, ERRORS_SHOWN)]
        send(urls, run_message(run, errors, settings.public_url))


def _sweep(runs: RunRepository, settings: Settings, now: datetime) -> list[int]:
    swept = runs.sweep_stale(
        now,
        timedelta(seconds=settings.stale_run_seconds),
        timedelta(seconds=settings.queued_run_timeout),
        waiting=cache(lambda: queued_tasks(settings)),  # the broker is asked once, if at all
    )
    for run_id in swept:
        log.warning("stale_run_marked_failed", stale_run_id=run_id)
    return swept


def waits_for_workers(
    settings: Settings, factory: sessionmaker[Session], run_id: int
) -> str | None:
    """Why an open run driven by the workers is quiet: tasks wait in the queue (else None).

    Asked by `status` for the open run: its heartbeat older than two beats and tasks
    waiting in the broker's queue.
    """
    with unit_of_work(factory) as session:
        run = session.get(Run, run_id)
        if run is None or run.status != RunStatus.RUNNING or not driven_by_workers(run.owner):
            return None
        heartbeat = aware(run.heartbeat_at)
    if utcnow() - heartbeat < timedelta(seconds=2 * HEARTBEAT_EVERY):
        return None
    queued = queued_tasks(settings)
    return waiting_message(queued, heartbeat) if queued else None


def sweep_runs(settings: Settings, factory: sessionmaker[Session]) -> list[int]:
    """Mark failed the runs whose process died or whose heartbeat went stale.

    Queued runs no worker took within `queued_run_timeout` are failed too.
    """
    with unit_of_work(factory) as session:
        return _sweep(RunRepository(session), settings, utcnow())


def cancel_run(factory: sessionmaker[Session], run_id: str) -> RunStatus:
    """Cancel a queued run at once, or ask a running one to stop at its next product line.

    Returns the run's status after the call: `cancelled`, or `running` while it winds down.
    """
    with unit_of_work(factory) as session:
        run = RunRepository(session).cancel(run_id, utcnow())
        status = RunStatus(run.status)
        ident = run.id
    log.info("run_cancel_requested", cancelled_run_id=ident, status=str(status))
    return status


def prune_runs(
    factory: sessionmaker[Session], older_than: timedelta, *, dry_run: bool = False
) -> list[int]:
    """Delete runs finished more than `older_than` ago, with their events (`dry_run`: name them).

    Keeps the latest successful run, the run that set the incremental cursor and open runs.
    """
    cutoff = utcnow() - older_than
    with unit_of_work(factory, commit=not dry_run) as session:
        pruned = RunRepository(session).prune(cutoff, dry_run=dry_run)
    if not dry_run:
        log.info("runs_pruned", count=len(pruned), before=cutoff.isoformat())
    return pruned
