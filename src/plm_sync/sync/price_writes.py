"""A line's prices in its batch's transaction: checked, diffed against the stored, braked, written.

What `PriceStage.ahead` read from Connect (`LinePrices`: each listed marketplace's sources
and digest, the files of those whose digest moved) is applied here with no I/O but the
store: each file is read against the line's priced items, checked (`domain.price_checks`),
diffed with the stored rows (`domain.price_changes`) and held by the price-change brake when
it moves too much; a marketplace the line left is withdrawn. A dry run writes nothing and
gives the events it would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from plm_sync.config import Settings
from plm_sync.connect.markets import Batch, PriceVersion
from plm_sync.domain import events as codes
from plm_sync.domain import price_changes, price_checks, price_files, prices
from plm_sync.domain.events import Event, Level
from plm_sync.domain.prices import Marketplace, PriceFile, PricingRules
from plm_sync.domain.source import SourceProduct
from plm_sync.runs.runlog import RunLog
from plm_sync.store.models import ProductLine
from plm_sync.store.prices import PriceRepository

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Sources:
    """Where a marketplace's prices come from: batches, or price list versions, or nothing."""

    batches: tuple[Batch, ...] = ()
    versions: tuple[PriceVersion, ...] = ()

    @property
    def signature(self) -> list[str]:
        """What the sources' digest is made of: each batch's and price list version's."""
        return [batch.signature for batch in self.batches] + [
            version.signature for version in self.versions
        ]

    def ids(self) -> tuple[str | None, str | None]:
        """(the active source's id, the scheduled one's)."""
        found: list[tuple[str, bool]] = [(b.id, b.scheduled) for b in self.batches]
        found += [(v.id, v.scheduled) for v in self.versions]
        active = next((ident for ident, later in found if not later), None)
        scheduled = next((ident for ident, later in found if later), None)
        return active, scheduled


class Outcome(Enum):
    """What became of a marketplace's new prices in one run."""

    SETTLED = "settled"  # written, clean: the digest is kept, the next run skips it
    WRITTEN = "written"  # written with rows refused: read again next run
    REFUSED = "refused"  # nothing written: file refused or brake held


@dataclass
class Read:
    """A marketplace's price sources as Connect gave them, read before any transaction."""

    tables: list[tuple[Batch, list[tuple[object, ...]]]] = field(default_factory=list)
    points: list[tuple[PriceVersion, list[dict[str, Any]]]] = field(default_factory=list)


@dataclass
class LinePrices:
    """A line's price stage with every Connect read done: what its batch's transaction applies.

    `digests`: each listed marketplace's sources and digest as the line will be stored;
    `read`: the files of those whose digest differs from the stored one (the others are as
    stored). `error`: the sources could not be read; the prices stay as they were and this
    error is the line's. Applying it again (a batch retried line by line) gives the same
    writes and events.
    """

    writer: PriceWriter
    product: SourceProduct
    marketplaces: dict[str, Marketplace] = field(default_factory=dict)  # the run's, by id
    listed: dict[str, str | None] = field(default_factory=dict)
    digests: dict[str, tuple[Sources, str]] = field(default_factory=dict)
    read: dict[str, Read] = field(default_factory=dict)
    error: Event | None = None

    def apply(self, session: Session) -> list[Event]:
        """Write the line's prices in the caller's transaction (none in a dry run)."""
        if self.error is not None:
            return [self.error]
        return self.writer.apply(session, self)


