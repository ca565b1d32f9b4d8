"""What waves say: the announcement, reminders, notices and results, as rich text, and the
outbox rows that carry them to places and to people.

Every time is a `Moment` (a Discord timestamp local to each reader; elsewhere the place's or
the member's own zone); every user-given string travels as `Text`, so renderers escape it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.replies import Button, Reply, reply_to_data
from bot.core.richtext import (
    Block,
    Bold,
    Inline,
    Link,
    Mention,
    Moment,
    Msg,
    Para,
    Quote,
    Text,
    msg,
)
from cogs.waves.sharelinks import share_url
from storage.records import NewMessage, Place
from storage.repositories.waves import Participant, Wave

MAX_MENTIONS = 40  # per message: a longer list is "and N more", never a wall of pings
MAX_LINKS = 10


@dataclass(frozen=True, slots=True)
class Sharing:
    """What share links need that is not in the wave: the Mastodon instance to open."""

    mastodon_instance: str


def duration(minutes: int) -> Msg:
    """`24 h`, `90 min`: a reminder's lead."""
    if minutes and minutes % 60 == 0:
        return msg("wave.duration.hours", hours=minutes // 60)
    return msg("wave.duration.minutes", minutes=minutes)


def reminders_line(offsets: Sequence[int]) -> Msg:
    parts: list[Inline] = []
    for index, minutes in enumerate(offsets):
        if index:
            parts.append(Text(", "))
        parts.append(
            msg("wave.at_start") if minutes == 0 else msg("wave.before", lead=duration(minutes))
        )
    if not parts:
        return msg("wave.line.no_reminders")
    return msg("wave.line.reminders", reminders=Bold(tuple(parts)))


def targets_line(wave: Wave) -> Msg:
    networks: list[Inline] = []
    for index, network in enumerate(wave.networks):
        if index:
            networks.append(Text(", "))
        networks.append(msg(f"wave.network.{network}"))
    tags = " ".join(f"#{tag}" for tag in wave.hashtags)
    return msg("wave.line.targets", networks=Bold(tuple(networks)), hashtags=Bold((Text(tags),)))


def repeat_line(wave: Wave) -> Msg | None:
    kind = wave.rule["type"]
    if kind == "once":
        return None
    if kind == "weekly":
        days: list[Inline] = []
        for index, day in enumerate(wave.rule["weekdays"]):
            if index:
                days.append(Text(", "))
            days.append(msg(f"wave.weekday.{day}"))
        return msg("wave.line.repeat.weekly", days=Bold(tuple(days)))
    return msg(f"wave.line.repeat.{kind}")


def buttons(wave: Wave) -> tuple[Button, ...]:
    key = str(wave.id)
    return (
        Button("wave.join", msg("wave.button.join"), key),
        Button("wave.remind", msg("wave.button.remind"), key),
        Button("wave.posted", msg("wave.button.posted"), key),
    )


def share_block(wave: Wave, text: str, sharing: Sharing) -> tuple[Block, ...]:
    """One suggested post (quoted) and a link per network that opens its composer."""
    blocks: list[Block] = []
    if text:
        blocks.append(Para((msg("wave.suggested"),)))
        blocks.append(Quote((Text(text),)))
    links: list[Inline] = []
    for network in wave.networks:
        if links:
            links.append(Text(" · "))
        url = share_url(network, text, wave.hashtags, wave.link, sharing.mastodon_instance)
        links.append(Link(url, (msg(f"wave.network.{network}"),)))
    blocks.append(Para((msg("wave.share"), *links)))
    return tuple(blocks)


def pick_text(texts: Sequence[str], seed: int) -> str:
    """One of the texts, rotated by `seed` (a member's or a place's id): posts vary."""
    return texts[seed % len(texts)] if texts else ""


def mentions(people: Sequence[Participant]) -> Msg:
    """Up to MAX_MENTIONS user mentions, then "and N more"."""
    shown: list[Inline] = []
    for index, person in enumerate(people[:MAX_MENTIONS]):
        if index:
            shown.append(Text(", "))
        shown.append(Mention(person.platform, person.user_id, person.display_name))
    rest = len(people) - MAX_MENTIONS
    if rest > 0:
        return msg("wave.mentions.more", people=Bold(tuple(shown)), more=rest)
    return msg("wave.mentions", people=Bold(tuple(shown)))


# --- outbox rows ---------------------------------------------------------------------------


def payload(reply: Reply, locale: str) -> dict[str, Any]:
    return {"reply": reply_to_data(reply), "locale": locale}


def to_place(
    place: Place,
    key: str,
    reply: Reply | dict[str, Any],
    now: datetime,
    not_after: datetime | None = None,
) -> NewMessage:
    """A message to a place's announcement channel (`reply` may be a ready payload)."""
    return NewMessage(
        dedupe_key=key,
        platform=place.platform,
        chat_id=place.announcement_channel,
        chat_kind="group",
        payload=reply if isinstance(reply, dict) else payload(reply, place.locale),
        next_attempt_at=now,
        place_id=place.id,
        not_after=not_after,
    )


def to_person(
    person: Participant,
    locale: str,
    key: str,
    reply: Reply | dict[str, Any],
    now: datetime,
    not_after: datetime | None = None,
) -> NewMessage:
    """A private message to a participant (their user id is their private chat's id).

    `reply` may be a payload made already with `payload`: a fan-out to thousands of members
    shares one payload per distinct message instead of building each again."""
    return NewMessage(
        dedupe_key=key,
        platform=person.platform,
        chat_id=person.user_id,
        chat_kind="private",
        payload=reply if isinstance(reply, dict) else payload(reply, locale),
        next_attempt_at=now,
        place_id=person.place_id,
        user_key=person.user_key,
        not_after=not_after,
    )


def title(wave: Wave) -> Bold:
    return Bold((Text(wave.title),))


def when(at: datetime, zone: str) -> Moment:
    return Moment(at, zone)
