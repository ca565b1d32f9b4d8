"""Errors the storage layer raises instead of driver exceptions, so callers stay SQL-free.

`StorageError` and its subclasses say what is wrong with the database in words an operator can
act on. The subclasses name the faults that are not bugs (the database is busy, full, read-only
or out of reach), so that the chat layer can answer each with its own message and keep incident
ids for the truly unexpected.
"""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot be used as configured; the message says why and where."""


class DatabaseUnreachable(StorageError):
    """The database server cannot be reached, or did not answer in time."""


class DatabaseBusy(StorageError):
    """Another writer held the database's lock for longer than we wait; trying later works."""


class DatabaseFull(StorageError):
    """The disk (or the database's quota) is full: nothing more can be written."""


class DatabaseReadOnly(StorageError):
    """The database can be read but not written (file permissions, a read-only replica)."""


class SchemaTooNew(StorageError):
    """The database was migrated by a newer Chorus than this one."""


class Conflict(Exception):
    """A row with the same unique key already exists (someone else got there first)."""
