"""Live counters: one message per place that the bot keeps editing with the current total.

Never a channel rename (Discord allows two per ten minutes). The first version of the
message goes out through the outbox, like every unprompted message (rate limits, retries,
a gone place). Once it is sent, `LiveUpdater` pins it (when the bot may) and edits it when
the total changed, at most once per `interval` per place. The pacing lives in the database
(`edited_at`, taken with a conditional update), so it holds across restarts and processes;
edits to one platform are also spaced to half of its global rate, leaving the rest to the
outbox. A message someone deleted is replaced: a new version goes out through the outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.delivery import CannotPost, Courier, Gone, LiveMessages, Sent
from bot.core.periodic import Periodic
from bot.core.posting import cannot_post
from bot.core.replies import Reply, reply_to_data
from bot.core.richtext import Moment, Para, bold, msg
from storage.database import Database
from storage.records import NewMessage, Place
from storage.repositories.live_counters import LiveCounter
from storage.unit import Tx

log = logging.getLogger(__name__)


Sleep = Callable[[float], Awaitable[None]]
FAILED_FIRST = frozenset({"failed", "gone", "expired", "cancelled", "dead"})


def counter_reply(total: int, campaign_name: str, now: datetime, zone: str) -> Reply:
    """The live counter's text: the campaign, the total, when it was last read."""
    return Reply(
        (
            Para((bold(msg("petitions.live.title", name=campaign_name)),)),
            Para((msg("petitions.live.total", total=total),)),
            Para((msg("petitions.live.updated", at=Moment(now, zone)),)),
        )
    )


async def campaign_total(tx: Tx, campaign_id: int) -> int:
    return sum(s.last_count or 0 for s in await tx.petitions.sources(campaign_id))


async def post_version(
    tx: Tx, counter_id: int, generation: int, place: Place, now: datetime
) -> None:
    """Send version `generation` of a counter through the outbox (in the caller's tx)."""
    campaign = await tx.campaigns.get(place.campaign_id)
    total = await campaign_total(tx, place.campaign_id)
    reply = counter_reply(total, campaign.name if campaign else "", now, place.timezone)
    written = await tx.outbox.add_many(
        [
            NewMessage(
                dedupe_key=f"live:{counter_id}:{generation}",
                platform=place.platform,
                chat_id=place.announcement_channel,
                chat_kind="group",
                payload={"reply": reply_to_data(reply), "locale": place.locale},
                next_attempt_at=now,
                place_id=place.id,
            )
        ],
        now,
    )
    outbox_id = written[0] if written else None
    await tx.live_counters.update_counter(
        counter_id,
        outbox_id=outbox_id,
        message_id=None,
        generation=generation,
        shown_count=total,
        pinned=False,
    )


class LiveCounters:
    """Turning a place's live counter on and off."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def enable(self, place: Place) -> bool:
        """Start a live counter in the place's announcement channel; False if it has one."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            counter_id = await tx.live_counters.add_counter(
                place_id=place.id,
                campaign_id=place.campaign_id,
                platform=place.platform,
                chat_id=place.announcement_channel,
                now=now,
            )
            if counter_id is None:
                return False
            await post_version(tx, counter_id, 0, place, now)
        return True

    async def disable(self, place: Place) -> bool:
        """Stop updating the place's counter (the message stays as it is)."""
        async with self._db.transaction() as tx:
            return await tx.live_counters.remove_counter(place.id)


class LiveUpdater:
    """Keeps the live counters of the platforms whose couriers can edit up to date."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        interval: float,
        check_every: float = 5.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._db = database
        self._clock = clock
        self._interval = timedelta(seconds=interval)
        self._sleep = sleep
        self._couriers: dict[str, tuple[LiveMessages, float]] = {}
        self._periodic = Periodic("petition-live-counters", self.run_once, check_every)

    def attach(self, courier: Courier) -> None:
        """Update counters on `courier`'s platform, if it can edit messages."""
        if isinstance(courier, LiveMessages):
            rate = courier.limits.global_per_second
            gap = 2.0 / rate if rate > 0 else 0.0
            self._couriers[courier.platform.value] = (courier, gap)

    def wake(self) -> None:
        self._periodic.wake()

    async def start(self) -> None:
        if self._couriers:
            await self._periodic.start()

    async def stop(self) -> None:
        """Finish the pass in progress (a few seconds at most), then stop."""
        await self._periodic.stop()

    async def run_once(self) -> int:
        """One pass over every counter; returns how many messages were edited or pinned."""
        done = 0
        for platform, (courier, gap) in self._couriers.items():
            async with self._db.read() as tx:
                counters = await tx.live_counters.counters(platform=platform)
                totals = {c.campaign_id: await campaign_total(tx, c.campaign_id) for c in counters}
            for counter in counters:
                if await self._update(courier, counter, totals[counter.campaign_id]):
                    done += 1
                    await self._sleep(gap)
        return done

    async def _update(self, courier: LiveMessages, counter: LiveCounter, total: int) -> bool:
        if counter.message_id is None:
            return await self._first_sent(courier, counter)
        now = self._clock.now()
        if counter.shown_count == total:
            return False
        if counter.edited_at is not None and now - counter.edited_at < self._interval:
            return False
        async with self._db.transaction() as tx:
            if not await tx.live_counters.claim_counter(counter.id, counter.edited_at, now):
                return False  # another process edits it
            place = await tx.places.get(counter.place_id)
            campaign = await tx.campaigns.get(counter.campaign_id)
        if place is None or not place.active:
            return False
        if place.posting_problem_chat == counter.chat_id:
            return False  # Chorus may not post there: the outbox probes it, not every edit
        reply = counter_reply(total, campaign.name if campaign else "", now, place.timezone)
        outcome = await courier.edit(counter.chat_id, counter.message_id, reply, place.locale)
        async with self._db.transaction() as tx:
            if isinstance(outcome, Sent):
                await tx.live_counters.update_counter(counter.id, shown_count=total)
            elif isinstance(outcome, Gone):
                log.info("live counter %s: message gone (%s); posting anew", counter.id, outcome)
                await post_version(tx, counter.id, counter.generation + 1, place, now)
            elif isinstance(outcome, CannotPost):
                await cannot_post(
                    tx, place.platform, counter.chat_id, place.id, outcome.reason, now
                )
            else:
                log.info("live counter %s: edit not done: %s", counter.id, outcome)
        return isinstance(outcome, Sent)

    async def _first_sent(self, courier: LiveMessages, counter: LiveCounter) -> bool:
        """Once the outbox has sent the first version: remember its id and pin it."""
        if counter.outbox_status in FAILED_FIRST:
            return False
        if counter.outbox_status != "sent" or not counter.outbox_message_id:
            return False
        message_id = counter.outbox_message_id
        pinned = await courier.pin(counter.chat_id, message_id)
        async with self._db.transaction() as tx:
            # `pinned` records that pinning was tried: a place where the bot may not pin
            # is not asked again at every pass.
            await tx.live_counters.update_counter(counter.id, message_id=message_id, pinned=True)
        log.info("live counter %s: message %s (pinned: %s)", counter.id, message_id, pinned)
        return True
