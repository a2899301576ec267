"""Issue 35, item 14: the smaller contracts a user meets, each as the user meets it."""

from __future__ import annotations

import base64
import http.client
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from plm_sync.config import Settings
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.ops.reports import run_report
from plm_sync.ops.web import WebServer
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import plm_sync_cli
from tests.integration.conftest import settings_of, with_hub

pytestmark = pytest.mark.integration
PRODUCT = "PRD-276-377-545"


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> Settings:
    synced = settings_of(database_url, sandbox.url, page_size=50)
    assert run_sync(synced, SyncRequest(full=True)).exit_code == 0
    return synced


def codes_and_messages(settings: Settings, run_id: int) -> list[tuple[str, str]]:
    return [(e["code"], e["message"]) for e in run_report(settings, run_id)["events"]]


def test_one_hub_written_two_ways_is_one_hub(settings: Settings, hub: CommerceSandbox) -> None:
    first = with_hub(settings, hub)
    assert push_lines(first, PushRequest((PRODUCT,))).exit_code == 0
    for written in (
        hub.url.replace("127.0.0.1", "localhost"),
        hub.url.replace("http://127.0.0.1", "HTTP://LOCALHOST"),
    ):
        again = push_lines(replace(first, commerce_url=written), PushRequest(changed=True))
        assert again.exit_code == 0
        assert run_report(first, again.run_id)["counts"]["unchanged"] >= 1, written


def test_force_says_it_forced_the_prices(settings: Settings, hub: CommerceSandbox) -> None:
    pushing = with_hub(settings, hub)
    assert push_lines(pushing, PushRequest((PRODUCT,))).exit_code == 0
    forced = push_lines(pushing, PushRequest((PRODUCT,), force=True, prices="only"))
    applied = [m for c, m in codes_and_messages(pushing, forced.run_id) if c.endswith("applied")]
    assert applied
    assert all("forced (--force): sent though this hub holds them" in m for m in applied)


def test_a_serve_token_beyond_ascii_works_as_bearer_and_basic(settings: Settings) -> None:
    token = "pässwörd-ключ-🔑"
    server = WebServer(replace(settings, serve_token=token), port=0).start()
    try:
        where = urlsplit(server.url)

        def status(authorization: bytes | None) -> int:
            connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
            try:
                connection.putrequest("GET", "/runs")
                if authorization is not None:
                    connection.putheader("Authorization", authorization)
                connection.endheaders()
                return connection.getresponse().status
            finally:
                connection.close()

        assert status(None) == 401
        assert status(b"Bearer " + token.encode()) == 200
        basic = base64.b64encode(b"admin:" + token.encode())
        assert status(b"Basic " + basic) == 200
        assert status(b"Bearer " + token.encode()[:-1]) == 401
        assert status(b"Bearer wrong") == 401
    finally:
        server.stop()


def test_outputs_into_a_missing_folder_say_they_created_it(
    settings: Settings, tmp_path: Path
) -> None:
    env = {"database_url": settings.database_url}
    report = plm_sync_cli(
        "report", "1", "--format", "html", "-o", str(tmp_path / "a" / "r.html"), settings=env
    )
    workbook = plm_sync_cli(
        "ppr", "export", PRODUCT, "-o", str(tmp_path / "b" / "p.xlsx"), settings=env
    )
    prices = plm_sync_cli(
        "prices", PRODUCT, "--format", "xlsx", "-o", str(tmp_path / "c" / "p.xlsx"), settings=env
    )
    for result, folder in ((report, "a"), (workbook, "b"), (prices, "c")):
        assert result.returncode == 0, result.stderr
        assert f"(created the folder {tmp_path / folder})" in result.stdout
    again = plm_sync_cli(
        "report", "1", "--format", "html", "-o", str(tmp_path / "a" / "s.html"), settings=env
    )
    assert "created" not in again.stdout
    missing = plm_sync_cli(
        "ppr", "export", "PRD-999-999-999", "-o", str(tmp_path / "d" / "p.xlsx"), settings=env
    )
    assert missing.returncode == 2
    assert not (tmp_path / "d").exists()  # a refused export leaves no folder behind


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("push", "--changed", "--prices-only", "--no-prices"), "contradict"),
        (("status", "--max-age", "-5"), "--max-age"),
        (("serve", "--max-age", "-1"), "--max-age"),
        (("catalog", "--product", "PRD-999-999-999"), "no stored product line"),
        (("catalog", "--product", "PRD-unknown"), "PRD-unknown"),
    ],
)
def test_contradictions_and_unknowns_are_refused(
    settings: Settings, args: tuple[str, ...], said: str
) -> None:
    result = plm_sync_cli(*args, settings={"database_url": settings.database_url})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert re.search(re.escape(said), result.stderr)
