"""A fanned-out run without the broker: chunks of products, each counted once at the close."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from plm_sync.config import Settings
from plm_sync.ops.reports import catalog, run_report
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.store.database import open_database
from plm_sync.sync.fanout import (
    Factory,
    RunPlan,
    close_run,
    in_chunks,
    open_run,
    plan_run,
    sync_products,
)
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, settings_of, start_sandbox

pytestmark = pytest.mark.integration
DATA = generate_catalog(7, 30, seed=5)


def one_process_run(url: str, tmp_path: Path) -> tuple[Settings, dict[str, Any]]:
    """The catalog synced by one process into a SQLite file of its own: what to compare with."""
    cli = settings_of(f"sqlite:///{tmp_path / 'cli.db'}", url)
    return cli, run_report(cli, run_sync(cli, SyncRequest(full=True)).run_id)


def chunked_run(
    settings: Settings, factory: Factory, request: SyncRequest
) -> tuple[int, RunPlan, list[list[dict[str, Any]]], list[dict[str, Any]]]:
    """A queued run planned and synced in chunks of three products, as the workers would."""
    run_id = open_run(settings, factory, request, owner="test", queued=True)
    planned = plan_run(settings, factory, run_id, request, owner="test")
    assert planned is not None
    parts = in_chunks(planned.products, 3)
    tallies = [
        sync_products(settings, factory, run_id, request, part, chunk=number)
        for number, part in enumerate(parts)
    ]
    return run_id, planned, parts, tallies


def test_a_chunk_run_twice_is_counted_once_and_the_catalog_is_the_cli_runs(
    database_url: str, tmp_path: Path
) -> None:
    server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        cli, expected = one_process_run(server.url, tmp_path)
        settings = settings_of(database_url, server.url)
        request = SyncRequest(full=True, trigger="schedule")
        with open_database(settings.database_url) as factory:
            run_id, planned, parts, tallies = chunked_run(settings, factory, request)
            assert [len(part) for part in parts] == [3, 3, 1]
            # the first chunk's task ran again (its worker died after storing its result)
            tallies.insert(1, sync_products(settings, factory, run_id, request, parts[0], chunk=0))
            outcome = close_run(settings, factory, run_id, request, tallies, listed=planned.listed)
    finally:
        server.stop()
    report = run_report(settings, outcome.run_id)
    assert report["status"] == expected["status"]
    counts, once = report["counts"], expected["counts"]
    for name in ("products", "items", "skipped", "errors", "failed_products", "deactivated"):
        assert counts[name] == once[name], name
    # each row once: the chunk's second attempt found the rows its first created unchanged
    # (its events replace the first attempt's, so the log says the same)
    assert counts["created"] + counts["unchanged"] == once["created"] + once["unchanged"]
    assert catalog(settings) == catalog(cli)


def test_sync_jobs_gives_the_one_process_runs_catalog_and_counts(
    database_url: str, tmp_path: Path
) -> None:
    """`sync --jobs 2`: two processes, chunks of two products; then nothing changed."""
    server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        cli, expected = one_process_run(server.url, tmp_path)
        env = {
            "database_url": database_url,
            "connect_url": server.url,
            "connect_api_key": API_KEY,
            "mappings": str(ROOT / "mappings"),
            "task_products": "2",
        }
        done = plm_sync_cli("sync", "--full", "--jobs", "2", "--format", "json", settings=env)
        again = plm_sync_cli("sync", "--full", "--jobs", "2", "--format", "json", settings=env)
    finally:
        server.stop()
    assert done.returncode == expected_exit(expected["status"]), done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == expected["status"]
    assert report["counts"] == expected["counts"]
    settings = settings_of(database_url, server.url)
    assert catalog(settings) == catalog(cli)
    unchanged = json.loads(again.stdout)["counts"]
    assert (unchanged["created"], unchanged["updated"]) == (0, 0)
    assert unchanged["unchanged"] == expected["counts"]["created"]


def expected_exit(status: str) -> int:
    return {"succeeded": 0, "succeeded_with_errors": 3}[status]


def test_the_closing_task_reads_a_chunk_the_chord_left_out_and_waits_for_one_running(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chord called the close early (a chunk ran twice): the missing chunk is read back.

    The chunk's result is in the result backend (real Redis) under its task id: the close
    counts it. A chunk with no result yet (still running) makes the close retry.
    """
    from celery import states  # noqa: PLC0415 - the worker side, for this test only
    from celery.exceptions import Retry  # noqa: PLC0415

    from tasks.jobs import close_run_task  # noqa: PLC0415

    server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        cli, expected = one_process_run(server.url, tmp_path)
        settings = settings_of(database_url, server.url)
        request = SyncRequest(full=True, trigger="schedule")
        with open_database(settings.database_url) as factory:
            run_id, planned, parts, tallies = chunked_run(settings, factory, request)
            monkeypatch.setattr(close_run_task, "_settings", settings)
            monkeypatch.setattr(close_run_task, "_factory", factory)
            ids = [str(uuid.uuid4()) for _ in parts]
            backend = close_run_task.app.backend
            # the chord handed chunk 0 twice and left chunk 2 out; chunk 2 is still running
            handed = [tallies[0], tallies[0], tallies[1]]
            with pytest.raises(Retry):
                close_run_task.run(
                    handed, run_id, request.as_dict(), listed=planned.listed, chunks=ids
                )
            backend.store_result(ids[2], tallies[2], states.SUCCESS)  # now it is done
            try:
                closed = close_run_task.run(
                    handed, run_id, request.as_dict(), listed=planned.listed, chunks=ids
                )
            finally:
                for task_id in ids:
                    backend.forget(task_id)
    finally:
        server.stop()
    assert closed["status"] == expected["status"]
    report = run_report(settings, run_id)
    assert report["counts"] == expected["counts"]
    assert catalog(settings) == catalog(cli)


def test_the_default_takes_processes_only_for_work_worth_them(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No `--jobs`: new lines go to processes; a run where nothing changed stays in one."""
    from plm_sync.sync import fanout  # noqa: PLC0415

    chosen: list[int] = []
    real = fanout._processes_worth

    def spy(*args: Any) -> int:
        chosen.append(real(*args))
        return chosen[-1]

    monkeypatch.setattr(fanout, "_processes_worth", spy)
    server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        cli, _ = one_process_run(server.url, tmp_path)
        settings = settings_of(database_url, server.url, task_products=2, jobs=0)
        fanout.run_in_processes(settings, SyncRequest(full=True), 2, auto=True)
        fanout.run_in_processes(settings, SyncRequest(full=True), 2, auto=True)
        fanout.run_in_processes(settings, SyncRequest(full=True), 2)  # --jobs 2: as asked
    finally:
        server.stop()
    assert chosen == [2, 1]  # all lines new, then none changed; an explicit --jobs is kept
    assert catalog(settings) == catalog(cli)
