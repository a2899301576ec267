"""The Connect client against the real sandbox over loopback, faults included."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from plm_sync.connect.client import ConnectClient
from plm_sync.connect.records import InvalidRecord
from plm_sync.connect.rql import gt
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.errors import ConnectAuthError, ConnectNotFoundError
from plm_sync.sandbox.binding import SandboxBindError
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG, SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.sandbox.connect.rql_eval import load_schemas, parse_query
from plm_sync.sandbox.connect.server import SandboxOptions, SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.integration.conftest import API_KEY, fast_client, settings_of, start_sandbox

pytestmark = pytest.mark.integration


def everything(client_url: str, **kwargs: object) -> tuple[list[object], list[object], int]:
    client = fast_client(client_url, **kwargs)
    with client:
        products = list(client.products(statuses=()))
        items: list[object] = []
        for product in products:
            assert isinstance(product, SourceProduct)
            items += list(client.items(product.id))
    return products, items, client.retries


def test_streams_the_sample_catalog_completely(sandbox: SandboxServer) -> None:
    products, items, retries = everything(sandbox.url, page_size=7)
    assert len(products) == 7  # five published, one draft, one end of sale
    assert len(items) == sandbox.catalog.item_count()
    assert retries == 0
    ids = [row.id for row in items if isinstance(row, SourceItem | InvalidRecord)]
    assert len(set(ids)) == len(ids)


def test_5000_items_stream_exactly_with_every_fault_kind_on() -> None:
    catalog_data = generate_catalog(5, 1000, seed=42)
    clean = start_sandbox(SandboxCatalog.from_data(catalog_data))
    try:
        expected = everything(clean.url)
    finally:
        clean.stop()
    faulty = start_sandbox(
        SandboxCatalog.from_data(catalog_data),
        faults="429:0.03,500:0.03,reset:0.02,slow:0.02,truncate:0.02",
        seed=7,
        slow_seconds=0.5,
    )
    try:
        got = everything(faulty.url, page_size=50, timeout=(2.0, 0.2))
    finally:
        faulty.stop()
    assert len(expected[1]) == 5000
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert set(faulty.injected) == {"429", "500", "reset", "slow", "truncate"}
    assert got[2] == sum(faulty.injected.values())
    assert got[2] >= 0.1 * 105  # ~105 requests, at least 10 % of them failed


def test_a_cut_limit_still_yields_every_item() -> None:
    data = generate_catalog(1, 230, seed=3)
    server = SandboxServer(
        SandboxCatalog.from_data(data), SandboxOptions(api_key=API_KEY, max_limit=40)
    ).start()
    try:
        client = fast_client(server.url, page_size=500)
        pid = data["products"][0]["id"]
        assert len(list(client.items(pid))) == 230
    finally:
        server.stop()


def test_wrong_key_is_refused_without_retry(sandbox: SandboxServer) -> None:
    client = fast_client(sandbox.url)
    client._session.headers["Authorization"] = "ApiKey SU-WRONG:nope"
    with pytest.raises(ConnectAuthError, match="PLM_SYNC_CONNECT_API_KEY"):
        list(client.products())
    assert client.retries == 0


def test_unknown_product_is_not_found(sandbox: SandboxServer) -> None:
    with pytest.raises(ConnectNotFoundError, match="CNCT_001"):
        list(fast_client(sandbox.url).items("PRD-000-000-404"))


def test_updated_since_cursor_sees_mutations(sandbox: SandboxServer) -> None:
    client = fast_client(sandbox.url)
    products = [p for p in client.products() if isinstance(p, SourceProduct)]
    cursor = max(datetime.fromisoformat(p.updated_at) for p in products if p.updated_at)
    assert list(client.products(extra=gt("events.updated.at", cursor))) == []
    target = products[1].id
    item_id = sandbox.catalog.items(target)[0]["id"]  # type: ignore[index]
    control = sandbox.control_url
    headers = {"Authorization": f"ApiKey {API_KEY}"}
    response = requests.post(f"{control}/items/{item_id}/touch", headers=headers, timeout=5)
    assert response.status_code == 200
    changed = [
        p.id
        for p in client.products(extra=gt("events.updated.at", cursor))
        if isinstance(p, SourceProduct)
    ]
    assert changed == [target]


def test_control_endpoints_add_change_and_remove_items(sandbox: SandboxServer) -> None:
    control = sandbox.control_url
    headers = {"Authorization": f"ApiKey {API_KEY}"}
    pid = "PRD-276-377-545"
    new = {
        "id": f"{pid}-0099",
        "mpn": "NEW_P1M:Monthly",
        "name": "New (x)",
        "type": "ppu",
        "status": "published",
        "period": "monthly",
    }
    assert (
        requests.post(
            f"{control}/products/{pid}/items", json=new, headers=headers, timeout=5
        ).status_code
        == 201
    )
    assert (
        requests.patch(
            f"{control}/items/{pid}-0001", json={"status": "endofsale"}, headers=headers, timeout=5
        ).status_code
        == 200
    )
    assert (
        requests.delete(f"{control}/items/{pid}-0002", headers=headers, timeout=5).status_code
        == 200
    )
    assert (
        requests.delete(f"{control}/items/{pid}-0002", headers=headers, timeout=5).status_code
        == 400
    )
    assert requests.post(f"{control}/items/x/touch", timeout=5).status_code == 401
    items = {i.id: i for i in fast_client(sandbox.url).items(pid) if isinstance(i, SourceItem)}
    assert items[f"{pid}-0099"].mpn == "NEW_P1M:Monthly"
    assert items[f"{pid}-0001"].status == "endofsale"
    assert f"{pid}-0002" not in items


def test_the_api_is_read_only(sandbox: SandboxServer) -> None:
    response = requests.post(f"{sandbox.url}/products", json={}, timeout=5)
    assert response.status_code == 405


def test_refuses_to_listen_beyond_loopback() -> None:
    with pytest.raises(SandboxBindError, match="--allow-remote"):
        SandboxServer(SandboxCatalog([], {}), SandboxOptions(api_key="k"), host="0.0.0.0")  # noqa: S104


def test_cli_sandbox_serves_over_loopback() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "plm_sync", "sandbox", "--port", "0", "--api-key", API_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            url = first.split()[2]
            assert url.startswith("http://127.0.0.1:")
            assert "integration-secret" not in first
            assert len(list(fast_client(url).products())) == 5
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_cli_sandbox_refuses_a_public_address() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "plm_sync", "sandbox", "--host", "0.0.0.0", "--port", "0"],  # noqa: S104
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("query", "rows", "content_range"),
    [
        pytest.param("limit=2&offset=1", 2, "items 1-2/7", id="a-page"),
        pytest.param("limit=5&offset=25", 0, "items 25-25/7", id="past-the-end"),
        pytest.param("limit=0", 0, "items 0-0/7", id="limit-zero-counts"),
        pytest.param("limit=5&eq(id,PRD-0)", 0, "items 0-0/0", id="nothing-found"),
    ],
)
def test_paging_answers_as_connect(
    sandbox: SandboxServer, query: str, rows: int, content_range: str
) -> None:
    response = requests.get(
        f"{sandbox.url}/products?{query}",
        headers={"Authorization": f"ApiKey {API_KEY}"},
        timeout=5,
    )
    assert response.status_code == 200
    assert len(response.json()) == rows
    assert response.headers["Content-Range"] == content_range


def test_single_rows_and_refused_filters(sandbox: SandboxServer) -> None:
    headers = {"Authorization": f"ApiKey {API_KEY}"}
    base = sandbox.url
    item = requests.get(
        f"{base}/products/PRD-276-377-545/items/PRD-276-377-545-0001", headers=headers, timeout=5
    )
    assert item.json()["id"] == "PRD-276-377-545-0001"
    offer = requests.get(f"{base}/offers/OFR-900-100-200", headers=headers, timeout=5)
    assert offer.json()["id"] == "OFR-900-100-200"
    refused = requests.get(f"{base}/products?eq(colour,red)", headers=headers, timeout=5)
    assert refused.status_code == 400
    assert "colour" in refused.json()["errors"][0]
    unordered = requests.get(
        f"{base}/products/PRD-276-377-545/items?ordering(position)", headers=headers, timeout=5
    )
    assert unordered.status_code == 400


class RecordingClient(ConnectClient):
    """A Connect client that keeps the path and query of every GET it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[tuple[str, str]] = []

    def get(self, path: str, query: str = "") -> requests.Response:
        self.sent.append((path, query))
        return super().get(path, query)


