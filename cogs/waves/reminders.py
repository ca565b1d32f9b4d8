"""The ticker's handlers for a wave's starts and reminders (see `planning`).

A reminder of one occurrence is one outbox row per active place of the campaign, and one per
participant who asked for DMs and can still get them, each under its own key
`wave:<wave>.<occurrence>:<offset minutes>:<place p<id> | user key>`: written once, even when
the tick is repeated after a crash or runs in two processes at once. Every row expires at
`start + grace`: a reminder that cannot go out by then is never sent late. Participants whose
DMs failed are mentioned in their place's reminder instead.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.core.replies import Button, Reply
from bot.core.richtext import Block, Para, msg
from bot.core.scheduling import Fired
from cogs.waves import messages as say
from cogs.waves.notices import Audience, to_organisers
from cogs.waves.planning import Planner, next_start
from storage.records import NewMessage
from storage.repositories.waves import Participant, Wave, WaveOccurrence
from storage.unit import Tx

SCHEDULED = "scheduled"


def live(wave: Wave | None, occurrence: WaveOccurrence | None) -> bool:
    return (
        wave is not None
        and occurrence is not None
        and wave.status == SCHEDULED
        and occurrence.status != "cancelled"
    )


async def live_occurrence(tx: Tx, payload: dict[str, Any]) -> tuple[Wave, WaveOccurrence] | None:
    """The wave and occurrence a schedule's payload names, unless it was cancelled since."""
    wave = await tx.waves.get(int(payload["wave"]))
    occurrence = await tx.waves.occurrence(int(payload["occurrence"]))
    if wave is None or occurrence is None or not live(wave, occurrence):
        return None
    return wave, occurrence


def reminder(
    wave: Wave,
    occurrence: WaveOccurrence,
    offset: int,
    zone: str,
    *,
    joined: int,
    text: str,
    sharing: say.Sharing,
    personal: bool,
) -> Reply:
    """One reminder: when, how many are in, and at the start a text and share links."""
    start = say.when(occurrence.starts_at, zone)
    if offset == 0:
        blocks: list[Block] = [Para((msg("wave.reminder.now", title=say.title(wave)),))]
    else:
        lead = say.duration(offset)
        heading = msg("wave.reminder.soon", title=say.title(wave), lead=lead, when=start)
        blocks = [Para((heading,))]
    if offset or not personal:
        # At the start a private reminder's share links name the networks and carry the
        # hashtags already: it stays short (and so does the row behind each of thousands).
        blocks.append(Para((say.targets_line(wave),)))
    if personal:
        blocks.append(Para((msg("wave.reminder.you_are_in", count=joined),)))
    else:
        blocks.append(Para((msg("wave.reminder.joined", count=joined),)))
    if wave.pledge_state == "open" and wave.pledge_target is not None:
        deadline = say.when(wave.pledge_deadline or occurrence.starts_at, zone)
        pledge = msg("wave.reminder.pledge", count=joined, target=wave.pledge_target, when=deadline)
        blocks.append(Para((pledge,)))
    if offset == 0:
        blocks.extend(say.share_block(wave, text, sharing))
        blocks.append(Para((msg("wave.reminder.say_posted"),)))
    if personal:
        key = str(wave.id)
        return Reply(
            tuple(blocks),
            buttons=(
                Button("wave.posted", msg("wave.button.posted"), key),
                Button("wave.unremind", msg("wave.button.unremind"), key),
            ),
        )
    return Reply(tuple(blocks), buttons=say.buttons(wave))


