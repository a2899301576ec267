"""Product lines written in batches: one transaction and a fixed number of statements a batch.

A sync computes lines one by one (`compute`) and hands them here with the unchanged
lines' events. A batch is written when it holds `PLM_SYNC_BATCH_LINES` lines or lines of
`PLM_SYNC_BATCH_ROWS` catalog rows, or a second after its first line: one transaction that
sees a cancellation first, reads the stored lines of the batch (one query per table), decides
each line's change set (`diff`: the deactivation brake and a dry run read it, before
anything is written), and writes them all (`store.catalog_writes`: one bulk
statement per table), with the lines' Connect snapshots, offers, signatures, prices (their
files read from Connect before the transaction) and events.

Each line stays all or nothing: a line the brake holds back or whose values do not fit is
left out of its batch; a batch the database refuses is written again one line per
transaction, so only the line it refuses fails. A crash loses at most the open batch, which
the next run writes again (nothing is recorded as done before its transaction commits).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import structlog
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from plm_sync.domain.events import Event
from plm_sync.domain.source import SourceProduct
from plm_sync.errors import BatchWriteError
from plm_sync.runs.runlog import RunLog, describe_failure
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.catalog_writes import apply_change_sets, read_stored_lines
from plm_sync.store.database import unit_of_work
from plm_sync.store.snapshot import SnapshotRepository
from plm_sync.sync.compute import BuiltLine
from plm_sync.sync.diff import (
    PRICED,
    Entry,
    LineResult,
    Outcome,
    PriceWork,
    diff_batch,
    write_failed,
)

log = structlog.get_logger(__name__)

UNCHANGED_PER_LINE = 0.2  # an unchanged line weighs a fifth of a written one in a batch
FLUSH_SECONDS = 1.0


class LineBatches:
    """Collects computed lines and writes them a batch at a time."""

    def __init__(
        self,
        runlog: RunLog,
        done: Callable[[LineResult], None],
        *,
        dry_run: bool,
        replace_events: bool,
        brake: bool,
        from_listings: bool,
        max_lines: int = 200,
        max_rows: int = 5000,
    ) -> None:
        self.runlog = runlog
        self.done = done
        self.dry_run = dry_run
        self.replace_events = replace_events
        self.brake = brake
        self.from_listings = from_listings
        self.max_lines = max_lines
        self.max_rows = max_rows
        self._pending: list[Entry] = []
        self._weight = 0.0
        self._rows = 0
        self._started = time.monotonic()
        # one batch is written on this thread while the next lines are computed
        self._writer: ThreadPoolExecutor | None = None
        self._writing: Future[list[LineResult]] | None = None

    def add(
        self, built: BuiltLine, *, release: bool = False, prices: PriceWork | None = None
    ) -> None:
        """A computed line, written with its batch (its prices after it)."""
        entry = Entry(built.product, built=built, release=release, prices=prices)
        self._append(entry, 1.0, built.rows)

    def add_unchanged(
        self,
        product: SourceProduct,
        events: list[Event],
        *,
        row_count: int,
        signature: str | None = None,
        prices: PriceWork | None = None,
    ) -> None:
        """A line stored as it would be computed: its events go with a batch.

        So do its new change signals, and its prices when their sources moved.
        """
        entry = Entry(
            product, events=events, row_count=row_count, signature=signature, prices=prices
        )
        self._append(entry, UNCHANGED_PER_LINE, 0)

    def _append(self, entry: Entry, weight: float, rows: int) -> None:
        if not self._pending:
            self._started = time.monotonic()
        self._pending.append(entry)
        self._weight += weight
        self._rows += rows
        if self._weight >= self.max_lines or self._rows >= self.max_rows:
            self.flush(wait=False)

    def flush_if_due(self) -> None:
        """Lines that waited a second are written (the run's progress stays visible)."""
        if self._pending and time.monotonic() - self._started >= FLUSH_SECONDS:
            self.flush(wait=False)

    def flush(self, *, wait: bool = True) -> None:
        """Write the pending lines as a batch; `wait`: until every batch is written.

        Without waiting, the batch is written on the writer thread while the caller computes
        the next lines; the batch before it is waited for first (batches are written one at a
        time, in order), and the results of each are handed to `done` on the caller's thread.
        A batch that failed raises here, on the caller's thread.
        """
        entries, self._pending = self._pending, []
        self._weight, self._rows = 0.0, 0
        self._collect()
        if entries:
            if wait:
                self._deliver(self._write(entries))
            else:
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(1, thread_name_prefix="line-batches")
                self._writing = self._writer.submit(self._write, entries)

    def abandon(self) -> None:
        """Stop: wait for the batch being written (its failure only logged), drop the rest.

        What a run that failed, or is done, calls: nothing is left running behind it.
        """
        self._pending, self._weight, self._rows = [], 0.0, 0
        try:
            self._collect()
        except Exception as error:  # noqa: BLE001 - the run fails for its own error already
            log.warning("batch_abandoned", error=describe_failure(error))
        finally:
            if self._writer is not None:
                self._writer.shutdown(wait=True, cancel_futures=True)
                self._writer = None

    def _collect(self) -> None:
        """The batch being written, waited for; its results handed on."""
        writing, self._writing = self._writing, None
        if writing is not None:
            self._deliver(writing.result())

    def _deliver(self, results: list[LineResult]) -> None:
        for result in results:
            self.done(result)

    # -- one batch ---------------------------------------------------------------------------

    def _write(self, entries: list[Entry]) -> list[LineResult]:
        """One transaction for the batch; refused by the database, one per line.

        Any other database failure (the connection lost, the server gone) fails the batch as
        a whole: BatchWriteError, which fails the run.
        """
        try:
            return self._transaction(entries)
        except SQLAlchemyError as error:
            first, last = entries[0].product.id, entries[-1].product.id
            lines = f"{len(entries)} product line(s) ({first} … {last})"
            raise BatchWriteError(
                f"a batch of {lines} could not be written, none of it is stored: "
                f"{describe_failure(error)}"
            ) from error

    def _transaction(self, entries: list[Entry]) -> list[LineResult]:
        try:
            with unit_of_work(self.runlog.factory) as session:
                if self.runlog.cancel_requested(session):  # nothing of the batch is written
                    return [LineResult(entry.product, Outcome.CANCELLED) for entry in entries]
                return self._batch(session, entries)
        except (DataError, IntegrityError) as error:
            if len(entries) > 1:
                log.warning("batch_refused", lines=len(entries), error=describe_failure(error))
                return [result for entry in entries for result in self._write([entry])]
            return [self._refused_by_database(entries[0], error)]

    def _refused_by_database(self, entry: Entry, error: Exception) -> LineResult:
        """The one line of a batch the database refused: left as it was, with an error."""
        log.warning("line_write_failed", product=entry.product.id, error=describe_failure(error))
        read = entry.built.read_events if entry.built else entry.events
        events = [*read, write_failed(entry.product.id, error)]
        self.runlog.record(events, entry.product.id)
        return LineResult(entry.product, Outcome.FAILED, events=events, built=entry.built)

    def _batch(self, session: Session, entries: list[Entry]) -> list[LineResult]:
        """Read the batch's stored state, decide its change set (`diff`), write it whole."""
        catalog = CatalogRepository(session)
        computed = [e.built for e in entries if e.built is not None and not e.built.failed]
        stored = read_stored_lines(session, [b.product.id for b in computed])
        findings = catalog.findings_of([e.product.id for e in entries if e.built is None])
        batch = diff_batch(
            entries,
            stored,
            findings,
            dry_run=self.dry_run,
            brake=self.brake,
            from_listings=self.from_listings,
        )
        if not self.dry_run:
            run_id, now = self.runlog.run_id, self.runlog.clock()
            apply_change_sets(session, batch.change_sets, run_id, now)
            snapshot = SnapshotRepository(session)
            snapshot.save_batch(batch.snapshots, run_id)
            snapshot.save_offers(batch.offers, run_id)
            catalog.set_signatures(batch.signatures)
        for entry, result in zip(entries, batch.results, strict=True):
            if entry.prices is not None and result.outcome in PRICED:  # after its catalog
                result.events.extend(entry.prices.apply(session))
        self._record(session, [r for r in batch.results if r.outcome is not Outcome.HELD])
        return batch.results

    def _record(self, session: Session, results: list[LineResult]) -> None:
        """The lines' events, in the batch's transaction (a dry run's too: they are the log)."""
        if self.replace_events:  # a product task may run twice: its events replace the first's
            self.runlog.write_replacing(
                session,
                [event for result in results for event in result.events],
                [result.product.id for result in results],
            )
            return
        self.runlog.write(session, [event for result in results for event in result.events])
