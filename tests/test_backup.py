"""Online SQLite backups are consistent, verified, and never clobber what they should not."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from storage.backup import BackupError, backup_sqlite, pg_dump_command, verify_sqlite_file
from storage.database import Database
from storage.errors import StorageError
from tests.fakes import FakeClock


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def add_campaigns(path: Path, *names: str) -> None:
    async with Database.connect(sqlite_url(path)) as database, database.transaction() as tx:
        for name in names:
            await tx.campaigns.create(
                name=name,
                hashtag=f"#{name}",
                timezone="UTC",
                locale="en",
                created_by="console:operator",
                now=FakeClock().now(),
            )


def dump(path: Path) -> list[str]:
    """Every table definition and row, as SQL text."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return list(connection.iterdump())


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A migrated database with a few rows."""
    path = tmp_path / "data" / "chorus.db"
    asyncio.run(add_campaigns(path, "keep4o", "savethelibrary"))
    return path


def test_a_backup_taken_during_a_write_holds_the_write(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    steps: list[tuple[int, int]] = []

    def write_once_midway(done: int, total: int) -> None:
        steps.append((done, total))
        if len(steps) == 1:
            assert done < total, "the copy should take several steps"
            # Another connection writes between two steps of the copy, as the running bot would.
            asyncio.run(add_campaigns(source, "written-during-backup"))

    result = backup_sqlite(source, target, pages_per_step=1, progress=write_once_midway)

    verify_sqlite_file(target)
    assert result.target == target
    assert result.pages == steps[-1][1]
    assert steps[-1][0] == steps[-1][1]
    assert dump(target) == dump(source)
    assert any("written-during-backup" in line for line in dump(target))
    assert not target.with_name("backup.db.tmp").exists()


def test_an_existing_target_is_refused_unless_forced(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    target.write_bytes(b"an older backup")
    with pytest.raises(BackupError, match="--force"):
        backup_sqlite(source, target)
    assert target.read_bytes() == b"an older backup"

    backup_sqlite(source, target, force=True)
    assert dump(target) == dump(source)


def test_the_live_database_is_never_its_own_target(source: Path) -> None:
    before = dump(source)
    with pytest.raises(BackupError, match="live database"):
        backup_sqlite(source, source, force=True)
    assert dump(source) == before


def test_a_missing_source_is_reported_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    with pytest.raises(BackupError, match=r"no database at .*nothing\.db"):
        backup_sqlite(missing, tmp_path / "backup.db")
    assert not missing.exists()
    assert not (tmp_path / "backup.db").exists()


def test_a_copy_that_fails_its_check_replaces_nothing(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def corrupt(path: Path) -> None:
        raise StorageError(f"{path} failed the SQLite integrity check: page 3 is never used")

    monkeypatch.setattr("storage.backup.verify_sqlite_file", corrupt)
    target = tmp_path / "backup.db"
    target.write_bytes(b"the last good backup")
    with pytest.raises(BackupError, match="integrity check"):
        backup_sqlite(source, target, force=True)
    assert target.read_bytes() == b"the last good backup"
    assert not target.with_name("backup.db.tmp").exists()


def test_a_stale_temporary_file_is_replaced(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    target.with_name("backup.db.tmp").write_bytes(b"left by a crash")
    backup_sqlite(source, target)
    assert dump(target) == dump(source)


def test_pg_dump_guidance_leaves_the_password_out() -> None:
    url = "postgresql+asyncpg://chorus:hunter2@db.internal:6543/campaign"
    command = pg_dump_command(url, Path("/backups/chorus.dump"))
    assert "hunter2" not in command
    assert command.startswith("pg_dump ")
    for part in ("--host=db.internal", "--port=6543", "--username=chorus", "--dbname=campaign"):
        assert part in command
    assert "--file=/backups/chorus.dump" in command
