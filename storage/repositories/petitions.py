"""Petitions: count sources and their polls, snapshots, milestone settings and live counters.

Polls are split so that no fetch ever holds a write lock: `mark_due` (inside the ticker's
transaction) records which poll window is due, `lease_poll` hands one window to one poller in
a short transaction, the fetch happens outside any transaction, and `record_*` settle it in
another short one. Snapshots are unique per (source, window), so a window read by two
processes still gives one snapshot.
"""

from __future__ import annotations

__all__ = [
    "MANUAL",
    "Milestone",
    "PetitionRepository",
    "PetitionSettings",
    "Snapshot",
    "Source",
]

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.errors import Conflict
from storage.repositories.petition_corrections import PetitionCorrections
from storage.repositories.petition_counts import (
    Milestone,
    PetitionSettings,
    Snapshot,
)
from storage.tables.petitions import (
    petition_snapshots,
    petition_sources,
)

MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a count is read: `kind` is manual, json (url + pointer) or html (url + pattern)."""

    id: int
    campaign_id: int
    name: str
    kind: str
    url: str
    pointer: str
    pattern: str
    link: str
    schedule_id: int | None
    healthy: bool
    alerted: bool
    last_count: int | None
    last_reading_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    etag: str
    last_modified: str
    failures: int
    retry_at: datetime | None
    due_window: str | None
    polled_window: str | None


_SOURCE_COLUMNS = tuple(petition_sources.c[name] for name in Source.__dataclass_fields__)


def _source(row: Any) -> Source:
    values = dict(row._mapping)
    values["healthy"] = bool(values["healthy"])
    values["alerted"] = bool(values["alerted"])
    return Source(**values)


class PetitionRepository(PetitionCorrections):
    """The petition tables."""

    # --- sources -------------------------------------------------------------------------

    async def add_source(
        self,
        *,
        campaign_id: int,
        name: str,
        kind: str,
        url: str,
        pointer: str,
        pattern: str,
        link: str,
        created_by: str,
        now: datetime,
    ) -> Source:
        """A new source; `Conflict` when the campaign already has one of that name."""
        statement = (
            insert(petition_sources)
            .values(
                campaign_id=campaign_id,
                name=name,
                kind=kind,
                url=url,
                pointer=pointer,
                pattern=pattern,
                link=link,
                created_by=created_by,
                created_at=now,
            )
            .returning(*_SOURCE_COLUMNS)
        )
        try:
            async with self._connection.begin_nested():
                result = await self._connection.execute(statement)
        except IntegrityError:
            raise Conflict(f"campaign {campaign_id} already has a source {name!r}") from None
        return _source(result.one())

    async def set_schedule(self, source_id: int, schedule_id: int) -> None:
        await self._connection.execute(
            update(petition_sources)
            .where(petition_sources.c.id == source_id)
            .values(schedule_id=schedule_id)
        )

    async def source(self, source_id: int) -> Source | None:
        result = await self._connection.execute(
            select(*_SOURCE_COLUMNS).where(petition_sources.c.id == source_id)
        )
        row = result.one_or_none()
        return _source(row) if row else None

    async def sources(self, campaign_id: int) -> list[Source]:
        result = await self._connection.execute(
            select(*_SOURCE_COLUMNS)
            .where(petition_sources.c.campaign_id == campaign_id)
            .order_by(petition_sources.c.id)
        )
        return [_source(row) for row in result]

    async def remove_source(self, source_id: int) -> None:
        """Forget a source and its readings (its schedule is the caller's to stop)."""
        await self._connection.execute(
            delete(petition_snapshots).where(petition_snapshots.c.source_id == source_id)
        )
        await self._connection.execute(
            delete(petition_sources).where(petition_sources.c.id == source_id)
        )

    async def added_by(self, user_key: str) -> list[str]:
        """The names of the sources `user_key` added (what the petitions cog knows of them)."""
        result = await self._connection.execute(
            select(petition_sources.c.name)
            .where(petition_sources.c.created_by == user_key)
            .order_by(petition_sources.c.id)
        )
        return list(result.scalars())

    async def forget_adder(self, user_key: str) -> None:
        """The sources stay (the campaign's), but no longer say who added them."""
        await self._connection.execute(
            update(petition_sources)
            .where(petition_sources.c.created_by == user_key)
            .values(created_by="")
        )

    # --- polls ---------------------------------------------------------------------------

    async def mark_due(self, windows: Sequence[tuple[int, str]]) -> None:
        """(source id, window key): that window is now the one to read (the ticker's part)."""
        if not windows:
            return
        await self._connection.execute(
            update(petition_sources)
            .where(petition_sources.c.id == bindparam("source"))
            .values(due_window=bindparam("window")),
            [{"source": source, "window": window} for source, window in windows],
        )

    async def due_polls(self, now: datetime, limit: int) -> list[Source]:
        """Sources with a window not yet read, not backing off and not leased to a live poller."""
        c = petition_sources.c
        result = await self._connection.execute(
            select(*_SOURCE_COLUMNS)
            .where(
                c.kind != MANUAL,
                c.due_window.is_not(None),
                or_(c.polled_window.is_(None), c.polled_window != c.due_window),
                or_(c.retry_at.is_(None), c.retry_at <= now),
                or_(c.lease_until.is_(None), c.lease_until < now),
            )
            .order_by(c.id)
            .limit(limit)
        )
        return [_source(row) for row in result]

    async def lease_poll(
        self, source_id: int, window: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        """Take the poll of `window` for `owner` until `until`; False if someone else has it."""
        c = petition_sources.c
        result = await self._connection.execute(
            update(petition_sources)
            .where(
                c.id == source_id,
                c.due_window == window,
                or_(c.lease_until.is_(None), c.lease_until < now),
            )
            .values(lease_owner=owner, lease_until=until)
        )
        return result.rowcount == 1

    async def record_reading(
        self,
        source_id: int,
        *,
        count: int,
        at: datetime,
        window: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """A good reading: the source is healthy again, its back-off and lease end."""
        values: dict[str, Any] = {
            "last_count": count,
            "last_reading_at": at,
            "healthy": True,
            "alerted": False,
            "failures": 0,
            "retry_at": None,
            "last_error": "",
            "lease_owner": None,
            "lease_until": None,
        }
        if window is not None:
            values["polled_window"] = window
        if etag is not None:
            values["etag"] = etag[:200]
        if last_modified is not None:
            values["last_modified"] = last_modified[:100]
        await self._connection.execute(
            update(petition_sources).where(petition_sources.c.id == source_id).values(**values)
        )

    async def record_unchanged(self, source_id: int, window: str) -> None:
        """The server said 304 Not Modified: the window is read, nothing new."""
        await self._connection.execute(
            update(petition_sources)
            .where(petition_sources.c.id == source_id)
            .values(
                polled_window=window,
                failures=0,
                retry_at=None,
                lease_owner=None,
                lease_until=None,
            )
        )

    async def record_failure(
        self,
        source_id: int,
        *,
        error: str,
        at: datetime,
        retry_at: datetime | None,
        alerted: bool,
        window: str | None = None,
    ) -> None:
        """A failed poll or refused reading: unhealthy, back off until `retry_at`.

        `window` marks the window read (a reading was refused: try the next window, not
        this one again)."""
        values: dict[str, Any] = {
            "healthy": False,
            "alerted": alerted,
            "last_error": error[:500],
            "last_error_at": at,
            "failures": petition_sources.c.failures + 1,
            "retry_at": retry_at,
            "lease_owner": None,
            "lease_until": None,
        }
        if window is not None:
            values["polled_window"] = window
        await self._connection.execute(
            update(petition_sources).where(petition_sources.c.id == source_id).values(**values)
        )

    # --- snapshots -----------------------------------------------------------------------
