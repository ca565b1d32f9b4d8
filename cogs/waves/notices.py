"""Telling a wave's campaign and its participants: announcements, moves, and the end of a wave
(cancelled by an organiser, or called off for want of pledges).

Everyone who joined is told once: privately when they opted in to DMs (or joined from a
private chat), otherwise by a mention in their place's notice. Every row has its own key, so
telling twice writes nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.replies import Reply
from bot.core.richtext import Block, Msg, Para, Quote, Text, msg
from cogs.waves import messages as say
from storage.records import NewMessage, Place
from storage.repositories.waves import Participant, Wave
from storage.unit import Tx

UPCOMING = "upcoming"


@dataclass(frozen=True, slots=True)
class Audience:
    """The campaign's active places, and the language and zone for a private message."""

    places: dict[int, Place]
    locale: str
    zone: str

    @classmethod
    async def of(cls, tx: Tx, wave: Wave) -> Audience:
        campaign = await tx.campaigns.get(wave.campaign_id)
        places = await tx.places.of_campaign(wave.campaign_id)
        locale = campaign.locale if campaign else "en"
        return cls({place.id: place for place in places}, locale, wave.timezone)

    def home(self, person: Participant) -> Place | None:
        """The active place where `person` joined, if it is on their platform."""
        place = self.places.get(person.place_id) if person.place_id is not None else None
        return place if place is not None and place.platform == person.platform else None

    def locale_of(self, person: Participant) -> str:
        place = self.home(person)
        return place.locale if place else self.locale

    def zone_of(self, person: Participant) -> str:
        place = self.home(person)
        return place.timezone if place else self.zone


def reachable_privately(person: Participant, audience: Audience) -> bool:
    """Write to them privately: they opted in (and it works), or they have no place."""
    return bool(person.wants_dm and person.dm_active) or audience.home(person) is None


async def announce(tx: Tx, wave: Wave, start: datetime, now: datetime) -> int:
    """The new wave, in every active place of its campaign (each in its own zone)."""
    audience = await Audience.of(tx, wave)
    rows = [
        say.to_place(
            place,
            f"wave:{wave.id}:announce:p{place.id}",
            announcement(wave, start, place.timezone),
            now,
        )
        for place in audience.places.values()
    ]
    return len(await tx.outbox.add_many(rows, now))


def announcement(wave: Wave, start: datetime, zone: str) -> Reply:
    blocks: list[Block] = [
        Para((msg("wave.announce", title=say.title(wave)),)),
        Para((msg("wave.line.when", when=say.when(start, zone)),)),
        Para((say.targets_line(wave),)),
    ]
    if wave.brief:
        blocks.append(Quote((Text(wave.brief),)))
    if (repeat := say.repeat_line(wave)) is not None:
        blocks.append(Para((repeat,)))
    if wave.pledge_target is not None and wave.pledge_deadline is not None:
        blocks.append(
            Para(
                (
                    msg(
                        "wave.line.pledge",
                        target=wave.pledge_target,
                        deadline=say.when(wave.pledge_deadline, zone),
                    ),
                )
            )
        )
    blocks.append(Para((say.reminders_line(wave.offsets),)))
    blocks.append(Para((msg("wave.how_to_join", id=str(wave.id)),)))
    return Reply(tuple(blocks), buttons=say.buttons(wave))


async def moved(tx: Tx, wave: Wave, start: datetime, now: datetime) -> None:
    """Every place hears the wave's new time."""
    audience = await Audience.of(tx, wave)
    version = int(now.timestamp())
    rows = [
        say.to_place(
            place,
            f"wave:{wave.id}:moved:{version}:p{place.id}",
            Reply(
                (
                    Para(
                        (
                            msg(
                                "wave.moved",
                                title=say.title(wave),
                                when=say.when(start, place.timezone),
                            ),
                        )
                    ),
                ),
                buttons=say.buttons(wave),
            ),
            now,
        )
        for place in audience.places.values()
    ]
    await tx.outbox.add_many(rows, now)


async def stop(tx: Tx, wave: Wave, status: str, now: datetime, why: str) -> None:
    """End a wave for good: no schedule of it fires again, nothing unsent of it goes out."""
    await tx.waves.update(wave.id, now, status=status)
    for schedule in await tx.waves.schedules(wave.id):
        if schedule.active:
            await tx.schedules.deactivate(schedule.schedule_id, now)
    for occurrence in await tx.waves.occurrences(wave.id):
        if occurrence.status == UPCOMING:
            await tx.waves.update_occurrence(occurrence.id, status="cancelled")
            await tx.outbox.cancel_pending(f"wave:{wave.id}.{occurrence.number}:", why)


async def tell_joined(
    tx: Tx,
    wave: Wave,
    kind: str,
    body: Callable[[str], Msg],
    now: datetime,
) -> None:
    """Tell everyone who joined, once, and every place: `body(zone)` is the news.

    `kind` names the news in the keys (`cancelled`, `calledoff`): `wave:<id>:<kind>:<who>`."""
    audience = await Audience.of(tx, wave)
    mentioned: defaultdict[int, list[Participant]] = defaultdict(list)
    rows: list[NewMessage] = []
    for person in await tx.waves.participants(wave.id):
        home = audience.home(person)
        if home is None or reachable_privately(person, audience):
            news = Reply((Para((body(audience.zone_of(person)),)),))
            key = f"wave:{wave.id}:{kind}:{person.user_key}"
            rows.append(say.to_person(person, audience.locale_of(person), key, news, now))
        else:
            mentioned[home.id].append(person)
    for place in audience.places.values():
        blocks: list[Block] = [Para((body(place.timezone),))]
        if mentioned[place.id]:
            blocks.append(Para((say.mentions(mentioned[place.id]),)))
        key = f"wave:{wave.id}:{kind}:p{place.id}"
        rows.append(say.to_place(place, key, Reply(tuple(blocks)), now))
    await tx.outbox.add_many(rows, now)


async def to_organisers(
    tx: Tx, wave: Wave, key: str, body: Callable[[str], Reply], now: datetime
) -> None:
    """A note for the organisers: in the place where the wave was made (if still active) and
    privately to whoever made it. `key` is completed with the recipient."""
    audience = await Audience.of(tx, wave)
    rows: list[NewMessage] = []
    home = audience.places.get(wave.place_id) if wave.place_id is not None else None
    if home is not None:
        rows.append(say.to_place(home, f"{key}:p{home.id}", body(home.timezone), now))
    platform, _, user_id = wave.created_by.partition(":")
    if user_id:
        maker = Participant(
            id=0,
            wave_id=wave.id,
            user_key=wave.created_by,
            platform=platform,
            user_id=user_id,
            display_name="",
            place_id=wave.place_id,
            wants_dm=False,
            joined_at=now,
            dm_active=None,
        )
        locale = home.locale if home is not None else audience.locale
        zone = home.timezone if home is not None else audience.zone
        rows.append(say.to_person(maker, locale, f"{key}:{wave.created_by}", body(zone), now))
    await tx.outbox.add_many(rows, now)
