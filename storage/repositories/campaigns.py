"""Campaigns: what many places share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from storage.records import Campaign
from storage.repositories.base import Repository
from storage.schema import campaigns


def _campaign(row: Any) -> Campaign:
    return Campaign(
        id=row.id,
        name=row.name,
        hashtag=row.hashtag,
        timezone=row.timezone,
        locale=row.locale,
        created_by=row.created_by,
        created_at=row.created_at,
    )


class CampaignRepository(Repository):
    """The campaigns table."""

    async def create(
        self, *, name: str, hashtag: str, timezone: str, locale: str, created_by: str, now: datetime
    ) -> Campaign:
        result = await self._connection.execute(
            insert(campaigns)
            .values(
                name=name,
                hashtag=hashtag,
                timezone=timezone,
                locale=locale,
                created_by=created_by,
                created_at=now,
            )
            .returning(*campaigns.c)
        )
        return _campaign(result.one())

    async def get(self, campaign_id: int) -> Campaign | None:
        result = await self._connection.execute(
            select(campaigns).where(campaigns.c.id == campaign_id)
        )
        row = result.one_or_none()
        return _campaign(row) if row else None

    async def update(self, campaign_id: int, **changes: str) -> Campaign:
        """Change name, hashtag, timezone or locale; returns the new state."""
        allowed = {"name", "hashtag", "timezone", "locale"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"not campaign settings: {sorted(unknown)}")
        result = await self._connection.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(**changes)
            .returning(*campaigns.c)
        )
        return _campaign(result.one())
