"""Undoing a count typed by hand: the reading, the milestones it passed, their announcements.

A milestone's announcements are outbox rows keyed `milestone:<campaign>:<threshold>:<place>`.
When the milestone is retracted those rows are set aside under a key of their own
(`milestone-retracted:<campaign>:<threshold>:<place>:<row id>`), unsent ones cancelled, so
that the milestone, passed again for real, is announced under its usual key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, desc, or_, select, update

from storage.records import OutboxStatus
from storage.repositories.petition_counts import PetitionCounts
from storage.tables.core import outbox, places
from storage.tables.petitions import petition_milestones, petition_snapshots, petition_sources

MANUAL_WINDOW = "manual:"  # the window keys of counts set with /signatures set


@dataclass(frozen=True, slots=True)
class ManualReading:
    """A count set by hand, and the count its source had before it (None: its first)."""

    snapshot_id: int
    source_id: int
    source_name: str
    count: int
    taken_at: datetime
    previous: int | None


@dataclass(frozen=True, slots=True)
class Announcement:
    """One outbox row announcing a milestone in one place."""

    outbox_id: int
    key: str
    status: str
    platform: str
    chat_id: str
    place_id: int | None
    message_id: str | None
    locale: str
    lease_until: datetime | None


def announcement_prefix(campaign_id: int, threshold: int) -> str:
    return f"milestone:{campaign_id}:{threshold}:"


class PetitionCorrections(PetitionCounts):
    """Finding and undoing the last count typed by hand."""

    async def last_manual_reading(self, campaign_id: int) -> ManualReading | None:
        """The campaign's latest count set by hand, or None."""
        s = petition_snapshots.c
        found = (
            await self._connection.execute(
                select(s.id, s.source_id, petition_sources.c.name, s.count, s.taken_at)
                .join(petition_sources, petition_sources.c.id == s.source_id)
                .where(s.campaign_id == campaign_id, s.window_key.startswith(MANUAL_WINDOW))
                .order_by(desc(s.taken_at), desc(s.id))
                .limit(1)
            )
        ).one_or_none()
        if found is None:
            return None
        snapshot_id, source_id, name, count, taken_at = found
        before = await self._latest_of(source_id, excluding=snapshot_id, until=taken_at)
        return ManualReading(
            int(snapshot_id),
            int(source_id),
            name,
            int(count),
            taken_at,
            before[0] if before else None,
        )

    async def _latest_of(
        self, source_id: int, *, excluding: int, until: datetime | None = None
    ) -> tuple[int, datetime] | None:
        """A source's latest reading other than `excluding` (at or before `until`)."""
        s = petition_snapshots.c
        query = select(s.count, s.taken_at).where(s.source_id == source_id, s.id != excluding)
        if until is not None:
            query = query.where(
                or_(s.taken_at < until, and_(s.taken_at == until, s.id < excluding))
            )
        row = (
            await self._connection.execute(query.order_by(desc(s.taken_at), desc(s.id)).limit(1))
        ).one_or_none()
        return (int(row[0]), row[1]) if row is not None else None

    async def milestones_from(self, snapshot_id: int) -> list[tuple[int, bool]]:
        """(threshold, announced) of each milestone the reading `snapshot_id` recorded as
        passed, lowest first (not announced: the campaign's silent starting point)."""
        c = petition_milestones.c
        result = await self._connection.execute(
            select(c.threshold, c.announced)
            .where(c.snapshot_id == snapshot_id)
            .order_by(c.threshold)
        )
        return [(int(threshold), bool(announced)) for threshold, announced in result]

    async def announcements(
        self, campaign_id: int, thresholds: Sequence[int]
    ) -> list[Announcement]:
        """The outbox rows announcing `thresholds` (any status), oldest first."""
        if not thresholds:
            return []
        o = outbox.c
        result = await self._connection.execute(
            select(
                o.id,
                o.dedupe_key,
                o.status,
                o.platform,
                o.chat_id,
                o.place_id,
                o.platform_message_id,
                places.c.locale,
                o.lease_until,
            )
            .select_from(outbox.outerjoin(places, places.c.id == o.place_id))
            .where(
                or_(
                    *(
                        o.dedupe_key.startswith(
                            announcement_prefix(campaign_id, t), autoescape=True
                        )
                        for t in thresholds
                    )
                )
            )
            .order_by(o.id)
        )
        return [
            Announcement(
                int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], row[7] or "en", row[8]
            )
            for row in result
        ]

    async def set_aside(self, rows: Sequence[Announcement], reason: str) -> None:
        """Give retracted announcements keys of their own, and cancel the unsent ones."""
        if not rows:
            return
        o = outbox.c
        await self._connection.execute(
            update(outbox).where(o.id == bindparam("row")).values(dedupe_key=bindparam("key")),
            [{"row": row.outbox_id, "key": _aside(row.key, row.outbox_id)} for row in rows],
        )
        unsent = [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]
        await self._connection.execute(
            update(outbox)
            .where(o.id.in_([row.outbox_id for row in rows]), o.status.in_(unsent))
            .values(
                status=OutboxStatus.CANCELLED.value,
                last_error=reason[:500],
                lease_owner=None,
                lease_until=None,
            )
        )

    async def undo_reading(self, reading: ManualReading, withdrawn: Sequence[int]) -> None:
        """Forget the reading and the milestones of it that are `withdrawn` (the others are
        kept: the count is past them without it); its source's count goes back to the
        reading before (none: the source has no count again)."""
        c = petition_milestones.c
        await self._connection.execute(
            delete(petition_milestones).where(
                c.snapshot_id == reading.snapshot_id, c.threshold.in_(list(withdrawn))
            )
        )
        await self._connection.execute(
            update(petition_milestones)
            .where(c.snapshot_id == reading.snapshot_id)
            .values(snapshot_id=None)
        )
        await self._connection.execute(
            delete(petition_snapshots).where(petition_snapshots.c.id == reading.snapshot_id)
        )
        latest = await self._latest_of(reading.source_id, excluding=reading.snapshot_id)
        await self._connection.execute(
            update(petition_sources)
            .where(petition_sources.c.id == reading.source_id)
            .values(
                last_count=latest[0] if latest else None,
                last_reading_at=latest[1] if latest else None,
            )
        )


def _aside(key: str, outbox_id: int) -> str:
    return f"{key.replace('milestone:', 'milestone-retracted:', 1)}:{outbox_id}"[:200]
