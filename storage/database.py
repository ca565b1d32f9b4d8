"""Opening the database, running migrations, and handing out transactions.

SQLite (the embedded default) runs in WAL mode with foreign keys, a busy timeout and
`synchronous=FULL`; every write transaction starts with `BEGIN IMMEDIATE`, and writers of one
process queue on a lock instead of spinning on SQLITE_BUSY. PostgreSQL runs through asyncpg,
with a bounded connect and the same wait for locks as SQLite's busy timeout.

A database fault an operator can fix (busy, full, read-only, out of reach) leaves this module as
a typed `StorageError` (see `storage.errors`), with the driver's exception as its cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.errors import DatabaseReadOnly, DatabaseUnreachable, StorageError
from storage.faults import translate
from storage.migrations_runner import current_revision, head_revision, upgrade
from storage.unit import Tx
from storage.urls import check_supported

# How long a writer waits for another's lock before the database is reported busy.
BUSY_TIMEOUT_SECONDS = 5.0
# How long opening a connection to a PostgreSQL server may take (a server that accepts and never
# answers would otherwise hold a command for a minute).
CONNECT_TIMEOUT_SECONDS = 10.0


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for another database or an in-memory one."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def prepare_sqlite_directory(path: Path) -> None:
    """Create the data directory, or fail naming it if it cannot be written."""
    directory = path.parent.resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(f"cannot create the data directory {directory}: {error}") from None
    if not os.access(directory, os.W_OK):
        raise StorageError(f"the data directory {directory} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseReadOnly(
            f"the database file {path.resolve()} is read-only: make it writable (chmod u+w)"
        )


class Database:
    """The one database of a Chorus process."""

    def __init__(
        self, engine: AsyncEngine, *, connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    ) -> None:
        self.engine = engine
        self._connect_timeout = connect_timeout
        self.dialect = engine.dialect.name
        # Within one process, SQLite writers wait here rather than in SQLite's busy loop.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls,
        url: str,
        *,
        migrate: bool = True,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> AsyncIterator[Database]:
        """Open the database at `url`, bring its schema to the newest version, close on exit.

        Any database failure, then or later in the block, is a `StorageError` with the
        driver's reason (and the driver's exception as its cause), so callers never handle
        SQLAlchemy's exceptions themselves. A server that does not answer within
        `connect_timeout` seconds is `DatabaseUnreachable`.
        """
        check_supported(url)
        try:
            engine = _create_engine(url, connect_timeout, busy_timeout)
        except ImportError as error:
            raise StorageError(f"the database driver is not installed: {error}") from error
        database = cls(engine, connect_timeout=connect_timeout)
        try:
            if migrate:
                await database.upgrade()
            else:
                await database.check_reachable()
            yield database
        except SQLAlchemyError as error:
            raise _storage_error(error) from error
        finally:
            await engine.dispose()

    async def check_reachable(self) -> None:
        async with self._connection() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def upgrade(self) -> None:
        """Apply every pending migration; refuse a database newer than this code."""
        async with (
            self._write_guard(),
            self._connection(chorus_immediate=True) as connection,
            connection.begin(),
        ):
            await connection.run_sync(upgrade)

    async def revisions(self) -> tuple[str | None, str]:
        """(current, newest known) schema revisions."""
        async with self._connection() as connection:
            current = await connection.run_sync(current_revision)
        return current, head_revision()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write transaction: committed when the block ends, rolled back on an exception."""
        async with (
            self._write_guard(),
            self._connection(chorus_immediate=True) as connection,
            connection.begin(),
        ):
            yield Tx(connection)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only snapshot (WAL readers do not wait for writers)."""
        async with self._connection() as connection, connection.begin():
            yield Tx(connection)

    @contextlib.asynccontextmanager
    async def _connection(self, **options: Any) -> AsyncIterator[AsyncConnection]:
        """A pooled connection; a fault an operator can fix leaves as a typed `StorageError`.

        Only those faults are translated: other driver errors (a conflict a repository
        handles, a bug) and an `OSError` from the caller's own work in the block (writing a
        file, say) pass through untouched.
        """
        connection = self.engine.connect()
        try:
            await connection.start()
        except (OSError, TimeoutError) as error:
            raise _unreachable(self.engine.url, error, self._connect_timeout) from error
        except DBAPIError as error:
            if (typed := translate(error)) is None:
                raise
            raise typed from error
        try:
            if options:
                connection = await connection.execution_options(**options)
            yield connection
        except DBAPIError as error:
            if (typed := translate(error)) is None:
                raise
            raise typed from error
        finally:
            await connection.close()

    @contextlib.asynccontextmanager
    async def _write_guard(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    @contextlib.asynccontextmanager
    async def raw_connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection outside any transaction, for backups and maintenance."""
        async with self._connection() as connection:
            yield connection


def _storage_error(error: SQLAlchemyError) -> StorageError:
    """The typed error for a fault an operator can fix, else a plain `StorageError`."""
    typed = translate(error)
    if typed is not None:
        return typed
    return StorageError(f"database error: {error.__class__.__name__}: {_reason(error)}")


def _unreachable(url: URL, error: BaseException, timeout: float) -> StorageError:
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(error, TimeoutError):
        return DatabaseUnreachable(
            f"the database server at {where} did not answer within {timeout:g} s:"
            " check the host and port in CHORUS_DATABASE_URL and that the server is up"
        )
    return DatabaseUnreachable(
        f"cannot reach the database server at {where} ({_reason(error)}):"
        " check the host and port in CHORUS_DATABASE_URL and that the server is up"
    )


def _reason(error: BaseException) -> str:
    """The first line of a driver's message (SQLAlchemy appends the statement and a link)."""
    text = str(error).strip() or error.__class__.__name__
    return text.splitlines()[0]


def _create_engine(url: str, connect_timeout: float, busy_timeout: float) -> AsyncEngine:
    path = sqlite_path(url)
    if path is not None:
        prepare_sqlite_directory(path)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": busy_timeout})
        _configure_sqlite(engine, busy_timeout)
        return engine
    lock_timeout_ms = str(int(busy_timeout * 1000))
    return create_async_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "timeout": connect_timeout,
            # A writer stuck behind another's lock gives up like SQLite's does: "busy".
            "server_settings": {"lock_timeout": lock_timeout_ms},
        },
    )


def _configure_sqlite(engine: AsyncEngine, busy_timeout: float) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves, so that writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("chorus_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
