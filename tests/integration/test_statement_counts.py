"""SQL statements are per batch, never per line: a regression to statements per line fails.

A sync's statements are counted (SQLAlchemy's `before_cursor_execute`) for catalogs of 10 and
30 product lines written in one batch: new lines (a full sync into an empty database),
changed lines (one item renamed in every product) and unchanged lines (the same sync again).
Three times the lines may not cost more statements, on either database. Priced lines cost
no transaction of their own: their prices go in their batch's.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import event
from sqlalchemy.engine import Engine

from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.store.database import open_database
from plm_sync.store.models import CATALOG_TABLES, ProductLine
from plm_sync.sync.fanout import open_run, plan_run, sync_products
from plm_sync.sync.run import SyncRequest, run_sync
from tests.integration.conftest import (
    API_KEY,
    postgres_schema,
    settings_of,
    start_sandbox,
    sync_report,
)

pytestmark = pytest.mark.integration
SLACK = 2  # statements that may differ by chance (a line in an error, an offer read)


@contextmanager
def counted(what: str = "before_cursor_execute") -> Iterator[list[int]]:
    """The statements (or, `commit`, the transactions) every engine of this process executes
    inside the block."""
    seen = [0]

    def count(*_: Any) -> None:
        seen[0] += 1

    event.listen(Engine, what, count)
    try:
        yield seen
    finally:
        event.remove(Engine, what, count)


@contextmanager
def empty_database(kind: str, folder: Path) -> Iterator[str]:
    """A new, empty database of the kind, its schema created (migrations are not counted)."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'plm.db'}"
        with open_database(url):
            yield url
        return
    with postgres_schema() as url, open_database(url):
        yield url


def statements(kind: str, folder: Path, products: int) -> dict[str, int]:
    """Statements of a full sync of new lines, then changed lines, then unchanged ones."""
    data = generate_catalog(products, 20, seed=3)
    server = start_sandbox(SandboxCatalog.from_data(data))
    try:
        with empty_database(kind, folder) as database_url:
            return _counted_syncs(database_url, server, data)
    finally:
        server.stop()


def _counted_syncs(
    database_url: str, server: SandboxServer, data: dict[str, Any]
) -> dict[str, int]:
    settings = settings_of(database_url, server.url, batch_lines=1000, batch_rows=1_000_000, jobs=1)
    found: dict[str, int] = {}
    with counted() as seen:
        run_sync(settings, SyncRequest(full=True))
    found["new"] = seen[0]
    for items in data["items"].values():
        requests.patch(
            f"{server.control_url}/items/{items[0]['id']}",
            json={"name": f"{items[0]['name']} renamed"},
            headers={"Authorization": f"ApiKey {API_KEY}"},
            timeout=5,
        ).raise_for_status()
    with counted() as seen:
        run_sync(settings, SyncRequest(full=True))
    found["changed"] = seen[0]
    with counted() as seen:
        run_sync(settings, SyncRequest(full=True))
    found["unchanged"] = seen[0]
    return found


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_statements_do_not_grow_with_the_lines_of_a_batch(kind: str, tmp_path: Path) -> None:
    (tmp_path / "few").mkdir()
    (tmp_path / "many").mkdir()
    few = statements(kind, tmp_path / "few", 10)
    many = statements(kind, tmp_path / "many", 30)
    for run in ("new", "changed", "unchanged"):
        assert many[run] <= few[run] + SLACK, (run, few, many)


def test_a_product_task_of_unchanged_priced_lines_costs_statements_per_chunk(
    database_url: str,
) -> None:
    """A chunk (as the workers and `--jobs` run them) of unchanged lines with prices: its price
    states are read ahead and its events replaced in one delete, whatever its size."""
    data = generate_catalog(12, 20, seed=7, offers=True, prices=True)
    server = start_sandbox(SandboxCatalog.from_data(data))
    try:
        settings = settings_of(database_url, server.url, jobs=1)
        run_sync(settings, SyncRequest(full=True))
        request = SyncRequest(full=True)
        with open_database(settings.database_url) as factory:
            run_id = open_run(settings, factory, request, owner="test", queued=True)
            planned = plan_run(settings, factory, run_id, request, owner="test")
            assert planned is not None
            found = []
            for size in (3, 9):
                with counted() as seen:
                    sync_products(
                        settings, factory, run_id, request, planned.products[:size], chunk=size
                    )
                found.append(seen[0])
    finally:
        server.stop()
    few, many = found
    assert many <= few + SLACK, found


def priced_commits(kind: str, folder: Path, products: int) -> int:
    """Transactions of a full sync of new lines, each listed with prices in marketplaces."""
    data = generate_catalog(products, 10, seed=5, prices=True)
    server = start_sandbox(SandboxCatalog.from_data(data))
    try:
        with empty_database(kind, folder) as database_url:
            settings = settings_of(
                database_url, server.url, batch_lines=1000, batch_rows=1_000_000, jobs=1
            )
            with counted("commit") as seen:
                outcome = run_sync(settings, SyncRequest(full=True))
    finally:
        server.stop()
    assert outcome.exit_code == 0, outcome.message
    return seen[0]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_new_priced_lines_cost_no_transaction_of_their_own(kind: str, tmp_path: Path) -> None:
    """A line's prices are written in its batch's transaction, not in one per line."""
    (tmp_path / "few").mkdir()
    (tmp_path / "many").mkdir()
    few = priced_commits(kind, tmp_path / "few", 6)
    many = priced_commits(kind, tmp_path / "many", 18)
    assert many <= few + SLACK, (few, many)


