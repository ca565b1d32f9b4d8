"""A SQLite file is accepted as a backup only when SQLite itself vouches for it."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from storage.backup import verify_sqlite_file
from storage.database import Database
from storage.errors import StorageError

PAGE_SIZE = 4096  # SQLite's default, which a new file gets


async def test_a_migrated_database_passes(tmp_path: Path) -> None:
    path = tmp_path / "chorus.db"
    async with Database.connect(f"sqlite+aiosqlite:///{path}"):
        pass
    verify_sqlite_file(path)


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"definitely not SQLite, " * 100)
    with pytest.raises(StorageError, match=r"notes\.db is not a readable SQLite database"):
        verify_sqlite_file(path)


def test_a_missing_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StorageError, match="not a file"):
        verify_sqlite_file(path)
    assert not path.exists()


def make_damaged_database(path: Path, offset: int, damage: bytes) -> None:
    """A database of one table over several pages, with `damage` written at `offset`."""
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE t (x TEXT)")
        connection.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    data = bytearray(path.read_bytes())
    data[offset : offset + len(damage)] = damage
    path.write_bytes(bytes(data))


def test_a_damaged_page_fails_the_integrity_check(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    # The first-freeblock pointer of page 3 (a leaf of t) now points into its cells.
    make_damaged_database(path, PAGE_SIZE * 2 + 1, b"\x00\x50")
    with pytest.raises(StorageError, match=r"damaged\.db failed the SQLite integrity check"):
        verify_sqlite_file(path)


def test_a_database_too_damaged_to_check_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    # The header of the table's root page (page 2) becomes garbage.
    make_damaged_database(path, PAGE_SIZE + 1, b"\xff" * 11)
    with pytest.raises(StorageError, match=r"damaged\.db is not a readable SQLite database"):
        verify_sqlite_file(path)
