"""Undoing the last count typed by hand, and the milestones it announced.

`/signatures undo` (organisers, for a set time after the count was typed) takes back the
campaign's latest manual reading: its source's count goes back to the one before, the
milestones that reading passed are forgotten (so each is announced again when truly
reached), their announcements already sent are edited to say they were made in error
(the outbox's `replaces`), and those not sent yet are cancelled. All in one transaction,
under the campaign's lock, so a poll settling at the same time sees either side of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.actors import ChatKind
from bot.core.clock import Clock
from bot.core.commands import Context
from bot.core.errors import refuse
from bot.core.replies import Reply, reply_to_data
from bot.core.richtext import Para, bold, msg
from cogs.petitions.service import joined
from storage.database import Database
from storage.records import NewMessage, OutboxStatus
from storage.repositories.petition_corrections import Announcement, ManualReading
from storage.unit import Tx


@dataclass(frozen=True, slots=True)
class Undo:
    """What undoing `reading` takes back: the milestones it passed that the count after it
    (`total_after`, None when no source has a count) is not past."""

    reading: ManualReading
    thresholds: list[int]
    announced: list[int]  # those of `thresholds` that were announced
    total_after: int | None


@dataclass(frozen=True, slots=True)
class Undone:
    """An undo done: what it took back, and how many announcements it edited or stopped."""

    undo: Undo
    edited: int
    cancelled: int


class Corrections:
    """The undo of counts typed by hand, within `window` of when they were typed."""

    def __init__(self, database: Database, clock: Clock, window: timedelta) -> None:
        self._db = database
        self._clock = clock
        self._window = window

    async def plan(self, context: Context) -> Undo:
        """What `/signatures undo` would take back now (refused when nothing can be)."""
        campaign, _place = joined(context)
        async with self._db.read() as tx:
            return await self._plan(tx, campaign.id, self._clock.now(), None)

    async def undo(self, context: Context, snapshot_id: int | None) -> Undone:
        """Take back the last manual reading (which must be `snapshot_id` when given: a
        confirmation pressed after another count was typed is refused)."""
        campaign, place = joined(context)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await tx.petitions.lock(campaign.id, now)
            undo = await self._plan(tx, campaign.id, now, snapshot_id)
            rows = await tx.petitions.announcements(campaign.id, undo.thresholds)
            if any(_in_flight(row, now) for row in rows):
                raise refuse("petitions.undo.sending")
            corrections = [
                _correction(row, campaign.id, undo.total_after or 0, now)
                for row in rows
                if row.status == OutboxStatus.SENT.value
            ]
            await tx.outbox.add_many(corrections, now)
            await tx.petitions.set_aside(rows, "cancelled: the milestone was undone")
            await tx.petitions.undo_reading(undo.reading, undo.thresholds)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="petition.undo",
                campaign_id=campaign.id,
                place_id=place.id,
                source=undo.reading.source_id,
                count=undo.reading.count,
                thresholds=undo.thresholds,
            )
        unsent = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
        return Undone(undo, len(corrections), sum(1 for row in rows if row.status in unsent))

    async def _plan(self, tx: Tx, campaign_id: int, now: datetime, expected: int | None) -> Undo:
        reading = await tx.petitions.last_manual_reading(campaign_id)
        if reading is None:
            raise refuse("petitions.undo.nothing")
        if expected is not None and reading.snapshot_id != expected:
            raise refuse("petitions.undo.stale")
        if now - reading.taken_at > self._window:
            raise refuse(
                "petitions.undo.too_old",
                count=reading.count,
                hours=int(self._window.total_seconds() // 3600),
            )
        sources = await tx.petitions.sources(campaign_id)
        counts = [reading.previous if s.id == reading.source_id else s.last_count for s in sources]
        known = [c for c in counts if c is not None]
        total = sum(known) if known else None
        # A milestone the other sources' counts are past is kept: it was reached anyway.
        withdrawn = [
            (threshold, announced)
            for threshold, announced in await tx.petitions.milestones_from(reading.snapshot_id)
            if total is None or threshold > total
        ]
        return Undo(
            reading,
            [threshold for threshold, _ in withdrawn],
            [threshold for threshold, announced in withdrawn if announced],
            total,
        )


def _in_flight(row: Announcement, now: datetime) -> bool:
    """Leased to a sender now: it may be on its way, so it can be neither stopped nor
    edited yet (an abandoned lease is not in flight: no sender holds it)."""
    return row.status == OutboxStatus.SENDING.value and (
        row.lease_until is None or row.lease_until >= now
    )


def _correction(row: Announcement, campaign_id: int, total: int, now: datetime) -> NewMessage:
    """The announcement in `row`, edited to say it was made in error; a new message where
    the platform gave no id to edit."""
    threshold = int(row.key.split(":")[2])
    reply = Reply(
        (
            Para((bold(msg("petitions.retracted.title", threshold=threshold)),)),
            Para((msg("petitions.retracted.body", threshold=threshold, total=total),)),
        )
    )
    payload: dict[str, object] = {"reply": reply_to_data(reply), "locale": row.locale}
    if row.message_id:
        payload["replaces"] = row.message_id
    return NewMessage(
        dedupe_key=f"retract:milestone:{campaign_id}:{row.outbox_id}",
        platform=row.platform,
        chat_id=row.chat_id,
        chat_kind=ChatKind.GROUP.value,
        payload=payload,
        next_attempt_at=now,
        place_id=row.place_id,
    )
