"""Quotas counted in the database, so they survive restarts and span processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from storage.repositories.base import Repository
from storage.schema import quotas


class QuotaRepository(Repository):
    """Fixed windows: `key` may be used `limit` times per window starting at `window_start`."""

    async def take(self, key: str, window_start: datetime, limit: int) -> bool:
        """Use one unit if any is left in this window; False when the quota is spent."""
        result = await self._connection.execute(
            update(quotas)
            .where(
                quotas.c.key == key,
                quotas.c.window_start == window_start,
                quotas.c.used < limit,
            )
            .values(used=quotas.c.used + 1)
        )
        if result.rowcount:
            return True
        existing = await self._connection.execute(
            select(quotas.c.used).where(quotas.c.key == key, quotas.c.window_start == window_start)
        )
        if existing.scalar_one_or_none() is not None:
            return False
        if limit < 1:
            return False
        await self._connection.execute(
            quotas.insert().values(key=key, window_start=window_start, used=1)
        )
        return True

    async def used(self, key: str, window_start: datetime) -> int:
        result = await self._connection.execute(
            select(quotas.c.used).where(quotas.c.key == key, quotas.c.window_start == window_start)
        )
        return result.scalar_one_or_none() or 0
