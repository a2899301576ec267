"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from plm_sync.store.database import HEAD_REVISION, alembic_config, make_engine, upgrade
from plm_sync.store.models import Base

pytestmark = pytest.mark.integration


def test_upgrade_head_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second upgrade is a no-op
        command.check(alembic_config(engine))  # raises when models and migrations differ
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_head_revision_in_code_is_alembics_head() -> None:
    engine = make_engine("sqlite://")
    try:
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    finally:
        engine.dispose()
    assert head == HEAD_REVISION


def test_a_read_only_command_imports_no_alembic_on_an_up_to_date_database(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'plm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    probe = (
        "import sys; from plm_sync.ops.reports import list_runs; from plm_sync.config import "
        f"Settings; list_runs(Settings(database_url={url!r})); "
        "print(any(name.startswith('alembic') for name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


def test_0013_writes_each_hub_one_way_and_keeps_its_newest_record(database_url: str) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from sqlalchemy import text  # noqa: PLC0415

    engine = make_engine(database_url)
    try:
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0012")
        old, new = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO product_lines (id, connect_product_id, name, vendor, active, "
                    "source_hash, updated_at, created_at, row_count) VALUES (1, 'PRD-1', 'L', "
                    "'V', true, 'x', :at, :at, 0)"
                ),
                {"at": new},
            )
            for ident, hub, at in (
                (1, "HTTP://LocalHost:8080/ app", old),
                (2, "http://127.0.0.1:8080 app", new),
                (3, "https://Hub.Example:443/api app", new),
            ):
                connection.execute(
                    text(
                        "INSERT INTO price_pushes (id, product_line_id, hub, marketplace_id, "
                        "content_hash, effective_date, pushed_at) VALUES (:id, 1, :hub, 'MP-1', "
                        "'c', '', :at)"
                    ),
                    {"id": ident, "hub": hub, "at": at},
                )
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0013")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, hub FROM price_pushes ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [
            (2, "http://127.0.0.1:8080 app"),
            (3, "https://hub.example/api app"),
        ]
    finally:
        engine.dispose()


def test_0015_cascades_a_lines_prices_and_keeps_every_price_and_its_history(
    database_url: str,
) -> None:
    """Rebuilding the price tables (SQLite) loses no row; deleting a line then takes its
    marketplaces, prices and their history with it, on both databases."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from sqlalchemy import text  # noqa: PLC0415

    counts = "SELECT (SELECT count(*) FROM line_marketplaces), (SELECT count(*) FROM prices), "
    counts += "(SELECT count(*) FROM price_history)"
    engine = make_engine(database_url)
    try:
        config = alembic_config(engine)
        command.upgrade(config, "0014")
        at = datetime(2026, 6, 1, tzinfo=UTC)
        with engine.begin() as connection:
            for line in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO product_lines (id, connect_product_id, name, vendor, active, "
                        "source_hash, updated_at, created_at, row_count) VALUES (:id, :pid, 'L', "
                        "'V', true, 'x', :at, :at, 0)"
                    ),
                    {"id": line, "pid": f"PRD-{line}", "at": at},
                )
                connection.execute(
                    text(
                        "INSERT INTO line_marketplaces (product_line_id, marketplace_id, listed) "
                        "VALUES (:line, 'MP-1', true)"
                    ),
                    {"line": line},
                )
                connection.execute(
                    text(
                        "INSERT INTO prices (id, product_line_id, marketplace_id, mpn, scheduled, "
                        "resource_mpn, billing_period, subscription_period, effective_date, "
                        "source, active) VALUES (:id, :line, 'MP-1', 'M', false, 'R', '1 month', "
                        "'1 year', '2026-06-01', 'PRB-1', true)"
                    ),
                    {"id": line, "line": line},
                )
                connection.execute(
                    text(
                        "INSERT INTO price_history (price_id, changed_at, effective_date, source, "
                        "active) VALUES (:id, :at, '2026-05-01', 'PRB-0', true)"
                    ),
                    {"id": line, "at": at},
                )
        upgrade(engine)
        with engine.begin() as connection:
            assert tuple(connection.execute(text(counts)).one()) == (2, 2, 2)
            connection.execute(text("DELETE FROM product_lines WHERE id = 1"))
        with engine.connect() as connection:
            assert tuple(connection.execute(text(counts)).one()) == (1, 1, 1)
        command.downgrade(config, "0014")
        with engine.connect() as connection:
            assert tuple(connection.execute(text(counts)).one()) == (1, 1, 1)
    finally:
        engine.dispose()
