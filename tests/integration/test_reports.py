"""Run reports in every format, with hostile Connect text that must come out inert."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import requests

from plm_sync.config import Settings
from plm_sync.errors import RunFailedError, UsageError
from plm_sync.ops.reports import health, list_runs, read_report, run_report
from plm_sync.ops.views.html import render_report, render_runs
from plm_sync.ops.views.workbook import write_report_workbook
from plm_sync.ops.web import WebServer
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import settings_of, start_sandbox, unavailable

pytestmark = pytest.mark.integration
SCRIPT = "<script>document.title='pwned'</script>"
FORMULA = "=cmd|' /C calc'!A0"
IMAGE = "<img src=x onerror=\"document.title='pwned'\">"
PID = "PRD-666-000-001"
HOSTILE_CATALOG = {
    "products": [
        {
            "id": PID,
            "name": f"Evil {SCRIPT}",
            "status": "published",
            "owner": {"id": "VA-1", "name": "Mallory"},
            "events": {"updated": {"at": "2026-11-01T00:00:00+00:00"}},
        }
    ],
    "items": {
        PID: [
            {
                "id": f"{PID}-0001",
                "mpn": FORMULA,
                "name": f"{SCRIPT} (NCE COM MTH)",
                "type": "reservation",
                "status": "published",
                "period": "monthly",
            },
            {
                "id": f"{PID}-0002",
                "mpn": IMAGE,
                "name": "No type",
                "status": "published",
                "period": "monthly",
            },
            {
                "id": f"{PID}-0003",
                "mpn": "SAFE:0001_P1M:Monthly",
                "name": f"{SCRIPT} (X)",
                "type": "reservation",
                "status": "published",
                "period": "monthly",
            },
        ]
    },
}


@pytest.fixture
def settings(database_url: str) -> Iterator[Settings]:
    """A synced database, on SQLite and on PostgreSQL: reports and pages read both alike."""
    server = start_sandbox(SandboxCatalog.from_data(HOSTILE_CATALOG))
    settings = settings_of(database_url, server.url)
    try:
        run_sync(settings, SyncRequest(full=True))
        yield settings
    finally:
        server.stop()


def test_report_json_has_diff_products_and_the_events(settings: Settings) -> None:
    report = run_report(settings, "latest")
    assert report["status"] == "succeeded_with_errors"
    assert report["diff"]["plans_created"]
    assert f"{PID}: {SCRIPT} (NCE COM MTH)" in report["diff"]["plans_created"]
    (product,) = report["products"]
    assert (product["connect_product_id"], product["error"]) == (PID, 1)
    assert {"item_invalid", "mpn_no_suffix", "plan_created"} <= set(report["codes"])
    invalid = next(e for e in report["events"] if e["code"] == "item_invalid")
    assert (invalid["connect_item_id"], invalid["mpn"]) == (f"{PID}-0002", IMAGE)


def test_html_escapes_every_connect_text(settings: Settings) -> None:
    report = read_report(settings, "latest")
    page = render_report(
        report.document, report.shown, report.total, report.changes, history=list_runs(settings)
    )
    assert SCRIPT not in page
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "http://" not in page
    assert "https://" not in page
    listing = render_runs(list_runs(settings), lambda ident: f"/runs/{ident}")
    assert "succeeded_with_errors" in listing


def test_xlsx_report_is_formula_safe(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    report = read_report(settings, "latest")
    write_report_workbook(report.document, report.diff(), report.events(), path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Changes", "Products", "Events"]
    cells = [cell for row in book["Events"].iter_rows() for cell in row if cell.value == FORMULA]
    assert cells
    assert all(cell.data_type == "s" for cell in cells)
    with zipfile.ZipFile(path) as archive:
        assert not any(
            b"<f>" in archive.read(name)
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def test_health_and_status(settings: Settings) -> None:
    assert health(settings, 26)["ok"] is True
    stale = health(settings, 0)
    assert stale["ok"] is False
    assert "old" in stale["problems"][0]
    env = {"database_url": settings.database_url}
    ok = plm_sync_cli("status", settings=env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK")
    old = plm_sync_cli("status", "--max-age", "0", settings=env)
    assert old.returncode == 1
    assert "PROBLEM" in old.stdout
    with pytest.raises(RunFailedError, match="failed"):
        run_sync(
            settings_of(settings.database_url, "http://127.0.0.1:9/x", max_attempts=1),
            SyncRequest(),
        )
    failed = plm_sync_cli("status", "--format", "json", settings=env)
    assert failed.returncode == 1
    assert "failed" in json.loads(failed.stdout)["problems"][0]


def test_serve_pages_health_and_read_only(settings: Settings) -> None:
    server = WebServer(settings, port=0).start()
    try:
        runs = requests.get(f"{server.url}/", timeout=10)
        assert runs.status_code == 200
        assert "default-src 'none'" in runs.headers["Content-Security-Policy"]
        assert SCRIPT not in runs.text
        page = requests.get(f"{server.url}/runs/1", timeout=10)
        assert page.status_code == 200
        assert "&lt;script&gt;" in page.text
        assert requests.get(f"{server.url}/runs/1.json", timeout=10).json()["id"] == 1
        assert requests.get(f"{server.url}/runs/99", timeout=10).status_code == 404
        health_answer = requests.get(f"{server.url}/health", timeout=10)
        assert health_answer.status_code == 200
        assert health_answer.json()["last_success"]["id"] == 1
        for method in ("post", "put", "delete", "patch"):
            assert getattr(requests, method)(f"{server.url}/runs/1", timeout=10).status_code == 405
    finally:
        server.stop()


def test_serve_binds_to_loopback_only(settings: Settings) -> None:
    with pytest.raises(UsageError, match="--allow-remote"):
        WebServer(settings, host="0.0.0.0")  # noqa: S104


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    unavailable("headless Chromium", "install the Debian package chromium")
    return ""


def browse(browser: str, url: str, profile: Path, *extra: str) -> str:
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1300,1600",
            "--virtual-time-budget=3000",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return result.stdout


@pytest.mark.e2e
def test_a_person_sees_the_runs_in_a_real_browser(settings: Settings, tmp_path: Path) -> None:
    browser = chromium()
    env = {**os.environ, "PLM_SYNC_DATABASE_URL": settings.database_url}
    with subprocess.Popen(
        [sys.executable, "-m", "plm_sync", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[3].rstrip("/")
            listing = browse(browser, f"{url}/", tmp_path / "p1", "--dump-dom")
            assert "<title>plm-sync runs</title>" in listing
            assert "succeeded_with_errors" in listing
            run = list_runs(settings)[-1]
            for reprs in ("built-in method", "object at 0x", "None</td>"):
                assert reprs not in listing  # no Python repr reached the page
            counts = run["counts"]
            row = f'<td class="num">{counts["products"]}</td><td class="num">{counts["items"]}</td>'
            assert row in listing  # the Items column shows the number
            assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</td>", listing)
            assert "seconds per run" in listing.lower()
            page = browse(browser, f"{url}/runs/1", tmp_path / "p2", "--dump-dom")
            for reprs in ("built-in method", "object at 0x"):
                assert reprs not in page
            assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", page)  # no raw ISO microseconds
            assert 'href="/"' in page  # the served page links back to the runs list
            assert "<title>plm-sync run 1</title>" in page  # no injected script renamed it
            assert "pwned</title>" not in page
            assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in page
            total = len(run_report(settings, 1)["events"])
            assert f"{total} of {total} events" in page  # the filter script ran
            artifacts = ROOT / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            shot = artifacts / "run-report.png"
            browse(browser, f"{url}/runs/1", tmp_path / "p3", f"--screenshot={shot}")
            assert shot.stat().st_size > 10_000
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_a_big_runs_page_lists_a_bounded_number_of_events(tmp_path: Path) -> None:
    from plm_sync.ops.views.html import PAGE_EVENTS, page_events  # noqa: PLC0415
    from plm_sync.sandbox.connect.generate import generate_catalog  # noqa: PLC0415
    from tests.integration.conftest import start_sandbox  # noqa: PLC0415

    server = start_sandbox(SandboxCatalog.from_data(generate_catalog(12, 250, seed=4)))
    try:
        settings = settings_of(f"sqlite:///{tmp_path / 'big.db'}", server.url)
        run_id = run_sync(settings, SyncRequest(full=True)).run_id
    finally:
        server.stop()
    report = run_report(settings, run_id)
    streamed = read_report(settings, run_id)
    total = len(report["events"])
    assert total > PAGE_EVENTS
    assert streamed.total == total
    assert streamed.shown == page_events(report["events"])
    assert streamed.document == {**report, "events": None, "diff": None}
    for key, names in report["diff"].items():
        assert streamed.changes[key] == {"count": len(names), "names": names[:20]}
    printed = subprocess.run(
        [sys.executable, "-m", "plm_sync", "report", str(run_id), "--format", "json"],
        env={**os.environ, "PLM_SYNC_DATABASE_URL": settings.database_url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == json.dumps(report, indent=2, ensure_ascii=False) + "\n"  # streamed
    page = render_report(
        streamed.document, streamed.shown, streamed.total, streamed.changes, history=[]
    )
    assert page.count("<tr data-level=") == PAGE_EVENTS
    assert f"Listed: {PAGE_EVENTS} of {total} events" in page
    assert f"plm-sync report {report['id']} --format json" in page
    errors = sum(1 for event in report["events"] if event["level"] == "error")
    assert page.count('data-level="error"') == errors  # every error is on the page
    assert "Events by code" in page
