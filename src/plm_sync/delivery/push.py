"""Push product lines into Commerce PLM: a run of the one lifecycle, one line at a time.

What one line's delivery does is `line_pusher`; this is the run around it. The CLI runs the
lines in one process (`push_lines`); the workers run one task per line between
`open_push`/`plan_push` and `close_push`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.commerce.client import CommerceClient
from plm_sync.commerce.hubs import hub_key
from plm_sync.config import Settings
from plm_sync.delivery.line_digests import line_content_hash
from plm_sync.delivery.line_pusher import LinePusher
from plm_sync.delivery.line_tasks import close_tasks, line_task
from plm_sync.delivery.request import PushRequest, PushTally
from plm_sync.domain.events import PUSH_FAILED
from plm_sync.domain.runs import RunStart, RunStatus
from plm_sync.errors import (
    EXIT_ITEM_ERRORS,
    PlmSyncError,
    RunFailedError,
    UsageError,
)
from plm_sync.mappings import load_plm_rules
from plm_sync.runs.runlog import (
    RunLog,
    RunOutcome,
    run_failed_error,
)
from plm_sync.runs.scope import check_product_id
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.plans import PlanRepository
from plm_sync.store.pushes import PushRepository
from plm_sync.store.runs import RunRepository

__all__ = ["PushRequest", "line_content_hash", "push_lines"]

log = structlog.get_logger(__name__)
Factory = sessionmaker[Session]


def open_push(
    settings: Settings,
    factory: Factory,
    request: PushRequest,
    *,
    owner: str | None = None,
    queued: bool = False,
) -> int:
    """Check the settings and rules, record the push run; refused while another run is open."""
    client = CommerceClient.from_settings(settings)  # every Commerce setting is there
    hub = client.hub
    client.close()
    if request.promote_from and hub_key(request.promote_from, client.app_id) == hub:
        raise UsageError(
            f"--promote-from names the hub pushed to ({hub}): promote from a staging hub to another"
        )
    load_plm_rules(settings.mappings)  # the workbook rules are valid
    for product_id in request.product_ids:
        check_product_id(product_id)
    runlog = RunLog.open(
        factory,
        settings,
        RunStart(
            request.trigger, request.scope, full=False, dry_run=request.dry_run, queued=queued
        ),
        owner=owner,
        brake=False,
    )
    if request.plan:
        with unit_of_work(factory) as session:
            PlanRepository(session).open(runlog.run_id, hub, request.as_dict())
    if request.approving is not None:  # the plan's run names the push carrying it out
        with unit_of_work(factory) as session:
            PlanRepository(session).applied_by(request.approving, runlog.run_id)
    return runlog.run_id


def _close(runlog: RunLog, tally: PushTally, failure: PlmSyncError | None, step: str) -> RunOutcome:
    cancelled = runlog.cancel_requested() if failure is None else False
    status: RunStatus | None = None
    message: str | None = None
    with unit_of_work(runlog.factory) as session:
        plan = PlanRepository(session).get(runlog.run_id)
    if cancelled:  # (a failed run's message is the closer's: the failure and its step)
        message = "cancelled by an operator; the lines pushed before stay pushed"
    elif failure is None and plan is not None and plan.lines:
        status = RunStatus.PLANNED
        prices = sum(line.price_changes for line in plan.lines)
        message = (
            f"plan {runlog.run_id} waits for approval: {len(plan.lines)} line(s), "
            f"{prices} price change(s); `plm-sync approve {runlog.run_id}` applies exactly it, "
            f"`plm-sync reject {runlog.run_id}` discards it"
        )
    elif failure is None and plan is not None:
        message = "the plan found nothing to change: nothing waits for approval"
    counts = {
        "products": tally.products,
        "updated": tally.updated,
        "unchanged": tally.unchanged,
        "errors": tally.errors,
        "retries": tally.retries,
    }
    outcome = runlog.conclude(
        counts,
        failure=failure,
        step=step,
        cancelled=cancelled,
        message=message,
        status=status,
        product_ids=tally.seen,
    )
    _settle_plan(runlog, outcome)
    if status is RunStatus.PLANNED and tally.errors:
        return replace(outcome, exit_code=EXIT_ITEM_ERRORS)  # lines the plan could not read
    return outcome


def _settle_plan(runlog: RunLog, outcome: RunOutcome) -> None:
    """An approval's push closed: the plan's run says which push carried it out, and how."""
    with unit_of_work(runlog.factory) as session:
        plan_id = PlanRepository(session).approved_by(runlog.run_id)
        if plan_id is None:
            return
        RunRepository(session).settle(
            plan_id,
            RunStatus.SUCCEEDED
            if outcome.status is not RunStatus.FAILED
            else RunStatus.SUCCEEDED_WITH_ERRORS,
            f"approved: carried out by push run {runlog.run_id} ({outcome.status})",
        )


def _failed(run_id: int, step: str, error: PlmSyncError) -> RunFailedError:
    return run_failed_error(f"push run {run_id}", step, error)


def push_lines(
    settings: Settings,
    request: PushRequest,
    *,
    client: CommerceClient | None = None,
) -> RunOutcome:
    """Push in this process: open the run, push each line in product order, close it.

    The command's one database is opened here (or `factory`, a caller's).
    """
    own_client = client is None
    client = client or CommerceClient.from_settings(settings)
    try:
        with open_database(settings.database_url) as factory:
            run_id = open_push(settings, factory, request)
            runlog = RunLog.resume(factory, run_id, settings=settings)
            with runlog.bound():
                return _run(settings, request, runlog, client)
    finally:
        if own_client:
            client.close()


def _run(
    settings: Settings, request: PushRequest, runlog: RunLog, client: CommerceClient
) -> RunOutcome:
    tally = PushTally()
    step = "checking the Commerce credentials"
    try:
        pusher = LinePusher(settings, request, runlog, client)
        try:
            plan = pusher.plan()
            tally.merge(pusher.unplanned(plan).as_dict())
            for product_id in plan.wanted:
                if runlog.cancel_requested():
                    break
                step = f"pushing {product_id}"
                tally.merge(pusher.push(product_id).as_dict())
        finally:
            pusher.close()
    except PlmSyncError as error:
        _close(runlog, tally, error, step)
        raise _failed(runlog.run_id, step, error) from None
    except BaseException as error:
        _close(runlog, tally, PlmSyncError(f"{error.__class__.__name__}: {error}"), step)
        raise
    return _close(runlog, tally, None, step)


def push_after(
    settings: Settings, factory: Factory, dry_run: bool, outcome: RunOutcome
) -> PushRequest | None:
    """The push that follows a sync with PLM_SYNC_PUSH_AFTER_SYNC, decided here once.

    Only after a sync that succeeded without errors and wrote (not a dry run): the lines it
    read whose catalog differs from what was last pushed. None: no push (not asked, the sync
    did not succeed, or it read no stored line).
    """
    if not settings.push_after_sync or dry_run or outcome.status is not RunStatus.SUCCEEDED:
        return None
    lines = lines_read_by(factory, outcome.run_id)
    if not lines:
        log.info("push_after_sync_nothing", sync_run_id=outcome.run_id)
        return None
    return PushRequest(lines, changed=True, plan=approval_required(settings))


def approval_required(settings: Settings) -> bool:
    """Whether an automatic push stops at a plan (PLM_SYNC_PUSH_APPROVAL=required)."""
    return settings.push_approval.strip().casefold() == "required"  # checked when loaded


def push_after_sync(settings: Settings, dry_run: bool, outcome: RunOutcome) -> RunOutcome | None:
    """Push in this process what `push_after` decides follows the sync (None: nothing)."""
    with open_database(settings.database_url) as factory:
        request = push_after(settings, factory, dry_run, outcome)
    return None if request is None else push_lines(settings, request)


# -- the workers' fan-out: plan (one task), a task per line, close (one task) -----------------


@dataclass(frozen=True)
class PlannedPush:
    """What the planning task hands on: the lines to push and the tally of the rest."""

    product_ids: list[str]
    unplanned: dict[str, Any]


def plan_push(
    settings: Settings, factory: Factory, run_id: int, request: PushRequest, *, owner: str
) -> PlannedPush | None:
    """Take the push run, check the credentials and list its lines (None: not open).

    A refusal of the credentials or a missing service closes the run failed.
    """
    runlog = RunLog.resume(factory, run_id, settings=settings)
    with runlog.bound():
        if not runlog.take(owner):
            return None
        client = CommerceClient.from_settings(settings)
        try:
            pusher = LinePusher(settings, request, runlog, client)
            try:
                plan = pusher.plan()
            finally:
                pusher.close()
        except PlmSyncError as error:
            _close(runlog, PushTally(), error, "checking the Commerce credentials")
            raise _failed(run_id, "checking the Commerce credentials", error) from None
        finally:
            client.close()
        runlog.heartbeat(force=True)
        return PlannedPush(plan.wanted, pusher.unplanned(plan).as_dict())


def push_line(
    settings: Settings, factory: Factory, run_id: int, request: PushRequest, product_id: str
) -> dict[str, Any]:
    """Push one line of a run (a cancelled run's lines do nothing); its tally.

    A redelivered task pushes again only if the line is not recorded as pushed with its
    current content; its events replace those of the earlier attempt. A hub that refuses
    the app as a whole fails the run now, with one error, as a CLI push does.
    """

    def push(runlog: RunLog, client: CommerceClient) -> PushTally:
        pusher = LinePusher(settings, request, runlog, client)
        try:
            return pusher.push(product_id)
        finally:
            pusher.close()

    return line_task(
        settings,
        factory,
        run_id,
        product_id,
        tally=PushTally,
        failed_code=PUSH_FAILED,
        work=push,
        refused=lambda runlog, error: _close(
            runlog, PushTally(seen=[product_id]), error, f"pushing {product_id}"
        ),
    )


def close_push(
    settings: Settings, factory: Factory, run_id: int, tallies: Sequence[dict[str, Any]]
) -> RunOutcome:
    """Add up the line tasks and close the push run."""
    return close_tasks(
        settings,
        factory,
        run_id,
        tallies,
        tally=PushTally,
        close=lambda runlog, tally: _close(runlog, tally, None, "closing"),
    )


def lines_read_by(factory: Factory, run_id: int) -> tuple[str, ...]:
    """The stored lines a (sync) run read: what a push after it considers."""
    with unit_of_work(factory) as session:
        read = RunRepository(session).get(run_id).product_ids or ()
        return PushRepository(session).stored(read)
