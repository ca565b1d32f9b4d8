"""Organisers change their minds: a wave moved to another time, or cancelled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.core.actors import Platform
from storage.tables.waves import wave_schedules
from tests.cogs.waves.support import START, World, create

SATURDAY = START + timedelta(days=1)


async def test_moving_a_wave_moves_its_future_reminders_and_never_repeats_one(
    world: World,
) -> None:
    await create(world)
    bob = world.member(Platform.TELEGRAM, "2")
    await bob.says("/wave remind 1")
    await world.tick(START - timedelta(hours=24))  # the 24 h reminder goes out
    assert await world.keys(":1440:") == [
        "wave:1.1:1440:p1",
        "wave:1.1:1440:p2",
        "wave:1.1:1440:telegram:2",
    ]

    answer = await world.alice.says('/wave edit 1 when:"2026-06-06 20:00"')

    assert "Wave #1 Friday push is updated; it starts Sat 6 Jun 2026 20:00 (Europe/Paris)." in (
        answer
    )
    moved = await world.rows(":moved:")
    assert len(moved) == 2
    assert "has a new time: Sat 6 Jun 2026 14:00 (America/New_York)" in world.rendered(
        next(row for row in moved if row.chat_id == "555")
    )
    # The old times pass: nothing fires.
    await world.tick(START - timedelta(hours=1))
    await world.tick(START)
    assert await world.keys(r"wave:1\.1:(60|0):") == []
    # The new 24 h-before time: that reminder went out already, and is not sent again.
    await world.tick(SATURDAY - timedelta(hours=24))
    assert len(await world.keys(":1440:")) == 3
    # The later reminders fire at the new times, once each.
    await world.tick(SATURDAY - timedelta(hours=1))
    await world.tick(SATURDAY - timedelta(hours=1))
    assert await world.keys(":60:") == [
        "wave:1.1:60:p1",
        "wave:1.1:60:p2",
        "wave:1.1:60:telegram:2",
    ]
    rows = await world.rows(":60:")
    assert {row.not_after for row in rows} == {SATURDAY + timedelta(minutes=10)}


async def test_changing_the_reminders_keeps_those_already_sent(world: World) -> None:
    await create(world)
    await world.tick(START - timedelta(hours=24))

    await world.alice.says('/wave edit 1 reminders:"24h,2h,0"')

    await world.tick(START - timedelta(hours=2))
    await world.tick(START - timedelta(hours=1))
    await world.tick(START)
    keys = await world.keys(":p1$")
    assert keys == ["wave:1.1:0:p1", "wave:1.1:120:p1", "wave:1.1:1440:p1", "wave:1:announce:p1"]


async def test_cancelling_tells_everyone_who_joined_once(world: World) -> None:
    await create(world)
    bob = world.member(Platform.TELEGRAM, "2")  # joined, no private reminders
    carol = world.member(Platform.DISCORD, "3")  # asked for private reminders
    await bob.says("/wave join 1")
    await carol.says("/wave remind 1")
    await world.deliver()

    answer = await world.alice.says("/wave cancel 1")

    assert "Friday push is cancelled; everyone who joined is being told." in answer
    assert await world.keys(":cancelled:") == [
        "wave:1:cancelled:discord:3",
        "wave:1:cancelled:p1",
        "wave:1:cancelled:p2",
    ]
    sent = {d.dedupe_key: d for d in await world.deliver()}
    assert sent["wave:1:cancelled:discord:3"].chat_kind.value == "private"
    in_group = await world.rows("cancelled:p1")
    assert world.mentions(in_group[0], Platform.TELEGRAM) == ["2"]
    assert "Friday push is cancelled" in world.rendered(in_group[0])
    # Once: a second cancel is refused, and no reminder ever fires.
    assert "is over, cancelled or called off" in await world.alice.says("/wave cancel 1")
    for hours in (24, 1, 0):
        await world.tick(START - timedelta(hours=hours))
    await world.tick(START + timedelta(hours=2))
    assert len(await world.keys(":cancelled:")) == 3
    assert await world.keys(r"wave:1\.1:") == []
    assert "is over, cancelled or called off" in await bob.says("/wave join 1")


async def test_only_organisers_create_edit_and_cancel(world: World) -> None:
    await create(world)
    bob = world.member(Platform.TELEGRAM, "2")

    for command in ("/wave create", "/wave cancel 1", "/wave edit 1 title:Mine"):
        assert "Only the campaign's organisers" in await bob.says(command)
    assert (await world.wave()).status == "scheduled"


async def test_an_edit_with_nothing_to_change_says_so(world: World) -> None:
    await create(world)

    assert "Nothing to change" in await world.alice.says("/wave edit 1")
    answer = await world.alice.says("/wave edit 1 title:Renamed")
    assert "Wave #1 Renamed is updated" in answer


async def test_moving_a_wave_whose_stored_reminder_lost_its_offset_replans_it(
    world: World,
) -> None:
    await create(world)  # reminders 24 h and 1 h before
    # A row changed by hand: the 1 h reminder's schedule no longer says its offset.
    async with world.db.transaction() as tx:
        await tx.connection.execute(
            update(wave_schedules)
            .where(wave_schedules.c.offset_minutes == 60)
            .values(offset_minutes=None)
        )

    answer = await world.alice.says('/wave edit 1 when:"2026-06-06 20:00"')

    assert "Wave #1 Friday push is updated; it starts Sat 6 Jun 2026 20:00" in answer
    await world.tick(START - timedelta(hours=1))  # the old time: nothing fires
    assert await world.keys(":60:") == []
    await world.tick(SATURDAY - timedelta(hours=1))
    assert await world.keys(":60:") == ["wave:1.1:60:p1", "wave:1.1:60:p2"]
