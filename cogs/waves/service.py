"""The rules of waves, each command one transaction: create, edit, cancel, join, leave, DMs,
"I posted", and what happens when a private message cannot be delivered.

Everything a command changes, and every outbox row it causes, commits together; after the
commit the ticker is woken, so that a wave due soon is seen at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock
from bot.core.commands import Context
from bot.core.errors import refuse
from bot.core.outbox.settle import Unreachable
from bot.core.replies import Reply
from bot.core.richtext import Para, msg
from bot.core.scheduling import reschedule
from cogs.waves import messages as say
from cogs.waves import notices
from cogs.waves.drafts import NewWave, WaveEdit
from cogs.waves.planning import Planner, first_start, move_schedule, plan_reminders
from cogs.waves.reminders import reminder
from storage.database import Database
from storage.records import Campaign, Place
from storage.repositories.waves import Wave, WaveOccurrence
from storage.unit import Tx

SCHEDULED = "scheduled"
# "I posted" counts for an occurrence from a little before its start.
EARLY = timedelta(minutes=30)
_REMINDER_DM = re.compile(r"^wave:(\d+)\.(\d+):(\d+):((?:console|discord|telegram):[^:]+)$")
_NOTICE_DM = re.compile(r"^wave:(\d+):(cancelled|calledoff):((?:console|discord|telegram):[^:]+)$")


@dataclass(frozen=True, slots=True)
class Joined:
    wave: Wave
    new: bool
    count: int
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class Listed:
    wave: Wave
    next_start: datetime | None
    joined: int


class WaveService:
    """Creates and changes waves, and records what members do with them."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        planner: Planner,
        sharing: say.Sharing,
        wake: Callable[[], None],
    ) -> None:
        self._database = database
        self._clock = clock
        self._planner = planner
        self._sharing = sharing
        self._wake = wake

    # --- organisers ----------------------------------------------------------------------
    async def create(self, context: Context, new: NewWave) -> tuple[Wave, datetime, int]:
        """Store the wave and its schedules, and announce it in every place of the campaign.
        Returns the wave, its first start, and how many places hear of it."""
        campaign, place = _joined(context)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            wave = await tx.waves.create(
                texts=new.texts,
                now=now,
                campaign_id=campaign.id,
                place_id=place.id,
                title=new.title,
                brief=new.brief,
                networks=list(new.networks),
                hashtags=list(new.hashtags),
                link=new.link,
                timezone=new.when.zone,
                rule=new.rule,
                offsets=list(new.offsets),
                grace_seconds=new.grace_seconds,
                pledge_target=new.pledge_target,
                pledge_deadline=new.pledge_deadline,
                pledge_state="open" if new.pledge_target is not None else "none",
                status=SCHEDULED,
                created_by=context.actor.key,
            )
            occurrence = await self._planner.plan_wave(tx, wave, new.start, now)
            places = await notices.announce(tx, wave, occurrence.starts_at, now)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="wave.create",
                campaign_id=campaign.id,
                place_id=place.id,
                wave=wave.id,
            )
        self._wake()
        return wave, occurrence.starts_at, places

    async def edit(self, context: Context, wave_id: int, edit: WaveEdit) -> tuple[Wave, datetime]:
        """Change a wave; a new time moves its reminders that have not gone out yet."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            wave = await self._live_wave(tx, context, wave_id)
            upcoming = await _upcoming(tx, wave)
            if upcoming is None:
                raise refuse("wave.not_upcoming", id=str(wave.id))
            changes = edit.changes()
            start = upcoming.starts_at
            if edit.when is not None:
                # An edit's new time always comes with its repetition (`read_edit`).
                assert edit.rule is not None
                start = first_start(edit.rule, edit.when.zone, edit.when.at)
                changes |= {"rule": edit.rule, "timezone": edit.when.zone}
                await self._move_start(tx, wave, upcoming, edit.rule, edit.when.zone, start, now)
            deadline = edit.pledge_deadline or wave.pledge_deadline
            if wave.pledge_state == "open" and deadline is not None:
                if deadline > start:
                    raise refuse("wave.edit.pledge_after_start")
                changes["pledge_deadline"] = deadline
                for schedule in await tx.waves.schedules(wave.id, role="pledge"):
                    if schedule.active and schedule.next_due_at is not None:
                        await move_schedule(tx, schedule.schedule_id, deadline, now)
            if edit.texts is not None:
                await tx.waves.replace_texts(wave.id, edit.texts)
            updated = await tx.waves.update(wave.id, now, **changes)
            await self._replan_reminders(tx, updated, upcoming, start, now)
            if start != upcoming.starts_at:
                await notices.moved(tx, updated, start, now)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="wave.edit",
                campaign_id=wave.campaign_id,
                wave=wave.id,
                changed=sorted(changes),
            )
        self._wake()
        return updated, start

    async def _move_start(
        self,
        tx: Tx,
        wave: Wave,
        upcoming: WaveOccurrence,
        rule: dict[str, Any],
        timezone: str,
        start: datetime,
        now: datetime,
    ) -> None:
        for schedule in await tx.waves.schedules(wave.id, role="start"):
            if schedule.active:
                await reschedule(tx, schedule.schedule_id, now=now, rule=rule, timezone=timezone)
                await tx.schedules.update(schedule.schedule_id, next_due_at=start, now=now)
        await tx.waves.update_occurrence(upcoming.id, starts_at=start)
        for schedule in await tx.waves.schedules(wave.id, role="result", occurrence_id=upcoming.id):
            if schedule.active and schedule.next_due_at is not None:
                due = self._planner.result_time(wave, start)
                await move_schedule(tx, schedule.schedule_id, due, now)

    async def _replan_reminders(
        self, tx: Tx, wave: Wave, upcoming: WaveOccurrence, start: datetime, now: datetime
    ) -> None:
        """The upcoming occurrence's reminders that have not fired follow its start (or go,
        when their offset is gone or their time has passed); new offsets get schedules. A
        reminder that already fired is left alone: it is never sent twice."""
        planned: set[int] = set()
        for schedule in await tx.waves.schedules(
            wave.id, role="reminder", occurrence_id=upcoming.id
        ):
            # None only in a row changed by hand: such a reminder goes, like a removed offset.
            offset = schedule.offset_minutes
            if offset is not None:
                planned.add(offset)
            if not schedule.active or schedule.next_due_at is None:
                continue
            due = start - timedelta(minutes=offset or 0)
            if offset not in wave.offsets or due <= now:
                await tx.schedules.deactivate(schedule.schedule_id, now)
            elif due != schedule.next_due_at:
                await move_schedule(tx, schedule.schedule_id, due, now)
        missing = tuple(offset for offset in wave.offsets if offset not in planned)
        moved = WaveOccurrence(upcoming.id, wave.id, upcoming.number, start, upcoming.status)
        await plan_reminders(tx, wave, moved, missing, now, now)

    async def cancel(self, context: Context, wave_id: int) -> Wave:
        """Cancel a wave: nothing more of it goes out; everyone who joined is told once."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            wave = await self._live_wave(tx, context, wave_id)
            await notices.stop(tx, wave, "cancelled", now, "the wave was cancelled")
            await notices.tell_joined(
                tx,
                wave,
                "cancelled",
                lambda zone: msg("wave.cancelled", title=say.title(wave)),
                now,
            )
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="wave.cancel",
                campaign_id=wave.campaign_id,
                wave=wave.id,
            )
        return wave

    # --- members -------------------------------------------------------------------------
    async def join(self, context: Context, wave_id: int, *, dm: bool | None = None) -> Joined:
        """Join (once: a second join changes nothing); `dm` turns DM reminders on or off."""
        now = self._clock.now()
        actor = context.actor
        async with self._database.transaction() as tx:
            wave = await self._live_wave(tx, context, wave_id)
            place = context.place
            new = await tx.waves.join(
                wave.id,
                user_key=actor.key,
                platform=actor.platform.value,
                user_id=actor.user_id,
                display_name=actor.display_name,
                place_id=place.id if place and place.campaign_id == wave.campaign_id else None,
                now=now,
            )
            if dm is not None:
                await tx.waves.set_wants_dm(wave.id, actor.key, dm)
            if dm:
                await tx.waves.opt_in(actor.platform.value, actor.user_id, actor.key, now)
            count = await tx.waves.count_participants(wave.id)
            upcoming = await _upcoming(tx, wave)
        starts_at = upcoming.starts_at if upcoming else now
        return Joined(wave, new, count, starts_at)

    async def leave(self, context: Context, wave_id: int) -> Wave:
        async with self._database.transaction() as tx:
            wave = await _wave_of(tx, context, wave_id)
            if not await tx.waves.leave(wave.id, context.actor.key):
                raise refuse("wave.not_joined", title=wave.title)
        return wave

    async def posted(self, context: Context, wave_id: int, link: str) -> tuple[Wave, bool]:
        """ "I posted" for the occurrence under way (it also joins); True when new."""
        now = self._clock.now()
        actor = context.actor
        async with self._database.transaction() as tx:
            wave = await _wave_of(tx, context, wave_id)
            if wave.status not in (SCHEDULED, "finished"):
                raise refuse("wave.over", title=wave.title)
            current = [
                o
                for o in await tx.waves.occurrences(wave.id)
                if o.status != "cancelled" and o.starts_at <= now + EARLY
            ]
            if not current:
                raise refuse("wave.posted_too_early", title=wave.title)
            place = context.place
            await tx.waves.join(
                wave.id,
                user_key=actor.key,
                platform=actor.platform.value,
                user_id=actor.user_id,
                display_name=actor.display_name,
                place_id=place.id if place and place.campaign_id == wave.campaign_id else None,
                now=now,
            )
            new = await tx.waves.mark_posted(current[-1].id, actor.key, link, now)
        return wave, new

    async def listed(self, context: Context) -> list[Listed]:
        campaign, _place = _joined(context)
        async with self._database.read() as tx:
            found = []
            for wave in await tx.waves.of_campaign(campaign.id, (SCHEDULED,)):
                upcoming = await _upcoming(tx, wave)
                count = await tx.waves.count_participants(wave.id)
                found.append(Listed(wave, upcoming.starts_at if upcoming else None, count))
        return found

    async def shown(self, context: Context, wave_id: int) -> tuple[Listed, list[str]]:
        """One wave, its next start (or its last, once over), who is in, and its texts."""
        async with self._database.read() as tx:
            wave = await _wave_of(tx, context, wave_id)
            occurrences = await tx.waves.occurrences(wave.id)
            upcoming = await _upcoming(tx, wave)
            count = await tx.waves.count_participants(wave.id)
            texts = await tx.waves.texts(wave.id)
        latest = upcoming or (occurrences[-1] if occurrences else None)
        return Listed(wave, latest.starts_at if latest else None, count), texts

    # --- when a private message cannot be delivered ----------------------------------------------
    async def recipient_gone(self, tx: Tx, gone: Unreachable) -> None:
        """The outbox hook for a private chat that refused a message for good: the user's DM
        opt-in becomes inactive; a wave reminder or notice that was refused goes to their
        place instead, with a mention of them (once: its own key)."""
        await tx.waves.deactivate_opt_in(gone.platform, gone.user_id, gone.reason, gone.at)
        if match := _REMINDER_DM.match(gone.dedupe_key):
            wave_id, number, offset, user_key = match.groups()
            await self._remind_in_place(
                tx, int(wave_id), int(number), int(offset), user_key, gone.at
            )
        elif match := _NOTICE_DM.match(gone.dedupe_key):
            wave_id, kind, user_key = match.groups()
            await self._notice_in_place(tx, int(wave_id), kind, user_key, gone.at)

    async def recipient_back(self, tx: Tx, platform: str, user_id: str, now: datetime) -> None:
        """The adapter's hook for a user who (re)opened their private chat with the bot, such
        as by a deep link: a DM opt-in that failed messages had turned off is active again."""
        await tx.waves.reactivate_opt_in(platform, user_id, now)

    async def _remind_in_place(
        self, tx: Tx, wave_id: int, number: int, offset: int, user_key: str, now: datetime
    ) -> None:
        wave = await tx.waves.get(wave_id)
        person = await tx.waves.participant(wave_id, user_key)
        occurrence = next(
            (o for o in await tx.waves.occurrences(wave_id) if o.number == number), None
        )
        if wave is None or person is None or occurrence is None or wave.status != SCHEDULED:
            return
        audience = await notices.Audience.of(tx, wave)
        home = audience.home(person)
        not_after = occurrence.starts_at + timedelta(seconds=wave.grace_seconds)
        if home is None or now >= not_after:
            return
        texts = await tx.waves.texts(wave_id)
        body = reminder(
            wave,
            occurrence,
            offset,
            home.timezone,
            joined=await tx.waves.count_participants(wave_id),
            text=say.pick_text(texts, person.id),
            sharing=self._sharing,
            personal=False,
        )
        note = Para((msg("wave.reminder.no_dm", people=say.mentions([person])),))
        reply = Reply((note, *body.body), buttons=body.buttons)
        key = f"wave:{wave_id}.{number}:{offset}:fallback:{user_key}"
        await tx.outbox.add_many([say.to_place(home, key, reply, now, not_after)], now)

    async def _notice_in_place(
        self, tx: Tx, wave_id: int, kind: str, user_key: str, now: datetime
    ) -> None:
        wave = await tx.waves.get(wave_id)
        person = await tx.waves.participant(wave_id, user_key)
        if wave is None or person is None:
            return
        home = (await notices.Audience.of(tx, wave)).home(person)
        if home is None:
            return
        news = "wave.cancelled" if kind == "cancelled" else "wave.pledge.called_off_short"
        reply = Reply(
            (
                Para((msg(news, title=say.title(wave)),)),
                Para((say.mentions([person]),)),
            )
        )
        key = f"wave:{wave_id}:{kind}:fallback:{user_key}"
        await tx.outbox.add_many([say.to_place(home, key, reply, now)], now)

    # --- finding waves ---------------------------------------------------------------------
    async def _live_wave(self, tx: Tx, context: Context, wave_id: int) -> Wave:
        wave = await _wave_of(tx, context, wave_id)
        if wave.status != SCHEDULED:
            raise refuse("wave.over", title=wave.title)
        return wave


async def _wave_of(tx: Tx, context: Context, wave_id: int) -> Wave:
    """The wave, if it belongs to the caller's campaign (any campaign in a private chat)."""
    wave = await tx.waves.get(wave_id)
    campaign = context.campaign
    if wave is None or (campaign is not None and wave.campaign_id != campaign.id):
        raise refuse("wave.unknown", id=str(wave_id))
    return wave


async def _upcoming(tx: Tx, wave: Wave) -> WaveOccurrence | None:
    occurrences = [o for o in await tx.waves.occurrences(wave.id) if o.status == "upcoming"]
    return occurrences[-1] if occurrences else None


def _joined(context: Context) -> tuple[Campaign, Place]:
    if context.campaign is None or context.place is None:
        raise refuse("error.not_set_up")
    return context.campaign, context.place
