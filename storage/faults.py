"""Driver exceptions turned into typed `StorageError`s, by what an operator can do about them.

SQLite reports its faults by result code (`sqlite3.Error.sqlite_errorname`), PostgreSQL by
SQLSTATE (asyncpg's `sqlstate`, which SQLAlchemy's adapter copies). Anything not listed here
is left alone: it is a bug, and the caller's incident handling reports it.
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import DBAPIError

from storage.errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnreachable,
    StorageError,
)

BUSY = "another process held the database's lock for too long; try again in a moment"
FULL = "the disk holding the database is full: free some space"
READ_ONLY = "the database refuses writes: make its file (or its server) writable"

SQLITE_CODES: dict[str, tuple[type[StorageError], str]] = {
    "SQLITE_BUSY": (DatabaseBusy, BUSY),
    "SQLITE_LOCKED": (DatabaseBusy, BUSY),
    "SQLITE_FULL": (DatabaseFull, FULL),
    "SQLITE_READONLY": (DatabaseReadOnly, READ_ONLY),
}
# The same faults by their words, for drivers that do not carry the result code.
SQLITE_WORDS: dict[str, tuple[type[StorageError], str]] = {
    "database is locked": (DatabaseBusy, BUSY),
    "database table is locked": (DatabaseBusy, BUSY),
    "database or disk is full": (DatabaseFull, FULL),
    "attempt to write a readonly database": (DatabaseReadOnly, READ_ONLY),
}
POSTGRES_STATES: dict[str, tuple[type[StorageError], str]] = {
    "55P03": (DatabaseBusy, BUSY),  # lock_not_available (lock_timeout)
    "40P01": (DatabaseBusy, BUSY),  # deadlock_detected
    "57014": (DatabaseBusy, BUSY),  # query_canceled (a timeout)
    "53300": (DatabaseBusy, "the database server has no free connection; try again in a moment"),
    "53100": (DatabaseFull, FULL),  # disk_full
    "25006": (DatabaseReadOnly, READ_ONLY),  # read_only_sql_transaction (a standby)
    "57P01": (DatabaseUnreachable, "the database server is shutting down"),
    "57P03": (DatabaseUnreachable, "the database server is starting up; try again in a moment"),
}
POSTGRES_CLASSES: dict[str, tuple[type[StorageError], str]] = {
    "08": (DatabaseUnreachable, "the connection to the database server was lost"),
    "28": (StorageError, "the database server refused the login: check the user and password"),
}


def translate(error: BaseException) -> StorageError | None:
    """The typed error for a driver fault an operator can fix, or None for anything else."""
    if isinstance(error, DBAPIError):
        return _from_driver(error.orig)
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return DatabaseFull(FULL)
    return None


def _from_driver(orig: BaseException | None) -> StorageError | None:
    if orig is None:
        return None
    found = _sqlite(orig) or _postgres(orig)
    if found is None:
        return None
    kind, reason = found
    return kind(reason)


def _sqlite(orig: BaseException) -> tuple[type[StorageError], str] | None:
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        # An extended code (SQLITE_READONLY_DBMOVED) belongs to its primary one.
        primary = "_".join(name.split("_")[:2])
        if primary in SQLITE_CODES:
            return SQLITE_CODES[primary]
    text = str(orig).lower()
    for words, found in SQLITE_WORDS.items():
        if words in text:
            return found
    return None


def _postgres(orig: BaseException) -> tuple[type[StorageError], str] | None:
    state = getattr(orig, "sqlstate", None) or getattr(orig.__cause__, "sqlstate", None)
    if not isinstance(state, str):
        return None
    return POSTGRES_STATES.get(state) or POSTGRES_CLASSES.get(state[:2])
