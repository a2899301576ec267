"""A batch of lines is all or nothing: a run killed, or its connection cut, inside a batch.

The run writes two lines a batch. Once a batch has committed, the test takes a lock the next
batch needs (PostgreSQL: `resources`, which the batch copies its rows into after inserting its
lines; SQLite: the database's write lock), so the next batch stops inside its transaction;
the test waits until it does (PostgreSQL shows the run waiting on the lock; with SQLite the
run has asked Connect for the line after that batch, fetching one product at a time).
Then the run is SIGKILLed, or (PostgreSQL) its connection is terminated with
`pg_terminate_backend`. Either way no line of the open batch is stored, every stored line is
exactly what a clean run writes, the run ends failed (the connection cut) or is found running
by the sweep (the kill), and the next run gives the clean run's catalog.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from plm_sync.config import Settings
from plm_sync.ops.reports import catalog, list_runs
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.store.database import normalise_url
from plm_sync.store.models import ProductLine
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT
from tests.integration.conftest import API_KEY, settings_of, start_sandbox

pytestmark = pytest.mark.integration
DATA = generate_catalog(8, 40, seed=7)
PG = "postgresql://postgres@127.0.0.1:5432/test"


def settings_for(url: str, database_url: str) -> Settings:
    return settings_of(database_url, url, page_size=50)


def stored_lines(database_url: str) -> int:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(ProductLine)) or 0
    except (OperationalError, ProgrammingError):
        return 0
    finally:
        engine.dispose()


def clean_catalog(tmp_path: Path) -> dict[str, Any]:
    server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        reference = settings_for(server.url, f"sqlite:///{tmp_path / 'clean.db'}")
        run_sync(reference, SyncRequest(full=True))
        return catalog(reference)
    finally:
        server.stop()


def schema_of(database_url: str) -> str:
    return database_url.rsplit("search_path%3D", 1)[1].split("&", 1)[0]


@contextmanager
def next_batch_blocked(database_url: str) -> Iterator[None]:
    """Hold what the next batch needs until the block ends (rolled back then)."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)
        connection.isolation_level = None
        connection.execute("BEGIN IMMEDIATE")  # the write lock: the batch's first write waits
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    with psycopg.connect(PG) as connection:
        connection.execute(f'LOCK TABLE "{schema_of(database_url)}".resources')
        yield
        connection.rollback()


def wait_for_lock_wait(application: str, deadline: float) -> None:
    """Until the run's connection waits for the test's lock (its batch stopped mid-way)."""
    with psycopg.connect(PG, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = %s AND wait_event_type = 'Lock'",
                (application,),
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.05)
    pytest.fail("the run's batch never waited for the lock")


def items_asked(server: SandboxServer) -> list[str]:
    """The products whose items the sandbox is asked for from now on, in order."""
    asked: list[str] = []
    gate = server.catalog.wait_at_gate  # called before a product's items are served

    def recording(product_id: str, timeout: float = 300.0) -> None:
        asked.append(product_id)
        gate(product_id, timeout)

    server.catalog.wait_at_gate = recording  # type: ignore[method-assign]
    return asked


def wait_for_a_batch_handed_on(asked: list[str], stored: int, deadline: float) -> None:
    """Until the run asked for the items of the third line after the `stored` ones.

    The run fetches one product at a time (`PLM_SYNC_FETCH_CONCURRENCY=1`) and hands a batch
    of two lines to its writer once the second is computed: asking for the third line's items
    means the batch of the two before it is on the writer, which waits for the test's lock.
    """
    while len(dict.fromkeys(asked)) < stored + 3:
        if time.monotonic() >= deadline:
            pytest.fail(f"the run never asked for product {stored + 3}'s items")
        time.sleep(0.02)


def start_run(database_url: str, sandbox_url: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "PLM_SYNC_CONNECT_URL": sandbox_url,
        "PLM_SYNC_CONNECT_API_KEY": API_KEY,
        "PLM_SYNC_PAGE_SIZE": "50",
        "PLM_SYNC_MAPPINGS": str(ROOT / "mappings"),
        "PLM_SYNC_BATCH_LINES": "2",
        "PLM_SYNC_FETCH_CONCURRENCY": "1",  # one product at a time: what was asked is where it is
    }
    return subprocess.Popen(
        [sys.executable, "-m", "plm_sync", "--database-url", database_url, "sync", "--full"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def until_a_batch_committed(process: subprocess.Popen[bytes], database_url: str) -> None:
    """Until the run's first batch (two lines) is stored; the run must still be going."""
    deadline = time.monotonic() + 60
    while stored_lines(database_url) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before its next batch could be stopped"
        time.sleep(0.02)


def assert_whole_then_recovered(
    database_url: str, expected: dict[str, Any], *, first_status: str
) -> None:
    settings = settings_for("http://127.0.0.1:9/unused", database_url)
    partial = catalog(settings)["product_lines"]
    assert 2 <= len(partial) < len(expected["product_lines"])
    by_id = {line["connect_product_id"]: line for line in expected["product_lines"]}
    for line in partial:  # every committed line is whole, exactly as a clean run writes it
        assert line == by_id[line["connect_product_id"]]
    (run,) = list_runs(settings)
    assert run["status"] == first_status
    server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        outcome = run_sync(settings_for(server.url, database_url), SyncRequest(full=True))
    finally:
        server.stop()
    assert outcome.status == "succeeded"
    assert catalog(settings) == expected


def test_sigkill_inside_a_batch_leaves_none_of_it(database_url: str, tmp_path: Path) -> None:
    expected = clean_catalog(tmp_path)
    application = f"plm_batch_{uuid.uuid4().hex[:10]}"
    if database_url.startswith("postgresql"):
        database_url += f"&application_name={application}"
    slow = start_sandbox(SandboxCatalog.from_data(DATA), faults="slow:1.0", slow_seconds=0.3)
    asked = items_asked(slow)
    try:
        with start_run(database_url, slow.url) as process:
            until_a_batch_committed(process, database_url)
            with next_batch_blocked(database_url):
                if database_url.startswith("postgresql"):
                    wait_for_lock_wait(application, time.monotonic() + 60)
                else:  # SQLite shows no waiter: the run's progress through Connect does
                    stored = stored_lines(database_url)
                    wait_for_a_batch_handed_on(asked, stored, time.monotonic() + 60)
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
    finally:
        slow.stop()
    assert_whole_then_recovered(database_url, expected, first_status="running")


def test_the_connection_cut_inside_a_batch_fails_the_run_and_leaves_none_of_it(
    postgres_url: str, tmp_path: Path
) -> None:
    expected = clean_catalog(tmp_path)
    application = f"plm_batch_{uuid.uuid4().hex[:10]}"
    database_url = f"{postgres_url}&application_name={application}"
    slow = start_sandbox(SandboxCatalog.from_data(DATA), faults="slow:1.0", slow_seconds=0.3)
    try:
        with start_run(database_url, slow.url) as process:
            until_a_batch_committed(process, database_url)
            with next_batch_blocked(database_url):
                wait_for_lock_wait(application, time.monotonic() + 60)
                with psycopg.connect(PG, autocommit=True) as admin:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = %s",
                        (application,),
                    )
            _, errors = process.communicate(timeout=60)
    finally:
        slow.stop()
    assert process.returncode == 1, errors.decode()[-2000:]
    assert b"failed while" in errors
    assert_whole_then_recovered(database_url, expected, first_status="failed")
