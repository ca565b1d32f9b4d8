"""Pledge thresholds: a wave that needs N members to commit by a deadline.

At the deadline (a `wave.pledge` schedule) the members who joined are counted: with enough of
them every place hears "we're on"; without, the wave is called off, its reminders are never
sent, and everyone who joined is told once. For a recurring wave the pledge is about its
first occurrence; once reached, the wave goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.replies import Reply
from bot.core.richtext import Msg, Para, msg
from bot.core.scheduling import Fired
from cogs.waves import messages as say
from cogs.waves.notices import Audience, stop, tell_joined
from storage.repositories.waves import Wave
from storage.unit import Tx

OPEN, REACHED, NOT_REACHED = "open", "reached", "not_reached"


class WavePledges:
    """Handles `wave.pledge` schedules."""

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        for item in fired:
            wave = await tx.waves.get(int(item.schedule.payload["wave"]))
            if wave is None or wave.status != "scheduled" or wave.pledge_state != OPEN:
                continue
            now = item.occurrences[-1].created_at
            count = await tx.waves.count_participants(wave.id)
            # A stored pledge without a target (a row changed by hand) has nothing to wait for.
            if count >= (wave.pledge_target or 0):
                await self._on(tx, wave, count, now)
            else:
                await self._off(tx, wave, count, now)

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Never called: a deadline found late is still decided (`late_once`)."""

    async def _on(self, tx: Tx, wave: Wave, count: int, now: datetime) -> None:
        wave = await tx.waves.update(wave.id, now, pledge_state=REACHED)
        audience = await Audience.of(tx, wave)
        start = (await tx.waves.occurrences(wave.id))[0].starts_at
        rows = [
            say.to_place(
                place,
                f"wave:{wave.id}:on:p{place.id}",
                Reply(
                    (
                        Para(
                            (
                                msg(
                                    "wave.pledge.reached",
                                    title=say.title(wave),
                                    count=count,
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

    async def _off(self, tx: Tx, wave: Wave, count: int, now: datetime) -> None:
        await tx.waves.update(wave.id, now, pledge_state=NOT_REACHED)
        await stop(tx, wave, "called_off", now, "the wave was called off")
        target = wave.pledge_target or 0

        def news(zone: str) -> Msg:
            return msg("wave.pledge.called_off", title=say.title(wave), count=count, target=target)

        await tell_joined(tx, wave, "calledoff", news, now)
