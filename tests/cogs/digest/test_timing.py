"""When digests go out: once per place per local date, across zones, DST, downtime, edits."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from bot.core.scheduling import Ticker
from cogs.digest.materialise import DigestMaterialiser
from storage.database import Database
from tests.cogs.digest.support import World
from tests.core.outbox.fakes import FakeCourier
from tests.fakes import utc

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)


async def test_a_week_in_tokyo_and_los_angeles_gives_one_digest_per_place_per_local_date(
    world: World,
) -> None:
    await world.aki.says("/digest time 09:00")
    await world.aki.says("/digest on")
    await world.lee.says("/digest time 7pm")
    await world.lee.says("/digest on")

    sent = await world.run(utc("2026-06-01T12:00"), utc("2026-06-08T12:00"), HOUR)

    keys = Counter(delivery.dedupe_key for delivery in sent)
    assert set(keys.values()) == {1}
    # 09:00 in Tokyo is 00:00 UTC; 19:00 in Los Angeles (PDT) is 02:00 UTC the next day.
    assert sorted(keys) == sorted(
        [f"digest:1:2026-06-0{d}" for d in range(2, 9)]
        + [f"digest:2:2026-06-0{d}" for d in range(1, 8)]
    )
    assert {d.chat_id for d in sent} == {"-1001", "555"}


async def test_spring_forward_sends_0230_once_at_the_same_offset_after_the_gap(
    world: World,
) -> None:
    # Los Angeles skips 02:00-03:00 on 8 March 2026: 02:30 becomes 03:30 PDT = 10:30 UTC.
    world.clock.set(utc("2026-03-07T12:00"))
    await world.lee.says("/digest time 02:30")
    await world.lee.says("/digest on")
    sent = await world.run(utc("2026-03-08T06:00"), utc("2026-03-08T14:00"), QUARTER)

    assert [d.dedupe_key for d in sent] == ["digest:2:2026-03-08"]
    rows = await world.rows("digest:2:2026-03-08")
    assert rows[0].created_at == utc("2026-03-08T10:30")


async def test_fall_back_sends_0130_once(world: World) -> None:
    world.clock.set(utc("2026-10-31T12:00"))
    await world.lee.says("/digest time 01:30")
    await world.lee.says("/digest on")

    # 1 November 2026: 01:00-02:00 happens twice in Los Angeles (08:00 and 09:00 UTC).
    sent = await world.run(utc("2026-11-01T06:00"), utc("2026-11-01T12:00"), QUARTER)

    assert [d.dedupe_key for d in sent] == ["digest:2:2026-11-01"]
    rows = await world.rows("digest:2:2026-11-01")
    assert rows[0].created_at == utc("2026-11-01T08:30")


async def test_downtime_across_the_digest_time_sends_it_once_late(world: World) -> None:
    world.clock.set(utc("2026-06-01T09:00"))
    await world.aki.says("/digest on")
    await world.aki.says("/digest time 21:00")  # 12:00 UTC
    await world.run(utc("2026-06-01T10:00"), utc("2026-06-01T11:00"), HOUR)

    # Down from 11:00 to 14:00 UTC (23:00 in Tokyo), then running again.
    sent = await world.run(utc("2026-06-01T14:00"), utc("2026-06-02T10:00"), HOUR)

    assert [d.dedupe_key for d in sent] == ["digest:1:2026-06-01"]


async def test_a_day_that_passed_while_down_is_not_sent(world: World) -> None:
    await world.aki.says("/digest on")
    await world.aki.says("/digest time 21:00")  # 12:00 UTC; the local day ends at 15:00 UTC

    # Down from before the digest until after the local day ended.
    sent = await world.run(utc("2026-06-01T16:00"), utc("2026-06-01T20:00"), HOUR)

    assert sent == []
    assert await world.rows("digest:") == []


async def test_a_new_time_after_todays_digest_applies_from_tomorrow(world: World) -> None:
    await world.aki.says("/digest on")
    await world.aki.says("/digest time 21:00")
    first = await world.run(utc("2026-06-01T12:00"), utc("2026-06-01T12:00"), HOUR)

    answer = await world.aki.says("/digest time 23:00")
    later = await world.run(utc("2026-06-01T13:00"), utc("2026-06-02T15:00"), HOUR)

    assert "Wed 3 Jun 2026 23:00" not in answer
    assert "Tue 2 Jun 2026 23:00" in answer
    assert [d.dedupe_key for d in first + later] == [
        "digest:1:2026-06-01",
        "digest:1:2026-06-02",
    ]


async def test_a_new_time_already_past_today_sends_todays_now_not_never(world: World) -> None:
    await world.aki.says("/digest on")
    await world.aki.says("/digest time 23:00")  # 14:00 UTC
    world.clock.set(utc("2026-06-01T12:00"))  # 21:00 in Tokyo

    await world.aki.says("/digest time 20:00")  # already past today
    sent = await world.run(utc("2026-06-01T12:00"), utc("2026-06-01T14:00"), HOUR)

    assert [d.dedupe_key for d in sent] == ["digest:1:2026-06-01"]


async def test_two_processes_tick_and_send_one_digest(world: World, database_url: str) -> None:
    world.clock.set(utc("2026-06-01T11:00"))
    await world.aki.says("/digest time 21:00")
    await world.aki.says("/digest on")
    world.clock.set(utc("2026-06-01T12:00"))
    async with Database.connect(database_url, migrate=False) as other:
        second = Ticker(other, world.clock)
        second.register("digest", DigestMaterialiser(world.clock))
        now = world.clock.now()
        await asyncio.gather(world.core.ticker.tick(now), second.tick(now))
        await asyncio.gather(world.deliver(), world.deliver())

    couriers: list[FakeCourier] = list(world.couriers.values())
    assert [d.dedupe_key for c in couriers for d in c.deliveries] == ["digest:1:2026-06-01"]


async def test_a_new_zone_for_the_place_moves_the_digest_without_doubling_a_date(
    world: World,
) -> None:
    world.clock.set(utc("2026-05-31T20:00"))  # 05:00 on 1 June in Tokyo
    await world.aki.says("/digest on")
    await world.aki.says("/digest time 09:00")  # 00:00 UTC on 1 June

    moved = await world.aki.says("/place set timezone:America/Los_Angeles")
    sent = await world.run(utc("2026-05-31T20:00"), utc("2026-06-02T12:00"), HOUR)

    assert "This place's settings are updated." in moved
    # 13:00 on 31 May in Los Angeles: that date's 09:00 has passed unsent, so it goes now;
    # then 09:00 on 1 June there (16:00 UTC), not 09:00 in Tokyo.
    assert [d.dedupe_key for d in sent] == ["digest:1:2026-05-31", "digest:1:2026-06-01"]


async def test_the_next_digest_shown_is_never_one_already_past(world: World) -> None:
    await world.aki.says("/digest on")
    await world.aki.says("/digest time 23:00")  # 14:00 UTC
    world.clock.set(utc("2026-06-01T12:00"))  # 21:00 in Tokyo

    answer = await world.aki.says("/digest time 20:00")  # already past today: sent now

    assert "Mon 1 Jun 2026 20:00" not in answer
    assert "Today's digest goes out now, late. The next one: Tue 2 Jun 2026 20:00" in answer
    await world.run(utc("2026-06-01T12:00"), utc("2026-06-01T12:00"), HOUR)
    assert "Next digest: Tue 2 Jun 2026 20:00 (Asia/Tokyo)" in await world.aki.says("/digest")


async def test_the_next_digest_is_tomorrows_once_todays_time_has_passed(world: World) -> None:
    world.clock.set(utc("2026-06-01T00:00"))  # 09:00 in Tokyo
    await world.aki.says("/digest time 18:30")
    await world.aki.says("/digest on")
    world.clock.set(utc("2026-06-01T13:15"))  # 22:15 in Tokyo; the ticker has not run yet

    shown = await world.aki.says("/digest")

    assert "Mon 1 Jun 2026 18:30" not in shown
    assert "The next one: Tue 2 Jun 2026 18:30 (Asia/Tokyo)" in shown
    await world.run(utc("2026-06-01T13:15"), utc("2026-06-01T13:15"), HOUR)
    shown = await world.aki.says("/digest")
    assert "Next digest: Tue 2 Jun 2026 18:30 (Asia/Tokyo)" in shown
    assert "goes out now" not in shown