# which collection's declared filters a path's query is checked against (the public spec's)
COLLECTIONS = [
    (re.compile(r"/products"), "products"),
    (re.compile(r"/products/[^/]+/items"), "items"),
    (re.compile(r"/offers"), "offers"),
    (re.compile(r"/offers-ns/presets"), "presets"),
    (re.compile(r"/marketplaces"), "marketplaces"),
    (re.compile(r"/listings"), "listings"),
    (re.compile(r"/pricing/batches"), "pricing_batches"),
    (re.compile(r"/pricing/batches/[^/]+/files"), "batch_files"),
    (re.compile(r"/pricing/versions"), "price_versions"),
    (re.compile(r"/pricing/versions/[^/]+/points"), "price_points"),
]


def test_every_query_a_sync_sends_uses_only_declared_filters(tmp_path: Path) -> None:
    """Derived from the client, not copied: the queries real syncs (full, incremental, one
    product) send are each checked against the declared filters of their collection."""
    server = start_sandbox(SandboxCatalog.load(SAMPLE_CATALOG))
    settings = settings_of(f"sqlite:///{tmp_path / 'plm.db'}", server.url)
    client = RecordingClient(server.url, API_KEY, page_size=2)
    try:
        for request in (
            SyncRequest(full=True),
            SyncRequest(),
            SyncRequest(full=True, product_ids=("PRD-276-377-545",)),
        ):
            run_sync(settings, request, client=client)
    finally:
        client.close()
        server.stop()
    schemas = load_schemas()
    checked: set[str] = set()
    for path, query in client.sent:
        if path.startswith("/media/") or not query:
            continue  # a file below the API; a single resource
        relative = path.removeprefix(urlsplit(server.url).path)
        found = [name for pattern, name in COLLECTIONS if pattern.fullmatch(relative)]
        offer_part = re.fullmatch(r"/offers/[^/]+/[\w-]+", relative)
        assert found or offer_part, f"no collection known for {relative}"
        if found:
            parse_query(query, schemas[found[0]])  # raises on an undeclared filter
            checked.add(found[0])
    assert {"products", "items", "offers", "presets", "listings", "price_versions"} <= checked
