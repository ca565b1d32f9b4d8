"""The ticker's handler for `digest` schedules: one outbox row per place and local date.

The row carries no text, only what to compose (`{"compose": "digest", …}`): the digest is
read from the database when it is sent. Its dedupe key is the place and the local date of
the occurrence, so however often a day's occurrence is materialised (a new time, a second
process, a retried tick) one row is written. A late occurrence whose local day has already
ended is not sent, and a row not sent by the end of its local day expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta

from bot.core.clock import Clock
from bot.core.scheduling import Fired
from bot.core.scheduling.rules import local_to_utc, zone
from cogs.digest.compose import COMPOSER_NAME
from storage.records import NewMessage
from storage.unit import Tx


class DigestMaterialiser:
    """Writes the outbox row of each place whose digest came due."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """One row per active place with the digest on, for the local date that is due."""
        now = self._clock.now()
        targets = await tx.digest.targets([item.schedule.id for item in fired])
        rows: list[NewMessage] = []
        for item in fired:
            target = targets.get(item.schedule.id)
            if target is None or not target.settings.enabled or not target.place.active:
                continue  # off, or the bot was removed: nothing to send, nothing to retry
            place, settings = target.place, target.settings
            tz = zone(item.schedule.timezone)
            local_date = item.occurrences[-1].local_key[:10]
            if local_date != now.astimezone(tz).date().isoformat():
                continue  # a day that has passed is not sent late
            day_ends = local_to_utc(date.fromisoformat(local_date) + timedelta(days=1), time(0), tz)
            rows.append(
                NewMessage(
                    dedupe_key=f"digest:{place.id}:{local_date}",
                    platform=place.platform,
                    chat_id=settings.channel or place.announcement_channel,
                    chat_kind="group",
                    payload={
                        "compose": COMPOSER_NAME,
                        "place_id": place.id,
                        "local_date": local_date,
                        "locale": place.locale,
                    },
                    next_attempt_at=now,
                    place_id=place.id,
                    not_after=day_ends,
                )
            )
        await tx.outbox.add_many(rows, now)

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Never called: digests are `late_once`, never `missed`."""
