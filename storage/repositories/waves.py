"""Posting waves: the waves, their occurrences and schedules, who joined, DM opt-ins, posts.

Bulk reads used when reminders fan out (every participant who wants a DM, with their opt-in)
are one statement each, so a wave with tens of thousands of participants costs a few round
trips, not one per person. The personal part (participants, opt-ins, posts) is in
`wave_people`; the records in `wave_records`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text, bindparam, cast, delete, insert, select, update

from storage.records import NewMessage, OutboxStatus
from storage.repositories.wave_people import WavePeople
from storage.repositories.wave_records import (
    Participant,
    Wave,
    WaveOccurrence,
    WavePost,
    WaveSchedule,
    occurrence_of_row,
    wave_of_row,
)
from storage.schema import outbox, schedules
from storage.tables.waves import wave_occurrences, wave_schedules, wave_texts, waves

__all__ = ["Participant", "Wave", "WaveOccurrence", "WavePost", "WaveRepository", "WaveSchedule"]

_CHUNK = 5000  # rows per executemany, well under SQLite's bound-parameter limit


class WaveRepository(WavePeople):
    """The waves tables (and, read-only or by key prefix, their outbox rows)."""

    # --- waves ---------------------------------------------------------------------------
    async def create(self, *, texts: Sequence[str], now: datetime, **values: Any) -> Wave:
        """A new wave (`values` are its columns) with its suggested texts, in order."""
        result = await self._connection.execute(
            insert(waves).values(**values, created_at=now, updated_at=now).returning(*waves.c)
        )
        wave = wave_of_row(result.one())
        await self.replace_texts(wave.id, texts)
        return wave

    async def get(self, wave_id: int) -> Wave | None:
        row = (await self._connection.execute(select(waves).where(waves.c.id == wave_id))).first()
        return wave_of_row(row) if row else None

    async def of_campaign(self, campaign_id: int, statuses: Sequence[str]) -> list[Wave]:
        result = await self._connection.execute(
            select(waves)
            .where(waves.c.campaign_id == campaign_id, waves.c.status.in_(list(statuses)))
            .order_by(waves.c.id)
        )
        return [wave_of_row(row) for row in result]

    async def update(self, wave_id: int, now: datetime, **changes: Any) -> Wave:
        result = await self._connection.execute(
            update(waves)
            .where(waves.c.id == wave_id)
            .values(**changes, updated_at=now)
            .returning(*waves.c)
        )
        return wave_of_row(result.one())

    async def texts(self, wave_id: int) -> list[str]:
        result = await self._connection.execute(
            select(wave_texts.c.body)
            .where(wave_texts.c.wave_id == wave_id)
            .order_by(wave_texts.c.position)
        )
        return list(result.scalars())

    async def replace_texts(self, wave_id: int, texts: Sequence[str]) -> None:
        await self._connection.execute(delete(wave_texts).where(wave_texts.c.wave_id == wave_id))
        if texts:
            await self._connection.execute(
                insert(wave_texts),
                [{"wave_id": wave_id, "position": n, "body": text} for n, text in enumerate(texts)],
            )

    # --- occurrences and schedules ---------------------------------------------------------
    async def add_occurrence(
        self, wave_id: int, number: int, starts_at: datetime
    ) -> WaveOccurrence:
        """Occurrence `number` of a wave; the existing one if it was already recorded."""
        await self._connection.execute(
            self.insert_ignoring_duplicates(wave_occurrences).values(
                wave_id=wave_id, number=number, starts_at=starts_at, status="upcoming"
            )
        )
        result = await self._connection.execute(
            select(wave_occurrences).where(
                wave_occurrences.c.wave_id == wave_id, wave_occurrences.c.number == number
            )
        )
        return occurrence_of_row(result.one())

    async def occurrence(self, occurrence_id: int) -> WaveOccurrence | None:
        result = await self._connection.execute(
            select(wave_occurrences).where(wave_occurrences.c.id == occurrence_id)
        )
        row = result.first()
        return occurrence_of_row(row) if row else None

    async def occurrences(self, wave_id: int) -> list[WaveOccurrence]:
        """A wave's occurrences, first to last."""
        result = await self._connection.execute(
            select(wave_occurrences)
            .where(wave_occurrences.c.wave_id == wave_id)
            .order_by(wave_occurrences.c.number)
        )
        return [occurrence_of_row(row) for row in result]

    async def update_occurrence(
        self, occurrence_id: int, *, starts_at: datetime | None = None, status: str | None = None
    ) -> None:
        changes: dict[str, Any] = {}
        if starts_at is not None:
            changes["starts_at"] = starts_at
        if status is not None:
            changes["status"] = status
        await self._connection.execute(
            update(wave_occurrences).where(wave_occurrences.c.id == occurrence_id).values(**changes)
        )

    async def link_schedule(
        self,
        schedule_id: int,
        wave_id: int,
        role: str,
        occurrence_id: int | None = None,
        offset_minutes: int | None = None,
    ) -> None:
        await self._connection.execute(
            insert(wave_schedules).values(
                schedule_id=schedule_id,
                wave_id=wave_id,
                occurrence_id=occurrence_id,
                role=role,
                offset_minutes=offset_minutes,
            )
        )

    async def schedules(
        self, wave_id: int, *, role: str | None = None, occurrence_id: int | None = None
    ) -> list[WaveSchedule]:
        """The wave's schedules (of `role`, of one occurrence), each with its state."""
        query = (
            select(
                *wave_schedules.c,
                schedules.c.active,
                schedules.c.next_due_at,
            )
            .join(schedules, schedules.c.id == wave_schedules.c.schedule_id)
            .where(wave_schedules.c.wave_id == wave_id)
            .order_by(wave_schedules.c.schedule_id)
        )
        if role is not None:
            query = query.where(wave_schedules.c.role == role)
        if occurrence_id is not None:
            query = query.where(wave_schedules.c.occurrence_id == occurrence_id)
        result = await self._connection.execute(query)
        return [
            WaveSchedule(
                row.schedule_id,
                row.wave_id,
                row.occurrence_id,
                row.role,
                row.offset_minutes,
                bool(row.active),
                row.next_due_at,
            )
            for row in result
        ]

    # --- their outbox rows, by dedupe-key prefix -----------------------------------------------
    async def outbox_states(self, key_prefix: str) -> list[tuple[str, str]]:
        """(dedupe key, status) of every outbox row whose key starts with `key_prefix`."""
        result = await self._connection.execute(
            select(outbox.c.dedupe_key, outbox.c.status).where(
                outbox.c.dedupe_key.startswith(key_prefix, autoescape=True)
            )
        )
        return [(key, status) for key, status in result]

    async def add_outbox_rows(self, messages: Sequence[NewMessage], now: datetime) -> int:
        """`OutboxRepository.add_many` for a fan-out whose rows share a few payloads (one
        reminder to 20,000 members is ten texts): each distinct payload object is encoded to
        JSON once, not once per row, which is most of the cost of writing such a fan-out.
        Rows whose key exists already are skipped; returns how many were written."""
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

    async def cancel_unsent(self, key_prefix: str, reason: str) -> int:
        """Cancel the pending outbox rows whose key starts with `key_prefix`."""
        result = await self._connection.execute(
            update(outbox)
            .where(
                outbox.c.dedupe_key.startswith(key_prefix, autoescape=True),
                outbox.c.status == OutboxStatus.PENDING.value,
            )
            .values(status=OutboxStatus.CANCELLED.value, last_error=reason[:500])
        )
        return result.rowcount
