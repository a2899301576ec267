"""Operations you can watch: /metrics, alerts to a webhook, the serve token."""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from plm_sync.config import Settings
from plm_sync.errors import RunFailedError, UsageError
from plm_sync.ops.alerts import check_schedule
from plm_sync.ops.web import WebServer
from plm_sync.runs.runlog import utcnow
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import ServicePlan
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, settings_of
from tests.integration.test_reports import browse, chromium

pytestmark = pytest.mark.integration
SAMPLE = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
BATCH = "PRB-545-001-001"


class Receiver:
    """A webhook on loopback that keeps what Apprise's `json://` sends it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> Settings:
    return settings_of(database_url, sandbox.url)


def hold_prices(settings: Settings, sandbox: SandboxServer) -> int:
    """A first sync, then a batch 60 % dearer: the price brake holds the line (exit 3)."""
    run_sync(settings, SyncRequest(full=True))
    batch = copy.deepcopy(next(row for row in SAMPLE["pricing_batches"] if row["id"] == BATCH))
    header, *rows = batch["output"]["rows"]
    index = header.index("Price")
    batch["output"]["rows"] = [header] + [
        [*row[:index], round(row[index] * 1.6, 2), *row[index + 1 :]] for row in rows
    ]
    batch["events"]["published"] = {"at": "2026-11-30T10:00:00+00:00"}
    sandbox.catalog.markets.put("pricing_batches", batch)
    outcome = run_sync(settings, SyncRequest(full=True))
    assert outcome.exit_code == 3
    return outcome.run_id


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_show_runs_errors_brakes_and_the_catalog(
    settings: Settings, sandbox: SandboxServer
) -> None:
    hold_prices(settings, sandbox)
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        plans = session.scalar(
            select(func.count()).select_from(ServicePlan).where(ServicePlan.active.is_(True))
        )
    server = WebServer(settings, port=0).start()
    try:
        answer = requests.get(server.url + "/metrics", timeout=30)
    finally:
        server.stop()
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(answer.text)
    assert found["plm_sync_runs", (("status", "succeeded"), ("trigger", "cli"))] == 1
    assert found["plm_sync_runs", (("status", "succeeded_with_errors"), ("trigger", "cli"))] == 1
    assert found["plm_sync_held_lines", (("brake", "price"),)] == 1
    assert found["plm_sync_held_lines", (("brake", "deactivation"),)] == 0
    assert found["plm_sync_last_run_errors", ()] == 8
    assert found["plm_sync_catalog_rows", (("kind", "plans"),)] == plans
    assert found["plm_sync_prices", (("marketplace", "MP-91111"),)] == 8
    assert found["plm_sync_last_success_timestamp_seconds", (("run", "full"),)] > 0
    assert found["plm_sync_last_run_duration_seconds", ()] > 0
    printed = plm_sync_cli(
        "status", "--format", "prometheus", settings={"database_url": settings.database_url}
    )
    assert printed.returncode == 0, printed.stderr
    cli = samples(printed.stdout)
    assert cli["plm_sync_held_lines", (("brake", "price"),)] == 1
    assert cli["plm_sync_catalog_rows", (("kind", "plans"),)] == plans


def test_alerts_reach_a_webhook_and_a_dead_one_fails_nothing(
    settings: Settings, sandbox: SandboxServer, receiver: Receiver
) -> None:
    told = replace(settings, notify=f"{receiver.url} json://127.0.0.1:1/dead")
    run_id = hold_prices(told, sandbox)  # the first run succeeded: no message for it
    (held,) = receiver.received
    assert f"run {run_id} held lines (brake)" in held["title"]
    assert "price brake" in held["message"]
    assert "price_change_limit" in held["message"]
    assert API_KEY not in json.dumps(held)
    with pytest.raises(RunFailedError) as failed:
        run_sync(replace(told, connect_api_key="SU-WRONG:key"), SyncRequest(full=True))
    assert failed.value.exit_code == 2
    assert f"run {run_id + 1} failed" in receiver.received[-1]["title"]
    assert "SU-WRONG" not in json.dumps(receiver.received[-1])


def test_a_quiet_schedule_is_told_once(settings: Settings, receiver: Receiver) -> None:
    told = replace(settings, notify=receiver.url, public_url="https://plm.example.test")
    run_sync(told, SyncRequest(trigger="schedule", full=True))
    with open_database(told.database_url) as factory:
        assert not check_schedule(told, factory)  # it just succeeded
        later = utcnow() + timedelta(hours=3)
        assert check_schedule(told, factory, later)
        assert not check_schedule(told, factory, later + timedelta(minutes=15))  # told already
    (quiet,) = receiver.received
    assert "gone quiet" in quiet["title"]
    assert "https://plm.example.test/runs" in quiet["message"]


def test_notify_test_command(tmp_path: Any, receiver: Receiver) -> None:
    database = f"sqlite:///{tmp_path / 'plm.db'}"
    sent = plm_sync_cli(
        "notify", "test", settings={"database_url": database, "notify": receiver.url}
    )
    assert sent.returncode == 0, sent.stderr
    assert "sent to 1 target(s): json" in sent.stdout
    assert receiver.received[0]["title"] == "plm-sync: test message"
    unset = plm_sync_cli("notify", "test", settings={"database_url": database})
    assert unset.returncode == 2
    assert "PLM_SYNC_NOTIFY" in unset.stderr
    dead = plm_sync_cli(
        "notify", "test", settings={"database_url": database, "notify": "json://127.0.0.1:1/x"}
    )
    assert dead.returncode == 1
    assert "127.0.0.1:1" not in dead.stderr


def test_serve_beyond_loopback_needs_its_token(settings: Settings) -> None:
    run_sync(settings, SyncRequest(full=True))
    with pytest.raises(UsageError, match="PLM_SYNC_SERVE_TOKEN"):
        WebServer(settings, host="0.0.0.0", allow_remote=True)  # noqa: S104
    guarded = replace(settings, serve_token="s3cret-token")
    server = WebServer(guarded, host="0.0.0.0", port=0, allow_remote=True).start()  # noqa: S104
    try:
        port = server.url.rsplit(":", 1)[1]
        url = f"http://127.0.0.1:{port}"
        assert requests.get(url + "/runs", timeout=10).status_code == 401
        bearer = {"Authorization": "Bearer s3cret-token"}
        assert requests.get(url + "/runs", headers=bearer, timeout=10).status_code == 200
        basic = base64.b64encode(b"admin:s3cret-token").decode()
        answer = requests.get(
            url + "/runs", headers={"Authorization": f"Basic {basic}"}, timeout=10
        )
        assert answer.status_code == 200
        wrong = {"Authorization": "Bearer s3cret-tokeX"}
        assert requests.get(url + "/runs", headers=wrong, timeout=10).status_code == 401
        assert requests.get(url + "/metrics", timeout=10).status_code == 401
    finally:
        server.stop()
    public = WebServer(guarded, port=0, public_metrics=True).start()
    try:
        assert requests.get(public.url + "/metrics", timeout=30).status_code == 200
        assert requests.get(public.url + "/runs", timeout=10).status_code == 401
    finally:
        public.stop()


@pytest.mark.e2e
def test_a_person_browses_the_catalog_in_a_real_browser(settings: Settings, tmp_path: Any) -> None:
    browser = chromium()
    run_sync(settings, SyncRequest(full=True))
    server = WebServer(settings, port=0).start()
    try:
        listing = browse(browser, f"{server.url}/catalog", tmp_path / "c1", "--dump-dom")
        assert "<title>plm-sync catalog</title>" in listing
        assert 'href="/catalog/PRD-900-100-200"' in listing
        found = browse(
            browser, f"{server.url}/catalog?q=cfq7ttc0lh18", tmp_path / "c2", "--dump-dom"
        )
        assert "PRD-900-100-200" in found
        assert "PRD-221-000-000" not in found
        page = browse(
            browser, f"{server.url}/catalog/PRD-900-100-200", tmp_path / "c3", "--dump-dom"
        )
        assert "Business Basic (NCE COM MTH)" in page  # a plan
        assert "CFQ7TTC0LH18:0001_P1Y:Monthly" in page  # a period's flat MPN
        assert "CFQ7TTC0LHSF:0001" in page  # a rate of another resource in the plan
        assert page.count('class="switch"') == 6  # the switch graph's arrows
        assert 'marker-end="url(#arrow)"' in page
        assert 'id="prices-MP-92222"' in page
        assert "266.76" in page
        assert 'href="/runs/1"' in page  # history links to the run's report
        addons = browse(
            browser, f"{server.url}/catalog/PRD-300-000-600", tmp_path / "c4", "--dump-dom"
        )
        assert "add-on" in addons
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        shot = artifacts / "catalog-line.png"
        browse(
            browser,
            f"{server.url}/catalog/PRD-900-100-200",
            tmp_path / "c5",
            f"--screenshot={shot}",
        )
        assert shot.stat().st_size > 10_000
    finally:
        server.stop()
