"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from plm_sync.store.database import alembic_config, make_engine, upgrade
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
