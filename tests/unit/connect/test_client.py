"""The Connect client against canned HTTP answers: paging, retries, typed errors, secrecy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
import responses
from structlog.testing import capture_logs

from plm_sync.connect.client import ConnectClient
from plm_sync.connect.records import DuplicateRecord, InvalidRecord
from plm_sync.connect.rql import gt
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.errors import (
    ConnectApiError,
    ConnectAuthError,
    ConnectError,
    ConnectListingUnstableError,
    ConnectNotFoundError,
    ConnectProtocolError,
    ConnectTransientError,
)
from plm_sync.infra.retrying import RetryPolicy, parse_retry_after

BASE = "https://api.example.test/public/v1"
KEY = "SU-111-222-333:topsecretvalue"
PRODUCTS = f"{BASE}/products"
FIXTURE_ERROR = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "connect-python-sdk__response_server_error.json"
)


def product(number: int) -> dict[str, object]:
    return {
        "id": f"PRD-000-000-{number:03d}",
        "name": f"P{number}",
        "status": "published",
        "owner": {"id": "VA-1", "name": "Vendor"},
    }


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sleeps: Sleeps) -> ConnectClient:
    return ConnectClient(
        BASE, KEY, page_size=2, retry=RetryPolicy(max_attempts=4, max_total_wait=60), sleep=sleeps
    )


def item(ident: str, mpn: str) -> dict[str, object]:
    return {"id": ident, "mpn": mpn, "name": mpn, "type": "reservation", "status": "published"}


def page(rows: list[dict[str, object]], first: int, total: int | None) -> dict[str, object]:
    headers = {}
    if total is not None:
        last = first + len(rows) - 1 if rows else 0
        headers["Content-Range"] = f"items {first if rows else 0}-{last}/{total}"
    return {"json": rows, "headers": headers}


def offsets(calls: responses.CallList) -> list[str]:
    return [unquote(call.request.url or "").rsplit("offset=", 1)[1] for call in calls]


@responses.activate
def test_pages_until_the_content_range_total(client: ConnectClient) -> None:
    responses.get(PRODUCTS, **page([product(1), product(2)], 0, 5))
    responses.get(PRODUCTS, **page([product(3), product(4)], 2, 5))
    responses.get(PRODUCTS, **page([product(5)], 4, 5))
    ids = [p.id for p in client.products() if not isinstance(p, InvalidRecord)]
    assert ids == [f"PRD-000-000-{n:03d}" for n in range(1, 6)]
    assert offsets(responses.calls) == ["0", "2", "4"]


@responses.activate
def test_advances_by_rows_returned_when_the_server_cuts_the_limit() -> None:
    client = ConnectClient(BASE, KEY, page_size=100, sleep=Sleeps())
    responses.get(PRODUCTS, **page([product(1), product(2)], 0, 3))
    responses.get(PRODUCTS, **page([product(3)], 2, 3))
    assert len(list(client.products())) == 3
    assert offsets(responses.calls) == ["0", "2"]


@responses.activate
def test_without_content_range_it_stops_on_an_empty_page(client: ConnectClient) -> None:
    responses.get(PRODUCTS, json=[product(1), product(2)])
    responses.get(PRODUCTS, json=[product(3)])
    responses.get(PRODUCTS, json=[])
    assert len(list(client.products())) == 3
    assert len(responses.calls) == 3


@responses.activate
def test_empty_collection_is_one_request(client: ConnectClient) -> None:
    responses.get(PRODUCTS, json=[], headers={"Content-Range": "items 0-0/0"})
    assert list(client.products()) == []
    assert len(responses.calls) == 1


@responses.activate
def test_a_server_that_ignores_offset_cannot_loop_forever(client: ConnectClient) -> None:
    responses.get(PRODUCTS, json=[product(1), product(2)])
    rows = list(client.products())
    assert [row.id for row in rows if isinstance(row, SourceProduct)] == [
        "PRD-000-000-001",
        "PRD-000-000-002",
    ]
    # served twice by two reads in a row: reported, taken once
    assert [row.id for row in rows if isinstance(row, DuplicateRecord)] == [
        "PRD-000-000-001",
        "PRD-000-000-002",
    ]
    assert len(responses.calls) == 4


class MovingListing:
    """A listing served from a list that a test changes between page reads."""

    def __init__(self, rows: list[dict[str, object]]) -> None:
        self.rows = rows
        self.served = 0
        self.on_page: dict[int, object] = {}  # request number -> what to do after it

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = unquote(request.url or "")
        offset = int(query.rpartition("offset=")[2].split("&")[0])
        limit = int(query.rpartition("limit=")[2].split("&")[0])
        chunk = self.rows[offset : offset + limit]
        last = offset + len(chunk) - 1 if chunk else 0
        headers = {"Content-Range": f"items {offset}-{last}/{len(self.rows)}"}
        self.served += 1
        change = self.on_page.get(self.served)
        if callable(change):
            change(self)
        return 200, headers, json.dumps(chunk)


def moving(rows: list[dict[str, object]], path: str = PRODUCTS) -> MovingListing:
    listing = MovingListing(rows)
    responses.add_callback(responses.GET, path, callback=listing)
    return listing


@responses.activate
def test_a_listing_that_shrinks_while_read_is_read_again_and_misses_nothing(
    client: ConnectClient,
) -> None:
    listing = moving([product(n) for n in range(1, 6)])
    # product 1 goes after the first page was served: 3 would shift into the page read
    listing.on_page[1] = lambda served: served.rows.pop(0)
    ids = [row.id for row in client.products() if isinstance(row, SourceProduct)]
    # 1 was handed out before it went (a streamed listing); 3, still served, is not missed
    assert sorted(ids) == [f"PRD-000-000-{n:03d}" for n in range(1, 6)]
    assert client.retries == 1


@responses.activate
def test_items_come_from_the_read_that_held_still(client: ConnectClient) -> None:
    path = f"{PRODUCTS}/PRD-1/items"
    rows = [item(f"PRD-1-{n:04d}", f"SKU{n}:0001_P1M:Monthly") for n in range(1, 6)]
    listing = moving(rows, path)
    listing.on_page[2] = lambda served: served.rows.pop(0)  # gone after page 2 was served
    read = list(client.items("PRD-1"))
    # the item gone is not in (it was never used), every item still served is
    assert sorted(row.id for row in read if isinstance(row, SourceItem)) == [
        f"PRD-1-{n:04d}" for n in range(2, 6)
    ]


@responses.activate
def test_a_listing_that_never_holds_still_is_refused(client: ConnectClient) -> None:
    listing = moving([product(n) for n in range(1, 6)])
    for served in range(1, 40, 2):  # a product added after every second page read
        listing.on_page[served] = lambda moved: moved.rows.append(product(len(moved.rows) + 9))
    with pytest.raises(ConnectListingUnstableError, match="changed while it was read, 4 reads"):
        list(client.products())


@responses.activate
def test_an_id_served_twice_by_two_reads_is_a_duplicate_taken_once(
    client: ConnectClient,
) -> None:
    moving([product(1), product(2), product(2), product(3)])
    rows = list(client.products())
    assert [row.id for row in rows if isinstance(row, SourceProduct)] == [
        "PRD-000-000-001",
        "PRD-000-000-002",
        "PRD-000-000-003",
    ]
    assert [row.id for row in rows if isinstance(row, DuplicateRecord)] == ["PRD-000-000-002"]


@responses.activate
def test_a_total_that_grows_mid_run_is_followed(client: ConnectClient) -> None:
    responses.get(PRODUCTS, **page([product(1), product(2)], 0, 2 + 0))
    assert len(list(client.products())) == 2
    responses.reset()
    responses.get(PRODUCTS, **page([product(1), product(2)], 0, 3))
    responses.get(PRODUCTS, **page([product(3)], 2, 3))
    assert len(list(client.products())) == 3


@responses.activate
def test_products_query_carries_rql_filters(client: ConnectClient) -> None:
    responses.get(PRODUCTS, json=[], headers={"Content-Range": "items 0-0/0"})
    since = datetime(2026, 11, 1, tzinfo=UTC)
    list(client.products(ids=["PRD-1", "PRD-2"], extra=gt("events.updated.at", since)))
    url = responses.calls[0].request.url or ""
    query = url.split("?", 1)[1]
    assert query.startswith(
        "and(eq(status,published),in(id,(PRD-1,PRD-2)),"
        "gt(events.updated.at,2026-11-01T00:00:00+00:00))&ordering(events.created.at)"
    )
    assert query.endswith("limit=2&offset=0")


@responses.activate
def test_rql_values_with_special_characters_are_quoted_and_encoded(
    client: ConnectClient,
) -> None:
    responses.get(f"{PRODUCTS}/PRD-1/items", json=[], headers={"Content-Range": "items 0-0/0"})
    list(client.items("PRD-1", statuses=("a b", "x&y")))
    url = responses.calls[0].request.url or ""
    assert "in(status,(%22a%20b%22,%22x%26y%22))" in url


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
@responses.activate
def test_transient_statuses_are_retried(client: ConnectClient, sleeps: Sleeps, status: int) -> None:
    responses.get(PRODUCTS, status=status, json={"error_code": "X", "errors": ["busy"]})
    responses.get(PRODUCTS, **page([product(1)], 0, 1))
    assert len(list(client.products())) == 1
    assert client.retries == 1
    assert len(sleeps) == 1


@responses.activate
def test_retry_after_seconds_is_a_floor_that_jitter_never_shortens(
    client: ConnectClient, sleeps: Sleeps
) -> None:
    for _ in range(3):
        responses.get(PRODUCTS, status=429, headers={"Retry-After": "7"})
    responses.get(PRODUCTS, **page([product(1)], 0, 1))
    list(client.products())
    assert len(sleeps) == 3
    assert all(7 <= wait < 8.5 for wait in sleeps)


@responses.activate
def test_retry_after_http_date_is_honoured(client: ConnectClient, sleeps: Sleeps) -> None:
    when = datetime.now(UTC) + timedelta(seconds=20)
    responses.get(PRODUCTS, status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    responses.get(PRODUCTS, **page([product(1)], 0, 1))
    list(client.products())
    assert 17 <= sleeps[0] <= 21


@responses.activate
def test_a_retry_after_beyond_the_budget_fails_instead_of_blocking(
    client: ConnectClient, sleeps: Sleeps
) -> None:
    responses.get(PRODUCTS, status=429, headers={"Retry-After": "86400"})
    with pytest.raises(ConnectTransientError, match="retry budget"):
        list(client.products())
    assert sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(requests.ConnectionError("reset by peer"), id="reset"),
        pytest.param(requests.ReadTimeout("read timed out"), id="read-timeout"),
        pytest.param(requests.ConnectTimeout("connect timed out"), id="connect-timeout"),
        pytest.param(requests.exceptions.ChunkedEncodingError("cut"), id="cut-body"),
    ],
)
@responses.activate
def test_transport_failures_are_retried(client: ConnectClient, failure: Exception) -> None:
    responses.get(PRODUCTS, body=failure)
    responses.get(PRODUCTS, **page([product(1)], 0, 1))
    assert len(list(client.products())) == 1
    assert client.retries == 1


@responses.activate
def test_retries_are_bounded(client: ConnectClient, sleeps: Sleeps) -> None:
    responses.get(PRODUCTS, status=500, json={"error_code": "E500", "errors": ["boom"]})
    with pytest.raises(ConnectTransientError, match="HTTP 500"):
        list(client.products())
    assert len(responses.calls) == 4
    assert len(sleeps) == 3


@pytest.mark.parametrize("status", [401, 403])
@responses.activate
def test_bad_key_is_not_retried_and_says_what_to_check(client: ConnectClient, status: int) -> None:
    responses.get(PRODUCTS, status=status, json={"error_code": "AUTH_001", "errors": ["no"]})
    with pytest.raises(ConnectAuthError) as raised:
        list(client.products())
    assert len(responses.calls) == 1
    assert "PLM_SYNC_CONNECT_API_KEY" in str(raised.value)
    assert raised.value.exit_code == 2


@responses.activate
def test_not_found_carries_connects_error(client: ConnectClient) -> None:
    responses.get(
        f"{PRODUCTS}/PRD-9/items",
        status=404,
        json={"error_code": "CNCT_001", "errors": ["Product not found."]},
    )
    with pytest.raises(ConnectNotFoundError, match="CNCT_001: Product not found"):
        list(client.items("PRD-9"))


@responses.activate
def test_api_error_keeps_error_code_and_errors(client: ConnectClient) -> None:
    body = json.loads(FIXTURE_ERROR.read_text(encoding="utf-8"))
    responses.get(PRODUCTS, status=400, json=body)
    with pytest.raises(ConnectApiError) as raised:
        list(client.products())
    assert raised.value.error_code == "ERR_000"
    assert raised.value.errors == ["error_str_1", "error_str_2"]
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        pytest.param("<html><body>Gateway</body></html>", "text/html", "an HTML page", id="html"),
        pytest.param(
            '[{"id": "PRD-1", "na', "application/json", "truncated or invalid JSON", id="truncated"
        ),
        pytest.param('{"id": "PRD-1"}', "application/json", "got a JSON dict", id="object"),
    ],
)
@responses.activate
def test_protocol_errors_name_the_url_and_offset(
    client: ConnectClient, body: str, content_type: str, fragment: str
) -> None:
    responses.get(PRODUCTS, body=body, content_type=content_type)
    with pytest.raises(ConnectProtocolError) as raised:
        list(client.products())
    message = str(raised.value)
    assert "GET /products at offset 0" in message
    assert fragment in message


@responses.activate
def test_the_api_key_is_sent_but_never_logged_or_shown(client: ConnectClient) -> None:
    responses.get(PRODUCTS, body=requests.ConnectionError("reset"))
    responses.get(PRODUCTS, status=429, headers={"Retry-After": "1"})
    responses.get(PRODUCTS, status=401, json={"error_code": "AUTH", "errors": ["bad"]})
    with capture_logs() as logs, pytest.raises(ConnectAuthError) as raised:
        list(client.products())
    assert responses.calls[0].request.headers["Authorization"] == f"ApiKey {KEY}"
    assert len(logs) == 2
    assert all(log["event"] == "connect_retry" for log in logs)
    everything = json.dumps(logs, default=str) + str(raised.value) + repr(client)
    assert "topsecretvalue" not in everything
    assert "SU-111-222-333" not in everything


@responses.activate
def test_a_bad_item_is_a_record_error_and_the_stream_goes_on(client: ConnectClient) -> None:
    good = {
        "id": "PRD-1-0001",
        "mpn": "A_P1M:Monthly",
        "type": "reservation",
        "status": "published",
        "period": "monthly",
        "name": "A (x)",
    }
    bad = {"id": "PRD-1-0002", "mpn": "B_P1M:Monthly", "status": "published"}
    responses.get(f"{PRODUCTS}/PRD-1/items", **page([good, bad], 0, 3))
    responses.get(f"{PRODUCTS}/PRD-1/items", **page([{**good, "id": "PRD-1-0003"}], 2, 3))
    rows = list(client.items("PRD-1"))
    assert [type(row) for row in rows] == [SourceItem, InvalidRecord, SourceItem]
    invalid = rows[1]
    assert isinstance(invalid, InvalidRecord)
    assert (invalid.id, invalid.mpn) == ("PRD-1-0002", "B_P1M:Monthly")
    assert "type" in invalid.problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("5", 5.0, id="seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="date-in-the-past"),
        pytest.param("soon", None, id="garbage"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_a_base_url_without_scheme_is_refused() -> None:
    with pytest.raises(ConnectError, match="must start with http"):
        ConnectClient("api.connect.cloudblue.com", KEY)
