"""A line's workbook into PLM under an intent: parse, compare, apply, wait, verify, record.

The intent is written before anything is sent and its `applying` step just before
`applyConfig` leaves, so a push cut off anywhere is found open by the next one: resumed from
PLM's state (the earlier apply's task waited for, the hub read back), never sent blindly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from plm_sync.commerce.answers import TaskResult, TaskState
from plm_sync.commerce.client import CommerceClient
from plm_sync.config import Settings
from plm_sync.delivery import intents
from plm_sync.delivery.hub_view import HubView, hub_view, plan_events
from plm_sync.delivery.intents import IntentLog, OpenIntent
from plm_sync.delivery.request import PushTally
from plm_sync.domain.events import (
    APPLIED,
    CONVERGED,
    NOT_AS_PUSHED,
    TASK_FAILED,
    TASK_TIMEOUT,
    Event,
    Level,
)
from plm_sync.domain.rules import PlmRules
from plm_sync.errors import CommerceError, CommerceRefusedError, CommerceUnknownOutcomeError
from plm_sync.ppr.export import workbook_bytes
from plm_sync.runs.runlog import RunLog, utcnow
from plm_sync.store.pushes import STEP_APPLYING, STEP_PARSED, Intent

CLOCK_SKEW = 60.0  # seconds a hub's task-log clock may run behind this machine's


class EarlierRunningError(CommerceError):
    """An earlier push's PLM task is still running after the task timeout."""


@dataclass(frozen=True)
class Delivery:
    """One line on its way to the hub: what is sent, under which intent, and its events."""

    product_id: str
    line_id: int
    content: str
    intent: OpenIntent
    events: list[Event]
    catalog: str | None = None  # the line's catalog key (line_digests.catalog_key)


