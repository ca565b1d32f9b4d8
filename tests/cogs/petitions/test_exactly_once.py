"""A milestone reaches each place exactly once: across a crash before the sends, and with two
processes polling the same database (SQLite here, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.app import Core
from bot.core.actors import Platform
from bot.core.outbox import OutboxSender
from bot.core.scheduling import Ticker
from cogs.petitions.poller import POLL_KIND, PollDue
from cogs.petitions.readings import accept_reading
from storage.database import Database
from tests.cogs.petitions.conftest import (
    DC_SERVER,
    Meet,
    PetitionSite,
    join,
    make_poller,
    start_campaign,
)
from tests.cogs.petitions.test_signatures import milestone_rows, snapshot_count
from tests.core.outbox.fakes import FakeCourier
from tests.core.outbox.helpers import make_sender
from tests.dialogue import group
from tests.fakes import FakeClock

POINTER = "pointer:/data/attributes/signature_count"


async def campaign_in_three_places(meet: Meet, site: PetitionSite) -> None:
    alice = await start_campaign(meet)
    await join(meet, alice, DC_SERVER)
    await join(meet, alice, group(Platform.TELEGRAM, "-1002", "Keep 4o DE"), actor_id="8")
    await alice.says(f"/signatures source add kind:json url:{site.url()} {POINTER}")


async def test_a_process_killed_between_the_snapshot_and_the_sends_announces_once_later(
    meet: Meet, core: Core, db: Database, database_url: str, site: PetitionSite, clock: FakeClock
) -> None:
    await campaign_in_three_places(meet, site)
    site.count = 1_010
    clock.advance(minutes=5)
    await core.ticker.tick(clock.now())
    await make_poller(db, clock).run_once()  # the snapshot and the outbox rows are committed
    telegram = FakeCourier(Platform.TELEGRAM)
    doomed = make_sender(db, telegram, clock, owner="killed")
    # The first process claims the rows, then dies before sending (no release, no settle).
    async with db.transaction() as tx:
        claimed = await tx.outbox.claim("telegram", doomed.owner, clock.now(), 60, 10)
    assert len(claimed) == 2

    # A new process on the same database. Reading the same window again stores nothing…
    clock.advance(seconds=90)
    async with Database.connect(database_url) as restarted:
        async with restarted.transaction() as tx:
            [source] = await tx.petitions.sources(1)
            again = await accept_reading(
                tx, source, 1_010, window=source.polled_window or "", now=clock.now(), polled=True
            )
        assert again.stored is False
        # …and its senders find the rows the dead one had leased, once its lease ran out.
        telegram_after, discord_after = (
            FakeCourier(Platform.TELEGRAM),
            FakeCourier(Platform.DISCORD),
        )
        for courier in (telegram_after, discord_after):
            sender = make_sender(restarted, courier, clock, owner=f"after-{courier.platform}")
            await sender.run_once()

    delivered = Counter(d.chat_id for d in telegram_after.deliveries + discord_after.deliveries)
    assert delivered == {"-1001": 1, "-1002": 1, "555": 1}
    assert telegram.deliveries == []
    assert len(await milestone_rows(db)) == 3
    assert all(row.status == "sent" for row in await milestone_rows(db))


async def test_two_processes_polling_read_each_window_once_and_announce_once(
    meet: Meet, db: Database, database_url: str, site: PetitionSite, clock: FakeClock
) -> None:
    await campaign_in_three_places(meet, site)
    async with Database.connect(database_url) as other:
        tickers = [Ticker(db, clock), Ticker(other, clock)]
        for ticker in tickers:
            ticker.register(POLL_KIND, PollDue())
        pollers = [make_poller(db, clock, "poller-a"), make_poller(other, clock, "poller-b")]
        for count in (950, 1_020, 1_500, 2_600):
            site.count = count
            clock.advance(minutes=5)
            await asyncio.gather(*(ticker.tick(clock.now()) for ticker in tickers))
            await asyncio.gather(*(poller.run_once() for poller in pollers))

    # One snapshot when the source was added, then one per poll window.
    assert await snapshot_count(db) == 5
    keys = Counter(row.dedupe_key for row in await milestone_rows(db))
    assert sorted(keys) == sorted(
        f"milestone:1:{threshold}:{place}" for threshold in (1000, 2500) for place in (1, 2, 3)
    )
    assert set(keys.values()) == {1}


async def test_the_same_window_read_by_two_processes_whose_leases_overlap_is_stored_once(
    meet: Meet, db: Database, database_url: str, site: PetitionSite, clock: FakeClock
) -> None:
    # Even when the lease does not keep the second process out (it ran out mid-fetch), the
    # (source, window) key does: the late reading stores nothing and announces nothing.
    await campaign_in_three_places(meet, site)
    site.count = 1_030
    slow_answer = site.hold_next()
    async with Database.connect(database_url) as other:
        async with db.transaction() as tx:
            await tx.petitions.mark_due([(1, "2026-06-01T12:05:00Z")])
        first = asyncio.create_task(make_poller(db, clock, "poller-a").run_once())
        await site.holding.wait()  # the first poller has leased the source and is fetching
        clock.advance(minutes=2)  # the first lease has run out while its fetch is slow
        second = await make_poller(other, clock, "poller-b").run_once()
        assert second == 1
        slow_answer.set()
        assert await first == 1

    assert await snapshot_count(db) == 2
    assert len(await milestone_rows(db)) == 3


async def test_a_sender_restarted_after_a_crash_does_not_resend_what_was_sent(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    await campaign_in_three_places(meet, site)
    site.count = 1_010
    clock.advance(minutes=5)
    await core.ticker.tick(clock.now())
    await make_poller(db, clock).run_once()
    courier = FakeCourier(Platform.TELEGRAM)
    sender: OutboxSender = make_sender(db, courier, clock)
    await sender.run_once()
    clock.advance(minutes=5)
    site.count = 1_200
    await core.ticker.tick(clock.now())
    await make_poller(db, clock).run_once()
    await make_sender(db, courier, clock, owner="again").run_once()

    assert Counter(d.chat_id for d in courier.deliveries) == {"-1001": 1, "-1002": 1}
