"""One sync run's lifecycle: list -> fetch ahead -> compute -> write in batches -> reconcile.

The walk of one product: its items are fetched ahead (`extract`), its line is computed
(`compute`: grouped, shared, flattened into rows) unless its stored state (`states`) says it
is current, and handed to the batch writer (`load`: diffed against the stored rows by `diff`
and written with the other lines of its batch, all or nothing per line). The run's record,
events and close go through the run lifecycle (`runlog`); lines that would deactivate plans
wait for the deactivation brake, which judges the run as a whole.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, wait
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings
from plm_sync.connect.client import ConnectClient
from plm_sync.connect.prefetch import prefetched
from plm_sync.domain import events as codes
from plm_sync.domain.events import Event, Level
from plm_sync.domain.moments import parse_moment
from plm_sync.domain.offers import SourceOffer
from plm_sync.domain.operator_rules import OperatorRules
from plm_sync.domain.overrides import Override
from plm_sync.domain.sharing import Listings
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.errors import (
    ConnectAuthError,
    PlmSyncError,
    RunFailedError,
)
from plm_sync.mappings import load_rules
from plm_sync.runs.runlog import (
    RunLog,
    RunOutcome,
    describe_failure,
    run_failed_error,
    utcnow,
)
from plm_sync.store.catalog import LineState
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.sync.closing import closing
from plm_sync.sync.compute import BuiltLine, LineBuilder
from plm_sync.sync.deactivation import DeactivationBrake, deactivate_unseen
from plm_sync.sync.diff import LineResult, Outcome
from plm_sync.sync.extract import Extract, connect_client
from plm_sync.sync.load import FLUSH_SECONDS, LineBatches
from plm_sync.sync.prices import PriceStage
from plm_sync.sync.request import SyncRequest
from plm_sync.sync.states import LineStates
from plm_sync.sync.tally import Progress, Tally

log = structlog.get_logger(__name__)

__all__ = ["RunOutcome", "SyncRequest", "SyncRun", "run_sync"]


class SyncRun:
    """Carries one sync run through its stages: what it read, found and counted."""

    def __init__(
        self,
        settings: Settings,
        request: SyncRequest,
        *,
        rules: OperatorRules,
        runlog: RunLog,
        client: ConnectClient | None,
        progress: Progress | None = None,
    ) -> None:
        self.settings = settings
        self.request = request
        self.rules = rules
        self.runlog = runlog
        self.run_id = runlog.run_id
        self.factory = runlog.factory
        self.clock = runlog.clock
        self.progress = progress
        self.tally = Tally()
        self.step = "starting"
        self.extract = Extract(
            settings,
            request,
            runlog,
            self.tally,
            client=client,
            line_failed=self.line_failed,
            on_step=self._at,
        )
        # lines whose new state deactivates plans, held until the run's total is known
        self.brake = DeactivationBrake(settings, runlog, dry_run=request.dry_run)
        # what the run knows of the stored lines (read at the start of a run in one
        # process; a product task reads those of its products): see sync.states
        self.states = LineStates.unknown()
        self.builder = LineBuilder(rules)
        self.batches = LineBatches(
            runlog,
            self._line_done,
            dry_run=request.dry_run,
            replace_events=True,
            brake=runlog.deactivation_limit is not None,
            from_listings=rules.sharing.from_listings,
            max_lines=settings.batch_lines,
            max_rows=settings.batch_rows,
        )
        self.prices = PriceStage(
            settings,
            rules.pricing,
            runlog,
            lambda: self.extract.client,
            dry_run=request.dry_run,
            brake=not request.allow_price_changes,
            scope=request.product_ids or None,
            held=self.tally.price_held,
        )

    def _at(self, step: str) -> None:
        self.step = step

    @property
    def incremental(self) -> bool:
        """An incremental run: every published product listed, the changed ones synced."""
        return self.extract.incremental

    def list_products(self) -> Iterator[SourceProduct]:
        """The Connect products to sync (`Extract.products`, against the states read ahead)."""
        return self.extract.products(self.states)

    def close_client(self) -> None:
        """Release what the run holds: its batch writer's thread, the client it built."""
        self.batches.abandon()
        self.extract.close()

    def execute(self) -> None:
        """Every product line in scope, then reconciliation of lines gone from Connect.

        A cancellation asked for with `plm-sync runs cancel` stops the run before its next
        product line: the lines written so far are whole, nothing else is touched. The items
        of the next products are fetched ahead (`PLM_SYNC_FETCH_CONCURRENCY`) while a line is
        written; lines are still written in product order.
        """
        self.preload()
        self.walk(self.list_products())
        if not self.cancel_requested():
            self.reconcile()

    def walk(self, products: Iterable[SourceProduct], *, isolated: bool = False) -> None:
        """Fetch (ahead), compute and hand each product's line to the batch writer; flush.

        `isolated` (a chunk of a fanned-out run): a product that fails as a whole is left as
        it was with an error and the others go on; otherwise such a failure fails the run.
        A refused key fails the run either way.
        """
        fetches = prefetched(products, self.extract.rows, self.settings.fetch_concurrency)
        try:
            for product, rows in fetches:
                self._wait_for(rows)
                if self.tally.cancelled:  # seen by the last batch's transaction
                    break
                try:
                    self.product(product, rows)
                except ConnectAuthError:
                    raise
                except PlmSyncError as error:
                    if not isolated:
                        raise
                    self.product_failed(product.id, error)
                self.batches.flush_if_due()
                self.runlog.heartbeat()
        except BaseException:
            self.batches.abandon()  # the open batch is lost: the next run writes it
            raise
        finally:
            fetches.close()  # fetches not started are cancelled
        self.batches.flush()

    def _wait_for(self, rows: Future[list[Any]]) -> None:
        """While a product's items are still being fetched: write what waits, beat the heart.

        A slow or stalled Connect does not keep computed lines unwritten, nor the run silent.
        """
        while not wait([rows], timeout=FLUSH_SECONDS).done:
            self.batches.flush_if_due()
            self.runlog.heartbeat()

    def preload(self, product_ids: Collection[str] | None = None) -> None:
        """Read the stored lines' states and overrides at once (one transaction).

        A run in one process reads every line's (and writes each once: its events need no
        replacing); a product task reads those of its products (and may run twice).
        """
        with unit_of_work(self.factory) as session:
            self.states = LineStates.read(session, product_ids)
        self.batches.replace_events = self.states.events_replaced
        self.prices.preload(product_ids)  # a chunk's too: its unchanged lines cost no transaction

    def inputs(
        self, product: SourceProduct, items: list[SourceItem], offers: list[SourceOffer]
    ) -> tuple[list[Override], str]:
        """The line's overrides and the hash of all it is computed from (computed once).

        Overrides come from the states read ahead; a line not read ahead (one the closing task
        writes again) reads its own.
        """
        overrides = self.states.overrides_for(product.id, self.factory)
        source = self.builder.source(product, items, offers, overrides, self.listings(product.id))
        return overrides, source

    def listings(self, product_id: str) -> Listings | None:
        """The product's listings as far as its line depends on them (none: no marketplaces).

        Only when sharing.yaml maps marketplaces to operating units: a unit follows the
        listings (`from_listings`), and a marketplace the listing is gone from shares none.
        """
        if not self.rules.sharing.marketplace_units:
            return None
        return self.prices.listings(product_id, remembered=True)

    def cancel_requested(self) -> bool:
        """Whether an operator cancelled this run."""
        self.tally.cancelled = self.tally.cancelled or self.runlog.cancel_requested()
        return self.tally.cancelled

    def reconcile(self) -> None:
        """Report missing products; judge the brake; deactivate lines gone from Connect.

        Lines whose product Connect no longer lists are deactivated after a clean run that was
        not narrowed to products (full or incremental).
        """
        missing = set(self.request.product_ids) - self.tally.seen
        for product_id in sorted(missing):
            self.tally.errors += _errors(
                self.line_failed(
                    product_id,
                    codes.PRODUCT_NOT_FOUND,
                    "Connect returned no published product with this id; "
                    "check the id and its status",
                )
            )
        reconciles = not self.request.product_ids and not self.tally.failed_products
        if self.incremental:  # new price sources touch lines the run did not read
            self.step = "prices of lines not read"
            self.tally.errors += self.prices.catch_up(self.tally.seen)
        self.step = "judging deactivations (deactivation brake)"
        if self.brake.holds(self.tally, reconciles=reconciles):
            return
        self.release_deferred()
        if reconciles:
            self.step = "deactivating product lines gone from Connect"
            self.deactivate_unseen()

    def release_deferred(self) -> None:
        """Write the lines the brake held back while the run's total was unknown."""
        for entry in self.tally.deferred:
            product_id = entry["product"]["id"]
            held = self.brake.inputs.get(product_id)
            if held is None:  # deferred by another worker: fetch it again
                product = SourceProduct(**entry["product"])
                fetched = self.extract.line(product, count=False)
                if fetched is None:
                    continue
                items, offers, events = fetched
            else:
                product, items, offers, read_events = held
                events = list(read_events)
            self.step = f"writing {product_id} (deactivations within the limit)"
            self._add(self.compute(product, items, offers, events), release=True)
        self.tally.deferred = []
        self.batches.flush()

    def product(self, product: SourceProduct, rows: Future[list[Any]] | None = None) -> None:
        """Fetch (unless fetched ahead), group and store one product line, all or nothing."""
        tally = self.tally
        tally.products += 1
        tally.seen.add(product.id)
        updated = parse_moment(product.updated_at)
        if updated and (tally.newest is None or updated > tally.newest):
            tally.newest = updated
        items_before = tally.items
        fetched = self.extract.line(product, rows.result if rows else None, count=True)
        if fetched is None:
            return
        if self.rules.sharing.from_listings and self.prices.listed_in(product.id) is None:
            tally.errors += _errors(
                self.line_failed(
                    product.id,
                    codes.PRICE_FETCH_FAILED,
                    "listings could not be read and sharing.yaml shares plans from them "
                    f"(from_listings): product line left as it was ({self.prices.market_error})",
                )
            )
            return
        items, offers, events = fetched
        inputs = self.inputs(product, items, offers)
        state = self.states.state(product.id)
        if state is None or not state.current(inputs[1]):
            self.step = f"grouping {product.id}"
            self._add(self.compute(product, items, offers, events, inputs), state)
        else:  # stored as it would be computed: its events (and new change signals) go with
            # the next batch
            moved = product.signature and state.connect_signature != product.signature
            self.step = f"prices of {product.id}"
            self.batches.add_unchanged(
                product,
                events,
                row_count=state.row_count,
                signature=product.signature if moved else None,
                prices=self.prices.ahead(product, state.source_hash),
            )
        if self.progress is not None:
            self.progress.product(product.id, tally.items - items_before)

    def compute(
        self,
        product: SourceProduct,
        items: list[SourceItem],
        offers: list[SourceOffer],
        events: list[Event],
        inputs: tuple[list[Override], str] | None = None,
    ) -> BuiltLine:
        """The product's line as the rules build it, with the events reading it gave.

        `inputs`: its overrides and source hash, when the caller has them already.
        """
        overrides, source = inputs or self.inputs(product, items, offers)
        return self.builder.build(
            product,
            items,
            offers,
            overrides,
            source=source,
            read_events=events,
            listings=self.listings(product.id),
        )

    def _add(
        self, built: BuiltLine, state: LineState | None = None, *, release: bool = False
    ) -> None:
        """A computed line to its batch, with its price files read ahead.

        Its prices are checked against the line as stored once its rows are written: the new
        source hash, or the stored one when the rules refused the line (nothing of it written).
        """
        if state is None and not self.states.new(built.product.id):
            state = self.states.state(built.product.id)
        stored = state.source_hash if state is not None else None
        self.step = f"prices of {built.product.id}"
        source = stored if built.failed else built.source
        self.batches.add(built, release=release, prices=self.prices.ahead(built.product, source))

    def _line_done(self, result: LineResult) -> None:
        """Count what writing a line did (its prices' events among its own)."""
        tally = self.tally
        if result.outcome is Outcome.CANCELLED:
            tally.cancelled = True
            return
        if result.outcome is Outcome.HELD:  # kept until the run's total is known
            built = result.built
            assert built is not None  # noqa: S101 - a held line was computed
            self.brake.keep(tally, built, result.withdrawn, result.events)
            return
        tally.changes.add(result.changes)
        tally.errors += _errors(result.events)
        if result.failed:
            tally.failed_products += 1

    def line_failed(
        self, product_id: str, code: str, message: str, before: Sequence[Event] = ()
    ) -> list[Event]:
        """A product line left as it was: one error (after the events reading it gave).

        Recorded in a transaction of its own, replacing any of an earlier attempt of the
        product (a task that ran twice), and counted as a failed product; the events are
        returned for the caller to count.
        """
        self.tally.failed_products += 1
        events = [*before, Event(Level.ERROR, code, message, product_id)]
        self.runlog.record(events, product_id)
        return events

    def product_failed(self, product_id: str, error: PlmSyncError) -> None:
        """A product line that failed as a whole (not Connect's answer): left as it was."""
        log.warning("product_failed", product=product_id, error=describe_failure(error))
        self.tally.errors += _errors(
            self.line_failed(
                product_id,
                codes.PRODUCT_FETCH_FAILED,
                f"product line left as it was: {describe_failure(error)}",
            )
        )

    def deactivate_unseen(self) -> None:
        """After a complete full sync, lines whose product Connect no longer serves go inactive."""
        self.tally.changes.deactivated += deactivate_unseen(
            self.runlog, self.tally.listed, dry_run=self.request.dry_run, now=self.clock()
        )

    @contextmanager
    def closes_on_failure(self) -> Iterator[None]:
        """A failure inside closes the run failed; RunFailedError names the run and the step."""
        try:
            yield
        except BaseException as error:
            self.finish(error)
            if isinstance(error, PlmSyncError):
                raise self.failed(error) from error
            raise

    def conclude(self, stage: Callable[[], None]) -> RunOutcome:
        """Run the run's last stage, then close it: failed if the stage failed."""
        with self.closes_on_failure():
            stage()
        return self.finish(None)

    def reconcile_unless_cancelled(self) -> None:
        """The closing stage of a fanned-out run: nothing once an operator cancelled it."""
        if not self.cancel_requested():
            self.reconcile()

    def failed(self, error: PlmSyncError) -> RunFailedError:
        """The error a failed run raises: run id and step; a bad API key keeps exit 2."""
        return run_failed_error(f"run {self.run_id}", getattr(error, "step", self.step), error)

    def finish(self, failure: BaseException | None) -> RunOutcome:
        """Close the run; the cursor moves only after full success of an unscoped run."""
        tally = self.tally
        closed = closing(
            tally,
            self.request,
            failure=failure,
            step=self.step,
            cursor_before=self.runlog.cursor_before,
            notes=(self.brake.message, self.prices.brake_message()),
            incremental=self.incremental,
        )
        retries = tally.retries + self.extract.retries
        return self.runlog.conclude(
            tally.counts() | {"retries": retries},
            errors=tally.errors + tally.failed_products,
            failure=failure,
            step=self.step,
            cancelled=tally.cancelled,
            message=closed.message,
            product_ids=tally.seen,
            priced_ids=self.prices.priced,
            cursor_after=closed.cursor_after,
        )


