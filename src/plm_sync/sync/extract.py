"""The extract stage: what a sync run reads from Connect, and nothing else.

The products in scope (an incremental run keeps those whose change signals moved), each
product's item rows (read on the fetch-ahead pool, `connect.prefetch`, never inside a
transaction), its offers (one paged read of `/offers` per run), and the events reading them
gave: drafts counted, unreadable and duplicate rows reported, cleaned text noted. A product
that cannot be read is left as it was with an error (`line_failed`); a refused key fails
the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from plm_sync.config import Settings
from plm_sync.connect.client import ConnectClient
from plm_sync.connect.records import DuplicateRecord, InvalidRecord
from plm_sync.domain import events as codes
from plm_sync.domain.events import Event, Level
from plm_sync.domain.lines import SYNCED_ITEM_STATUSES
from plm_sync.domain.offers import SourceOffer
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.domain.text import inert
from plm_sync.errors import ConnectAuthError, ConnectError, UsageError
from plm_sync.infra.retrying import RetryPolicy
from plm_sync.runs.runlog import RunLog
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import unit_of_work
from plm_sync.sync.request import SyncRequest
from plm_sync.sync.states import LineStates
from plm_sync.sync.tally import Tally

LineFailed = Callable[[str, str, str, Sequence[Event]], list[Event]]


def connect_client(settings: Settings) -> ConnectClient:
    """A client from settings; says which setting is missing."""
    if not settings.connect_url:
        raise UsageError("no Connect URL: set PLM_SYNC_CONNECT_URL (or --connect-url)")
    if not settings.connect_api_key:
        raise UsageError("no Connect API key: set PLM_SYNC_CONNECT_API_KEY")
    return ConnectClient(
        settings.connect_url,
        settings.connect_api_key,
        page_size=settings.page_size,
        timeout=(settings.connect_timeout, settings.read_timeout),
        retry=RetryPolicy(
            max_attempts=settings.max_attempts, max_total_wait=settings.max_retry_wait
        ),
    )


def select_items(
    product_id: str, rows: Sequence[SourceItem | InvalidRecord | DuplicateRecord], tally: Tally
) -> tuple[list[SourceItem], list[Event]]:
    """Keep published and end-of-sale items; drafts are counted, bad rows become errors."""
    items: list[SourceItem] = []
    events: list[Event] = []
    for row in rows:
        if isinstance(row, DuplicateRecord):
            events.append(duplicate_event(row))
        elif isinstance(row, InvalidRecord):
            events.append(
                Event(
                    Level.ERROR,
                    codes.ITEM_INVALID,
                    f"Connect item cannot be read: {row.problem}; fix the item in Connect",
                    product_id,
                    row.id,
                    row.mpn,
                )
            )
        else:
            if row.cleaned:
                events.append(cleaned_event(row.cleaned, product_id, row.id, row.mpn))
            if row.status in SYNCED_ITEM_STATUSES:
                items.append(row)
            else:
                tally.skipped += 1
    return items, events


def duplicate_event(row: DuplicateRecord) -> Event:
    """A row Connect served twice in one listing: taken once."""
    return Event(
        Level.WARNING,
        codes.LISTING_DUPLICATE,
        f"Connect served the {row.kind} id {inert(row.id)} twice in one listing (on two reads in a "
        "row); it was taken once",
        row.product_id,
        row.id if row.kind == "item" else None,
    )


def cleaned_event(
    fields: Sequence[str], product_id: str, item_id: str | None = None, mpn: str | None = None
) -> Event:
    """Control characters removed from a product's or item's text as read."""
    what = "item" if item_id else "product"
    return Event(
        Level.INFO,
        codes.TEXT_CLEANED,
        f"control characters (line breaks, tabs, escapes, NUL) removed from the {what}'s "
        f"{', '.join(fields)} as read from Connect; fix the text in Connect to silence this",
        product_id,
        item_id,
        mpn,
    )


class Extract:
    """The run's reads of Connect; `step` says what it is reading (for a failure's message)."""

    def __init__(
        self,
        settings: Settings,
        request: SyncRequest,
        runlog: RunLog,
        tally: Tally,
        *,
        client: ConnectClient | None,
        line_failed: LineFailed,
        on_step: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.request = request
        self.runlog = runlog
        self.tally = tally
        self._client = client
        self._built_client = False
        self._line_failed = line_failed
        self._step = on_step
        # the account's offer rows by product, read once per run on first use (None: they
        # cannot be indexed, each product lists its own)
        self.offer_rows: dict[str, list[Any]] | None = None
        self.offers_read = False

    @property
    def client(self) -> ConnectClient:
        """The Connect client; a run given none builds one when first needed."""
        if self._client is None:
            self._client = connect_client(self.settings)
            self._built_client = True
        return self._client

    @property
    def retries(self) -> int:
        """The client's retries so far (none built: none)."""
        return self._client.retries if self._client is not None else 0

    def close(self) -> None:
        """Close the client this stage built (a client it was given is the giver's)."""
        if self._client is not None and self._built_client:
            self._client.close()

    def given_offers(self, rows: dict[str, list[Any]]) -> None:
        """The products' offer rows, read by the run's planning task (not listed again)."""
        self.offer_rows, self.offers_read = rows, True

    @property
    def incremental(self) -> bool:
        """An incremental run: every published product listed, the changed ones synced."""
        return not self.request.full and not self.request.product_ids

    def products(self, states: LineStates) -> Iterator[SourceProduct]:
        """The Connect products to sync; unreadable rows become events.

        Every published product in scope is listed (`tally.listed`, what reconciliation keeps).
        A full run syncs them all; an incremental run syncs those that are new, whose change
        signals (version, status, `events.*.at`) differ from the ones their line was stored
        with, or whose line is inactive: Connect does not always stamp `events.updated`.
        """
        stored: dict[str, tuple[str | None, bool]] = {}
        if self.incremental:
            known = states.signatures()  # read at the run's start already, or now
            if known is None:
                with unit_of_work(self.runlog.factory) as session:
                    known = CatalogRepository(session).signatures()
            stored = known
        self._step("fetching products")
        products = self.client.products(ids=list(self.request.product_ids) or None)
        for record in products:
            if isinstance(record, DuplicateRecord):
                self.runlog.record([duplicate_event(record)])
                continue
            if record.id:
                self.tally.listed.add(record.id)
            if isinstance(record, InvalidRecord):
                self.tally.errors += self.runlog.record(
                    [
                        Event(
                            Level.ERROR,
                            codes.PRODUCT_INVALID,
                            f"Connect product cannot be read: {record.problem}",
                            record.id,
                        )
                    ]
                )
                continue
            if self.incremental and stored.get(record.id) == (record.signature, True):
                continue
            yield record
            self._step("fetching products")

    def rows(self, product: SourceProduct) -> list[Any]:
        """A product's raw item rows (runs on the fetch-ahead pool)."""
        return list(self.client.items(product.id))

    def line(
        self, product: SourceProduct, raw: Callable[[], list[Any]] | None = None, *, count: bool
    ) -> tuple[list[SourceItem], list[SourceOffer], list[Event]] | None:
        """A product's items and offers, with the events reading them gave; None: failed.

        `raw`: its item rows fetched ahead (else they are fetched now). A failure is recorded
        (`product_fetch_failed`, `offer_fetch_failed`) and the line is left as it was.
        """
        tally = self.tally
        self._step(f"fetching items of {product.id}")
        try:
            rows = self.rows(product) if raw is None else raw()
        except ConnectAuthError:
            raise
        except ConnectError as error:
            tally.errors += _errors(
                self._line_failed(
                    product.id,
                    codes.PRODUCT_FETCH_FAILED,
                    f"items could not be fetched, product line left as it was: {error}",
                    (),
                )
            )
            return None
        if count:
            tally.items += sum(1 for row in rows if not isinstance(row, DuplicateRecord))
        items, events = select_items(product.id, rows, tally if count else Tally())
        if product.cleaned:
            events.insert(0, cleaned_event(product.cleaned, product.id))
        offers = self.offers(product.id, events)
        if offers is None:
            return None
        return items, offers, events

    def offers_of(self, product_id: str) -> list[Any] | None:
        """A product's offer rows, from the one listing of the run's offers (read on first use).

        One paged read of `/offers` per run instead of one request per product; a failed read
        fails this product's line and is tried again for the next. None: list them for it.
        """
        if not self.offers_read:
            self.offer_rows = self.client.offer_rows(self.request.product_ids)
            self.offers_read = True
        return None if self.offer_rows is None else self.offer_rows.get(product_id, [])

    def offers(self, product_id: str, events: list[Event]) -> list[SourceOffer] | None:
        """The product's offers (none when offers are off); None when they cannot be fetched.

        A failed fetch leaves the line as it was: without the offer, its plans would be
        regrouped by MPN and then flip back on the next run.
        """
        if not self.settings.offers:
            return []
        self._step(f"fetching offers of {product_id}")
        try:
            fetched = self.client.offers(product_id, self.offers_of(product_id))
        except ConnectAuthError:
            raise
        except ConnectError as error:
            self.tally.errors += _errors(
                self._line_failed(
                    product_id,
                    codes.OFFER_FETCH_FAILED,
                    f"offers could not be fetched, product line left as it was: {error}",
                    events,
                )
            )
            return None
        events += [
            Event(Level.ERROR, codes.OFFER_INVALID, note, product_id) for note in fetched.notes
        ]
        return fetched.offers


def _errors(events: Sequence[Event]) -> int:
    return sum(1 for event in events if event.level is Level.ERROR)
