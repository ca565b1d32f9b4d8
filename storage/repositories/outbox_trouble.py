"""Outbox rows that did not go out: `failed` and `dead` rows, to show, retry or drop.

Organisers see the rows of their campaign (through the place each row was written for);
the operator sees every row. Retrying gives a row a fresh set of attempts, due at once;
dropping it cancels it for good. Both act only on a row that is still `failed` or `dead`,
so a row retried by someone else meanwhile is never dropped by mistake, nor sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update

from storage.records import OutboxStatus
from storage.repositories.base import Repository
from storage.tables.core import outbox, places

TROUBLED = (OutboxStatus.FAILED.value, OutboxStatus.DEAD.value)


@dataclass(frozen=True, slots=True)
class TroubledRow:
    """A row that did not go out: why, after how many attempts, and when it was last due
    (for a row that failed or died, about when that happened)."""

    id: int
    dedupe_key: str
    platform: str
    status: str
    attempts: int
    reason: str
    last_due: datetime
    campaign_id: int | None


def _troubled(row: Any) -> TroubledRow:
    return TroubledRow(
        id=row.id,
        dedupe_key=row.dedupe_key,
        platform=row.platform,
        status=row.status,
        attempts=row.attempts,
        reason=row.last_error,
        last_due=row.next_attempt_at,
        campaign_id=row.campaign_id,
    )


def _query() -> Select[Any]:
    return select(
        outbox.c.id,
        outbox.c.dedupe_key,
        outbox.c.platform,
        outbox.c.status,
        outbox.c.attempts,
        outbox.c.last_error,
        outbox.c.next_attempt_at,
        places.c.campaign_id,
    ).select_from(outbox.outerjoin(places, places.c.id == outbox.c.place_id))


def _in_campaign(campaign_id: int | None) -> ColumnElement[bool]:
    if campaign_id is None:
        return outbox.c.id.is_not(None)
    return outbox.c.place_id.in_(select(places.c.id).where(places.c.campaign_id == campaign_id))


class OutboxTrouble(Repository):
    """Failed and dead outbox rows, for organisers and the operator."""

    async def troubled(self, campaign_id: int | None = None, limit: int = 10) -> list[TroubledRow]:
        """The most recent `failed` and `dead` rows (of `campaign_id`'s places), newest first."""
        result = await self._connection.execute(
            _query()
            .where(outbox.c.status.in_(TROUBLED), _in_campaign(campaign_id))
            .order_by(outbox.c.next_attempt_at.desc(), outbox.c.id.desc())
            .limit(limit)
        )
        return [_troubled(row) for row in result]

    async def find_troubled(
        self, outbox_id: int, campaign_id: int | None = None
    ) -> TroubledRow | None:
        """Row `outbox_id` if it is `failed` or `dead` (and of `campaign_id`'s places)."""
        result = await self._connection.execute(
            _query().where(
                outbox.c.id == outbox_id,
                outbox.c.status.in_(TROUBLED),
                _in_campaign(campaign_id),
            )
        )
        row = result.one_or_none()
        return _troubled(row) if row is not None else None

    async def retry_troubled(
        self, outbox_id: int, now: datetime, campaign_id: int | None = None
    ) -> TroubledRow | None:
        """Send a `failed` or `dead` row again: `pending`, due `now`, with its attempts back
        to zero. Its last reason stays until the next outcome replaces it. Returns the row
        as it was, or None if there is no such row in trouble (nothing changes then)."""
        found = await self.find_troubled(outbox_id, campaign_id)
        if found is None:
            return None
        await self._connection.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id, outbox.c.status.in_(TROUBLED))
            .values(
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                lease_owner=None,
                lease_until=None,
            )
        )
        return found

    async def drop_troubled(
        self, outbox_id: int, reason: str, campaign_id: int | None = None
    ) -> TroubledRow | None:
        """Give up on a `failed` or `dead` row for good: `cancelled`, with `reason`. Returns
        the row as it was, or None if there is no such row in trouble."""
        found = await self.find_troubled(outbox_id, campaign_id)
        if found is None:
            return None
        await self._connection.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id, outbox.c.status.in_(TROUBLED))
            .values(status=OutboxStatus.CANCELLED.value, last_error=reason[:500])
        )
        return found
