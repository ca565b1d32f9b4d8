"""Exactly once, and never late: the grace window, a crash, and two processes at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from bot.app import build_core
from bot.core.actors import Platform
from bot.core.delivery import RateLimits
from bot.core.outbox import OutboxSender, RateLimiter
from bot.settings import Settings
from storage.database import Database
from tests.cogs.waves.support import START, World, create
from tests.core.outbox.fakes import FakeCourier


async def test_reminders_found_after_the_grace_window_are_missed_and_the_organisers_told(
    world: World,
) -> None:
    await create(world, options="grace:15")
    bob = world.member(Platform.TELEGRAM, "2")
    await bob.says("/wave remind 1")
    await world.deliver()

    # Chorus was down from Thursday until 16 minutes after the start.
    await world.tick(START + timedelta(minutes=16))

    assert await world.keys(r"wave:1\.1:\d+:(p\d+|telegram:2)$") == []
    missed = await world.rows(":missed:")
    assert sorted(row.chat_id for row in missed) == ["-1001", "-1001", "-1001", "1", "1", "1"]
    texts = {world.rendered(row) for row in missed if row.chat_id == "1"}
    assert any(
        "The reminder 1 h before of Friday push (starting Fri 5 Jun 2026 20:00 (Europe/Paris))"
        " was not sent: it was due Fri 5 Jun 2026 19:00 (Europe/Paris)" in text
        for text in texts
    )
    assert any("The reminder at the start of Friday push" in text for text in texts)


async def test_a_reminder_late_but_within_the_grace_window_still_goes_out(world: World) -> None:
    await create(world)

    await world.tick(START + timedelta(minutes=9))

    # The 24 h and 1 h reminders are not "late" until the start's grace ends either.
    assert await world.keys(":p1$") == [
        "wave:1.1:0:p1",
        "wave:1.1:1440:p1",
        "wave:1.1:60:p1",
        "wave:1:announce:p1",
    ]


async def test_a_sending_backlog_expires_reminders_and_the_result_reports_them(
    world: World,
) -> None:
    await create(world)
    await world.member(Platform.DISCORD, "3").says("/wave remind 1")
    await world.deliver()
    await world.reminded_until(START - timedelta(hours=1))
    await world.tick(START)
    # The platforms were too busy to send anything until the grace window closed.
    world.clock.set(START + timedelta(minutes=11))
    assert await world.deliver() == []
    statuses = Counter(row.status for row in await world.rows(r"wave:1\.1:0:"))
    assert statuses == Counter({"expired": 3})

    await world.tick(START + timedelta(hours=1))
    report = {row.chat_id: world.rendered(row) for row in await world.rows(":report:")}

    assert sorted(report) == ["-1001", "1"]
    assert "3 could not be sent before the grace window closed" in report["1"]


async def test_a_crash_between_writing_and_sending_sends_each_reminder_once(
    world: World,
) -> None:
    await create(world)
    await world.member(Platform.TELEGRAM, "2").says("/wave remind 1")
    await world.reminded_until(START - timedelta(hours=1))
    await world.tick(START)
    # A sender takes the rows and dies before sending them (its lease is never settled).
    async with world.db.transaction() as tx:
        taken = await tx.outbox.claim("telegram", "crashed", world.clock.now(), 60, 100)
    assert len(taken) == 2

    world.clock.advance(seconds=61)  # its lease runs out; still within the grace window
    await world.tick()  # a repeated tick writes nothing
    sent = await world.deliver()

    keys = [delivery.dedupe_key for delivery in sent]
    assert sorted(keys) == ["wave:1.1:0:p1", "wave:1.1:0:p2", "wave:1.1:0:telegram:2"]
    assert await world.deliver() == []


async def test_two_processes_tick_and_send_at_once_and_nothing_is_duplicated(
    world: World, database_url: str, settings: Settings
) -> None:
    await create(world)
    for number in range(2, 12):
        await world.member(Platform.TELEGRAM, str(number)).says("/wave remind 1")
    await world.reminded_until(START - timedelta(hours=1))
    world.clock.set(START)
    courier = FakeCourier(Platform.TELEGRAM)

    async with Database.connect(database_url) as other:
        second = build_core(settings, other, world.clock)
        cores = (world.core, second)
        await asyncio.gather(*(core.ticker.tick(START) for core in cores))
        senders = [
            OutboxSender(
                core.database,
                courier,
                world.clock,
                f"process-{n}",
                limiter=RateLimiter(RateLimits(10_000, 0.0)),
            )
            for n, core in enumerate(cores)
        ]
        for _ in range(5):
            await asyncio.gather(*(sender.run_once() for sender in senders))

    keys = Counter(delivery.dedupe_key for delivery in courier.deliveries)
    assert len(keys) == 11  # the group and ten private reminders
    assert set(keys.values()) == {1}
