"""Outbox rows: written with their cause, claimed with a lease, settled once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.records import NewMessage
from storage.repositories.base import Repository
from storage.schema import outbox


class OutboxRepository(Repository):
    """The outbox table."""

    async def add_many(self, messages: Sequence[NewMessage], now: datetime) -> list[int]:
        """Write rows whose dedupe key is new; returns the ids of the rows actually written."""
        if not messages:
            return []
        statement = self.insert_ignoring_duplicates(outbox).returning(outbox.c.id)
        result = await self._connection.execute(
            statement,
            [
                {
                    "dedupe_key": m.dedupe_key,
                    "platform": m.platform,
                    "chat_id": m.chat_id,
                    "chat_kind": m.chat_kind,
                    "payload": m.payload,
                    "place_id": m.place_id,
                    "user_key": m.user_key,
                    "not_after": m.not_after,
                    "next_attempt_at": m.next_attempt_at,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
                for m in messages
            ],
        )
        return [row[0] for row in result]
