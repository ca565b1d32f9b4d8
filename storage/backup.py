"""Backups: an online copy of the SQLite database, pg_dump guidance for PostgreSQL, and the
integrity check of a copy.

The SQLite copy uses SQLite's backup API, which copies pages from a live database while the
bot keeps writing: a write by another connection between two steps restarts the copy, so the
result is one consistent snapshot. The copy goes to `<target>.tmp`, passes
`PRAGMA integrity_check`, and only then is renamed over the target, so a crash or a failed
check never leaves a half-written file under the name the operator asked for.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storage.errors import StorageError
from storage.urls import parse_database_url

# Pages per backup step (4 MiB with SQLite's default 4 KiB pages): big enough that a busy bot
# rarely lands a write between steps and restarts the copy, small enough for a live progress bar.
PAGES_PER_STEP = 1024
# Files SQLite may keep next to a database; stale ones must not meet a new copy.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

Progress = Callable[[int, int], None]
"""Called after each step with (pages copied, total pages)."""


class BackupError(Exception):
    """The backup was refused or failed; the message says why, and nothing was overwritten."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    target: Path
    pages: int
    size_bytes: int


def backup_sqlite(
    source: Path,
    target: Path,
    *,
    force: bool = False,
    pages_per_step: int = PAGES_PER_STEP,
    progress: Progress | None = None,
) -> BackupResult:
    """Copy the live SQLite database at `source` to `target`, verified, replacing atomically.

    Refuses an existing `target` unless `force`, a `target` that is the source, and a missing
    source (rather than creating an empty database there).
    """
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; pass --force to replace it")
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give a file name")
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the live database itself")
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist")
    temporary = target.with_name(target.name + ".tmp")
    _remove_with_side_files(temporary)
    try:
        pages = _copy(source, temporary, pages_per_step, progress)
        verify_sqlite_file(temporary)
        if target.exists() and not force:
            # Something created the target while we were copying; it is not ours to replace.
            raise BackupError(f"{target} appeared during the backup; pass --force to replace it")
        os.replace(temporary, target)
    except StorageError as error:
        raise BackupError(f"the copy is unusable, so {target} was left alone: {error}") from None
    except OSError as error:
        raise BackupError(f"cannot write the backup: {error}") from None
    finally:
        _remove_with_side_files(temporary)
    return BackupResult(target=target, pages=pages, size_bytes=target.stat().st_size)


def pg_dump_command(url: str, target: Path) -> str:
    """The pg_dump command line that backs up the PostgreSQL database at `url`.

    The password is left out on purpose: pg_dump reads it from PGPASSWORD or ~/.pgpass, so it
    never lands in shell history.
    """
    parsed = parse_database_url(url)
    words = ["pg_dump", "--format=custom", f"--file={target}"]
    if parsed.host:
        words.append(f"--host={parsed.host}")
    if parsed.port:
        words.append(f"--port={parsed.port}")
    if parsed.username:
        words.append(f"--username={parsed.username}")
    words.append(f"--dbname={parsed.database or 'postgres'}")
    return shlex.join(words)


def _copy(source: Path, temporary: Path, pages_per_step: int, progress: Progress | None) -> int:
    total_pages = 0

    def step(_status: int, remaining: int, total: int) -> None:
        nonlocal total_pages
        total_pages = total
        if progress is not None:
            progress(total - remaining, total)

    # mode=rw: open the existing database, never create one where the source vanished.
    source_uri = source.resolve().as_uri() + "?mode=rw"
    try:
        with (
            contextlib.closing(sqlite3.connect(source_uri, uri=True)) as live,
            contextlib.closing(sqlite3.connect(temporary)) as copy,
        ):
            live.backup(copy, pages=pages_per_step, progress=step)
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy {source}: {error}") from None
    return total_pages


def _remove_with_side_files(path: Path) -> None:
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)):
        candidate.unlink(missing_ok=True)


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
