"""What every repository shares: the connection of its transaction."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert


class Repository:
    """Queries one aggregate within the caller's transaction; returns records, not rows."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    @property
    def dialect(self) -> str:
        return self._connection.dialect.name

    def insert_ignoring_duplicates(self, table: Table) -> Insert:
        """`INSERT … ON CONFLICT DO NOTHING` for this dialect: unique keys make it idempotent."""
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()
