"""Outbox rows in bulk: a large fan-out written fast, rows found by dedupe-key prefix, and
unsent rows cancelled together (an occurrence called off, a user forgotten)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text, bindparam, cast, select, update

from storage.records import NewMessage, OutboxStatus
from storage.repositories.base import Repository
from storage.tables.core import outbox

_CHUNK = 5000  # rows per executemany, well under SQLite's bound-parameter limit
# Not sent yet: waiting, or claimed by a sender that has not sent it.
_UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


class OutboxBulk(Repository):
    """Outbox operations over many rows at once (a wave's reminders, a cancelled occurrence)."""

    async def states(self, key_prefix: str) -> list[tuple[str, str]]:
        """(dedupe key, status) of every outbox row whose key starts with `key_prefix`."""
        result = await self._connection.execute(
            select(outbox.c.dedupe_key, outbox.c.status).where(
                outbox.c.dedupe_key.startswith(key_prefix, autoescape=True)
            )
        )
        return [(key, status) for key, status in result]

    async def add_fanout(self, messages: Sequence[NewMessage], now: datetime) -> int:
        """`OutboxRepository.add_many` for many rows at once, without reading their ids
        back (one statement run over all of them). Rows may share payloads (one reminder to
        20,000 members is ten texts): each distinct payload object is encoded to JSON once,
        not once per row, which is most of the cost of writing such a fan-out. Rows whose
        key exists already are skipped; returns how many were written."""
        encoded: dict[int, str] = {}
        rows = []
        for message in messages:
            text = encoded.get(id(message.payload))
            if text is None:
                text = encoded[id(message.payload)] = json.dumps(message.payload)
            rows.append(
                {
                    "dedupe_key": message.dedupe_key,
                    "platform": message.platform,
                    "chat_id": message.chat_id,
                    "chat_kind": message.chat_kind,
                    "payload": text,
                    "place_id": message.place_id,
                    "user_key": message.user_key,
                    "not_after": message.not_after,
                    "next_attempt_at": message.next_attempt_at,
                    "status": OutboxStatus.PENDING.value,
                    "attempts": 0,
                    "created_at": now,
                }
            )
        if not rows:
            return 0
        # The text goes in as it is: SQLite keeps JSON as text; PostgreSQL casts it.
        encoded_payload: Any = bindparam("payload", type_=Text())
        if self.dialect == "postgresql":
            encoded_payload = cast(encoded_payload, JSON)
        statement = self.insert_ignoring_duplicates(outbox).values(payload=encoded_payload)
        written = 0
        for start in range(0, len(rows), _CHUNK):
            result = await self._connection.execute(statement, rows[start : start + _CHUNK])
            written += max(result.rowcount, 0)
        return written

    async def cancel_pending(self, key_prefix: str, reason: str) -> int:
        """Cancel the unsent outbox rows whose key starts with `key_prefix`: `pending` ones,
        and `sending` ones a sender has claimed but not sent yet. A sender checks its rows are
        still its own before sending them (`still_ours`), so a claimed row stops there;
        its lease owner is kept so that a send already on the wire is still recorded as
        sent (`mark_sent`). Returns how many rows were cancelled."""
        result = await self._connection.execute(
            update(outbox)
            .where(
                outbox.c.dedupe_key.startswith(key_prefix, autoescape=True),
                outbox.c.status.in_(_UNSENT),
            )
            .values(status=OutboxStatus.CANCELLED.value, last_error=reason[:500], lease_until=None)
        )
        return result.rowcount

    async def cancel_for_user(self, user_key: str) -> int:
        """Forget a user: their unsent rows are `cancelled`, and no row keeps their text.

        Rows carrying the user's text (`user_key`) that are `pending` or `sending` become
        `cancelled`; the payload and user key of every row of theirs, sent ones included,
        are erased. A send already in flight may still complete. Returns how many rows
        were cancelled.
        """
        cancelled = await self._connection.execute(
            update(outbox)
            .where(outbox.c.user_key == user_key, outbox.c.status.in_(_UNSENT))
            .values(
                status=OutboxStatus.CANCELLED.value,
                last_error="cancelled: the user asked to be forgotten",
                lease_owner=None,
                lease_until=None,
            )
        )
        await self._connection.execute(
            update(outbox).where(outbox.c.user_key == user_key).values(payload={}, user_key=None)
        )
        return cancelled.rowcount
