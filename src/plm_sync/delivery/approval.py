"""Approving or rejecting a push's change plan.

A plan is made by `push --plan`, or by a push after a sync with PLM_SYNC_PUSH_APPROVAL=required.
Approval pushes exactly the plan's lines to the plan's hub, each only if its catalog is as the
plan saw it (else `commerce_plan_stale`, not sent), and only the marketplaces the plan showed.
The plan's run then says which push carried it out; a rejected plan sends nothing. A plan is
decided once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from plm_sync.commerce.client import CommerceClient
from plm_sync.config import Settings
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.delivery.request import PRICES_WITH
from plm_sync.domain.runs import RunStatus
from plm_sync.errors import UsageError
from plm_sync.runs.runlog import RunOutcome, utcnow
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.plans import APPROVED, REJECTED, Plan, PlanRepository
from plm_sync.store.runs import RunRepository

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Decision:
    """What became of a plan: decided how, and the push that carried it out (approval)."""

    plan_id: int
    decision: str
    push: RunOutcome | None = None

    @property
    def exit_code(self) -> int:
        """The push's exit code (0 for a rejection)."""
        return 0 if self.push is None else self.push.exit_code


def _waiting(session: Session, run_id: int | str) -> Plan:
    """The plan of a run that waits for a decision (UsageError naming why not)."""
    run = RunRepository(session).get(run_id)
    plan = PlanRepository(session).get(run.id)
    if plan is None:
        raise UsageError(
            f"run {run.id} is not a change plan (`plm-sync push … --plan` makes one; "
            "`plm-sync runs --status planned` lists those waiting)"
        )
    if plan.decision is not None:
        raise UsageError(f"plan {run.id} was {plan.decision} already: nothing to decide")
    if run.status != RunStatus.PLANNED:
        raise UsageError(f"run {run.id} is {run.status}, not a plan waiting for approval")
    return plan


def _settle(settings: Settings, plan_id: int, message: str, status: RunStatus) -> None:
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        RunRepository(session).settle(plan_id, status, message)


def approval_request(settings: Settings, run_id: int | str) -> PushRequest:
    """Decide a plan approved and the push that carries it out (CLI or workers).

    Refused (UsageError) when the run is not a plan waiting, or the settings name another hub.
    """
    with open_database(settings.database_url) as factory:
        with unit_of_work(factory) as session:
            plan = _waiting(session, run_id)
        client = CommerceClient.from_settings(settings)
        hub = client.hub
        client.close()
        if hub != plan.hub:
            raise UsageError(
                f"plan {plan.run_id} was made for the hub {plan.hub}; the settings name {hub}: "
                "approve it with that hub's settings, or make a plan for this one"
            )
        with unit_of_work(factory) as session:
            if not PlanRepository(session).decide(plan.run_id, APPROVED, utcnow()):
                raise UsageError(f"plan {plan.run_id} was decided meanwhile: nothing to do")
    asked = PushRequest.from_dict(plan.request)
    return PushRequest(
        tuple(line.product_id for line in plan.lines),
        upgrade_product=asked.upgrade_product,
        prices=asked.prices or PRICES_WITH,
        approving=plan.run_id,
    )


def approve_plan(settings: Settings, run_id: int | str) -> Decision:
    """Carry out a plan in this process: push exactly its lines, each refused if it changed."""
    request = approval_request(settings, run_id)
    assert request.approving is not None  # noqa: S101 - an approval's request
    try:
        outcome = push_lines(settings, request)
    except BaseException:
        if not undo_unstarted(settings, request.approving):
            _settle(
                settings,
                request.approving,
                "approved, but the push that was to carry it out failed: see `plm-sync runs`",
                RunStatus.SUCCEEDED_WITH_ERRORS,
            )
        raise
    return Decision(request.approving, APPROVED, outcome)


def undo_unstarted(settings: Settings, plan_id: int) -> bool:
    """An approval whose push never started (another run open, a setting): it waits again.

    True when it was undone; False when a push run carries it out already.
    """
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        return PlanRepository(session).undecide(plan_id)


def reject_plan(settings: Settings, run_id: int | str) -> Decision:
    """Discard a plan: nothing is sent; its run says it was rejected."""
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        plan = _waiting(session, run_id)
        if not PlanRepository(session).decide(plan.run_id, REJECTED, utcnow()):
            raise UsageError(f"plan {plan.run_id} was decided meanwhile: nothing to do")
        RunRepository(session).settle(
            plan.run_id,
            RunStatus.CANCELLED,
            "rejected by an operator: nothing of this plan was sent",
        )
    return Decision(plan.run_id, REJECTED)


def decide(settings: Settings, run_id: int, action: str) -> None:
    """A decision posted from the run's page: reject at once; approve in the background.

    The approval's push may take minutes: it runs in a thread of its own (one run at a time,
    as always) and the page shows its outcome; a plan not waiting is refused at once.
    """
    if action == "reject":
        reject_plan(settings, run_id)
        return
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        _waiting(session, run_id)

    def carry_out() -> None:
        try:
            approve_plan(settings, run_id)
        except Exception as error:  # noqa: BLE001 - logged; the runs say what happened
            log.warning("plan_approval_failed", plan_run_id=run_id, error=str(error))

    threading.Thread(target=carry_out, name=f"plm-sync-approve-{run_id}", daemon=True).start()
