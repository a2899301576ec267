"""A batch's change set, decided as a value before anything is written (no I/O).

The batch writer (`load`) reads the stored rows of a batch's lines and hands them here with
the lines the run computed: each line's outcome is decided from them alone. A line stored as
computed is `unchanged` (its events and new change signals only); a line the rules refused
keeps its events; a line whose new state would withdraw plans is `held` for the deactivation
brake, which judges the run as a whole; a line whose values do not fit the columns fails with
an error. The rest are the batch's change sets, with the Connect snapshots, offers and
signatures written beside them. The brake and a dry run read this value: neither writes
and rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from plm_sync.domain import events as codes
from plm_sync.domain.changes import Changes, change_events
from plm_sync.domain.events import Event, Level
from plm_sync.domain.line_diff import LineChangeSet, StoredLine, diff_line
from plm_sync.domain.offers import SourceOffer
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.errors import LineWriteError
from plm_sync.runs.runlog import describe_failure
from plm_sync.store.catalog_writes import check_fits
from plm_sync.sync.compute import BuiltLine

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Outcome(StrEnum):
    """What became of a line handed to the batch writer."""

    WRITTEN = "written"  # its change set was applied (or, dry, would be)
    UNCHANGED = "unchanged"  # stored as computed: its events and signature only
    REFUSED = "refused"  # the rules refused it (a switch error): its events only
    FAILED = "failed"  # the database refused it: left as it was, with an error
    HELD = "held"  # the deactivation brake holds it until the run's total is known
    CANCELLED = "cancelled"  # an operator cancelled the run before its batch


@dataclass
class LineResult:
    """What writing one line did: for the run's tally, its price stage and its report."""

    product: SourceProduct
    outcome: Outcome
    changes: Changes = field(default_factory=Changes)
    events: list[Event] = field(default_factory=list)  # recorded for the line (held: not yet)
    built: BuiltLine | None = None
    withdrawn: int = 0  # plans the line would take from customers (held lines)

    @property
    def failed(self) -> bool:
        """Counted as a failed product."""
        return self.outcome in {Outcome.REFUSED, Outcome.FAILED}


class PriceWork(Protocol):
    """A line's prices with every Connect read done (`sync.prices.LinePrices`)."""

    def apply(self, session: Session) -> list[Event]:
        """Write them in the batch's transaction (none in a dry run); their events."""
        ...


PRICED = frozenset({Outcome.WRITTEN, Outcome.UNCHANGED, Outcome.REFUSED})  # prices follow


@dataclass
class Entry:
    """A line handed to the batch writer: computed, or unchanged with its events."""

    product: SourceProduct
    built: BuiltLine | None = None  # None: an unchanged line
    events: list[Event] = field(default_factory=list)  # an unchanged line's, from reading it
    row_count: int = 0  # an unchanged line's rows
    signature: str | None = None  # an unchanged line's new change signals
    release: bool = False  # written even if it deactivates plans (the brake judged the run)
    prices: PriceWork | None = None  # its prices, written after its catalog rows


@dataclass
class BatchChanges:
    """What a batch writes: its lines' outcomes and, for the written ones, what goes in."""

    results: list[LineResult] = field(default_factory=list)
    change_sets: list[LineChangeSet] = field(default_factory=list)
    snapshots: list[tuple[SourceProduct, list[SourceItem]]] = field(default_factory=list)
    offers: dict[str, SourceOffer | None] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)  # unchanged lines' new signals


def diff_batch(
    entries: Sequence[Entry],
    stored: Mapping[str, StoredLine],
    findings: Mapping[str, list[Event]],
    *,
    dry_run: bool,
    brake: bool,
    from_listings: bool,
) -> BatchChanges:
    """Each line's outcome against its stored state (`stored`, read for the batch at once).

    `findings`: the stored findings of the unchanged lines, reported again with them.
    """
    batch = BatchChanges()
    for entry in entries:
        product, built = entry.product, entry.built
        if built is None:
            if entry.signature and not dry_run:
                batch.signatures[product.id] = entry.signature
            events = [*entry.events, *findings.get(product.id, [])]
            batch.results.append(
                LineResult(product, Outcome.UNCHANGED, Changes(unchanged=entry.row_count), events)
            )
            continue
        if built.desired is None:
            batch.results.append(
                LineResult(product, Outcome.REFUSED, events=built.all_events, built=built)
            )
            continue
        change = diff_line(product.id, built.desired, built.header, stored.get(product.id))
        withdrawn = change.withdrawn(from_listings=from_listings)
        if withdrawn and brake and not entry.release:
            batch.results.append(
                LineResult(
                    product, Outcome.HELD, events=built.all_events, built=built, withdrawn=withdrawn
                )
            )
            continue
        try:
            check_fits(change)
        except LineWriteError as error:
            events = [*built.read_events, write_failed(product.id, error)]
            batch.results.append(LineResult(product, Outcome.FAILED, events=events, built=built))
            continue
        batch.change_sets.append(change)
        batch.snapshots.append((product, built.items))
        if built.offer is not None or not change.new:  # a new line without an offer: none
            batch.offers[product.id] = built.offer
        events = [*built.all_events, *change_events(product.id, change.changes, dry_run)]
        batch.results.append(LineResult(product, Outcome.WRITTEN, change.changes, events, built))
    return batch


def write_failed(product_id: str, error: Exception) -> Event:
    """The error of a line the database (or a column) refused: left as it was."""
    return Event(
        Level.ERROR,
        codes.LINE_WRITE_FAILED,
        f"product line left as it was: {describe_failure(error)}",
        product_id,
    )
