"""Opening the database, running migrations, and handing out transactions.

SQLite (the embedded default) runs in WAL mode with foreign keys, a busy timeout and
`synchronous=FULL`; every write transaction starts with `BEGIN IMMEDIATE`, and writers of one
process queue on a lock instead of spinning on SQLITE_BUSY. PostgreSQL runs through asyncpg.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.errors import StorageError
from storage.migrations_runner import current_revision, head_revision, upgrade
from storage.unit import Tx
from storage.urls import parse_database_url

BUSY_TIMEOUT_MS = 5000


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
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise StorageError(f"the data directory {directory} is not writable")


class Database:
    """The one database of a Chorus process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # Within one process, SQLite writers wait here rather than in SQLite's busy loop.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str, *, migrate: bool = True) -> AsyncIterator[Database]:
        """Open the database at `url`, bring its schema to the newest version, close on exit.

        Any database failure, then or later in the block, is a `StorageError` with the
        driver's reason, so callers never handle SQLAlchemy's exceptions themselves.
        """
        parse_database_url(url)
        engine = _create_engine(url)
        database = cls(engine)
        try:
            if migrate:
                await database.upgrade()
            else:
                await database.check_reachable()
            yield database
        except SQLAlchemyError as error:
            reason = f"{error.__class__.__name__}: {error}"
            raise StorageError(f"database error: {reason}") from None
        finally:
            await engine.dispose()

    async def check_reachable(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def upgrade(self) -> None:
        """Apply every pending migration; refuse a database newer than this code."""
        engine = self.engine.execution_options(chorus_immediate=True)
        async with self._write_guard(), engine.begin() as connection:
            await connection.run_sync(upgrade)

    async def revisions(self) -> tuple[str | None, str]:
        """(current, newest known) schema revisions."""
        async with self.engine.connect() as connection:
            current = await connection.run_sync(current_revision)
        return current, head_revision()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write transaction: committed when the block ends, rolled back on an exception."""
        async with self._write_guard(), self.engine.connect() as connection:
            options: dict[str, Any] = {"chorus_immediate": True}
            connection = await connection.execution_options(**options)
            async with connection.begin():
                yield Tx(connection)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A read-only snapshot (WAL readers do not wait for writers)."""
        async with self.engine.connect() as connection, connection.begin():
            yield Tx(connection)

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
        async with self.engine.connect() as connection:
            yield connection


def _create_engine(url: str) -> AsyncEngine:
    path = sqlite_path(url)
    if path is not None:
        prepare_sqlite_directory(path)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves, so that writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("chorus_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
