"""Posting waves: the waves, their occurrences and schedules, who joined, DM opt-ins, posts.

Bulk reads used when reminders fan out (every participant who wants a DM, with their opt-in)
are one statement each, so a wave with tens of thousands of participants costs a few round
trips, not one per person. The personal part (participants, opt-ins, posts) is in
`wave_people`; the records in `wave_records`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

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
from storage.schema import schedules
from storage.tables.waves import wave_occurrences, wave_schedules, wave_texts, waves

__all__ = ["Participant", "Wave", "WaveOccurrence", "WavePost", "WaveRepository", "WaveSchedule"]

_CHUNK = 5000  # rows per executemany, well under SQLite's bound-parameter limit


class WaveRepository(WavePeople):
    """The waves tables."""

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
