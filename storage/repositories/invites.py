"""Invite codes that let another place join a campaign."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from storage.records import Invite
from storage.repositories.base import Repository
from storage.schema import invites


def _invite(row: Any) -> Invite:
    return Invite(
        id=row.id,
        campaign_id=row.campaign_id,
        code=row.code,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        uses=row.uses,
    )


class InviteRepository(Repository):
    """The invites table."""

    async def create(
        self, *, campaign_id: int, code: str, created_by: str, now: datetime, expires_at: datetime
    ) -> Invite:
        result = await self._connection.execute(
            insert(invites)
            .values(
                campaign_id=campaign_id,
                code=code,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
            .returning(*invites.c)
        )
        return _invite(result.one())

    async def find(self, code: str) -> Invite | None:
        result = await self._connection.execute(select(invites).where(invites.c.code == code))
        row = result.one_or_none()
        return _invite(row) if row else None

    async def record_use(self, invite_id: int) -> None:
        await self._connection.execute(
            update(invites).where(invites.c.id == invite_id).values(uses=invites.c.uses + 1)
        )

    async def revoke(self, campaign_id: int, code: str, now: datetime) -> bool:
        result = await self._connection.execute(
            update(invites)
            .where(
                invites.c.campaign_id == campaign_id,
                invites.c.code == code,
                invites.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return result.rowcount > 0

    async def usable(self, campaign_id: int, now: datetime) -> list[Invite]:
        result = await self._connection.execute(
            select(invites)
            .where(
                invites.c.campaign_id == campaign_id,
                invites.c.revoked_at.is_(None),
                invites.c.expires_at > now,
            )
            .order_by(invites.c.id)
        )
        return [_invite(row) for row in result]
