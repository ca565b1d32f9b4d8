"""Schedules and their materialised occurrences.

The rule arithmetic lives in `bot.core.scheduling` (storage does not import the core): callers
compute `next_due_at` and hand it in. Every bulk write here is one statement or one
`executemany`, so a tick over thousands of schedules costs a handful of round trips.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, select, update

from storage.records import NewOccurrence, Occurrence, Schedule
from storage.repositories.base import Repository
from storage.schema import occurrences, schedules

# A parked schedule's error is for a person to read, not a whole traceback.
PARKED_ERROR_MAX = 1000
# Keeps `IN (…)` lists under SQLite's bound-parameter limit (32766) with room to spare.
_CHUNK = 5000


# The columns in the record's field order, so that a row unpacks straight into a Schedule (a
# big tick reads thousands of them).
_SCHEDULE_COLUMNS = tuple(schedules.c[field.name] for field in fields(Schedule))


def _schedule(row: Any) -> Schedule:
    return Schedule(*row)


def _occurrence(row: Any) -> Occurrence:
    return Occurrence(
        id=row.id,
        schedule_id=row.schedule_id,
        local_key=row.local_key,
        due_at=row.due_at,
        status=row.status,
        created_at=row.created_at,
    )


class ScheduleRepository(Repository):
    """The schedules and occurrences tables."""

    async def create(
        self,
        *,
        kind: str,
        timezone: str,
        rule: dict[str, Any],
        catchup: str,
        grace_seconds: int,
        payload: dict[str, Any],
        next_due_at: datetime | None,
        now: datetime,
        campaign_id: int | None = None,
        place_id: int | None = None,
    ) -> Schedule:
        """Insert an active schedule. Validation and `next_due_at` are the caller's
        (`bot.core.scheduling.service.create_schedule` does both)."""
        result = await self._connection.execute(
            insert(schedules)
            .values(
                kind=kind,
                campaign_id=campaign_id,
                place_id=place_id,
                timezone=timezone,
                rule=rule,
                catchup=catchup,
                grace_seconds=grace_seconds,
                payload=payload,
                next_due_at=next_due_at,
                active=True,
                created_at=now,
                updated_at=now,
            )
            .returning(*_SCHEDULE_COLUMNS)
        )
        return _schedule(result.one())

    async def get(self, schedule_id: int) -> Schedule | None:
        result = await self._connection.execute(
            select(*_SCHEDULE_COLUMNS).where(schedules.c.id == schedule_id)
        )
        row = result.one_or_none()
        return _schedule(row) if row else None

    async def update(
        self,
        schedule_id: int,
        *,
        next_due_at: datetime | None,
        now: datetime,
        rule: dict[str, Any] | None = None,
        timezone: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Schedule | None:
        """Change the rule, zone or payload and move `next_due_at`; None if there is no such
        schedule. Occurrences already recorded keep their keys, so a key the new rule produces
        again is not materialised twice. An edit is a fix: a parked schedule is resumed."""
        changes: dict[str, Any] = {
            "next_due_at": next_due_at,
            "updated_at": now,
            "parked_at": None,
            "parked_error": "",
        }
        if rule is not None:
            changes["rule"] = rule
        if timezone is not None:
            changes["timezone"] = timezone
        if payload is not None:
            changes["payload"] = payload
        result = await self._connection.execute(
            update(schedules)
            .where(schedules.c.id == schedule_id)
            .values(**changes)
            .returning(*_SCHEDULE_COLUMNS)
        )
        row = result.one_or_none()
        return _schedule(row) if row else None

    async def deactivate(self, schedule_id: int, now: datetime) -> bool:
        """Stop a schedule for good (it is never due again); False if it was not active."""
        result = await self._connection.execute(
            update(schedules)
            .where(schedules.c.id == schedule_id, schedules.c.active.is_(True))
            .values(active=False, next_due_at=None, updated_at=now)
        )
        return bool(result.rowcount)

    async def park(self, schedule_id: int, error: str, now: datetime) -> bool:
        """Set an active schedule aside with the `error` that stopped it, so that the ticker
        skips it; `next_due_at` is kept, so that resuming it applies its catch-up policy to what
        came due meanwhile. False if it is not active or already parked."""
        result = await self._connection.execute(
            update(schedules)
            .where(
                schedules.c.id == schedule_id,
                schedules.c.active.is_(True),
                schedules.c.parked_at.is_(None),
            )
            .values(parked_at=now, parked_error=error[:PARKED_ERROR_MAX])
        )
        return bool(result.rowcount)

    async def resume(self, schedule_id: int) -> Schedule | None:
        """Clear a schedule's parking; the schedule as it now is, or None if it was not
        parked. `updated_at` is left alone: the definition did not change."""
        result = await self._connection.execute(
            update(schedules)
            .where(schedules.c.id == schedule_id, schedules.c.parked_at.is_not(None))
            .values(parked_at=None, parked_error="")
            .returning(*_SCHEDULE_COLUMNS)
        )
        row = result.one_or_none()
        return _schedule(row) if row else None

    async def parked(self, campaign_id: int | None = None) -> list[Schedule]:
        """Active parked schedules (of one campaign, if given), oldest parking first."""
        query = (
            select(*_SCHEDULE_COLUMNS)
            .where(schedules.c.active.is_(True), schedules.c.parked_at.is_not(None))
            .order_by(schedules.c.parked_at, schedules.c.id)
        )
        if campaign_id is not None:
            query = query.where(schedules.c.campaign_id == campaign_id)
        result = await self._connection.execute(query)
        return [_schedule(row) for row in result]

    async def due(
        self, now: datetime, limit: int, kinds: Collection[str] | None = None
    ) -> list[Schedule]:
        """Active, unparked schedules with `next_due_at <= now` (of `kinds`, if given),
        soonest first, at most `limit`.

        On PostgreSQL the rows stay locked until the transaction ends and rows another
        transaction holds are skipped (`FOR UPDATE SKIP LOCKED`), so two tickers split the work
        instead of waiting on each other. On SQLite the caller's `BEGIN IMMEDIATE` already
        serialises writers.
        """
        query = (
            select(*_SCHEDULE_COLUMNS)
            .where(*self._due_at(now))
            .order_by(schedules.c.next_due_at, schedules.c.id)
            .limit(limit)
        )
        if kinds is not None:
            query = query.where(schedules.c.kind.in_(sorted(kinds)))
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        result = await self._connection.execute(query)
        return [_schedule(row) for row in result]

    async def count_due_by_kind(self, now: datetime, excluding: Collection[str]) -> dict[str, int]:
        """How many schedules are due at `now` per kind, leaving out `excluding` (the ticker
        uses it to report kinds nobody handles)."""
        result = await self._connection.execute(
            select(schedules.c.kind, func.count())
            .where(*self._due_at(now), schedules.c.kind.not_in(sorted(excluding)))
            .group_by(schedules.c.kind)
        )
        return {kind: count for kind, count in result}

    @staticmethod
    def _due_at(now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (
            schedules.c.active.is_(True),
            schedules.c.parked_at.is_(None),
            schedules.c.next_due_at.is_not(None),
            schedules.c.next_due_at <= now,
        )

    async def advance(self, moves: Sequence[tuple[int, datetime | None]]) -> None:
        """Set `next_due_at` for many schedules in one executemany: (schedule id, next due).

        Ticker bookkeeping, not an edit: `updated_at` is left alone."""
        if not moves:
            return
        statement = (
            update(schedules)
            .where(schedules.c.id == bindparam("schedule_id"))
            .values(next_due_at=bindparam("next_due"))
        )
        await self._connection.execute(
            statement, [{"schedule_id": sid, "next_due": due} for sid, due in moves]
        )

    async def add_occurrences(
        self, new: Sequence[NewOccurrence], now: datetime
    ) -> list[Occurrence]:
        """Record occurrences whose (schedule, local key) is new, in bulk; returns only the rows
        actually inserted (`ON CONFLICT DO NOTHING`), in no particular order."""
        if not new:
            return []
        # RETURNING only the key columns: the rest is what we wrote, and not converting the
        # timestamps back for thousands of rows is a good part of a big tick's time.
        statement = self.insert_ignoring_duplicates(occurrences).returning(
            occurrences.c.id, occurrences.c.schedule_id, occurrences.c.local_key
        )
        result = await self._connection.execute(
            statement,
            [
                {
                    "schedule_id": o.schedule_id,
                    "local_key": o.local_key,
                    "due_at": o.due_at,
                    "status": o.status,
                    "created_at": now,
                }
                for o in new
            ],
        )
        written = {(o.schedule_id, o.local_key): o for o in new}
        inserted = []
        for occurrence_id, schedule_id, local_key in result:
            o = written[(schedule_id, local_key)]
            inserted.append(
                Occurrence(occurrence_id, schedule_id, local_key, o.due_at, o.status, now)
            )
        return inserted

    async def set_occurrence_status(self, occurrence_ids: Collection[int], status: str) -> int:
        """Mark occurrences with `status` (e.g. after a handler's follow-up); returns the count."""
        ids = sorted(occurrence_ids)
        changed = 0
        for start in range(0, len(ids), _CHUNK):
            result = await self._connection.execute(
                update(occurrences)
                .where(occurrences.c.id.in_(ids[start : start + _CHUNK]))
                .values(status=status)
            )
            changed += result.rowcount
        return changed

    async def occurrences_of(self, schedule_id: int) -> list[Occurrence]:
        """A schedule's occurrences, oldest first."""
        result = await self._connection.execute(
            select(occurrences)
            .where(occurrences.c.schedule_id == schedule_id)
            .order_by(occurrences.c.due_at, occurrences.c.id)
        )
        return [_occurrence(row) for row in result]
