"""A sync run's price stage: each product line's marketplaces and prices, after its catalog.

For every marketplace a product is listed in, the prices come from its newest published
pricing batch (and a scheduled one), else from its listing's price list; they are checked
against the line's items, compared with the stored ones and written in one transaction with
their events, unless the price-change brake holds them. A marketplace whose sources, catalog
and rules hash as stored costs nothing: no download, no transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import partial
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from plm_sync.config import Settings
from plm_sync.connect.client import ConnectClient
from plm_sync.connect.markets import (
    Batch,
    MarketData,
    PriceVersion,
    batch_table,
    price_points,
    read_market,
)
from plm_sync.domain import events as codes
from plm_sync.domain import price_changes, price_checks, price_files, prices
from plm_sync.domain.digests import content_hash
from plm_sync.domain.events import Event, Level
from plm_sync.domain.prices import Marketplace, PriceFile, PricingRules
from plm_sync.domain.sharing import Listings
from plm_sync.domain.source import SourceProduct
from plm_sync.errors import ConnectAuthError, ConnectError
from plm_sync.runs.runlog import RunLog
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import unit_of_work
from plm_sync.store.models import ProductLine
from plm_sync.store.prices import MarketState, PriceRepository

log = structlog.get_logger(__name__)
# a worker process's market data of the run it works on (product tasks share one read)
_PROCESS_MARKETS: dict[int, MarketData] = {}
NAMED = 5  # held lines the run's message names


@dataclass(frozen=True)
class _Sources:
    """Where a marketplace's prices come from: batches, or price list versions, or nothing."""

    batches: tuple[Batch, ...] = ()
    versions: tuple[PriceVersion, ...] = ()

    @property
    def signature(self) -> list[str]:
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


class _Outcome(Enum):
    """What became of a marketplace's new prices in one run."""

    SETTLED = "settled"  # written, clean: the digest is kept, the next run skips it
    WRITTEN = "written"  # written with rows refused: read again next run
    REFUSED = "refused"  # nothing written: file refused or brake held


@dataclass
class _Read:
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

    stage: PriceStage
    product: SourceProduct
    listed: dict[str, str | None] = field(default_factory=dict)
    digests: dict[str, tuple[_Sources, str]] = field(default_factory=dict)
    read: dict[str, _Read] = field(default_factory=dict)
    error: Event | None = None

    def apply(self, session: Session) -> list[Event]:
        """Write the line's prices in the caller's transaction (none in a dry run)."""
        if self.error is not None:
            return [self.error]
        return self.stage.apply(session, self)


