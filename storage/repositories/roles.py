"""Campaign roles: which platform users organise or moderate a campaign."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from storage.records import RoleGrant
from storage.repositories.base import Repository
from storage.schema import roles


class RoleRepository(Repository):
    """The roles table: at most one role per user and campaign."""

    async def role_of(self, campaign_id: int, user_key: str) -> str | None:
        result = await self._connection.execute(
            select(roles.c.role).where(
                roles.c.campaign_id == campaign_id, roles.c.user_key == user_key
            )
        )
        return result.scalar_one_or_none()

    async def grant(
        self, campaign_id: int, user_key: str, role: str, granted_by: str, now: datetime
    ) -> None:
        """Give `user_key` the role, replacing any other role they had in the campaign."""
        changed = await self._connection.execute(
            update(roles)
            .where(roles.c.campaign_id == campaign_id, roles.c.user_key == user_key)
            .values(role=role, granted_by=granted_by, granted_at=now)
        )
        if changed.rowcount == 0:
            await self._connection.execute(
                roles.insert().values(
                    campaign_id=campaign_id,
                    user_key=user_key,
                    role=role,
                    granted_by=granted_by,
                    granted_at=now,
                )
            )

    async def revoke(self, campaign_id: int, user_key: str) -> bool:
        result = await self._connection.execute(
            delete(roles).where(roles.c.campaign_id == campaign_id, roles.c.user_key == user_key)
        )
        return result.rowcount > 0

    async def of_campaign(self, campaign_id: int) -> list[RoleGrant]:
        result = await self._connection.execute(
            select(roles)
            .where(roles.c.campaign_id == campaign_id)
            .order_by(roles.c.role.desc(), roles.c.user_key)
        )
        return [
            RoleGrant(r.campaign_id, r.user_key, r.role, r.granted_by, r.granted_at) for r in result
        ]

    async def count(self, campaign_id: int, role: str) -> int:
        return len([grant for grant in await self.of_campaign(campaign_id) if grant.role == role])
