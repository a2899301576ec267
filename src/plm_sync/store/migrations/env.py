"""Alembic environment: uses the engine plm-sync hands over, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from plm_sync.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations online on the given engine (SQLite needs batch mode for ALTERs)."""
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        msg = "plm-sync runs its migrations itself: `plm-sync` commands upgrade the schema"
        raise TypeError(msg)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
