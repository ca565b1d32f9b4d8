"""Database faults an operator can fix leave storage as typed errors, with their cause."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError

from storage.database import Database
from storage.errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnreachable,
    StorageError,
)
from storage.faults import translate
from tests.conftest import reset_postgres
from tests.fakes import FakeClock

SessionSetup = Callable[[Any], None]


async def on_every_connection(database: Database, setup: SessionSetup) -> None:
    """Run `setup` on each new driver connection, and drop the pooled ones."""

    @event.listens_for(database.engine.sync_engine, "connect")
    def _connected(dbapi_connection: Any, _record: Any) -> None:
        setup(dbapi_connection)

    await database.engine.dispose()


def run_sql(sql: str) -> SessionSetup:
    def setup(dbapi_connection: Any) -> None:
        # Outside a transaction: PostgreSQL undoes a SET when its transaction rolls back.
        autocommit = getattr(dbapi_connection, "autocommit", None)
        if autocommit is not None:
            dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute(sql)
        cursor.close()
        if autocommit is not None:
            dbapi_connection.autocommit = autocommit

    return setup


async def create_campaign(database: Database, clock: FakeClock) -> None:
    async with database.transaction() as tx:
        await tx.campaigns.create(
            name="Keep 4o", hashtag="", timezone="UTC", locale="en", created_by="x", now=clock.now()
        )


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A port that accepts connections and never says a word; its number."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_refused_connection_is_unreachable_and_keeps_its_cause() -> None:
    with pytest.raises(DatabaseUnreachable, match=r"127\.0\.0\.1:1") as caught:
        async with Database.connect("postgresql+asyncpg://chorus:pw@127.0.0.1:1/x"):
            pass
    assert isinstance(caught.value.__cause__, OSError)


async def test_a_server_that_never_answers_is_given_up_on_in_time() -> None:
    async with silent_server() as port:
        with pytest.raises(DatabaseUnreachable, match=r"did not answer within 0\.3 s"):
            async with Database.connect(
                f"postgresql+asyncpg://chorus@127.0.0.1:{port}/x", connect_timeout=0.3
            ):
                pass


async def test_a_file_that_is_not_a_database_keeps_the_driver_error(tmp_path: Path) -> None:
    path = tmp_path / "chorus.db"
    path.write_bytes(b"this is not a SQLite database, it is a shopping list" * 100)
    with pytest.raises(StorageError, match="not a database") as caught:
        async with Database.connect(f"sqlite+aiosqlite:///{path}"):
            pass
    assert isinstance(caught.value.__cause__, DBAPIError)


async def test_another_writer_holding_the_lock_is_busy(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "chorus.db"
    async with Database.connect(f"sqlite+aiosqlite:///{path}", busy_timeout=0.2) as database:
        # Another process's writer, mid-transaction.
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(DatabaseBusy, match="try again"):
                await create_campaign(database, clock)
            other.execute("ROLLBACK")
        await create_campaign(database, clock)


async def test_another_writer_holding_a_postgresql_lock_is_busy(
    postgres_url: str, clock: FakeClock
) -> None:
    await reset_postgres(postgres_url)
    async with (
        Database.connect(postgres_url, busy_timeout=0.2) as database,
        database.raw_connection() as other,
        other.begin(),
    ):
        await other.exec_driver_sql("LOCK TABLE campaigns IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(DatabaseBusy):
            await create_campaign(database, clock)


async def test_a_full_disk_is_full(sqlite_db: Database, clock: FakeClock) -> None:
    async with sqlite_db.raw_connection() as connection:
        pages = (await connection.exec_driver_sql("PRAGMA page_count")).scalar()
    # SQLite's own limit stands in for the disk: the next page it needs is refused.
    await on_every_connection(sqlite_db, run_sql(f"PRAGMA max_page_count={pages}"))
    with pytest.raises(DatabaseFull, match="disk"):
        for _ in range(200):
            await create_campaign(sqlite_db, clock)


async def test_a_database_that_refuses_writes_is_read_only(db: Database, clock: FakeClock) -> None:
    read_only = {
        "sqlite": "PRAGMA query_only=ON",
        "postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
    }[db.dialect]
    await on_every_connection(db, run_sql(read_only))
    with pytest.raises(DatabaseReadOnly):
        await create_campaign(db, clock)
    async with db.read() as tx:
        assert await tx.campaigns.get(1) is None


async def test_a_read_only_database_file_is_not_blamed_on_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "chorus.db"
    async with Database.connect(f"sqlite+aiosqlite:///{path}"):
        pass
    path.chmod(0o444)
    real_access = os.access

    def access(target: Any, mode: int, **kwargs: Any) -> bool:
        # As root every file is writable; the permission bits say what a user would get.
        if Path(target) == path and mode & os.W_OK:
            return False
        return real_access(target, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(DatabaseReadOnly, match=r"chorus\.db is read-only") as caught:
        async with Database.connect(f"sqlite+aiosqlite:///{path}"):
            pass
    assert "directory" not in str(caught.value)


def test_postgresql_faults_are_typed_by_their_sqlstate() -> None:
    def fault(error: Exception) -> StorageError | None:
        wrapped = OperationalError("INSERT …", {}, error)
        return translate(wrapped)

    class Adapted(Exception):
        """What SQLAlchemy's asyncpg adapter raises: the SQLSTATE copied onto it."""

        def __init__(self, sqlstate: str) -> None:
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    assert isinstance(fault(Adapted("53100")), DatabaseFull)  # disk_full
    assert isinstance(fault(Adapted("55P03")), DatabaseBusy)  # lock_not_available
    assert isinstance(fault(Adapted("25006")), DatabaseReadOnly)  # read_only_sql_transaction
    assert isinstance(fault(Adapted("57P03")), DatabaseUnreachable)  # cannot_connect_now
    assert fault(Adapted("23505")) is None  # unique_violation: a conflict, handled by callers