class WaveReminders:
    """Handles `wave.reminder` schedules: writes the reminder rows; reports missed ones."""

    def __init__(self, sharing: say.Sharing) -> None:
        self._sharing = sharing

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        for item in fired:
            for occurrence in item.occurrences:
                await self._remind(tx, item.schedule.payload, occurrence.created_at)

    async def _remind(self, tx: Tx, payload: dict[str, Any], now: datetime) -> None:
        found = await live_occurrence(tx, payload)
        if found is None:
            return
        wave, occurrence = found
        offset = int(payload["offset"])
        audience = await Audience.of(tx, wave)
        people = await tx.waves.participants(wave.id)
        texts = await tx.waves.texts(wave.id)
        not_after = occurrence.starts_at + timedelta(seconds=wave.grace_seconds)
        prefix = f"wave:{wave.id}.{occurrence.number}:{offset}:"
        joined = len(people)
        unreachable: defaultdict[int, list[Participant]] = defaultdict(list)
        rows: list[NewMessage] = []
        # Private reminders differ only by text, zone and language: each distinct one is
        # built once and its payload shared by every row that carries it.
        private: dict[tuple[str, str, str], dict[str, Any]] = {}
        for person in people:
            if not person.wants_dm:
                continue
            if person.dm_active:
                text = say.pick_text(texts, person.id)
                zone, locale = audience.zone_of(person), audience.locale_of(person)
                shared = private.get((text, zone, locale))
                if shared is None:
                    body = reminder(
                        wave,
                        occurrence,
                        offset,
                        zone,
                        joined=joined,
                        text=text,
                        sharing=self._sharing,
                        personal=True,
                    )
                    shared = private[(text, zone, locale)] = say.payload(body, locale)
                key = prefix + person.user_key
                rows.append(say.to_person(person, locale, key, shared, now, not_after))
            elif (home := audience.home(person)) is not None:
                unreachable[home.id].append(person)
        bodies: dict[tuple[str, str], Reply] = {}
        payloads: dict[tuple[str, str, str], dict[str, Any]] = {}
        for place in audience.places.values():
            text = say.pick_text(texts, place.id)
            general = bodies.get((text, place.timezone))
            if general is None:
                general = bodies[(text, place.timezone)] = reminder(
                    wave,
                    occurrence,
                    offset,
                    place.timezone,
                    joined=joined,
                    text=text,
                    sharing=self._sharing,
                    personal=False,
                )
            key = f"{prefix}p{place.id}"
            if unreachable[place.id]:
                mentioned = say.mentions(unreachable[place.id])
                note = Para((msg("wave.reminder.no_dm", people=mentioned),))
                named = Reply((*general.body, note), buttons=general.buttons)
                rows.append(say.to_place(place, key, named, now, not_after))
                continue
            shared = payloads.get((text, place.timezone, place.locale))
            if shared is None:
                shared = payloads[(text, place.timezone, place.locale)] = say.payload(
                    general, place.locale
                )
            rows.append(say.to_place(place, key, shared, now, not_after))
        await tx.outbox.add_fanout(rows, now)

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Reminders found after `start + grace` (Chorus was down or far behind): not sent;
        the organisers hear which, and why."""
        for item in fired:
            found = await live_occurrence(tx, item.schedule.payload)
            if found is None:
                continue
            wave, occurrence = found
            offset = int(item.schedule.payload["offset"])
            for late in item.occurrences:
                report = functools.partial(_missed, wave, occurrence, offset, late.due_at)
                key = f"wave:{wave.id}.{occurrence.number}:{offset}:missed"
                await to_organisers(tx, wave, key, report, late.created_at)


def _missed(wave: Wave, occurrence: WaveOccurrence, offset: int, due: datetime, zone: str) -> Reply:
    which = msg("wave.at_start") if offset == 0 else msg("wave.before", lead=say.duration(offset))
    return Reply(
        (
            Para(
                (
                    msg(
                        "wave.missed",
                        which=which,
                        title=say.title(wave),
                        when=say.when(occurrence.starts_at, zone),
                        due=say.when(due, zone),
                    ),
                ),
            ),
        )
    )


class WaveStarts:
    """Handles `wave.start` schedules: an occurrence has started; plan the next one."""

    def __init__(self, planner: Planner) -> None:
        self._planner = planner

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        for item in fired:
            wave = await tx.waves.get(int(item.schedule.payload["wave"]))
            if wave is None or wave.status != SCHEDULED:
                continue
            slot = item.occurrences[-1]
            occurrences = await tx.waves.occurrences(wave.id)
            for occurrence in occurrences:
                if occurrence.status == "upcoming" and occurrence.starts_at <= slot.due_at:
                    await tx.waves.update_occurrence(occurrence.id, status="started")
            last = occurrences[-1]
            following = next_start(wave, slot.due_at)
            if following is None or last.starts_at > slot.due_at:
                continue  # a one-off, or the next occurrence is planned already
            new = await tx.waves.add_occurrence(wave.id, last.number + 1, following)
            await self._planner.plan_occurrence(
                tx, wave, new, planned_at=slot.due_at, now=slot.created_at
            )

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Never called: starts use the `run` catch-up policy."""
