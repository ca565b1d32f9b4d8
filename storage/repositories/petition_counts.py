"""Petition counts: accepted snapshots, a campaign's milestone settings and its milestones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, select, update

from storage.errors import StorageError
from storage.repositories.base import Repository
from storage.tables.petitions import (
    petition_milestones,
    petition_settings,
    petition_snapshots,
)


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


class PetitionCounts(Repository):
    """Snapshots, settings and milestones of a campaign's petitions."""

    async def add_snapshot(
        self, *, source_id: int, campaign_id: int, window_key: str, count: int, at: datetime
    ) -> int | None:
        """Store a reading, its id; None (and nothing written) if this window has one."""
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
        found = result.scalar_one_or_none()
        return int(found) if found is not None else None

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
        if found is None:  # the campaign was deleted meanwhile, outside Chorus
            raise StorageError(f"campaign {campaign_id} is gone from the database")
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
        snapshot_id: int | None = None,
    ) -> list[int]:
        """Record thresholds as passed (from the reading `snapshot_id`); returns those that
        were not recorded before."""
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
                    "snapshot_id": snapshot_id,
                }
                for threshold in thresholds
            ],
        )
        return sorted(int(row[0]) for row in result)
