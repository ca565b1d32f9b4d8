"""The database opens, migrates, and refuses what it cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.database import Database
from storage.errors import StorageError
from storage.migrations_runner import SchemaTooNew
from storage.records import NewMessage
from tests.fakes import FakeClock


async def test_a_new_database_is_migrated_to_the_newest_schema(db: Database) -> None:
    current, head = await db.revisions()
    assert current == head


async def test_writing_one_dedupe_key_twice_makes_one_row(db: Database, clock: FakeClock) -> None:
    now = clock.now()
    message = NewMessage("milestone:1:1000:1", "console", "console", "group", {}, now)
    async with db.transaction() as tx:
        first = await tx.outbox.add_many([message], now)
    async with db.transaction() as tx:
        second = await tx.outbox.add_many([message, message], now)
    assert len(first) == 1
    assert second == []


async def test_a_failed_transaction_leaves_nothing_behind(db: Database, clock: FakeClock) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.campaigns.create(
                name="Keep 4o",
                hashtag="",
                timezone="UTC",
                locale="en",
                created_by="x",
                now=clock.now(),
            )
            raise RuntimeError("crash mid-way")
    async with db.read() as tx:
        assert await tx.campaigns.get(1) is None


async def test_a_data_directory_that_is_a_file_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="data"):
        async with Database.connect(f"sqlite+aiosqlite:///{blocker / 'chorus.db'}"):
            pass


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    async with sqlite_db.raw_connection() as connection:
        journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        sync = (await connection.exec_driver_sql("PRAGMA synchronous")).scalar()
    assert (journal, keys, sync) == ("wal", 1, 2)


async def test_a_database_from_a_newer_chorus_is_refused(database_url: str) -> None:
    async with Database.connect(database_url) as database, database.transaction() as tx:
        await tx.connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")

    with pytest.raises(SchemaTooNew, match="9999"):
        async with Database.connect(database_url):
            pass
