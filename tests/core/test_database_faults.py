"""A busy, full or read-only database is told as such in chat, never as an incident."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Core, build_core
from bot.core.actors import Platform
from bot.settings import Settings
from storage.database import Database
from tests.dialogue import Member, group, person
from tests.fakes import FakeClock
from tests.storage.test_faults import on_every_connection, run_sql


@pytest.fixture
async def quick(settings: Settings, clock: FakeClock) -> AsyncIterator[Core]:
    """The whole core on a SQLite file whose writers give up on a lock after 0.2 s."""
    async with Database.connect(settings.database_url, busy_timeout=0.2) as database:
        yield build_core(settings, database, clock)


def admin_in(core: Core, group_id: str, files: Path) -> Member:
    return Member(
        core, person(Platform.TELEGRAM, "1", admin=True), group(Platform.TELEGRAM, group_id), files
    )


async def test_a_busy_database_asks_to_try_again(quick: Core, tmp_path: Path) -> None:
    alice = admin_in(quick, "-100", tmp_path)
    path = tmp_path / "data" / "chorus.db"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process writing, and taking its time
        refused = await alice.says('/setup name:"Keep 4o"')
        other.execute("ROLLBACK")
    accepted = await alice.says('/setup name:"Keep 4o"')

    assert "busy" in refused
    assert "Try again in a minute" in refused
    assert "incident" not in refused
    assert "busy" not in accepted
    assert "Keep 4o" in accepted


async def test_a_full_disk_says_the_disk_is_full(quick: Core, tmp_path: Path) -> None:
    async with quick.database.raw_connection() as connection:
        pages = (await connection.exec_driver_sql("PRAGMA page_count")).scalar()
    # SQLite's own size limit stands in for the disk: the next page it needs is refused.
    await on_every_connection(quick.database, run_sql(f"PRAGMA max_page_count={pages}"))

    replies = []
    for number in range(100):
        replies.append(
            await admin_in(quick, f"-{100 + number}", tmp_path).says(
                f'/setup name:"Campaign {number}"'
            )
        )
        if "disk is full" in replies[-1]:
            break

    assert "the server's disk is full" in replies[-1]
    assert not any("incident" in reply for reply in replies)


async def test_a_read_only_database_says_so(quick: Core, tmp_path: Path) -> None:
    await on_every_connection(quick.database, run_sql("PRAGMA query_only=ON"))

    reply = await admin_in(quick, "-100", tmp_path).says('/setup name:"Keep 4o"')

    assert "database is read-only" in reply
    assert "incident" not in reply
