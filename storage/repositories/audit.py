"""The audit log: who did what, when. Content (stories, messages) never goes here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from storage.records import AuditEntry
from storage.repositories.base import Repository
from storage.schema import audit_log


class AuditRepository(Repository):
    """The audit_log table."""

    async def record(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        campaign_id: int | None = None,
        place_id: int | None = None,
        **detail: Any,
    ) -> None:
        await self._connection.execute(
            insert(audit_log).values(
                at=at,
                actor=actor,
                action=action,
                campaign_id=campaign_id,
                place_id=place_id,
                detail=detail,
            )
        )

    async def recent(self, campaign_id: int | None = None, limit: int = 50) -> list[AuditEntry]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if campaign_id is not None:
            query = query.where(audit_log.c.campaign_id == campaign_id)
        result = await self._connection.execute(query)
        return [
            AuditEntry(r.id, r.at, r.campaign_id, r.place_id, r.actor, r.action, dict(r.detail))
            for r in result
        ]
