"""After each occurrence: a short result in every place, and a word to the organisers about
reminders that did not go out (`wave.result` schedules, some time after each start).

The result counts who joined, who said they posted, and shows the links members shared. The
organisers' note counts the occurrence's outbox rows that were not delivered: expired (they
could not go out by `start + grace`, e.g. a sending backlog; never sent late), or refused
(DMs closed, the bot not started or blocked; those members were mentioned in their place).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.core.replies import Reply
from bot.core.richtext import Block, Bullets, Inline, Link, Para, Text, msg
from bot.core.scheduling import Fired
from cogs.waves import messages as say
from cogs.waves.notices import Audience, to_organisers
from cogs.waves.reminders import live_occurrence
from storage.repositories.waves import Wave, WaveOccurrence
from storage.unit import Tx

# Outbox states of a reminder that did not reach anyone by the time results are out.
NOT_IN_TIME = ("expired", "pending", "sending")
REFUSED = ("gone",)
# A reminder's own rows: `<offset>:` then a place (`p12`), a person (`telegram:101`), or the
# place that stands in for a person whose private message was refused (`fallback:…`).
_REMINDER_RECIPIENT = r"\d+:(p\d+|fallback:.+|(console|discord|telegram):[^:]+)$"


class WaveResults:
    """Handles `wave.result` schedules."""

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        for item in fired:
            found = await live_occurrence(tx, item.schedule.payload)
            if found is None:
                continue
            wave, occurrence = found
            await self._result(tx, wave, occurrence, item.occurrences[-1].created_at)

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Never called: a result found late is still posted, once (`late_once`)."""

    async def _result(self, tx: Tx, wave: Wave, occurrence: WaveOccurrence, now: datetime) -> None:
        joined = await tx.waves.count_participants(wave.id)
        posts = await tx.waves.posts(occurrence.id)
        links = [post.link for post in posts if post.link][: say.MAX_LINKS]
        audience = await Audience.of(tx, wave)
        prefix = f"wave:{wave.id}.{occurrence.number}:"
        rows = [
            say.to_place(
                place,
                f"{prefix}result:p{place.id}",
                result(wave, occurrence, place.timezone, joined, len(posts), links),
                now,
            )
            for place in audience.places.values()
        ]
        await tx.outbox.add_many(rows, now)
        reminder = re.compile(re.escape(prefix) + _REMINDER_RECIPIENT)
        states = [s for key, s in await tx.outbox.states(prefix) if reminder.match(key)]
        late = sum(1 for status in states if status in NOT_IN_TIME)
        refused = sum(1 for status in states if status in REFUSED)
        if late or refused:
            await to_organisers(
                tx,
                wave,
                f"{prefix}report",
                lambda zone: _report(wave, occurrence, zone, late, refused),
                now,
            )
        if wave.rule["type"] == "once":
            await tx.waves.update(wave.id, now, status="finished")


def result(
    wave: Wave,
    occurrence: WaveOccurrence,
    zone: str,
    joined: int,
    posted: int,
    links: Sequence[str],
) -> Reply:
    blocks: list[Block] = [
        Para(
            (
                msg(
                    "wave.result",
                    title=say.title(wave),
                    when=say.when(occurrence.starts_at, zone),
                    joined=joined,
                    posted=posted,
                ),
            )
        )
    ]
    if links:
        blocks.append(Para((msg("wave.result.links"),)))
        items: tuple[tuple[Inline, ...], ...] = tuple(
            (Link(link, (Text(link),)),) for link in links
        )
        blocks.append(Bullets(items))
    return Reply(tuple(blocks))


def _report(wave: Wave, occurrence: WaveOccurrence, zone: str, late: int, refused: int) -> Reply:
    blocks: list[Block] = [
        Para(
            (msg("wave.report", title=say.title(wave), when=say.when(occurrence.starts_at, zone)),)
        )
    ]
    if late:
        blocks.append(Para((msg("wave.report.late", count=late),)))
    if refused:
        blocks.append(Para((msg("wave.report.refused", count=refused),)))
    return Reply(tuple(blocks))
