"""The Connect REST client: paged streams of products and items, retries, typed errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import requests
import structlog

from plm_sync.connect.offers import (
    OfferRecordError,
    parse_feature,
    parse_group,
    parse_offer_header,
    parse_offer_item,
    parse_plan,
    parse_preset,
    parse_switch,
)
from plm_sync.connect.paging import PageCursor, parse_content_range
from plm_sync.connect.records import DuplicateRecord, InvalidRecord, parse_item, parse_product
from plm_sync.connect.responses import (
    classify_response,
    json_list,
    read_capped,
)
from plm_sync.connect.rql import Rql, and_, eq, in_, ordering, query_string
from plm_sync.domain.offers import (
    PUBLISHED_OFFER_STATUSES,
    ConnectPreset,
    OfferFeature,
    OfferItemValue,
    OfferPlan,
    OfferSwitch,
    SourceOffer,
)
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.domain.text import redact_url
from plm_sync.errors import (
    ConnectError,
    ConnectListingUnstableError,
    ConnectNotFoundError,
    ConnectTransientError,
)
from plm_sync.infra.retrying import Retrier, RetryPolicy

log = structlog.get_logger(__name__)
_T = TypeVar("_T")

_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


@dataclass
class _Read:
    """One read of a paged listing: where it got to, its rows, the ids it served twice."""

    cursor: PageCursor = field(default_factory=PageCursor)
    rows: list[Any] = field(default_factory=list)
    twice: list[str] = field(default_factory=list)


def _first_time(row: Any, handed: set[str]) -> bool:  # noqa: ANN401 - a JSON row
    """Whether `row` was not handed out yet (by id; a row without one by its content)."""
    ident = row.get("id") if isinstance(row, dict) else None
    key = ident if isinstance(ident, str) else "row:" + json.dumps(row, sort_keys=True, default=str)
    if key in handed:
        return False
    handed.add(key)
    return True


@dataclass
class OfferFetch:
    """The offers of one product, and notes on rows that could not be read."""

    offers: list[SourceOffer]
    notes: list[str]


class ConnectClient:
    """Streams Connect products and items page by page over one reused HTTP session.

    Every retry is counted in `retries` and logged with the URL path, never the key.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        page_size: int = 500,
        timeout: tuple[float, float] = (15.0, 180.0),
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            msg = f"Connect URL {redact_url(base_url)!r} must start with http:// or https://"
            raise ConnectError(msg)
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._retrier = Retrier(
            self.retry, event="connect_retry", over_budget=self._over_budget, sleep=sleep
        )
        self._sleep = sleep
        self._session = session or requests.Session()
        self._presets: tuple[ConnectPreset, ...] | None = None
        self._no_offers_module = False  # `/offers` answered 404: not asked again
        key = api_key if api_key.startswith("ApiKey ") else f"ApiKey {api_key}"
        self._session.headers.update({"Authorization": key, "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"ConnectClient(base_url={self.shown_url!r}, api_key='***')"

    @property
    def shown_url(self) -> str:
        """The base URL for messages: a password in it shown as `***`."""
        return redact_url(self.base_url)

    @property
    def host(self) -> str:
        """`host:port` of the base URL, for messages."""
        parts = urlsplit(self.base_url)
        return parts.netloc.rpartition("@")[2] or self.base_url

    def close(self) -> None:
        """Release the pooled connections."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- one request, retried -------------------------------------------------------------

    @property
    def retries(self) -> int:
        """Retries made so far (every request, every listing read again)."""
        return self._retrier.retries

    def _over_budget(self, error: BaseException, wait: float) -> BaseException:
        retry_after = getattr(error, "retry_after", None)
        return ConnectTransientError(
            f"{error}; the next retry would wait {wait:.0f} s, beyond the "
            f"{self.retry.max_total_wait:.0f} s retry budget (PLM_SYNC_MAX_RETRY_WAIT)",
            retry_after=retry_after,
        )

    def _get_once(self, path: str, query: str) -> requests.Response:
        where = f"GET {path}?{query}" if query else f"GET {path}"
        try:
            response = self._session.get(
                f"{self.base_url}{path}" + (f"?{query}" if query else ""),
                timeout=self.timeout,
                stream=True,
            )
            # read the whole body inside the retry (cut bodies retry), never more than the cap
            read_capped(response, where)
            classify_response(response, where)
        except requests.exceptions.ReadTimeout:
            raise ConnectTransientError(
                f"Connect at {self.host} did not answer {where} within {self.timeout[1]:g} s "
                "(PLM_SYNC_READ_TIMEOUT: raise it if Connect is slow for large pages, or lower "
                "PLM_SYNC_PAGE_SIZE)"
            ) from None
        except _TRANSPORT_ERRORS as error:
            kind = type(error).__name__
            raise ConnectTransientError(
                f"{kind} on {where}: cannot reach Connect at {self.host} (check "
                "PLM_SYNC_CONNECT_URL and the network)"
            ) from None
        return response

    def get(self, path: str, query: str = "") -> requests.Response:
        """GET `path` with retries on transient failures; other errors raise at once."""
        return self._retrier.call(self._get_once, path, query)

    def download(self, path: str) -> bytes:
        """A file below the API (a pricing batch's output, say), retried, capped in size."""
        return self.get(path).content

    # -- paged streams --------------------------------------------------------------------

    def pages(
        self,
        path: str,
        filters: list[Rql],
        *,
        whole: bool = False,
        duplicates: list[str] | None = None,
    ) -> Iterator[list[Any]]:
        """Every row of a collection, page by page, each id once.

        A listing whose total changes while it is read (a row removed or added between two
        page reads shifts the rest, so another row is skipped or served twice) is read again
        from the start, up to the retry policy's attempts; one that never holds still raises
        ConnectListingUnstableError. Streamed (the default), rows handed out by an earlier read
        are not handed out again; `whole=True` hands out one list: the rows of the read that
        held still. An id served twice is a sign of rows moving too: it is read again, and
        only an id served twice by two reads in a row is a real duplicate (added to
        `duplicates`, served once).
        """
        handed: set[str] | None = None if whole else set()
        previous: list[str] | None = None
        totals: list[str] = []
        for attempt in range(1, self.retry.max_attempts + 1):
            read = _Read()
            yield from self._read_once(path, filters, read, handed)
            if not read.cursor.shifted and (not read.twice or read.twice == previous):
                if duplicates is not None:
                    duplicates.extend(read.twice)
                if whole and read.rows:
                    yield read.rows
                return
            previous = read.twice
            totals.append(f"{read.cursor.first_total} then {read.cursor.total}")
            if attempt < self.retry.max_attempts:
                self._retrier.add()
                log.warning("connect_listing_moved", path=path, attempt=attempt)
                self._sleep(self.retry.wait(attempt))
        raise ConnectListingUnstableError(
            f"GET {path}: the listing changed while it was read, {len(totals)} reads in a row "
            f"(totals {'; '.join(totals)}); nothing from it was used, the next run reads it "
            "again"
        )

    def _read_once(
        self, path: str, filters: list[Rql], read: _Read, handed: set[str] | None
    ) -> Iterator[list[Any]]:
        """One read of a listing from its start; stops early once its rows are seen to move.

        With `handed`, new rows are streamed page by page (and their keys added to it);
        without, they are kept in `read.rows`.
        """
        cursor, seen = read.cursor, set[str]()
        while not cursor.done:
            query = query_string(filters, limit=self.page_size, offset=cursor.offset)
            response = self.get(path, query)
            rows = json_list(response, path, cursor.offset)
            fresh = []
            for row in rows:
                ident = row.get("id") if isinstance(row, dict) else None
                if isinstance(ident, str):
                    if ident in seen:
                        read.twice.append(ident)
                        continue
                    seen.add(ident)
                fresh.append(row)
            cursor.advance(
                len(rows), len(fresh), parse_content_range(response.headers.get("Content-Range"))
            )
            if cursor.shifted:
                return
            if handed is None:
                read.rows += fresh
                continue
            new = [row for row in fresh if _first_time(row, handed)]
            if new:
                yield new

    def products(
        self,
        *,
        ids: list[str] | None = None,
        statuses: tuple[str, ...] = ("published",),
        extra: Rql | None = None,
    ) -> Iterator[SourceProduct | InvalidRecord | DuplicateRecord]:
        """Products (default: published), optionally by id and by a further RQL filter.

        Ids served twice follow the products as DuplicateRecords.
        """
        filters = (
            [in_("status", statuses) if len(statuses) > 1 else eq("status", statuses[0])]
            if statuses
            else []
        )
        if ids:
            filters.append(in_("id", ids))
        if extra is not None:
            filters.append(extra)
        expression = [and_(*filters)] if filters else []
        twice: list[str] = []
        try:
            for page in self.pages(
                "/products", [*expression, ordering("events.created.at")], duplicates=twice
            ):
                yield from (parse_product(row) for row in page)
            yield from (DuplicateRecord("product", ident, ident) for ident in twice)
        except ConnectNotFoundError as error:
            raise ConnectNotFoundError(
                f"{error}: check that PLM_SYNC_CONNECT_URL ({self.shown_url}) is the API's base "
                "URL ending in /public/v1, e.g. https://api.connect.cloudblue.com/public/v1"
            ) from None

    def switch_presets(self) -> tuple[ConnectPreset, ...]:
        """The account's switch presets (fetched once per client)."""
        if self._presets is None:
            reader = _OfferReader(self)
            try:
                presets = reader.parsed("/offers-ns/presets", parse_preset, [eq("type", "switch")])
            except ConnectNotFoundError:
                presets = []
            self._presets = tuple(presets)
        return self._presets

    def offer_rows(self, product_ids: Sequence[str] = ()) -> dict[str, list[Any]] | None:
        """The account's offer rows by product id, read in pages once (a run's first step).

        With product ids, only theirs. A Connect without the Offers module has none. None
        when a row names no product: then each product's offers must be listed for it.
        """
        if self._no_offers_module:
            return {}
        filters = [in_("product.id", list(product_ids))] if product_ids else []
        try:
            rows = list(_OfferReader(self).rows("/offers", filters))
        except ConnectNotFoundError:
            self._no_offers_module = True
            return {}
        by_product: dict[str, list[Any]] = {}
        for row in rows:
            product = row.get("product") if isinstance(row, dict) else None
            product_id = product.get("id") if isinstance(product, dict) else None
            if not isinstance(product_id, str):
                return None
            by_product.setdefault(product_id, []).append(row)
        return by_product

    def offers(self, product_id: str, rows: Sequence[Any] | None = None) -> OfferFetch:
        """The product's offers; only published ones (ready, listed) are read in full.

        `rows`: the product's offer rows when the run read them all at once (`offer_rows`);
        without them they are listed for this product. A Connect without the Offers module
        (HTTP 404 on /offers) has none; the client then stops asking.
        """
        if self._no_offers_module:
            return OfferFetch([], [])
        reader = _OfferReader(self)
        found: list[SourceOffer] = []
        if rows is None:
            try:
                rows = list(reader.rows("/offers", [eq("product.id", product_id)]))
            except ConnectNotFoundError:
                self._no_offers_module = True
                return OfferFetch([], [])
        for row in rows:
            try:
                header = parse_offer_header(row)
            except OfferRecordError as problem:
                reader.notes.append(f"GET /offers: {problem}; row ignored")
                continue
            if header[2] in PUBLISHED_OFFER_STATUSES:
                found.append(reader.offer(product_id, header))
            else:
                found.append(SourceOffer(header[0], product_id, header[1], header[2]))
        return OfferFetch(found, reader.notes)

    def items(
        self, product_id: str, *, statuses: tuple[str, ...] = ()
    ) -> Iterator[SourceItem | InvalidRecord | DuplicateRecord]:
        """Items of one product (all statuses unless narrowed); the spec gives no ordering.

        Read whole and from a listing that held still while it was read (`pages`); ids it
        served twice follow the items as DuplicateRecords.
        """
        filters = [in_("status", statuses)] if statuses else []
        twice: list[str] = []
        path = f"/products/{product_id}/items"
        for page in self.pages(path, filters, whole=True, duplicates=twice):
            yield from (parse_item(row, product_id) for row in page)
        yield from (DuplicateRecord("item", ident, product_id) for ident in twice)


class _OfferReader:
    """Fetches one product's offers with their plans, items, features and switches."""

    def __init__(self, client: ConnectClient) -> None:
        self.client = client
        self.notes: list[str] = []

    def rows(self, path: str, filters: list[Rql] | None = None) -> Iterator[Any]:
        for page in self.client.pages(path, filters or []):
            yield from page

    def parsed(
        self, path: str, parse: Callable[[Any], _T], filters: list[Rql] | None = None
    ) -> list[_T]:
        found = []
        for row in self.rows(path, filters):
            try:
                found.append(parse(row))
            except OfferRecordError as problem:
                self.notes.append(f"GET {path}: {problem}; row ignored")
        return found

    def offer(self, product_id: str, header: tuple[str, str, str, str | None]) -> SourceOffer:
        ident, name, status, updated = header
        base = f"/offers/{ident}"
        plans: list[OfferPlan] = self.parsed(f"{base}/plans", parse_plan)
        values: list[OfferItemValue] = [
            value for values in self.parsed(f"{base}/items", parse_offer_item) for value in values
        ]
        groups = {
            group_id: (group_name, position)
            for group_id, group_name, position in self.parsed(
                f"{base}/features-groups", parse_group
            )
        }
        features: list[OfferFeature] = self.parsed(
            f"{base}/features", lambda row: parse_feature(row, groups)
        )
        switches: list[OfferSwitch] = self.parsed(f"{base}/switches", parse_switch)
        return SourceOffer(
            id=ident,
            product_id=product_id,
            name=name,
            status=status,
            plans=tuple(plans),
            values=tuple(values),
            features=tuple(features),
            switches=tuple(switches),
            presets=self.client.switch_presets(),
            updated_at=updated,
        )
