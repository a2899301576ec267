"""Any text from Connect, through every output: a sync, the workbook, the xlsx report, the pages.

Hypothesis draws item names, MPNs and ids from all of Unicode (control characters, NUL, lone
surrogates, very long strings); whatever it draws, nothing fails: an item is stored, cleaned
or refused with an event, and every writer takes what was stored.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from plm_sync.config import Settings
from plm_sync.delivery.workbooks import export_ppr
from plm_sync.ops.reports import catalog, read_report
from plm_sync.ops.views.workbook import write_report_workbook
from plm_sync.ops.web import WebServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.integration.conftest import postgres_schema, settings_of
from tests.integration.hostile_connect import API_KEY, HostileConnect, item, product

pytestmark = pytest.mark.integration

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40) | st.text(
    st.characters(min_codepoint=0, max_codepoint=0x9F), max_size=20
)
LONG_TEXT = st.builds(lambda text, times: text * times, ANY_TEXT, st.integers(1, 400))
MPN_TAILS = st.sampled_from(["_P1M:Monthly", "_P1Y:Annual", "_P1Y:Monthly", "", "_PXM:Weird"])


@pytest.fixture(scope="module")
def connect() -> Iterator[HostileConnect]:
    server = HostileConnect().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('text') / 'plm.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="module")
def served(database_url: str, connect: HostileConnect) -> Iterator[tuple[Settings, str]]:
    plm = settings_of(database_url, connect.url, offers=False, connect_api_key=API_KEY)
    connect.products = [product("PRD-000-000-001")]
    connect.items = {"PRD-000-000-001": [item("PRD-000-000-001-0001", "A:1_P1M:Monthly")]}
    run_sync(plm, SyncRequest(full=True))  # the schema, before the pages are served
    server = WebServer(plm, port=0).start()
    yield plm, server.url
    server.stop()


@given(
    names=st.lists(ANY_TEXT | LONG_TEXT, min_size=1, max_size=4),
    mpns=st.lists(st.tuples(ANY_TEXT | LONG_TEXT, MPN_TAILS), min_size=1, max_size=4),
    ids=st.lists(ANY_TEXT | LONG_TEXT, min_size=1, max_size=4),
)
# found by hypothesis: an item id of one ESC served twice, quoted in the duplicate's event
@example(
    names=[""],
    mpns=[("O", "_P1M:Monthly"), ("", "_P1M:Monthly"), ("", "_P1M:Monthly")],
    ids=["\x1b"],
)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_text_passes_through_sync_workbook_report_and_pages(
    *,
    served: tuple[Settings, str],
    connect: HostileConnect,
    tmp_path_factory: pytest.TempPathFactory,
    names: list[str],
    mpns: list[tuple[str, str]],
    ids: list[str],
) -> None:
    plm, url = served
    product_id = "PRD-000-000-001"
    rows = [
        item(
            f"{product_id}-{number:04d}" if number % 2 else ids[number % len(ids)],
            head + tail,
            names[number % len(names)],
        )
        for number, (head, tail) in enumerate(mpns)
    ]
    connect.products = [product(product_id, names[0] or "P")]
    connect.items = {product_id: rows}
    outcome = run_sync(plm, SyncRequest(full=True))
    assert outcome.exit_code in {0, 3}
    lines = catalog(plm, [product_id])["product_lines"]
    out = tmp_path_factory.mktemp("out")
    if lines:
        workbook = export_ppr(plm, product_id, out / "line.xlsx")
        assert load_workbook(workbook, read_only=True).sheetnames
    report = read_report(plm, outcome.run_id)
    with report.opened():
        write_report_workbook(report.document, report.diff(), report.events(), out / "run.xlsx")
    assert load_workbook(out / "run.xlsx", read_only=True).sheetnames
    for page in (f"/runs/{outcome.run_id}", f"/runs/{outcome.run_id}.json", "/runs"):
        answer = requests.get(url + page, timeout=30)
        assert answer.status_code == 200, (page, answer.text[:200])
        assert "\x1b" not in answer.text


def test_served_pages_hold_against_odd_requests(served: tuple[Settings, str]) -> None:
    _, url = served
    huge = requests.get(url + "/runs/" + "9" * 25, timeout=10)
    assert huge.status_code == 404
    assert "no run" in huge.text
    head = requests.head(url + "/runs", timeout=10)
    assert head.status_code == 200
    assert head.content == b""
    page = requests.get(url + "/runs/1", timeout=10)
    policy = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "'sha256-" in policy


def test_a_burst_of_half_open_connections_does_not_stall_the_pages(
    served: tuple[Settings, str],
) -> None:
    _, url = served
    host, port = url.removeprefix("http://").split(":")
    silent = []
    try:
        for _ in range(200):  # connect, send nothing
            connection = socket.create_connection((host, int(port)), timeout=5)
            silent.append(connection)
        started = time.monotonic()
        answer = requests.get(url + "/runs", timeout=10)
        waited = time.monotonic() - started
        # 64 silent connections hold their threads for at most 5 s; the rest were told 503
        while answer.status_code == 503 and waited < 10:
            time.sleep(0.2)
            answer = requests.get(url + "/runs", timeout=10)
            waited = time.monotonic() - started
        assert answer.status_code == 200
        assert waited < 10, waited
    finally:
        for connection in silent:
            connection.close()


def test_serve_binds_ipv6_loopback(served: tuple[Settings, str]) -> None:
    plm, _ = served
    if not socket.has_ipv6:
        pytest.skip("this Python has no IPv6")
    try:
        server = WebServer(plm, host="::1", port=0).start()
    except OSError as error:
        pytest.skip(f"no IPv6 loopback on this machine: {error}")
    try:
        assert server.url.startswith("http://[::1]:")
        assert requests.get(server.url + "/runs", timeout=10).status_code == 200
    finally:
        server.stop()
