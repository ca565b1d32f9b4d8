"""A campaign in a Telegram group and a Discord server, waves in it, and what went out.

The outbox is delivered by the real `OutboxSender`, one per platform, to recording couriers
(`FakeCourier`): tests read what each platform was asked to send, rendered as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.app import Core
from bot.core.actors import Platform
from bot.core.delivery import Delivery, RateLimits
from bot.core.outbox import OutboxSender, RateLimiter
from bot.core.render import PlainRenderer
from bot.core.replies import reply_from_data
from bot.core.richtext import mentioned_users
from storage.database import Database
from storage.records import OutboxEntry
from storage.repositories.waves import Wave
from tests.core.outbox.fakes import FakeCourier
from tests.dialogue import Member, group, person
from tests.fakes import FakeClock

Meet = Callable[..., Member]
TG = group(Platform.TELEGRAM, "-1001", "Keep 4o FR")
DC = group(Platform.DISCORD, "555", "Keep 4o Discord")
# Friday 5 June 2026, 20:00 in Paris (CEST) is 18:00 UTC; 14:00 in New York.
START = datetime(2026, 6, 5, 18, 0, tzinfo=UTC)
TEXTS = "I rely on 4o every day #keep4o\nKeep the model that helped me write my thesis"


@dataclass
class World:
    """Alice organises from a Telegram group; Dora's Discord server joined the campaign."""

    core: Core
    db: Database
    clock: FakeClock
    meet: Meet
    alice: Member
    dora: Member
    couriers: dict[Platform, FakeCourier]

    def member(self, platform: Platform, user_id: str) -> Member:
        place = TG if platform is Platform.TELEGRAM else DC
        return self.meet(person(platform, user_id), place)

    async def tick(self, at: datetime | None = None) -> None:
        if at is not None:
            self.clock.set(at)
        await self.core.ticker.tick(self.clock.now())

    async def reminded_until(self, at: datetime) -> None:
        """Tick at each of the wave's reminders up to `at` (the defaults, 24 h and 1 h before
        START), delivering each: what a running Chorus would have done."""
        for moment in (START - timedelta(hours=24), START - timedelta(hours=1)):
            if moment <= at:
                await self.tick(moment)
                await self.deliver()

    async def deliver(self) -> list[Delivery]:
        """Run each platform's sender once (and again while rows keep coming); what went out."""
        before = {platform: len(c.deliveries) for platform, c in self.couriers.items()}
        for platform, courier in self.couriers.items():
            sender = OutboxSender(
                self.db,
                courier,
                self.clock,
                f"test-{platform.value}",
                limiter=RateLimiter(RateLimits(10_000, 0.0)),
                on_recipient_gone=self.core.waves.service.recipient_gone,
            )
            while sum((await sender.run_once()).values()):
                pass
        return [
            delivery
            for platform, courier in self.couriers.items()
            for delivery in courier.deliveries[before[platform] :]
        ]

    def text(self, delivery: Delivery) -> str:
        return PlainRenderer(self.core.catalogues.translator(delivery.locale)).render(
            delivery.reply.body
        )

    async def rows(self, pattern: str = "") -> list[OutboxEntry]:
        """Outbox rows whose dedupe key matches the regular expression `pattern`."""
        async with self.db.read() as tx:
            found = await tx.outbox.all()
        return [row for row in found if re.search(pattern, row.dedupe_key)]

    async def keys(self, pattern: str = "") -> list[str]:
        return sorted(row.dedupe_key for row in await self.rows(pattern))

    def rendered(self, row: OutboxEntry) -> str:
        reply = reply_from_data(row.payload["reply"])
        translator = self.core.catalogues.translator(row.payload.get("locale", "en"))
        return PlainRenderer(translator).render(reply.body)

    def mentions(self, row: OutboxEntry, platform: Platform) -> list[str]:
        return mentioned_users(reply_from_data(row.payload["reply"]).body, platform.value)

    async def wave(self, wave_id: int = 1) -> Wave:
        async with self.db.read() as tx:
            found = await tx.waves.get(wave_id)
        assert found is not None
        return found


async def campaign(core: Core, db: Database, clock: FakeClock, meet: Meet) -> World:
    alice = meet(person(Platform.TELEGRAM, "1", admin=True), TG)
    await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris hashtag:#keep4o')
    code = re.search(r"join:([A-Z0-9]{8})", await alice.says("/campaign invite"))
    assert code is not None
    dora = meet(person(Platform.DISCORD, "9", admin=True), DC)
    await dora.says(f"/setup join:{code.group(1)} timezone:America/New_York")
    couriers = {
        Platform.TELEGRAM: FakeCourier(Platform.TELEGRAM),
        Platform.DISCORD: FakeCourier(Platform.DISCORD),
    }
    return World(core, db, clock, meet, alice, dora, couriers)


async def create(
    world: World,
    options: str = "",
    when: str = "2026-06-05 20:00",
    targets: str = "x bluesky #keep4o",
    texts: str = TEXTS,
) -> str:
    """Alice creates a wave with the form, answering it field by field."""
    return await world.alice.says(
        f"/wave create {options}".strip(),
        "Friday push",
        when,
        targets,
        "Tell how 4o helps you",
        texts,
    )
