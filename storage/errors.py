"""Errors the storage layer raises instead of driver exceptions, so callers stay SQL-free."""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot be used as configured; the message says why and where."""


class Conflict(Exception):
    """A row with the same unique key already exists (someone else got there first)."""
