"""One product line into one Commerce hub: its workbook (plans), then its prices.

For each line: refuse it when the last sync left it in error or held; send nothing when the
hub holds its catalog as it is; check the product in PLM (`appDetails`), write an intent,
export the workbook in memory, `parseConfig`; with a dry run stop there and say what PLM
would change; else `applyConfig` the parse answer unchanged and poll the PLM task until it is
done or the task timeout, then record the push for this hub and close the intent. An open
intent found (an earlier push cut off) is resumed from PLM's state, never sent blindly.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import structlog

from plm_sync.commerce.answers import TaskResult, TaskState, plan_changes
from plm_sync.commerce.client import CommerceClient
from plm_sync.commerce.readback import ConfigDiff, PlanDiff, compare
from plm_sync.config import Settings
from plm_sync.delivery.prices import PricePusher, price_digest
from plm_sync.delivery.prices import prices_due as prices_due_on_hub
from plm_sync.delivery.promotion import Promotion, held_event
from plm_sync.delivery.request import PRICE_KEYS, PRICES_NONE, PRICES_ONLY, PushRequest, PushTally
from plm_sync.domain.digests import content_hash, legacy_hash
from plm_sync.domain.events import (
    APPLIED,
    CONVERGED,
    NO_LINE,
    NOT_AS_PUSHED,
    NOT_CLEAN,
    NOT_INSTALLED,
    NOT_PUSHED,
    PARSE_FAILED,
    PLAN_CHANGED,
    PLAN_NEW,
    PLAN_STALE,
    PLANNED,
    PUSH_FAILED,
    READBACK_PARTIAL,
    TASK_FAILED,
    TASK_TIMEOUT,
    UNCHANGED,
    UNKNOWN_OUTCOME,
    UPDATE_AVAILABLE,
    UPGRADED,
    WOULD_APPLY,
    Event,
    Level,
)
from plm_sync.domain.rules import PlmRules
from plm_sync.errors import (
    CommerceApiError,
    CommerceAuthError,
    CommerceError,
    CommerceRefusedError,
    CommerceServiceError,
    CommerceUnknownOutcomeError,
    UsageError,
)
from plm_sync.mappings import load_plm_rules, load_pricing_rules
from plm_sync.mappings.sharing import load_sharing_rules
from plm_sync.ppr.export import workbook_bytes
from plm_sync.runs.runlog import RunLog, utcnow
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import unit_of_work
from plm_sync.store.plans import PlannedChange, PlanRepository
from plm_sync.store.prices import PriceRepository
from plm_sync.store.pushes import (
    STEP_APPLYING,
    STEP_PARSED,
    Intent,
    PushedLine,
    PushRepository,
)

log = structlog.get_logger(__name__)

CLOCK_SKEW = 60.0  # seconds a hub's task-log clock may run behind this machine's
# what the comparison cannot see when the hub does not serve `downloadConfig`
UNREAD_WITHOUT_EXPORT = ("rates", "billing period", "sharing", "plan settings")


def line_content_hash(line: dict[str, Any], rules: PlmRules) -> str:
    """The digest of what a push of the line's workbook delivers: its catalog and rules.

    The line's prices are left out: they go through the price wizard, remembered per
    marketplace.
    """
    workbook = {key: value for key, value in line.items() if key not in PRICE_KEYS}
    return content_hash({"line": workbook, "rules": rules})


def catalog_key(pushed: PushedLine, rules: PlmRules) -> str | None:
    """One digest of what the line's workbook is built from, read with the line alone.

    Its catalog digest (all its rows), its own values and the PLM rules; None for a line
    stored before catalog digests were kept. Equal to the key a hub last received, the
    workbook is unchanged without building it.
    """
    if not pushed.catalog or pushed.catalog[0] is None:
        return None
    return content_hash({"catalog": list(pushed.catalog), "active": pushed.active, "rules": rules})


def pushed_as(line: dict[str, Any], rules: PlmRules, stored: PushedLine) -> str | None:
    """The line's digest when it is what was last pushed to the hub, else None.

    A digest stored in version 1 (before 0010: blake2b of a `repr`) is recognised too; the
    caller then keeps the current digest in its place.
    """
    content = line_content_hash(line, rules)
    if stored.pushed_hash == content:
        return content
    if stored.pushed_digest_version == 1 and stored.pushed_hash == legacy_hash(
        repr([json.dumps(line, sort_keys=True, default=str), repr(rules)])
    ):
        return content
    return None


@dataclass(frozen=True)
class _OpenIntent:
    """The intent a push works under: its id, and the earlier push's when it was found open."""

    id: int
    resumed: Intent | None