class PriceStage:
    """Prices of the product lines one run touches."""

    def __init__(
        self,
        settings: Settings,
        rules: PricingRules,
        runlog: RunLog,
        client: Callable[[], ConnectClient],
        *,
        dry_run: bool,
        brake: bool,
        scope: Collection[str] | None,
        held: list[str],
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.runlog = runlog
        self._client = client
        self.dry_run = dry_run
        self.limit = settings.price_brake if brake else None
        self.scope = scope  # the products whose listings to read (None: every product)
        self.shared = False  # read once per worker process for the run (`per_process`)
        self.market: MarketData | None = None
        self.market_error: str | None = None
        self.states: dict[str, dict[str, MarketState]] | None = None
        self._covered: frozenset[str] | None = None  # the products preloaded (None: all)
        self.held = held  # "PRD-… in MP-…" the price brake held (the run's tally keeps them)
        self.priced: set[str] = set()  # lines whose prices alone this run read (`catch_up`)

    # -- what a run reads once -------------------------------------------------------------

    def preload(self, product_ids: Collection[str] | None = None) -> None:
        """Read the lines' stored marketplaces at once.

        Every line's (a run in one process, at its start), or those of a chunk's products (a
        product task: its unchanged lines then cost no transaction either).
        """
        with unit_of_work(self.runlog.factory) as session:
            self.states = PriceRepository(session).states(product_ids)
        self._covered = None if product_ids is None else frozenset(product_ids)

    def _stored(self, product_id: str) -> dict[str, MarketState] | None:
        """A line's stored marketplaces as preloaded; None when they were not read ahead."""
        if self.states is None or (self._covered is not None and product_id not in self._covered):
            return None
        return self.states.get(product_id, {})

    def listed_in(self, product_id: str) -> tuple[str, ...] | None:
        """The marketplaces a product is listed in; None when they cannot be read."""
        market = self._market()
        return None if market is None else tuple(sorted(market.listings.get(product_id, {})))

    def listings(self, product_id: str, *, remembered: bool) -> Listings | None:
        """Where a product is listed now, and (`remembered`) the marketplaces it left.

        None when listings cannot be read (`remembered`: the stored ones instead). The
        marketplaces it left are those stored for its line and no longer listed: read from
        the run's preload, else from the store.
        """
        listed = self.listed_in(product_id)
        if not remembered:
            return None if listed is None else Listings(listed)
        preloaded = self._stored(product_id)
        if preloaded is not None:
            known = preloaded
        else:
            with unit_of_work(self.runlog.factory) as session:
                known = PriceRepository(session).states([product_id]).get(product_id, {})
        if listed is None:  # Connect did not answer: as the last sync that read them saw them
            listed = tuple(mp for mp, state in known.items() if state.listed)
        return Listings.of(listed, known)

    def per_process(self) -> None:
        """A product task on a worker: market data read once per worker process and run.

        Every product of the run, not once per task.
        """
        self.scope = None
        self.shared = True

    def _market(self) -> MarketData | None:
        if self.market is None and self.shared:
            self.market = _PROCESS_MARKETS.get(self.runlog.run_id)
        if self.market is None and self.market_error is None:
            try:
                self.market = read_market(self._client(), sorted(self.scope or ()))
            except ConnectAuthError:
                raise
            except ConnectError as error:
                self.market_error = str(error)
                return None
            if self.shared:
                _PROCESS_MARKETS.clear()  # one run at a time per database: keep its data only
                _PROCESS_MARKETS[self.runlog.run_id] = self.market
            if self.market.notes:
                self.runlog.record(
                    [
                        Event(Level.INFO, codes.PRICE_SOURCE_NONE, note)
                        for note in dict.fromkeys(self.market.notes)
                    ]
                )
            if not self.dry_run and self.market.marketplaces:
                with unit_of_work(self.runlog.factory) as session:
                    PriceRepository(session).save_marketplaces(
                        self.market.marketplaces.values(), self.runlog.run_id
                    )
        return self.market

    def _sources(self, product_id: str, marketplace_id: str, pricelist: str | None) -> _Sources:
        market = self.market
        batches = tuple(market.batches.get((product_id, marketplace_id), ())) if market else ()
        if batches or pricelist is None or market is None:
            return _Sources(batches=batches)
        return _Sources(versions=tuple(market.versions.get(pricelist, ())))

    def _digest(self, sources: _Sources, marketplace: Marketplace, source_hash: str) -> str:
        return content_hash([sources.signature, source_hash, self.rules.fingerprint, marketplace])

    # -- one product line --------------------------------------------------------------------

    def ahead(self, product: SourceProduct, source_hash: str | None) -> LinePrices | None:
        """Read what the line's prices need from Connect, before its batch's transaction.

        `source_hash`: the line's as it will be stored (None: no line is stored). None when
        there is nothing to do: not listed anywhere and stored nowhere as listed, or every
        marketplace's sources, catalog and rules hash as stored. Otherwise the price files of
        each marketplace whose digest moved are downloaded now, so no transaction is held
        open over HTTP (SQLite's write lock above all).
        """
        if source_hash is None:
            return None
        market = self._market()
        if market is None:
            return self._unread(
                product,
                f"marketplaces and listings could not be read, prices left as they were: "
                f"{self.market_error}",
            )
        listed = market.listings.get(product.id, {})
        stored = self._stored(product.id)
        if stored is None:
            with unit_of_work(self.runlog.factory, commit=False) as session:
                stored = PriceRepository(session).states([product.id]).get(product.id, {})
        if not listed and not any(state.listed for state in stored.values()):
            return None
        digests: dict[str, tuple[_Sources, str]] = {}
        read: dict[str, _Read] = {}
        try:
            for marketplace_id, pricelist in listed.items():
                marketplace = market.marketplaces.get(marketplace_id)
                if marketplace is None:  # its warning is the line's, when applied
                    continue
                sources = self._sources(product.id, marketplace_id, pricelist)
                state = stored.get(marketplace_id)
                digest = self._digest(sources, marketplace, source_hash)
                digests[marketplace_id] = sources, digest
                if state is not None and state.listed and state.digest == digest:
                    continue
                read[marketplace_id] = self._read(product.id, sources)
        except ConnectAuthError:
            raise
        except ConnectError as error:
            return self._unread(
                product, f"price sources could not be read, prices left as they were: {error}"
            )
        current = (
            not read
            and {mp for mp, state in stored.items() if state.listed} == set(listed)
            and all(mp in market.marketplaces for mp in listed)
        )
        return None if current else LinePrices(self, product, listed, digests, read)

    def _read(self, product_id: str, sources: _Sources) -> _Read:
        """A marketplace's price files, downloaded (parsed later, against the line's items)."""
        client = self._client()
        return _Read(
            tables=[(batch, batch_table(client, batch.id)) for batch in sources.batches],
            points=[
                (version, price_points(client, version.id, product_id))
                for version in sources.versions
            ],
        )

    def sync(self, product: SourceProduct, source_hash: str | None) -> int:
        """One line's prices in a transaction of their own; returns the errors found.

        For the lines a run did not read (`catch_up`): the others' prices go with their
        batch (`ahead`, then `LinePrices.apply` in the batch's transaction).
        """
        work = self.ahead(product, source_hash)
        if work is None:
            return 0
        with unit_of_work(self.runlog.factory, commit=not self.dry_run) as session:
            events = work.apply(session)
            if not self.dry_run:
                self.runlog.write(session, events)
        if self.dry_run:
            self.runlog.record(events)
        return sum(1 for event in events if event.level is Level.ERROR)

    def apply(self, session: Session, work: LinePrices) -> list[Event]:  # noqa: C901 - one branch per marketplace state
        """A line's price changes and events, written in the caller's transaction.

        Read from the stored state in that transaction (the batch wrote the line's catalog
        first); a dry run writes nothing and returns the events it would give.
        """
        market = self.market
        assert market is not None  # noqa: S101 - read by `ahead`
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
            marketplace = market.marketplaces.get(marketplace_id)
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
                    digest=digest if outcome is _Outcome.SETTLED else None,
                    sources=sources.ids() if outcome is not _Outcome.REFUSED else None,
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
    ) -> tuple[list[Event], _Outcome]:
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
            ], _Outcome.REFUSED
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
            self._hold(product_id, marketplace.id)
            named = ", ".join(file.source for file in files)
            events.append(
                price_changes.left_out_event(product_id, marketplace.id, checked, named, limit)
            )
            return events, _Outcome.REFUSED
        stored = repo.stored(line_id, marketplace.id)
        changes = price_changes.diff_prices(stored, checked.rows, keep=checked.kept)
        sold = {item.mpn for item in items if item.active}
        held = (
            price_changes.held_changes(changes, self.limit, sold=sold)
            if self.limit is not None
            else []
        )
        if held:
            self._hold(product_id, marketplace.id)
            events += [
                price_changes.held_event(product_id, marketplace.id, one, limit) for one in held
            ]
            return events, _Outcome.REFUSED
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
        return events, _Outcome.SETTLED if checked.errors == 0 else _Outcome.WRITTEN

    def _files(
        self,
        marketplace: Marketplace,
        read: _Read,
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

    def _hold(self, product_id: str, marketplace_id: str) -> None:
        """A line's prices in a marketplace the brake held (once, if applied again)."""
        name = f"{product_id} in {marketplace_id}"
        if name not in self.held:
            self.held.append(name)

    def _unread(self, product: SourceProduct, message: str) -> LinePrices:
        """A line whose price sources could not be read: its prices stay, with this error."""
        error = Event(Level.ERROR, codes.PRICE_FETCH_FAILED, message, product.id)
        return LinePrices(self, product, error=error)

    # -- lines the run did not read ----------------------------------------------------------

    def catch_up(self, seen: Collection[str]) -> int:
        """An incremental run's prices of lines it did not sync: new batches touch them too.

        Every product listed in a marketplace (or stored as listed) whose line the run did not
        read gets its price stage; those whose sources hash as stored cost no transaction.
        """
        market = self._market()
        if market is None:
            return 0
        if self.states is None or self._covered is not None:
            self.preload()
        states = self.states or {}
        candidates = (set(market.listings) | set(states)) - set(seen)
        if not candidates:
            return 0
        with unit_of_work(self.runlog.factory) as session:
            known = CatalogRepository(session).line_states()
        errors = 0
        for product_id in sorted(candidates):
            state = known.get(product_id)
            if state is None or not state.active:
                continue
            found = self.sync(SourceProduct(product_id, "", "", "published"), state.source_hash)
            errors += found
            if self.market_error is None:
                self.priced.add(product_id)  # its price verdict is this run's
        return errors

    def brake_message(self) -> str | None:
        """The run's message when the price brake held lines."""
        held = self.held
        if not held:
            return None
        return (
            f"price brake: new prices of {len(held)} product line/marketplace(s) "
            f"({', '.join(held[:NAMED])}{', …' if len(held) > NAMED else ''}) "
            f"moved beyond PLM_SYNC_PRICE_CHANGE_LIMIT={self.settings.price_change_limit} and "
            "were held as stored (events price_change_limit); if the changes are meant, run "
            "again with --allow-price-changes"
        )
