"""One product line into one Commerce hub: its workbook (plans), then its prices.

For each line: refuse it when the last sync left it in error or held; send nothing when the
hub holds its catalog as it is; check the product in PLM (`appDetails`), write an intent,
export the workbook in memory, `parseConfig`; with a dry run stop there and say what PLM
would change; else `applyConfig` the parse answer unchanged and poll the PLM task until it is
done or the task timeout, then record the push for this hub and close the intent. An open
intent found (an earlier push cut off) is resumed from PLM's state, never sent blindly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from plm_sync.commerce.client import CommerceClient
from plm_sync.config import Settings
from plm_sync.delivery.hub_view import hub_view, would_apply
from plm_sync.delivery.line_digests import catalog_key, line_content_hash, pushed_as
from plm_sync.delivery.price_rows import price_digest
from plm_sync.delivery.price_rows import prices_due as prices_due_on_hub
from plm_sync.delivery.prices import PricePusher
from plm_sync.delivery.promotion import Promotion, held_event
from plm_sync.delivery.request import PRICES_NONE, PRICES_ONLY, PushRequest, PushTally
from plm_sync.delivery.workbook_push import Delivery, EarlierRunningError, WorkbookPush
from plm_sync.domain.events import (
    NO_LINE,
    NOT_CLEAN,
    NOT_INSTALLED,
    NOT_PUSHED,
    PARSE_FAILED,
    PLAN_STALE,
    PLANNED,
    PUSH_FAILED,
    TASK_TIMEOUT,
    UNCHANGED,
    UNKNOWN_OUTCOME,
    UPDATE_AVAILABLE,
    UPGRADED,
    Event,
    Level,
)
from plm_sync.errors import (
    CommerceAuthError,
    CommerceError,
    CommerceRefusedError,
    CommerceServiceError,
    CommerceUnknownOutcomeError,
    UsageError,
)
from plm_sync.mappings import load_plm_rules, load_pricing_rules
from plm_sync.mappings.sharing import load_sharing_rules
from plm_sync.runs.runlog import RunLog
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import unit_of_work
from plm_sync.store.plans import PlannedChange, PlanRepository
from plm_sync.store.prices import PriceRepository
from plm_sync.store.pushes import PushedLine, PushRepository

log = structlog.get_logger(__name__)


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
        self.workbooks = WorkbookPush(
            settings, runlog, client, self.rules, self.units, force=request.force
        )
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
        intent = None if dry else self.workbooks.open(pushed.line_id, content)
        earlier_ok: bool | None = None
        if intent is not None and intent.resumed is not None:
            try:
                earlier_ok = self.workbooks.wait_for_earlier(intent.resumed)
            except EarlierRunningError as error:
                events.append(Event(Level.ERROR, TASK_TIMEOUT, str(error), product_id))
                return
        parsed = self.workbooks.parse(line, intent)
        view = hub_view(self.client, product_id, parsed, events)
        if dry:
            would_apply(product_id, view, tally, events)
            self._prices(line, pushed.line_id, events)
            if self.request.plan:
                self._record_plan(line, content, workbook=not view.diff.equal, events=events)
            return
        assert intent is not None  # noqa: S101 - written above for every push that applies
        delivery = Delivery(
            product_id, pushed.line_id, content, intent, events, catalog_key(pushed, self.rules)
        )
        if intent.resumed is not None:
            why = self.workbooks.resume(delivery, view, earlier_ok)
            if why is None:  # PLM holds the line's content: nothing is sent again
                tally.updated += 1
                self._prices(line, pushed.line_id, events)
                return
        else:
            why = "forced (--force): sent though unchanged" if self.request.force else ""
        if self.workbooks.apply(delivery, parsed, view, why, tally):
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
