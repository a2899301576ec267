"""Two processes of one run saving the same new marketplaces: both succeed, one row each.

Each process of a fanned-out run (`--jobs`, workers) reads Connect's marketplaces and keeps
them; on an empty database both see none stored and both insert. The second must insert
nothing instead of failing the run with a duplicate key (it did, on PostgreSQL).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from plm_sync.domain.prices import Marketplace as MarketplaceValue
from plm_sync.store.bulk import insert_missing
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import Marketplace, Run, table_of
from plm_sync.store.prices import PriceRepository

pytestmark = pytest.mark.integration


def RUN() -> Run:  # noqa: N802 - a row to build, like a class
    return Run(
        id=1,
        trigger="cli",
        scope="full",
        status="running",
        owner="test",
        started_at=datetime.now(UTC),
        heartbeat_at=datetime.now(UTC),
    )


MARKETS = [
    MarketplaceValue("MP-USA", "USA", "USD"),
    MarketplaceValue("MP-EU", "Europe", "EUR", ("USD",)),
]


def test_a_marketplace_stored_already_is_left_as_it_is(database_url: str) -> None:
    """What the second process does, on both databases: the row stored first stays."""
    with open_database(database_url) as factory:
        with unit_of_work(factory) as session:
            session.add(RUN())
        with unit_of_work(factory) as session:
            PriceRepository(session).save_marketplaces(MARKETS, 1)
        row = {"id": "MP-USA", "name": "other", "currency": "USD", "content_hash": "x"}
        row |= {"alt_currencies": [], "hubs": []}
        with unit_of_work(factory) as session:
            insert_missing(session, table_of(Marketplace), [row, {**row, "id": "MP-NEW"}])
        with unit_of_work(factory) as session:
            rows = session.execute(select(Marketplace.id, Marketplace.name)).all()
    names = {row.id: row.name for row in rows}
    assert names == {"MP-USA": "USA", "MP-EU": "Europe", "MP-NEW": "other"}


def test_two_processes_inserting_the_same_marketplaces_both_succeed(postgres_url: str) -> None:
    with open_database(postgres_url) as factory:
        with unit_of_work(factory) as session:
            session.add(RUN())
        inserted = threading.Event()
        errors: list[BaseException] = []

        def second() -> None:
            try:
                inserted.wait(10)
                with unit_of_work(factory) as session:
                    PriceRepository(session).save_marketplaces(MARKETS, 1)  # waits for the first
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)

        thread = threading.Thread(target=second)
        thread.start()
        with unit_of_work(factory) as session:
            PriceRepository(session).save_marketplaces(MARKETS, 1)
            session.flush()  # the rows are inserted, not yet committed
            inserted.set()
            thread.join(0.5)  # the second blocks on the first's uncommitted keys
        thread.join(10)
        with unit_of_work(factory) as session:
            count = session.scalar(select(func.count()).select_from(Marketplace))
    assert errors == []
    assert count == len(MARKETS)