@dataclass(frozen=True)
class HubView:
    """The line compared with what the hub holds; `read_back`: PLM's export answered."""

    diff: ConfigDiff
    read_back: bool


class _EarlierRunningError(CommerceError):
    """An earlier push's PLM task is still running after the task timeout."""


@dataclass(frozen=True)
class _Delivery:
    """One line on its way to the hub: what is sent, under which intent, and its events."""

    product_id: str
    line_id: int
    content: str
    intent: _OpenIntent
    events: list[Event]
    catalog: str | None = None  # the line's catalog key (line_pusher.catalog_key)


@dataclass(frozen=True)
class PushPlan:
    """The lines a push sends, in product order, and those it leaves out."""

    wanted: list[str]
    unchanged: int  # lines of `--changed` whose catalog is what was last pushed
    missing: list[str]  # named lines the catalog does not hold (each has an error event)


class LinePusher:
    """Pushes the lines of one run, with one Commerce client and the workbook rules."""

    def __init__(
        self,
        settings: Settings,
        request: PushRequest,
        runlog: RunLog,
        client: CommerceClient,
    ) -> None:
        self.settings = settings
        self.request = request
        self.runlog = runlog
        self.client = client
        self.hub = client.hub
        self.rules = load_plm_rules(settings.mappings)
        self.units = load_sharing_rules(settings.mappings).units  # each set in the workbook
        self.prices: PricePusher | None = None
        self.promotion: Promotion | None = None
        if request.promote_from:
            self.promotion = Promotion(
                settings, request.promote_from, runlog, self.rules, self.units
            )
            if self.promotion.hub == self.hub:
                self.promotion.close()
                raise UsageError(
                    f"--promote-from names the hub pushed to ({self.hub}): promote from a "
                    "staging hub to another"
                )
        self.planned: dict[str, PlannedChange] = {}  # the plan being approved, by line
        if request.approving is not None:
            with unit_of_work(runlog.factory) as session:
                plan = PlanRepository(session).get(request.approving)
            self.planned = {line.product_id: line for line in plan.lines} if plan else {}
        if request.prices != PRICES_NONE:
            with unit_of_work(runlog.factory) as session:
                marketplaces = PriceRepository(session).marketplaces()
            self.prices = PricePusher(
                runlog,
                client,
                load_pricing_rules(settings.mappings),
                marketplaces,
                dry_run=request.dry_run,
                force=request.force,
                only=(
                    {mp for line in self.planned.values() for mp in line.prices}
                    if request.approving is not None
                    else None
                ),
            )

    def close(self) -> None:
        """Release what the pusher opened beside the run's client (the staging hub's)."""
        if self.promotion is not None:
            self.promotion.close()

    def plan(self) -> PushPlan:
        """The lines to push (in product order), and those left out as unchanged or missing.

        Credentials are checked first (a refusal fails the run, exit 2); a named line that is
        not in the catalog gets an error event.
        """
        self.client.check_credentials()
        with unit_of_work(self.runlog.factory) as session:
            adopted = PushRepository(session).adopt_unattributed(self.hub)
            if adopted:
                log.info("pushes_attributed_to_hub", lines=adopted, hub=self.hub)
            stored = PushRepository(session).lines(self.hub, self.request.product_ids)
            found = {line.connect_product_id for line in stored}
            missing = sorted(set(self.request.product_ids) - found)
            self.runlog.write(
                session,
                [
                    Event(
                        Level.ERROR,
                        NO_LINE,
                        f"no product line {product_id} in the catalog: run `plm-sync import "
                        f"{product_id}` first; nothing was pushed for it",
                        product_id,
                    )
                    for product_id in missing
                ],
            )
            if not self.request.changed or self.request.force:
                return PushPlan([line.connect_product_id for line in stored], 0, missing)
            catalog = CatalogRepository(session)
            pushes = PushRepository(session)
            memory = pushes.price_memory(self.hub, [line.line_id for line in stored])
            wanted, unchanged = [], 0
            for line in stored:
                key = catalog_key(line, self.rules)
                held = self.request.prices == PRICES_ONLY or (
                    key is not None and line.pushed_catalog == key
                )
                if held and (self.prices is None or not line.priced):
                    unchanged += 1  # nothing built: the hub holds what the line is made of
                    continue
                lines = catalog.catalog((line.connect_product_id,))["product_lines"]
                content = pushed_as(lines[0], self.rules, line) if lines else None
                prices_due = (
                    bool(lines)
                    and self.prices is not None
                    and prices_due_on_hub(lines[0], memory.get(line.line_id, {}))
                )
                workbook_due = content is None and self.request.prices != PRICES_ONLY
                if workbook_due or prices_due:
                    wanted.append(line.connect_product_id)
                    continue
                unchanged += 1
                if content is not None and (
                    line.pushed_hash != content or key != line.pushed_catalog
                ):
                    pushes.upgrade_digest(line.line_id, self.hub, content, key)
            return PushPlan(wanted, unchanged, missing)

    def unplanned(self, plan: PushPlan) -> PushTally:
        """The tally of the lines a plan leaves out (unchanged, or not in the catalog)."""
        return PushTally(
            products=plan.unchanged + len(plan.missing),
            unchanged=plan.unchanged,
            errors=len(plan.missing),
            retries=self.client.retries,  # the credentials check's and the lookups'
            seen=list(plan.missing),
        )

    def push(self, product_id: str) -> PushTally:
        """Push one line; its events are recorded, replacing any of an earlier attempt."""
        tally = PushTally(products=1, seen=[product_id])
        events: list[Event] = []
        retries_before = self.client.retries  # one client may push several lines
        try:
            self._push(product_id, tally, events)
        except (CommerceAuthError, CommerceServiceError):
            raise  # the hub as a whole refuses: the run fails
        except CommerceUnknownOutcomeError as error:
            events.append(Event(Level.ERROR, UNKNOWN_OUTCOME, str(error), product_id))
        except CommerceRefusedError as error:
            events.append(
                Event(
                    Level.ERROR,
                    PARSE_FAILED,
                    f"{error}; fix the product line (or plm.yaml) and push again",
                    product_id,
                )
            )
        except CommerceError as error:
            events.append(Event(Level.ERROR, PUSH_FAILED, f"{error}", product_id))
        tally.errors += sum(1 for event in events if event.level is Level.ERROR)
        tally.retries = self.client.retries - retries_before
        self.runlog.record(events, product_id)
        self.runlog.heartbeat()
        return tally

    def _line(self, product_id: str) -> tuple[dict[str, Any] | None, PushedLine | None, list[str]]:
        """The line's catalog, its push state, and the errors its last sync left."""
        with unit_of_work(self.runlog.factory) as session:
            repository = PushRepository(session)
            stored = repository.lines(self.hub, (product_id,))
            lines = CatalogRepository(session).catalog((product_id,))["product_lines"]
            verdict = repository.verdicts((product_id,)).get(product_id)
        problems = []
        if verdict is not None and verdict.codes:
            problems.append(
                f"the last sync that read {product_id} (run {verdict.run_id}) left it with "
                f"errors ({', '.join(verdict.codes)}); fix them and sync it again "
                f"(`plm-sync report {verdict.run_id}` lists them; `plm-sync sync --product "
                f"{product_id}`), then push; nothing was sent"
            )
        return (lines[0] if lines else None), (stored[0] if stored else None), problems

    def _push(self, product_id: str, tally: PushTally, events: list[Event]) -> None:
        line, pushed, problems = self._line(product_id)
        if line is None or pushed is None:
            events.append(
                Event(
                    Level.ERROR, NO_LINE, f"no product line {product_id} in the catalog", product_id
                )
            )
            return
        if problems:
            events += [Event(Level.ERROR, NOT_CLEAN, text, product_id) for text in problems]
            return
        content = line_content_hash(line, self.rules)
        if self.promotion is not None:
            why = self.promotion.held(line, content, prices=self.prices is not None)
            if why is not None:
                events.append(held_event(product_id, self.promotion.hub, why))
                return
        planned = self.planned.get(product_id)  # only while approving a plan
        if self.request.approving is not None and not self._as_planned(
            line, content, planned, events
        ):
            return
        prices_alone = self.request.prices == PRICES_ONLY or (
            planned is not None and not planned.workbook  # the plan showed no plan change
        )
        if prices_alone or self._held(line, pushed, content):
            self._prices_alone(line, pushed, content, tally, events)
            return
        if self._ready(product_id, events):
            self._deliver(line, pushed, content, tally, events)

    def _as_planned(
        self,
        line: dict[str, Any],
        content: str,
        planned: PlannedChange | None,
        events: list[Event],
    ) -> bool:
        """Whether the line is as the plan being approved saw it; else `commerce_plan_stale`."""
        product_id = str(line["connect_product_id"])
        plan_id = self.request.approving
        changed = []
        if planned is None:
            changed.append("it is not in the plan")
        else:
            if planned.content != content:
                changed.append("its plans, rates or sharing")
            changed += [
                f"its prices in {marketplace_id}"
                for marketplace_id, entry in sorted(planned.prices.items())
                if price_digest(line, marketplace_id) != entry.get("digest")
            ]
        if not changed:
            return True
        events.append(
            Event(
                Level.ERROR,
                PLAN_STALE,
                f"the catalog of {product_id} changed since plan {plan_id} was made "
                f"({', '.join(changed)}): not sent, nobody saw this change; make a new plan "
                f"(`plm-sync push {product_id} --plan`) and approve that one",
                product_id,
            )
        )
        return False

    def _record_plan(
        self, line: dict[str, Any], content: str, *, workbook: bool, events: list[Event]
    ) -> None:
        """A plan's line: what it would change, kept for approval (nothing when nothing)."""
        proposed = dict(self.prices.proposed) if self.prices is not None else {}
        if not workbook and not proposed:
            return
        product_id = str(line["connect_product_id"])
        change = PlannedChange(
            product_id,
            content,
            workbook,
            {
                marketplace_id: {"digest": price_digest(line, marketplace_id), "changes": count}
                for marketplace_id, count in sorted(proposed.items())
            },
        )
        with unit_of_work(self.runlog.factory) as session:
            PlanRepository(session).add_line(self.runlog.run_id, change)
        prices = ", ".join(f"{mp}: {n} row(s)" for mp, n in sorted(proposed.items()))
        events.append(
            Event(
                Level.INFO,
                PLANNED,
                f"plan {self.runlog.run_id}: {product_id} would change"
                + (" its plans in PLM" if workbook else "")
                + (" and" if workbook and proposed else "")
                + (f" its prices ({prices})" if proposed else "")
                + f"; `plm-sync approve {self.runlog.run_id}` applies it",
                product_id,
            )
        )

    def _deliver(
        self,
        line: dict[str, Any],
        pushed: PushedLine,
        content: str,
        tally: PushTally,
        events: list[Event],
    ) -> None:
        """The workbook of a line PLM has installed: parse, compare, apply or converge."""
        product_id = pushed.connect_product_id
        dry = self.request.dry_run
        # an earlier push cut off on its way (a crash, a lost answer), or this one, from now
        intent = None if dry else self._intent(pushed.line_id, content)
        earlier_ok: bool | None = None
        if intent is not None and intent.resumed is not None:
            try:
                earlier_ok = self._wait_for_earlier(intent.resumed)
            except _EarlierRunningError as error:
                events.append(Event(Level.ERROR, TASK_TIMEOUT, str(error), product_id))
                return
        parsed = self._parse(line, intent)
        view = hub_view(self.client, product_id, parsed, events)
        if dry:
            _would_apply(product_id, view, tally, events)
            self._prices(line, pushed.line_id, events)
            if self.request.plan:
                self._record_plan(line, content, workbook=not view.diff.equal, events=events)
            return
        assert intent is not None  # noqa: S101 - written above for every push that applies
        delivery = _Delivery(
            product_id, pushed.line_id, content, intent, events, catalog_key(pushed, self.rules)
        )
        if intent.resumed is not None:
            why = self._resume(delivery, view, earlier_ok)
            if why is None:  # PLM holds the line's content: nothing is sent again
                tally.updated += 1
                self._prices(line, pushed.line_id, events)
                return
        else:
            why = "forced (--force): sent though unchanged" if self.request.force else ""
        if self._apply(delivery, parsed, view, why, tally):
            self._prices(line, pushed.line_id, events)  # PLM has the plans the prices are of

    def _prices_alone(
        self,
        line: dict[str, Any],
        pushed: PushedLine,
        content: str,
        tally: PushTally,
        events: list[Event],
    ) -> None:
        """A line whose workbook the hub holds (or --prices-only): its prices, if any due."""
        product_id = pushed.connect_product_id
        if pushed.pushed_hash is None:  # --prices-only of a line the hub never received
            events.append(
                Event(
                    Level.ERROR,
                    NOT_PUSHED,
                    f"{product_id} was never pushed to this hub: PLM would refuse prices of "
                    "plans it does not have; push the line first (without --prices-only)",
                    product_id,
                )
            )
            return
        errors = sum(1 for event in events if event.level is Level.ERROR)
        if self._prices(line, pushed.line_id, events):
            tally.updated += 1
            if self.request.plan:
                self._record_plan(line, content, workbook=False, events=events)
            return
        if sum(1 for event in events if event.level is Level.ERROR) > errors:
            return  # a price the hub still sells, or one not set: never "unchanged"
        tally.unchanged += 1
        events.append(
            Event(
                Level.INFO,
                UNCHANGED,
                f"{product_id} is as it was last pushed to this hub; nothing was sent",
                product_id,
            )
        )

    def _prices(self, line: dict[str, Any], line_id: int, events: list[Event]) -> int:
        """The line's prices per marketplace, unless --no-prices; how many were sent."""
        if self.prices is None:
            return 0
        return self.prices.push(line, line_id, events)

    def _held(self, line: dict[str, Any], pushed: PushedLine, content: str) -> bool:
        """Whether this hub holds the line as it is (never, with --force).

        A digest of an older version that matches is rewritten in the current one.
        """
        if self.request.force or pushed_as(line, self.rules, pushed) is None:
            return False
        key = catalog_key(pushed, self.rules)
        if pushed.pushed_hash != content or pushed.pushed_catalog != key:
            with unit_of_work(self.runlog.factory) as session:
                PushRepository(session).upgrade_digest(pushed.line_id, self.hub, content, key)
        return True

    def _intent(self, line_id: int, content: str) -> _OpenIntent:
        """The line's open intent to this hub (an earlier push cut off), else a new one.

        Written in its own transaction before anything is sent, so a crash from here on
        leaves it open for the next push to find.
        """
        with unit_of_work(self.runlog.factory) as session:
            pushes = PushRepository(session)
            found = pushes.open_intent(line_id, self.hub)
            if found is not None:
                return _OpenIntent(found.id, found)
            ident = pushes.write_intent(
                line_id, self.hub, content, run_id=self.runlog.run_id, now=utcnow()
            )
        return _OpenIntent(ident, None)

    def _resume(self, delivery: _Delivery, view: HubView, earlier_ok: bool | None) -> str | None:
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
            self._delivered(delivery, earlier.tracking_id, "converged")
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
                        if self.request.force
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

    def _delivered(self, delivery: _Delivery, task_id: str | None, outcome: str) -> None:
        """The hub holds the line: remember it for this hub and close the intent, at once."""
        with unit_of_work(self.runlog.factory) as session:
            pushes = PushRepository(session)
            pushes.record(
                delivery.line_id,
                self.hub,
                content=delivery.content,
                task_id=task_id,
                run_id=self.runlog.run_id,
                now=utcnow(),
                catalog=delivery.catalog,
            )
            pushes.close_intent(delivery.intent.id, outcome, utcnow())

    def _parse(self, line: dict[str, Any], intent: _OpenIntent | None) -> dict[str, Any]:
        """PLM's parse of the line's workbook (its live plans with it).

        A workbook PLM refuses closes the intent: nothing was applied.
        """
        try:
            parsed = self.client.parse_config(workbook_bytes(line, self.rules, units=self.units))
        except CommerceRefusedError:
            if intent is not None:
                self._close_intent(intent.id, "refused")
            raise
        if intent is not None and (intent.resumed is None or intent.resumed.applied_nothing):
            self._step(intent.id, STEP_PARSED)
        return parsed

    def _step(self, intent_id: int, step: str, content: str | None = None) -> None:
        """Write the step the push is about to take, committed before it is taken."""
        with unit_of_work(self.runlog.factory) as session:
            PushRepository(session).intent_step(intent_id, step, utcnow(), content=content)

    def _close_intent(self, intent_id: int, outcome: str) -> None:
        with unit_of_work(self.runlog.factory) as session:
            PushRepository(session).close_intent(intent_id, outcome, utcnow())

    def _wait(self, tracking: str) -> TaskResult:
        """Poll a PLM task until it is done or the task timeout (its last state)."""
        return self.client.wait_for_task(
            tracking,
            poll_seconds=self.settings.commerce_poll_seconds,
            timeout=self.settings.commerce_task_timeout,
            on_poll=lambda _: self.runlog.heartbeat(),
        )

    def _wait_for_earlier(self, earlier: Intent) -> bool | None:
        """Wait for the applies an earlier, cut-off push may have started: did one succeed.

        None when it was cut off before its `applyConfig` could leave. With its task known:
        that task. Without (the answer was lost): the `applyConfig` tasks the task log shows
        started since its `applying` step (less `CLOCK_SKEW`); False when there is none.
        Still running after the task timeout: `_EarlierRunningError`, nothing is sent.
        """
        if earlier.applied_nothing:
            return None
        if earlier.tracking_id is not None:
            result = self.client.task(earlier.tracking_id)
            if not result.state.finished:
                result = self._wait(earlier.tracking_id)
            if not result.state.finished:
                raise _EarlierRunningError(self._still_running(earlier, earlier.tracking_id))
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
                raise _EarlierRunningError(self._still_running(earlier, None))
            self.runlog.heartbeat()
            time.sleep(self.settings.commerce_poll_seconds)

    def _still_running(self, earlier: Intent, tracking: str | None) -> str:
        task = f"its PLM task (request {tracking})" if tracking else "an apply it may have started"
        return (
            f"an earlier push (run {earlier.run_id}) was cut off and {task} was still running "
            f"after {self.settings.commerce_task_timeout:.0f} s "
            "(PLM_SYNC_COMMERCE_TASK_TIMEOUT); nothing was sent: push again once it ended"
        )

    def _apply(
        self,
        delivery: _Delivery,
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
        self._step(intent_id, STEP_APPLYING, delivery.content)
        try:
            tracking = self.client.apply_config(parsed)
        except CommerceUnknownOutcomeError:
            raise  # PLM may have taken it: the intent stays open, the next push reads PLM
        except CommerceError:
            self._close_intent(intent_id, "not_taken")  # refused or never sent: nothing applied
            raise
        with unit_of_work(self.runlog.factory) as session:
            PushRepository(session).intent_sent(intent_id, tracking)
        self.runlog.heartbeat(force=True)
        result = self._wait(tracking)
        if result.state is TaskState.SUCCEEDED:
            events += _plan_events(product_id, view.diff)
            after = hub_view(self.client, product_id, parsed, events) if view.read_back else None
            if after is not None and not after.diff.equal:
                self._close_intent(intent_id, "not_as_pushed")
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
            self._delivered(delivery, result.task_id or tracking, "applied")
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
            self._close_intent(intent_id, "failed")
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

    def _ready(self, product_id: str, events: list[Event]) -> bool:
        """Whether PLM has the product installed (upgraded first when asked and needed)."""
        details = self.client.app_details(product_id)
        if details is None or not details.installed:
            state = "is not known to" if details is None else "is not installed in"
            if details is not None and details.importing:
                state = "is still being imported into"
            events.append(
                Event(
                    Level.ERROR,
                    NOT_INSTALLED,
                    f"{product_id} {state} Commerce PLM on this hub: import it first (in the "
                    "provider control panel, the Connect product's import, or the Connect "
                    "extension's deployment), then push again; nothing was sent",
                    product_id,
                )
            )
            return False
        if details.update_available:
            if self.request.upgrade_product and not self.request.dry_run:
                self.client.upgrade(product_id)
                events.append(
                    Event(
                        Level.INFO,
                        UPGRADED,
                        f"{product_id} was upgraded in PLM to its latest Connect version",
                        product_id,
                    )
                )
            else:
                events.append(
                    Event(
                        Level.WARNING,
                        UPDATE_AVAILABLE,
                        f"PLM has an update of {product_id} (installed version "
                        f"{details.version}); `plm-sync push {product_id} --upgrade-product` "
                        "upgrades it before the push",
                        product_id,
                    )
                )
        return True


def hub_view(
    client: CommerceClient, product_id: str, parsed: dict[str, Any], events: list[Event]
) -> HubView:
    """The line's parse compared with the hub's configuration, read back.

    PLM's export (`downloadConfig`) shows plans with their settings, periods, rates and
    sharing. A hub that does not serve it (an HTTP error naming no task) is compared by
    its live plans in the parse answer (names, descriptions, publication, periods), with
    a warning naming what could not be read back.
    """
    try:
        held = client.download_config(product_id, parsed.get("serviceTemplateId"))
    except (CommerceApiError, CommerceRefusedError) as error:
        if not any(event.code == READBACK_PARTIAL for event in events):
            events.append(
                Event(
                    Level.WARNING,
                    READBACK_PARTIAL,
                    f"PLM's export of {product_id} (downloadConfig) could not be read "
                    f"({error}): compared by PLM's live plans only; not read back: "
                    f"{', '.join(UNREAD_WITHOUT_EXPORT)}",
                    product_id,
                )
            )
        changes = plan_changes(parsed)
        diff = ConfigDiff(
            new=changes.new,
            changed=[
                PlanDiff(name, ("description, publication or periods",)) for name in changes.changed
            ],
            unchanged=changes.unchanged,
            unread=UNREAD_WITHOUT_EXPORT,
        )
        return HubView(diff, read_back=False)
    return HubView(compare(parsed.get("excelConfig"), held), read_back=True)


def _would_apply(product_id: str, view: HubView, tally: PushTally, events: list[Event]) -> None:
    """A dry run's verdict on a line: what PLM would change; nothing is sent."""
    diff = view.diff
    if diff.equal:
        tally.unchanged += 1
    else:
        tally.updated += 1
    events += _plan_events(product_id, diff)
    unread = f"; not read back: {', '.join(diff.unread)}" if diff.unread else ""
    events.append(
        Event(
            Level.INFO,
            WOULD_APPLY,
            f"PLM would apply the workbook of {product_id}: plans {diff.summary()} "
            f"(dry run: nothing was applied{unread})",
            product_id,
        )
    )


def _plan_events(product_id: str, diff: ConfigDiff) -> list[Event]:
    return [
        Event(Level.INFO, PLAN_NEW, f"plan {name} is new in PLM", product_id, subject=name)
        for name in diff.new
    ] + [
        Event(
            Level.INFO,
            PLAN_CHANGED,
            f"plan {plan.name} changes in PLM: {'; '.join(plan.fields[:12])}"
            + (f"; and {len(plan.fields) - 12} more" if len(plan.fields) > 12 else ""),  # noqa: PLR2004
            product_id,
            subject=plan.name,
        )
        for plan in diff.changed
    ]
