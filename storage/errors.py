"""Errors the repositories raise instead of driver exceptions, so callers stay SQL-free."""

from __future__ import annotations


class Conflict(Exception):
    """A row with the same unique key already exists (someone else got there first)."""
