"""Live counters: the message per place that the petitions cog keeps editing with the count.

Its first version goes out through the outbox (`outbox_id`); the row then learns the
platform's message id, and `edited_at` paces the edits across processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from storage.repositories.base import Repository
from storage.tables.core import outbox
from storage.tables.petitions import petition_live_counters


@dataclass(frozen=True, slots=True)
class LiveCounter:
    """A place's live counter message: first sent through the outbox, then edited."""

    id: int
    place_id: int
    campaign_id: int
    platform: str
    chat_id: str
    outbox_id: int | None
    message_id: str | None
    generation: int
    shown_count: int | None
    pinned: bool
    edited_at: datetime | None
    # From the outbox row of its first version, while it has no message id of its own.
    outbox_status: str | None = None
    outbox_message_id: str | None = None


def _counter(row: Any) -> LiveCounter:
    c = row._mapping
    return LiveCounter(
        id=c["id"],
        place_id=c["place_id"],
        campaign_id=c["campaign_id"],
        platform=c["platform"],
        chat_id=c["chat_id"],
        outbox_id=c["outbox_id"],
        message_id=c["message_id"],
        generation=c["generation"],
        shown_count=c["shown_count"],
        pinned=bool(c["pinned"]),
        edited_at=c["edited_at"],
        outbox_status=c["status"],
        outbox_message_id=c["platform_message_id"],
    )


class LiveCounterRepository(Repository):
    """The petition_live_counters table."""

    async def add_counter(
        self, *, place_id: int, campaign_id: int, platform: str, chat_id: str, now: datetime
    ) -> int | None:
        """A live counter for the place; None if it has one already."""
        statement = self.insert_ignoring_duplicates(petition_live_counters).returning(
            petition_live_counters.c.id
        )
        result = await self._connection.execute(
            statement,
            [
                {
                    "place_id": place_id,
                    "campaign_id": campaign_id,
                    "platform": platform,
                    "chat_id": chat_id,
                    "created_at": now,
                }
            ],
        )
        rows = list(result)
        return int(rows[0][0]) if rows else None

    async def remove_counter(self, place_id: int) -> bool:
        result = await self._connection.execute(
            delete(petition_live_counters).where(petition_live_counters.c.place_id == place_id)
        )
        return result.rowcount > 0

    async def counters(
        self, *, platform: str | None = None, place_id: int | None = None
    ) -> list[LiveCounter]:
        """Live counters (of `platform`, or of one place), with their first version's state."""
        c = petition_live_counters.c
        query = select(
            petition_live_counters, outbox.c.status, outbox.c.platform_message_id
        ).outerjoin(outbox, outbox.c.id == c.outbox_id)
        if platform is not None:
            query = query.where(c.platform == platform)
        if place_id is not None:
            query = query.where(c.place_id == place_id)
        result = await self._connection.execute(query.order_by(c.id))
        return [_counter(row) for row in result]

    async def claim_counter(
        self, counter_id: int, edited_at: datetime | None, now: datetime
    ) -> bool:
        """Take this counter's next edit: only one process wins a given previous `edited_at`."""
        c = petition_live_counters.c
        same = c.edited_at.is_(None) if edited_at is None else c.edited_at == edited_at
        result = await self._connection.execute(
            update(petition_live_counters).where(c.id == counter_id, same).values(edited_at=now)
        )
        return result.rowcount == 1

    async def update_counter(self, counter_id: int, **values: Any) -> None:
        """Set `outbox_id`, `message_id`, `generation`, `shown_count` or `pinned`."""
        allowed = {"outbox_id", "message_id", "generation", "shown_count", "pinned"}
        if set(values) - allowed:
            raise ValueError(f"not live counter fields: {sorted(set(values) - allowed)}")
        await self._connection.execute(
            update(petition_live_counters)
            .where(petition_live_counters.c.id == counter_id)
            .values(**values)
        )
