"""Engines, schema upgrades (Alembic, configured in code) and the one place that commits."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError

from plm_sync.errors import PlmSyncError, UsageError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x504C4D53  # "PLMS": the advisory lock key of schema upgrades
# The newest migration in `migrations/versions` (a test holds it to Alembic's own head). Kept
# here so that a command on an up-to-date database never imports Alembic (0.3 s of start-up).
HEAD_REVISION = "0015"


class DatabaseError(PlmSyncError):
    """The database cannot be reached or upgraded; the message names it without secrets."""


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:  # noqa: ANN401 - DBAPI objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for SQLite or PostgreSQL with the settings plm-sync relies on."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(
            f"database URL {url!r} is not valid: use sqlite:///FILE or "
            "postgresql+psycopg://user@host/db (PLM_SYNC_DATABASE_URL)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        file = parsed.database
        if file and file != ":memory:" and not parsed.query.get("uri"):
            folder = Path(file).parent
            if not folder.is_dir():
                raise UsageError(
                    f"the folder {folder} of the SQLite database {file} does not exist: create "
                    f"it, or point {_SETTING} at a file in an existing folder"
                )
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise UsageError(
            f"database {parsed.get_backend_name()!r} is not supported: use SQLite or PostgreSQL"
        )
    return create_engine(parsed, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    """Alembic configured in code: the migrations live inside the package."""
    from alembic.config import Config  # noqa: PLC0415 - Alembic loads only to migrate

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _current_revision(engine: Engine) -> str | None:
    """The schema revision Alembic recorded in the database; None when it has none."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema upgrades between processes (workers start together)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with Path(f"{database}.migrate-lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _unreachable(engine: Engine, error: SQLAlchemyDatabaseError) -> PlmSyncError:
    """One line naming the database (no password) and the setting, not the driver's essay."""
    return refused(str(engine.url), error)


# What SQLite says when the file itself is the problem, and what the operator should do.
_NOT_SQLITE = "is not a SQLite database: point {setting} at a plm-sync database or a new file"
_SQLITE_FILE_PROBLEMS = (
    ("file is not a database", _NOT_SQLITE),
    ("file is encrypted", _NOT_SQLITE),
    (
        "readonly database",
        (
            "is read-only (the file, its folder or the file system): make them writable for "
            "the user that runs plm-sync, or point {setting} at a writable file"
        ),
    ),
    (
        "unable to open database file",
        (
            "cannot be opened: check that its folder exists and the user that runs plm-sync "
            "may write there, or fix {setting}"
        ),
    ),
)
_SETTING = "PLM_SYNC_DATABASE_URL (or --database-url)"


def refused(url: str, error: SQLAlchemyDatabaseError) -> PlmSyncError:
    """The error a database refusal means, in one line without secrets.

    A SQLite file that is not one, read-only or out of reach is the operator's to fix
    (exit 2); anything else is the database's (exit 1).
    """
    detail = (str(error.orig or error).strip().splitlines() or [""])[0]
    if url.startswith("sqlite"):
        for phrase, advice in _SQLITE_FILE_PROBLEMS:
            if phrase in detail:
                file = make_url(url).database or url
                return UsageError(f"the database file {file} {advice.format(setting=_SETTING)}")
    return DatabaseError(f"the database {safe_url(url)} ({_SETTING}) refused: {detail}")


def head_revision() -> str:
    """The newest migration this plm-sync ships."""
    return HEAD_REVISION


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (every command that writes does this first)."""
    try:
        if _current_revision(engine) == HEAD_REVISION:
            return
        from alembic import command  # noqa: PLC0415 - Alembic loads only to migrate

        with _migration_lock(engine):
            if _current_revision(engine) != HEAD_REVISION:  # another process may have done it
                command.upgrade(alembic_config(engine), "head")
    except SQLAlchemyDatabaseError as error:
        raise _unreachable(engine, error) from None


def schema_state(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's schema revision, the newest one); None: no plm-sync schema there.

    Reads only: a SQLite file that does not exist is not created.
    """
    database = engine.url.database
    if (
        engine.dialect.name == "sqlite"
        and database
        and database != ":memory:"
        and not Path(database).exists()
    ):
        return None, head_revision()
    try:
        return _current_revision(engine), head_revision()
    except SQLAlchemyDatabaseError as error:
        raise _unreachable(engine, error) from None


def check_schema(engine: Engine) -> None:
    """UsageError unless the database holds plm-sync's newest schema (read-only commands)."""
    current, head = schema_state(engine)
    where = safe_url(str(engine.url))
    if current is None:
        raise UsageError(
            f"no plm-sync database at {where}; run `plm-sync migrate` or a sync first "
            "(or check PLM_SYNC_DATABASE_URL / --database-url)"
        )
    if current != head:
        raise UsageError(
            f"the database at {where} has schema {current}, this plm-sync needs {head}: "
            "run `plm-sync migrate`"
        )


@contextmanager
def reading_engine(url: str) -> Iterator[Engine]:
    """A Core engine on a database holding plm-sync's newest schema; disposed afterwards.

    For the read-only commands that need no ORM (`runs`, `status`).
    """
    engine = make_engine(url)
    try:
        check_schema(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def open_database(url: str, *, migrate: bool = True) -> Iterator[sessionmaker[Session]]:
    """A session factory for `url`; the engine is disposed afterwards.

    `migrate` upgrades the schema first (commands that write); without it the database must
    already hold the newest schema, and nothing is created (read-only commands).
    """
    engine = make_engine(url)
    try:
        if migrate:
            upgrade(engine)
        else:
            check_schema(engine)
        from sqlalchemy.orm import sessionmaker  # noqa: PLC0415 - the ORM where sessions are used

        yield sessionmaker(engine, expire_on_commit=False)
    finally:
        engine.dispose()


class ReadingDatabase:
    """One engine for a long-lived reader (`serve`), opened once for the process's life.

    Read-only: nothing is created or migrated. The schema is checked until it holds (a
    page asked before the first sync says so, and a later page finds the database), then
    never again.
    """

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        from sqlalchemy.orm import sessionmaker  # noqa: PLC0415 - the ORM where sessions are used

        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._checked = False
        self._lock = threading.Lock()

    def factory(self) -> sessionmaker[Session]:
        """The session factory, once the database holds plm-sync's newest schema."""
        if not self._checked:
            with self._lock:
                if not self._checked:
                    check_schema(self.engine)
                    self._checked = True
        return self._factory

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()


def connect(url: str) -> sessionmaker[Session]:
    """A session factory for a long-lived process (a worker), schema upgraded once.

    The engine lives as long as the process; create it in the process that uses it (a
    prefork child), never before a fork.
    """
    engine = make_engine(url)
    upgrade(engine)
    from sqlalchemy.orm import sessionmaker  # noqa: PLC0415 - the ORM where sessions are used

    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, commit: bool = True) -> Iterator[Session]:
    """One transaction: commits when the block ends normally, rolls back otherwise.

    `commit=False` always rolls back: a dry run computes exactly what it would write.
    """
    session = factory()
    try:
        yield session
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