class WorkbookPush:
    """Delivers line workbooks to one hub, each under its intent (one client, the rules)."""

    def __init__(
        self,
        settings: Settings,
        runlog: RunLog,
        client: CommerceClient,
        rules: PlmRules,
        units: tuple[str, ...],
        *,
        force: bool,
    ) -> None:
        self.settings = settings
        self.runlog = runlog
        self.client = client
        self.hub = client.hub
        self.rules = rules
        self.units = units
        self.force = force
        self.intents = IntentLog(runlog.factory, client.hub, runlog.run_id, utcnow)

    def open(self, line_id: int, content: str) -> OpenIntent:
        """The line's open intent to this hub (an earlier push cut off), else a new one.

        Written in its own transaction before anything is sent, so a crash from here on
        leaves it open for the next push to find.
        """
        return self.intents.open(line_id, content)

    def resume(self, delivery: Delivery, view: HubView, earlier_ok: bool | None) -> str | None:
        """After a push cut off: why the line is applied now, None when PLM holds it.

        Cut off before its `applyConfig` could leave (`opened`, `parsed`): nothing reached
        PLM, applied without doubt. Cut off after (`applying`, `task`): the earlier apply's
        tasks were waited for; PLM holds the line when it is what the earlier push sent and
        the hub read back equals it (without PLM's export: when the earlier task succeeded).
        Held: recorded as pushed, the intent closed `converged`.
        """
        product_id, intent = delivery.product_id, delivery.intent
        earlier = intent.resumed
        assert earlier is not None  # noqa: S101 - only for an intent found open
        cut = f"an earlier push of {product_id} (run {earlier.run_id}) was cut off"
        if earlier.applied_nothing:
            return (
                f"{cut} {'before' if earlier.reached == 'opened' else 'after'} PLM's parse, "
                "before its applyConfig was sent: nothing of it reached PLM; applied now"
            )
        same = earlier.content_hash == delivery.content
        held = view.diff.equal if view.read_back else bool(earlier_ok)
        if same and held:
            self.delivered(delivery, earlier.tracking_id, intents.CONVERGED)
            proof = (
                "the hub's configuration, read back, is the line's"
                if view.read_back
                else "its PLM task succeeded (the hub does not serve its export)"
            )
            delivery.events.append(
                Event(
                    Level.INFO,
                    CONVERGED,
                    f"{cut} before its outcome was kept; {proof}: recorded as pushed, nothing "
                    "was sent again"
                    + (
                        " (--force: the open push was finished from PLM's state instead of "
                        "applying the same plans twice)"
                        if self.force
                        else ""
                    ),
                    product_id,
                )
            )
            return None
        if not same:
            return f"{cut}; the line changed since: applied as it is now"
        task = (
            f"its PLM task {earlier.tracking_id}"
            if earlier.tracking_id
            else "the applies the task log shows since it was sent"
        )
        if not view.read_back:
            return f"{cut} and {task} did not apply it: applied again"
        return (
            f"{cut}; the hub's configuration read back is not the line's "
            f"({view.diff.summary()}; {task} {'succeeded' if earlier_ok else 'did not apply it'})"
            ": applied again"
        )

    def delivered(self, delivery: Delivery, task_id: str | None, outcome: str) -> None:
        """The hub holds the line: remember it for this hub and close the intent, at once."""
        self.intents.received(
            delivery.intent.id,
            outcome,
            lambda pushes: pushes.record(
                delivery.line_id,
                self.hub,
                content=delivery.content,
                task_id=task_id,
                run_id=self.runlog.run_id,
                now=utcnow(),
                catalog=delivery.catalog,
            ),
        )

    def parse(self, line: dict[str, Any], intent: OpenIntent | None) -> dict[str, Any]:
        """PLM's parse of the line's workbook (its live plans with it).

        A workbook PLM refuses closes the intent: nothing was applied.
        """
        try:
            parsed = self.client.parse_config(workbook_bytes(line, self.rules, units=self.units))
        except CommerceRefusedError:
            if intent is not None:
                self.intents.close(intent.id, intents.REFUSED)
            raise
        if intent is not None and (intent.resumed is None or intent.resumed.applied_nothing):
            self.intents.step(intent.id, STEP_PARSED)
        return parsed

    def wait(self, tracking: str) -> TaskResult:
        """Poll a PLM task until it is done or the task timeout (its last state)."""
        return self.client.wait_for_task(
            tracking,
            poll_seconds=self.settings.commerce_poll_seconds,
            timeout=self.settings.commerce_task_timeout,
            on_poll=lambda _: self.runlog.heartbeat(),
        )

    def wait_for_earlier(self, earlier: Intent) -> bool | None:
        """Wait for the applies an earlier, cut-off push may have started: did one succeed.

        None when it was cut off before its `applyConfig` could leave. With its task known:
        that task. Without (the answer was lost): the `applyConfig` tasks the task log shows
        started since its `applying` step (less `CLOCK_SKEW`); False when there is none.
        Still running after the task timeout: `EarlierRunningError`, nothing is sent.
        """
        if earlier.applied_nothing:
            return None
        if earlier.tracking_id is not None:
            result = self.client.task(earlier.tracking_id)
            if not result.state.finished:
                result = self.wait(earlier.tracking_id)
            if not result.state.finished:
                raise EarlierRunningError(self.still_running(earlier, earlier.tracking_id))
            return result.state is TaskState.SUCCEEDED
        since = (earlier.step_at or earlier.opened_at).timestamp() - CLOCK_SKEW
        deadline = time.monotonic() + self.settings.commerce_task_timeout
        while True:
            mine = [
                task
                for task in self.client.applies()
                if task.started_at is None or task.started_at >= since
            ]
            if all(task.state.finished for task in mine):
                return any(task.state is TaskState.SUCCEEDED for task in mine)
            if time.monotonic() >= deadline:
                raise EarlierRunningError(self.still_running(earlier, None))
            self.runlog.heartbeat()
            time.sleep(self.settings.commerce_poll_seconds)

    def still_running(self, earlier: Intent, tracking: str | None) -> str:
        """Why nothing is sent while an earlier push's task runs on."""
        task = f"its PLM task (request {tracking})" if tracking else "an apply it may have started"
        return (
            f"an earlier push (run {earlier.run_id}) was cut off and {task} was still running "
            f"after {self.settings.commerce_task_timeout:.0f} s "
            "(PLM_SYNC_COMMERCE_TASK_TIMEOUT); nothing was sent: push again once it ended"
        )

    def apply(
        self,
        delivery: Delivery,
        parsed: dict[str, Any],
        view: HubView,
        why: str,
        tally: PushTally,
    ) -> bool:
        """Send the parse answer, keep its task on the intent, wait, verify, record.

        The intent's `applying` step is written just before `applyConfig` leaves. True when
        PLM applied it and the hub, read back, holds the line.
        """
        product_id, events, intent_id = delivery.product_id, delivery.events, delivery.intent.id
        self.intents.step(intent_id, STEP_APPLYING, delivery.content)
        try:
            tracking = self.client.apply_config(parsed)
        except CommerceUnknownOutcomeError:
            raise  # PLM may have taken it: the intent stays open, the next push reads PLM
        except CommerceError:
            # refused or never sent: nothing applied
            self.intents.close(intent_id, intents.NOT_TAKEN)
            raise
        self.intents.sent(intent_id, tracking)
        self.runlog.heartbeat(force=True)
        result = self.wait(tracking)
        if result.state is TaskState.SUCCEEDED:
            events += plan_events(product_id, view.diff)
            after = hub_view(self.client, product_id, parsed, events) if view.read_back else None
            if after is not None and not after.diff.equal:
                self.intents.close(intent_id, intents.NOT_AS_PUSHED)
                events.append(
                    Event(
                        Level.ERROR,
                        NOT_AS_PUSHED,
                        f"PLM applied the workbook of {product_id} (task {result.task_id}, "
                        f"request {tracking}), but the hub read back is not the line's: "
                        f"{after.diff.summary()}"
                        + (f": {after.diff.details()}" if after.diff.changed else "")
                        + "; not recorded as pushed (the next push sends it again): see README "
                        "'Reading Commerce back' for the differences a hub is known to make",
                        product_id,
                    )
                )
                return False
            self.delivered(delivery, result.task_id or tracking, intents.APPLIED)
            tally.updated += 1
            events.append(
                Event(
                    Level.INFO,
                    APPLIED,
                    f"PLM applied the workbook of {product_id} (task {result.task_id}, request "
                    f"{tracking}): plans {view.diff.summary()}"
                    + (", read back as pushed" if after is not None else "")
                    + (f" ({why})" if why else ""),
                    product_id,
                )
            )
            return True
        if result.state.finished:
            self.intents.close(intent_id, intents.FAILED)
            output = result.output or "(the task log shows no output)"
            shown = "failed" if result.state is TaskState.FAILED else "ended in an unknown state"
            events.append(
                Event(
                    Level.ERROR,
                    TASK_FAILED,
                    f"the PLM task {result.task_id} (request {tracking}) {shown}: {output}",
                    product_id,
                )
            )
        else:  # still running: the intent stays open, the next push waits for the task
            events.append(
                Event(
                    Level.ERROR,
                    TASK_TIMEOUT,
                    f"the PLM task of request {tracking} was still "
                    f"{'running' if result.state is TaskState.RUNNING else 'not started'} after "
                    f"{self.settings.commerce_task_timeout:.0f} s "
                    "(PLM_SYNC_COMMERCE_TASK_TIMEOUT); the next push of the line waits for it "
                    "and applies nothing twice",
                    product_id,
                )
            )
        return False
