"""Petitions: count sources and their polls, snapshots, milestone settings and live counters.

Polls are split so that no fetch ever holds a write lock: `mark_due` (inside the ticker's
transaction) records which poll window is due, `lease_poll` hands one window to one poller in
a short transaction, the fetch happens outside any transaction, and `record_*` settle it in
another short one. Snapshots are unique per (source, window), so a window read by two
processes still gives one snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.errors import Conflict
from storage.repositories.base import Repository
from storage.tables.petitions import (
    petition_milestones,
    petition_settings,
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


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One accepted reading of one source."""

    source_id: int
    count: int
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class PetitionSettings:
    """A campaign's milestone rule (`ladder`, `every` `step`, or a `list`) and display."""

    campaign_id: int
    rule: str
    step: int
    thresholds: tuple[int, ...]
    display: str


@dataclass(frozen=True, slots=True)
class Milestone:
    """A threshold the campaign passed; `announced` is false for a silent baseline."""

    threshold: int
    reached_at: datetime
    count: int
    announced: bool


_SOURCE_COLUMNS = tuple(petition_sources.c[name] for name in Source.__dataclass_fields__)


def _source(row: Any) -> Source:
    values = dict(row._mapping)
    values["healthy"] = bool(values["healthy"])
    values["alerted"] = bool(values["alerted"])
    return Source(**values)


class PetitionRepository(Repository):
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

    async def add_snapshot(
        self, *, source_id: int, campaign_id: int, window_key: str, count: int, at: datetime
    ) -> bool:
        """Store a reading; False (and nothing written) if this window already has one."""
        statement = self.insert_ignoring_duplicates(petition_snapshots).returning(
            petition_snapshots.c.id
        )
        result = await self._connection.execute(
            statement,
            [
                {
                    "source_id": source_id,
                    "campaign_id": campaign_id,
                    "window_key": window_key,
                    "count": count,
                    "taken_at": at,
                }
            ],
        )
        return bool(list(result))

    async def add_snapshots(
        self, source_id: int, campaign_id: int, readings: Sequence[tuple[str, int, datetime]]
    ) -> int:
        """Many readings (window key, count, instant) at once; returns how many were new."""
        if not readings:
            return 0
        statement = self.insert_ignoring_duplicates(petition_snapshots).returning(
            petition_snapshots.c.id
        )
        result = await self._connection.execute(
            statement,
            [
                {
                    "source_id": source_id,
                    "campaign_id": campaign_id,
                    "window_key": key,
                    "count": count,
                    "taken_at": at,
                }
                for key, count, at in readings
            ],
        )
        return len(list(result))

    async def snapshots_since(self, campaign_id: int, since: datetime) -> list[Snapshot]:
        """Readings of the campaign from `since` on, oldest first."""
        c = petition_snapshots.c
        result = await self._connection.execute(
            select(c.source_id, c.count, c.taken_at)
            .where(c.campaign_id == campaign_id, c.taken_at >= since)
            .order_by(c.taken_at, c.id)
        )
        # Positional: `row.count` would be the tuple's own count() method.
        return [Snapshot(int(source), int(count), at) for source, count, at in result]

    async def counts_before(self, campaign_id: int, at: datetime) -> dict[int, int]:
        """Each source's latest reading strictly before `at`."""
        c = petition_snapshots.c
        latest = (
            select(c.source_id, func.max(c.taken_at).label("taken_at"))
            .where(c.campaign_id == campaign_id, c.taken_at < at)
            .group_by(c.source_id)
            .subquery()
        )
        result = await self._connection.execute(
            select(c.source_id, func.max(c.count))
            .join(
                latest,
                and_(c.source_id == latest.c.source_id, c.taken_at == latest.c.taken_at),
            )
            # The max only breaks a tie of two readings at the very same instant.
            .group_by(c.source_id)
        )
        return {source: count for source, count in result}

    # --- settings and milestones -----------------------------------------------------------

    async def lock(self, campaign_id: int, now: datetime) -> PetitionSettings:
        """The campaign's settings (the defaults written first if it has none), locked until
        the transaction ends on PostgreSQL: readings of one campaign settle one at a time,
        so two processes never add up totals that miss each other's reading. (SQLite's
        BEGIN IMMEDIATE already serialises every writer.)"""
        await self._connection.execute(
            self.insert_ignoring_duplicates(petition_settings),
            [
                {
                    "campaign_id": campaign_id,
                    "rule": "ladder",
                    "step": 0,
                    "thresholds": [],
                    "display": "sum",
                    "updated_at": now,
                }
            ],
        )
        query = select(petition_settings.c.campaign_id).where(
            petition_settings.c.campaign_id == campaign_id
        )
        if self.dialect == "postgresql":
            query = query.with_for_update()
        await self._connection.execute(query)
        found = await self.settings(campaign_id)
        assert found is not None
        return found

    async def settings(self, campaign_id: int) -> PetitionSettings | None:
        result = await self._connection.execute(
            select(petition_settings).where(petition_settings.c.campaign_id == campaign_id)
        )
        row = result.one_or_none()
        if row is None:
            return None
        return PetitionSettings(
            row.campaign_id, row.rule, row.step, tuple(int(t) for t in row.thresholds), row.display
        )

    async def save_settings(self, settings: PetitionSettings, now: datetime) -> None:
        values = {
            "rule": settings.rule,
            "step": settings.step,
            "thresholds": list(settings.thresholds),
            "display": settings.display,
            "updated_at": now,
        }
        changed = await self._connection.execute(
            update(petition_settings)
            .where(petition_settings.c.campaign_id == settings.campaign_id)
            .values(**values)
        )
        if changed.rowcount == 0:
            await self._connection.execute(
                insert(petition_settings).values(campaign_id=settings.campaign_id, **values)
            )

    async def milestones(self, campaign_id: int) -> list[Milestone]:
        """Thresholds passed, lowest first."""
        c = petition_milestones.c
        result = await self._connection.execute(
            select(c.threshold, c.reached_at, c.count, c.announced)
            .where(c.campaign_id == campaign_id)
            .order_by(c.threshold)
        )
        return [
            Milestone(int(threshold), at, int(count), bool(announced))
            for threshold, at, count, announced in result
        ]

    async def add_milestones(
        self,
        campaign_id: int,
        thresholds: Sequence[int],
        *,
        count: int,
        at: datetime,
        announced: bool,
    ) -> list[int]:
        """Record thresholds as passed; returns those that were not recorded before."""
        if not thresholds:
            return []
        statement = self.insert_ignoring_duplicates(petition_milestones).returning(
            petition_milestones.c.threshold
        )
        result = await self._connection.execute(
            statement,
            [
                {
                    "campaign_id": campaign_id,
                    "threshold": threshold,
                    "reached_at": at,
                    "count": count,
                    "announced": announced,
                }
                for threshold in thresholds
            ],
        )
        return sorted(int(row[0]) for row in result)
