"""Checks on SQLite files made outside the running database (backups, restores)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from storage.database import StorageError


def verify_sqlite_file(path: Path) -> None:
    """Raise StorageError unless `path` is a SQLite database that passes `integrity_check`."""
    if not path.is_file():
        raise StorageError(f"{path} is not a file")
    try:
        # A plain connection: the file is ours to check, and SQLite may need to recover a
        # journal left next to it before it can answer.
        with contextlib.closing(sqlite3.connect(path)) as connection:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as error:
        raise StorageError(f"{path} is not a readable SQLite database: {error}") from None
    problems = [str(row[0]) for row in rows]
    if problems != ["ok"]:
        shown = "; ".join(problems[:5])
        raise StorageError(f"{path} failed the SQLite integrity check: {shown}")
