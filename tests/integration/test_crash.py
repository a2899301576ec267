"""A `plm-sync sync` killed with SIGKILL mid-run leaves no half-written line, and recovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from plm_sync.config import Settings
from plm_sync.ops.reports import catalog, list_runs
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.store.database import normalise_url
from plm_sync.store.models import ProductLine
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT
from tests.integration.conftest import API_KEY, settings_of, start_sandbox

pytestmark = pytest.mark.integration
DATA = generate_catalog(6, 300, seed=11)


def settings_for(url: str, database_url: str) -> Settings:
    return settings_of(database_url, url, page_size=50)


def committed_lines(database_url: str) -> int:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(ProductLine)) or 0
    except (OperationalError, ProgrammingError):
        return 0  # the schema is not there yet
    finally:
        engine.dispose()


def test_sigkill_mid_run_then_the_next_run_equals_a_clean_run(
    database_url: str, tmp_path: Path
) -> None:
    clean_server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        reference = settings_for(clean_server.url, f"sqlite:///{tmp_path / 'clean.db'}")
        run_sync(reference, SyncRequest(full=True))
        expected = catalog(reference)
    finally:
        clean_server.stop()

    slow = start_sandbox(
        SandboxCatalog.from_data(DATA), faults="slow:0.6", seed=1, slow_seconds=0.25
    )
    environment = {
        **os.environ,
        "PLM_SYNC_CONNECT_URL": slow.url,
        "PLM_SYNC_CONNECT_API_KEY": API_KEY,
        "PLM_SYNC_PAGE_SIZE": "50",
        "PLM_SYNC_MAPPINGS": str(ROOT / "mappings"),
    }
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "plm_sync", "--database-url", database_url, "sync", "--full"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as process:
            deadline = time.monotonic() + 60
            while committed_lines(database_url) < 2 and time.monotonic() < deadline:
                assert process.poll() is None, "the run ended before it could be killed"
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    finally:
        slow.stop()

    killed = settings_for("http://127.0.0.1:9/unused", database_url)
    (run,) = list_runs(killed)
    assert run["status"] == "running"
    partial = catalog(killed)["product_lines"]
    assert 2 <= len(partial) < 6
    by_id = {line["connect_product_id"]: line for line in expected["product_lines"]}
    for line in partial:  # every committed line is whole, exactly as a clean run writes it
        assert line == by_id[line["connect_product_id"]]

    server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        outcome = run_sync(settings_for(server.url, database_url), SyncRequest(full=True))
    finally:
        server.stop()
    assert outcome.status == "succeeded_with_errors"  # the generated catalog has bad rows
    assert catalog(killed) == expected
    runs = list_runs(killed)
    assert [r["status"] for r in runs] == ["succeeded_with_errors", "failed"]
    assert "gone" in runs[1]["message"]
    assert runs[0]["counts"]["unchanged"] > 0
