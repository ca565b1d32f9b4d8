"""The digest tests' world: one campaign in a Tokyo Telegram group and a Los Angeles Discord
server, what the other features recorded, and what went over the wire.

Digests are delivered by the real `OutboxSender` (with the app's composers) to recording
couriers; tests read what each platform was asked to send, rendered as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bot.app import Core
from bot.core.actors import Platform
from bot.core.delivery import Delivery, RateLimits
from bot.core.outbox import OutboxSender, RateLimiter
from bot.core.render import PlainRenderer
from storage.database import Database
from storage.records import OutboxEntry, Place
from storage.tables.petitions import petition_snapshots, petition_sources
from storage.tables.testimonies import testimonies
from storage.tables.waves import wave_occurrences, wave_participants, waves
from tests.core.outbox.fakes import FakeCourier
from tests.dialogue import Member, group, person
from tests.fakes import FakeClock

Meet = Callable[..., Member]
TOKYO = group(Platform.TELEGRAM, "-1001", "Keep 4o JP")
LA = group(Platform.DISCORD, "555", "Keep 4o LA")


@dataclass
class World:
    """Aki administers the Tokyo group; Lee's Los Angeles server joined the campaign."""

    core: Core
    db: Database
    clock: FakeClock
    aki: Member
    lee: Member
    couriers: dict[Platform, FakeCourier]

    async def tick(self, at: datetime | None = None) -> None:
        if at is not None:
            self.clock.set(at)
        await self.core.ticker.tick(self.clock.now())

    async def deliver(self) -> list[Delivery]:
        """Run each platform's sender until nothing is left; what went out."""
        before = {platform: len(c.deliveries) for platform, c in self.couriers.items()}
        for platform, courier in self.couriers.items():
            sender = OutboxSender(
                self.db,
                courier,
                self.clock,
                f"test-{platform.value}",
                limiter=RateLimiter(RateLimits(10_000, 0.0)),
                composers=self.core.composers,
            )
            while sum((await sender.run_once()).values()):
                pass
        return [
            delivery
            for platform, courier in self.couriers.items()
            for delivery in courier.deliveries[before[platform] :]
        ]

    async def run(self, start: datetime, end: datetime, step: timedelta) -> list[Delivery]:
        """Tick and deliver every `step` from `start` to `end`, as a running Chorus would."""
        sent: list[Delivery] = []
        at = start
        while at <= end:
            await self.tick(at)
            sent.extend(await self.deliver())
            at += step
        return sent

    def text(self, delivery: Delivery) -> str:
        return PlainRenderer(self.core.catalogues.translator(delivery.locale)).render(
            delivery.reply.body
        )

    async def rows(self, pattern: str = "") -> list[OutboxEntry]:
        async with self.db.read() as tx:
            found = await tx.outbox.all()
        return [row for row in found if re.search(pattern, row.dedupe_key)]

    async def place(self, external_id: str) -> Place:
        platform = "telegram" if external_id.startswith("-") else "discord"
        async with self.db.read() as tx:
            found = await tx.places.find(platform, external_id)
        assert found is not None
        return found

    # --- what the other features recorded (their tables, written directly) ---------------

    async def _insert(self, table: Any, **values: Any) -> int:
        async with self.db.transaction() as tx:
            result = await tx.connection.execute(insert(table).values(**values))
            key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    async def signatures(self, *counts: tuple[datetime, int]) -> None:
        """Readings of the campaign's one petition source, oldest first."""
        source = await self._insert(
            petition_sources,
            campaign_id=1,
            name="main",
            kind="manual",
            created_by="telegram:1",
            created_at=counts[0][0],
            last_count=counts[-1][1],
            last_reading_at=counts[-1][0],
        )
        for index, (at, count) in enumerate(counts):
            await self._insert(
                petition_snapshots,
                source_id=source,
                campaign_id=1,
                window_key=f"w{index}",
                count=count,
                taken_at=at,
            )

    async def testimony(
        self, title: str, story: str, *, at: datetime, consent: str = "named", name: str = ""
    ) -> None:
        """An approved testimony, decided at `at`."""
        number = len(await self._all(testimonies)) + 1
        await self._insert(
            testimonies,
            reference=f"T-{number:04d}",
            campaign_id=1,
            author_key=f"telegram:{100 + number}",
            display_name=name,
            title=title,
            story=story,
            category="work",
            consent=consent,
            status="approved",
            locale="en",
            created_at=at,
            updated_at=at,
            decided_at=at,
        )

    async def wave(self, title: str, starts_at: datetime, joined: int = 0) -> None:
        wave_id = await self._insert(
            waves,
            campaign_id=1,
            title=title,
            networks=["x"],
            hashtags=["#keep4o"],
            timezone="UTC",
            rule={"type": "once", "at_utc": starts_at.isoformat()},
            offsets=[],
            grace_seconds=600,
            status="scheduled",
            created_by="telegram:1",
            created_at=starts_at - timedelta(days=3),
            updated_at=starts_at - timedelta(days=3),
        )
        await self._insert(
            wave_occurrences, wave_id=wave_id, number=1, starts_at=starts_at, status="upcoming"
        )
        for n in range(joined):
            await self._insert(
                wave_participants,
                wave_id=wave_id,
                user_key=f"telegram:{500 + n}",
                platform="telegram",
                user_id=str(500 + n),
                joined_at=starts_at - timedelta(days=1),
            )

    async def _all(self, table: Any) -> list[Any]:
        async with self.db.read() as tx:
            return list(await tx.connection.execute(table.select()))


async def campaign(core: Core, db: Database, clock: FakeClock, meet: Meet) -> World:
    aki = meet(person(Platform.TELEGRAM, "1", admin=True), TOKYO)
    await aki.says('/setup name:"Keep 4o" timezone:Asia/Tokyo')
    code = re.search(r"join:([A-Z0-9]{8})", await aki.says("/campaign invite"))
    assert code is not None
    lee = meet(person(Platform.DISCORD, "9", admin=True), LA)
    await lee.says(f"/setup join:{code.group(1)} timezone:America/Los_Angeles")
    couriers = {
        Platform.TELEGRAM: FakeCourier(Platform.TELEGRAM),
        Platform.DISCORD: FakeCourier(Platform.DISCORD),
    }
    return World(core, db, clock, aki, lee, couriers)
