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
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a table rebuilt (batch mode) must not fire the foreign keys of its rows
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction
            connection.commit()
        try:
            with connection.begin():
                context.configure(
                    connection=connection,
                    target_metadata=target_metadata,
                    render_as_batch=sqlite,
                    compare_type=True,
                )
                context.run_migrations()
                if sqlite:  # what the foreign keys would have refused fails the upgrade
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        msg = f"the migrated schema breaks foreign keys: {broken[:5]}"
                        raise RuntimeError(msg)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations()