PRICE_TABLES = ("line_marketplaces", "prices", "price_history")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_dry_run_of_priced_lines_writes_no_price_and_says_what_the_run_writes(
    kind: str, tmp_path: Path
) -> None:
    """A dry run reads the price files and reports each price it would create: not a row of
    them is written (nor written and rolled back); the run that follows creates exactly those."""
    data = generate_catalog(8, 10, seed=5, prices=True)
    server = start_sandbox(SandboxCatalog.from_data(data))
    try:
        with empty_database(kind, tmp_path) as database_url:
            settings = settings_of(database_url, server.url, jobs=1)
            run_sync(settings, SyncRequest(full=True))  # the catalog, then its prices moved
            for published in data["pricing_batches"]:
                batch = copy.deepcopy(published)
                header, *rows = batch["output"]["rows"]
                column = header.index("Price")
                for row in rows:
                    row[column] = round(row[column] * 1.1, 2)
                batch["output"]["rows"] = [header, *rows]
                batch["events"]["published"] = {"at": "2026-12-01T00:00:00+00:00"}
                batch["id"] = batch["id"] + "-2"
                server.catalog.markets.put("pricing_batches", batch)
            with catalog_writes(PRICE_TABLES) as written:
                dry = sync_report(settings, full=True, dry_run=True)
            assert written == []
            real = sync_report(settings, full=True)
    finally:
        server.stop()

    def changed(report: dict[str, Any]) -> list[tuple[str, str]]:
        return sorted(
            (event["connect_product_id"], event["mpn"])
            for event in report["events"]
            if event["code"] == "price_changed"
        )

    assert changed(dry), "the new batches change prices"
    assert changed(dry) == changed(real)


@contextmanager
def catalog_writes(tables: tuple[str, ...] = ()) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements on catalog tables executed inside the block."""
    catalog = list(tables) or [
        ProductLine.__tablename__,
        *(table.__tablename__ for table in CATALOG_TABLES),
    ]
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        verb = words[0].upper() if words else ""
        if verb in {"INSERT", "UPDATE", "DELETE"} and any(
            f" {table} " in f" {statement} ".replace('"', " ").replace("\n", " ")
            for table in catalog
        ):
            seen.append(statement[:120])

    event.listen(Engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", watch)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_dry_run_reads_what_it_would_deactivate_and_writes_no_catalog_row(
    kind: str, tmp_path: Path
) -> None:
    """Lines gone from Connect: the dry run counts what the run would deactivate without a
    write rolled back, and the run that follows deactivates exactly that (in statements per
    table, not per line)."""
    data = generate_catalog(12, 5, seed=11)
    server = start_sandbox(SandboxCatalog.from_data(data))
    try:
        with empty_database(kind, tmp_path) as database_url:
            settings = settings_of(database_url, server.url, jobs=1, deactivation_limit="1000")
            run_sync(settings, SyncRequest(full=True))
            for product in data["products"][:6]:
                requests.patch(
                    f"{server.control_url}/products/{product['id']}",
                    json={"status": "draft"},
                    headers={"Authorization": f"ApiKey {API_KEY}"},
                    timeout=5,
                ).raise_for_status()
            with catalog_writes() as written:
                dry = run_sync(settings, SyncRequest(full=True, dry_run=True))
            assert written == []
            with counted() as seen:
                real = run_sync(settings, SyncRequest(full=True))
    finally:
        server.stop()
    assert dry.counts["deactivated"] == real.counts["deactivated"] > 0
    assert seen[0] < 6 * 9, seen  # not a statement per table and gone line


def catalog_statements(kind: str, folder: Path, products: int) -> tuple[int, int]:
    """Statements of reading the stored catalog (priced lines), and how many lines it held."""
    from plm_sync.ops.reports import catalog  # noqa: PLC0415 - the command's own read

    data = generate_catalog(products, 10, seed=5, offers=True, prices=True)
    server = start_sandbox(SandboxCatalog.from_data(data))
    try:
        with empty_database(kind, folder) as database_url:
            settings = settings_of(database_url, server.url, jobs=1)
            run_sync(settings, SyncRequest(full=True))
            with counted() as seen:
                lines = catalog(settings)["product_lines"]
    finally:
        server.stop()
    return seen[0], len(lines)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_catalog_is_read_in_queries_per_table_not_per_line(kind: str, tmp_path: Path) -> None:
    (tmp_path / "few").mkdir()
    (tmp_path / "many").mkdir()
    few, few_lines = catalog_statements(kind, tmp_path / "few", 5)
    many, many_lines = catalog_statements(kind, tmp_path / "many", 15)
    assert many_lines > few_lines > 0
    assert many <= few + SLACK, (few, many)