class PriceWriter:
    """Applies lines' prices for one run: its pricing rules, brake and held list."""

    def __init__(
        self,
        settings: Settings,
        rules: PricingRules,
        runlog: RunLog,
        *,
        dry_run: bool,
        limit: Decimal | None,  # the brake's share (None: no brake)
        held: list[str],
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.runlog = runlog
        self.dry_run = dry_run
        self.limit = limit
        self.held = held  # "PRD-… in MP-…" the price brake held (the run's tally keeps them)

    def apply(self, session: Session, work: LinePrices) -> list[Event]:  # noqa: C901 - one branch per marketplace state
        """A line's price changes and events, written in the caller's transaction.

        Read from the stored state in that transaction (the batch wrote the line's catalog
        first); a dry run writes nothing and returns the events it would give.
        """
        product, listed = work.product, work.listed
        line = session.execute(
            select(ProductLine.id, ProductLine.active).where(
                ProductLine.connect_product_id == product.id
            )
        ).first()
        if line is None or not line.active:
            return []
        line_id = line.id
        events: list[Event] = []
        repo = PriceRepository(session)
        stored = repo.states([product.id]).get(product.id, {})
        items = None
        elsewhere: frozenset[str] = frozenset()
        writes: list[Callable[[], object]] = []
        for marketplace_id in sorted(set(listed) | set(stored)):
            state = stored.get(marketplace_id)
            if marketplace_id not in listed:
                if state is not None and state.listed:
                    events += self._unlisted(repo, line_id, product.id, marketplace_id, writes)
                continue
            marketplace = work.marketplaces.get(marketplace_id)
            if marketplace is None:
                events.append(
                    Event(
                        Level.WARNING,
                        codes.PRICE_SOURCE_NONE,
                        f"{marketplace_id}: the product is listed there, but the marketplace "
                        "cannot be read with this API key; no prices for it",
                        product.id,
                        subject=marketplace_id,
                    )
                )
                continue
            if state is None or not state.listed:
                events.append(
                    Event(
                        Level.INFO,
                        codes.MARKETPLACE_ADDED,
                        f"listed in {marketplace_id} ({marketplace.name}, {marketplace.currency})",
                        product.id,
                        subject=marketplace_id,
                    )
                )
            sources, digest = work.digests[marketplace_id]
            if state is not None and state.listed and state.digest == digest:
                continue
            read = work.read.get(marketplace_id)
            if read is None:  # stored otherwise than read ahead: the next run reads it
                log.warning("prices_not_read_ahead", product=product.id, marketplace=marketplace_id)
                continue
            if items is None:
                items = repo.priced_items(line_id)
                elsewhere = repo.product_mpns(product.id)
            found, outcome = self._marketplace(
                product_id=product.id,
                marketplace=marketplace,
                files=self._files(marketplace, read, items),
                items=items,
                elsewhere=elsewhere,
                repo=repo,
                line_id=line_id,
                writes=writes,
            )
            events += found
            writes.append(
                partial(
                    repo.set_market,
                    line_id,
                    marketplace_id,
                    listed=True,
                    digest=digest if outcome is Outcome.SETTLED else None,
                    sources=sources.ids() if outcome is not Outcome.REFUSED else None,
                    vendor_id=product.vendor_id or None,
                    run_id=self.runlog.run_id,
                )
            )
        if not self.dry_run:
            for write in writes:
                write()
        return events

    def _unlisted(
        self,
        repo: PriceRepository,
        line_id: int,
        product_id: str,
        marketplace_id: str,
        writes: list[Callable[[], object]],
    ) -> list[Event]:
        removed = repo.stored(line_id, marketplace_id)
        writes.append(partial(repo.drop_marketplace, line_id, marketplace_id, self.runlog.run_id))
        writes.append(
            partial(
                repo.set_market,
                line_id,
                marketplace_id,
                listed=False,
                digest=None,
                run_id=self.runlog.run_id,
            )
        )
        return [
            Event(
                Level.INFO,
                codes.MARKETPLACE_REMOVED,
                f"no longer listed in {marketplace_id}: its {len(removed)} price(s) "
                + ("would be " if self.dry_run else "")
                + "withdrawn",
                product_id,
                subject=marketplace_id,
            ),
            *price_changes.change_events(
                product_id,
                marketplace_id,
                price_changes.PriceChanges(removed=removed),
                dry_run=self.dry_run,
            ),
        ]

    def _marketplace(
        self,
        *,
        product_id: str,
        marketplace: Marketplace,
        files: list[PriceFile],
        items: list[prices.PricedItem],
        elsewhere: frozenset[str],
        repo: PriceRepository,
        line_id: int,
        writes: list[Callable[[], object]],
    ) -> tuple[list[Event], Outcome]:
        """One marketplace's new prices: their events and what became of them.

        Settled: read, checked without an error and written. Written: written, with rows
        refused (read again by the next run). Refused: the file refused or the brake held
        it; nothing written, the sources the stored rows came from stay named.
        """
        price_checks.find_duplicates(files, items)
        bad = [file for file in files if file.problems]
        if bad:
            return [
                price_changes.file_invalid_event(product_id, marketplace.id, file) for file in bad
            ], Outcome.REFUSED
        events: list[Event] = []
        if not files:
            events.append(
                Event(
                    Level.INFO,
                    codes.PRICE_SOURCE_NONE,
                    f"{marketplace.id}: no published pricing batch and no price list for this "
                    "listing: no prices in this marketplace",
                    product_id,
                    subject=marketplace.id,
                )
            )
        checked = price_checks.check_prices(product_id, marketplace, files, items, elsewhere)
        events += checked.events
        limit = self.settings.price_change_limit
        if self.limit is not None and checked.left_out_share() > self.limit:
            self.hold(product_id, marketplace.id)
            named = ", ".join(file.source for file in files)
            events.append(
                price_changes.left_out_event(product_id, marketplace.id, checked, named, limit)
            )
            return events, Outcome.REFUSED
        stored = repo.stored(line_id, marketplace.id)
        changes = price_changes.diff_prices(stored, checked.rows, keep=checked.kept)
        sold = {item.mpn for item in items if item.active}
        held = (
            price_changes.held_changes(changes, self.limit, sold=sold)
            if self.limit is not None
            else []
        )
        if held:
            self.hold(product_id, marketplace.id)
            events += [
                price_changes.held_event(product_id, marketplace.id, one, limit) for one in held
            ]
            return events, Outcome.REFUSED
        if changes.any:
            writes.append(
                partial(
                    repo.apply,
                    line_id,
                    marketplace.id,
                    changes,
                    self.runlog.run_id,
                    self.runlog.clock(),
                )
            )
        events += price_changes.change_events(
            product_id, marketplace.id, changes, dry_run=self.dry_run
        )
        return events, Outcome.SETTLED if checked.errors == 0 else Outcome.WRITTEN

    def _files(
        self,
        marketplace: Marketplace,
        read: Read,
        items: list[prices.PricedItem],
    ) -> list[PriceFile]:
        files = []
        for batch, table in read.tables:
            file = price_files.read_price_table(batch.id, table)
            file.scheduled = batch.scheduled
            files.append(file)
        for version, points in read.points:
            file = price_files.read_price_points(
                version.id,
                points,
                items,
                currency=version.currency or marketplace.currency,
                effective_date=version.start_at or date.today().isoformat(),  # noqa: DTZ011
                precision=version.precision,
                rule=self.rules.price_list,
            )
            file.scheduled = version.scheduled
            files.append(file)
        return files

    def hold(self, product_id: str, marketplace_id: str) -> None:
        """A line's prices in a marketplace the brake held (once, if applied again)."""
        name = f"{product_id} in {marketplace_id}"
        if name not in self.held:
            self.held.append(name)
