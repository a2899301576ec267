"""A sync run's price stage: each product line's marketplaces and prices, after its catalog.

For every marketplace a product is listed in, the prices come from its newest published
pricing batch (and a scheduled one), else from its listing's price list; they are checked
against the line's items, compared with the stored ones and written in one transaction with
their events, unless the price-change brake holds them. A marketplace whose sources, catalog
and rules hash as stored costs nothing: no download, no transaction. This module reads;
`price_writes` applies what it read in the line's batch's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import structlog

from plm_sync.config import Settings
from plm_sync.connect.client import ConnectClient
from plm_sync.connect.markets import (
    MarketData,
    batch_table,
    price_points,
    read_market,
)
from plm_sync.domain import events as codes
from plm_sync.domain.digests import content_hash
from plm_sync.domain.events import Event, Level
from plm_sync.domain.prices import Marketplace, PricingRules
from plm_sync.domain.sharing import Listings
from plm_sync.domain.source import SourceProduct
from plm_sync.errors import ConnectAuthError, ConnectError
from plm_sync.runs.runlog import RunLog
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import unit_of_work
from plm_sync.store.prices import MarketState, PriceRepository
from plm_sync.sync.price_writes import LinePrices, PriceWriter, Read, Sources

log = structlog.get_logger(__name__)
# a worker process's market data of the run it works on (product tasks share one read)
_PROCESS_MARKETS: dict[int, MarketData] = {}
NAMED = 5  # held lines the run's message names


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
        self.writer = PriceWriter(
            settings, rules, runlog, dry_run=dry_run, limit=self.limit, held=held
        )
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

    def _sources(self, product_id: str, marketplace_id: str, pricelist: str | None) -> Sources:
        market = self.market
        batches = tuple(market.batches.get((product_id, marketplace_id), ())) if market else ()
        if batches or pricelist is None or market is None:
            return Sources(batches=batches)
        return Sources(versions=tuple(market.versions.get(pricelist, ())))

    def _digest(self, sources: Sources, marketplace: Marketplace, source_hash: str) -> str:
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
        digests: dict[str, tuple[Sources, str]] = {}
        read: dict[str, Read] = {}
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
        return (
            None
            if current
            else LinePrices(self.writer, product, market.marketplaces, listed, digests, read)
        )

    def _read(self, product_id: str, sources: Sources) -> Read:
        """A marketplace's price files, downloaded (parsed later, against the line's items)."""
        client = self._client()
        return Read(
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

    def _unread(self, product: SourceProduct, message: str) -> LinePrices:
        """A line whose price sources could not be read: its prices stay, with this error."""
        error = Event(Level.ERROR, codes.PRICE_FETCH_FAILED, message, product.id)
        return LinePrices(self.writer, product, error=error)

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
