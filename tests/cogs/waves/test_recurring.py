"""Recurring waves across daylight-saving changes: each occurrence once, at the written time.

A local time inside a spring-forward gap starts at the same offset after the gap; a local time
that happens twice in autumn starts at the first one (the scheduler's policy).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.cogs.waves.support import World, create
from tests.fakes import utc


async def starts(world: World) -> list[datetime]:
    async with world.db.read() as tx:
        return [o.starts_at for o in await tx.waves.occurrences(1)]


async def run(world: World, until: datetime) -> list[datetime]:
    """Tick every 30 minutes until `until`; the starts whose reminder at the start went out
    (read from each row's expiry: start + 10 minutes), in order."""
    now = world.clock.now()
    while now <= until:
        await world.tick(now)
        now += timedelta(minutes=30)
    rows = await world.rows(r"wave:1\.\d+:0:p1$")
    return sorted(row.not_after - timedelta(minutes=10) for row in rows if row.not_after)


@pytest.mark.parametrize(
    ("zone", "first", "repeat", "expected"),
    [
        (  # spring: 01:30 does not exist on 29 March; it is 02:30 BST = 01:30 UTC
            "Europe/London",
            "2026-03-28 01:30",
            "daily",
            ["2026-03-28 01:30", "2026-03-29 01:30", "2026-03-30 00:30"],
        ),
        (  # autumn: 01:30 happens twice on 25 October; the first is 00:30 UTC
            "Europe/London",
            "2026-10-24 01:30",
            "daily",
            ["2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30"],
        ),
        (
            "America/New_York",
            "2026-03-07 02:30",
            "daily",
            ["2026-03-07 07:30", "2026-03-08 07:30", "2026-03-09 06:30"],
        ),
        (
            "America/New_York",
            "2026-10-18 01:30",
            "weekly",
            ["2026-10-18 05:30", "2026-10-25 05:30", "2026-11-01 05:30"],
        ),
        (
            "Australia/Sydney",
            "2026-10-03 02:30",
            "daily",
            ["2026-10-02 16:30", "2026-10-03 16:30", "2026-10-04 15:30"],
        ),
        (
            "Australia/Sydney",
            "2026-04-04 02:30",
            "daily",
            ["2026-04-03 15:30", "2026-04-04 15:30", "2026-04-05 16:30"],
        ),
    ],
)
async def test_a_recurring_wave_fires_once_per_occurrence_across_dst(
    world: World, zone: str, first: str, repeat: str, expected: list[str]
) -> None:
    first_start = utc(expected[0])
    world.clock.set(first_start - timedelta(days=1))
    answer = await create(
        world, options=f'timezone:{zone} repeat:{repeat} reminders:"1h,0"', when=first
    )
    assert "Wave #1 Friday push is scheduled" in answer

    fired = await run(world, utc(expected[-1]) + timedelta(hours=1))

    assert fired == [utc(text) for text in expected]
    assert (await starts(world))[:3] == [utc(text) for text in expected]
    # Every reminder of every occurrence once: two per occurrence and place.
    keys = await world.keys(r"wave:1\.[123]:(60|0):p1$")
    assert len(keys) == len(set(keys)) == 6


async def test_typing_a_time_that_does_not_exist_or_happens_twice_says_what_happens(
    world: World,
) -> None:
    world.clock.set(utc("2026-03-20 12:00"))

    gap = await create(world, options="timezone:Europe/London", when="2026-03-29 01:30")

    assert "scheduled for Sun 29 Mar 2026 02:30 (Europe/London)" in gap
    assert "01:30 does not exist that day (the clocks go forward)" in gap

    twice = await create(world, when="2026-10-25 02:30")  # Paris falls back at 03:00
    assert "scheduled for Sun 25 Oct 2026 02:30 (Europe/Paris)" in twice
    assert "02:30 happens twice that night (the clocks go back)" in twice
    async with world.db.read() as tx:
        [occurrence] = await tx.waves.occurrences(2)
    assert occurrence.starts_at == utc("2026-10-25 00:30")  # the first 02:30, CEST


async def test_a_weekly_wave_on_other_days_starts_on_the_first_of_them(world: World) -> None:
    answer = await create(
        world, options='repeat:weekly days:sat,sun reminders:"1h,0"', when="2026-06-05 20:00"
    )

    assert "scheduled for Sat 6 Jun 2026 20:00 (Europe/Paris)" in answer
    assert "It repeats every week on Saturday, Sunday." in world.rendered(
        (await world.rows("announce:p1"))[0]
    )