def _errors(events: Sequence[Event]) -> int:
    return sum(1 for event in events if event.level is Level.ERROR)


def open_run_log(
    settings: Settings,
    factory: sessionmaker[Session],
    request: SyncRequest,
    clock: Callable[[], datetime] = utcnow,
) -> RunLog:
    """A sync run driven by this process, opened `running` (the brake's limit fixed now)."""
    return RunLog.open(
        factory, settings, request.run_start(), brake=not request.allow_deactivations, clock=clock
    )


def run_sync(
    settings: Settings,
    request: SyncRequest,
    *,
    client: ConnectClient | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> RunOutcome:
    """Run one sync in this process and record it.

    The operator files are validated before anything is written (exit 2, nothing changed);
    each product line is its own transaction; the run row is closed in `finally`, so a run
    never stays `running`; a failure raises RunFailedError naming the run and the step.
    """
    rules = load_rules(settings.mappings)  # every operator file is valid before a run starts
    own_client = client is None
    client = client or connect_client(settings)
    try:
        with open_database(settings.database_url) as factory:
            runlog = open_run_log(settings, factory, request, clock)
            with runlog.bound():
                run = SyncRun(
                    settings, request, rules=rules, runlog=runlog, client=client, progress=progress
                )
                try:
                    return run.conclude(run.execute)
                finally:
                    run.close_client()
    finally:
        if own_client:
            client.close()
