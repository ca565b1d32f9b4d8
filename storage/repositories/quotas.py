"""Quotas counted in the database, so they survive restarts and span processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.repositories.base import Repository
from storage.schema import quotas


class QuotaRepository(Repository):
    """Fixed windows: `key` may be used `limit` times per window starting at `window_start`."""

    async def take(self, key: str, window_start: datetime, limit: int) -> bool:
        """Use one unit if any is left in this window; False when the quota is spent.

        One statement (`INSERT … ON CONFLICT DO UPDATE … WHERE used < limit`): two first uses
        at once cannot both insert the row, and two uses of the last unit cannot both take it.
        """
        if limit < 1:
            return False
        insert = (
            postgresql.insert(quotas) if self.dialect == "postgresql" else sqlite.insert(quotas)
        )
        statement = insert.values(key=key, window_start=window_start, used=1).on_conflict_do_update(
            index_elements=[quotas.c.key, quotas.c.window_start],
            set_={"used": quotas.c.used + 1},
            where=quotas.c.used < limit,
        )
        result = await self._connection.execute(statement)
        return bool(result.rowcount)

    async def give_back(self, key: str, window_start: datetime) -> None:
        """Return one unit taken in this window (the action it was taken for was refused)."""
        await self._connection.execute(
            update(quotas)
            .where(
                quotas.c.key == key,
                quotas.c.window_start == window_start,
                quotas.c.used > 0,
            )
            .values(used=quotas.c.used - 1)
        )

    async def used(self, key: str, window_start: datetime) -> int:
        result = await self._connection.execute(
            select(quotas.c.used).where(quotas.c.key == key, quotas.c.window_start == window_start)
        )
        return result.scalar_one_or_none() or 0
