"""A wave that goes ahead only if enough members commit by a deadline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.core.actors import Platform
from storage.tables.waves import waves
from tests.cogs.waves.support import START, World, create

DEADLINE = START - timedelta(hours=2)


async def test_a_pledge_reached_by_the_deadline_says_we_are_on(world: World) -> None:
    await create(world, options='pledge:2 pledge_by:"2026-06-05 18:00"')
    await world.member(Platform.TELEGRAM, "2").says("/wave join 1")
    await world.member(Platform.DISCORD, "3").says("/wave join 1")
    await world.reminded_until(START - timedelta(hours=24))

    await world.tick(DEADLINE)

    on = {d.dedupe_key: world.text(d) for d in await world.deliver()}
    assert sorted(on) == ["wave:1:on:p1", "wave:1:on:p2"]
    assert (
        "We're on: Friday push has 2 pledges. See you Fri 5 Jun 2026 14:00" in (on["wave:1:on:p2"])
    )
    assert (await world.wave()).pledge_state == "reached"
    await world.tick(START)
    assert len(await world.keys(r"wave:1\.1:0:p")) == 2


async def test_a_pledge_not_reached_calls_the_wave_off_and_tells_who_joined(
    world: World,
) -> None:
    await create(world, options="pledge:3")  # counted an hour before the start by default
    await world.member(Platform.TELEGRAM, "2").says("/wave remind 1")
    shown = await world.alice.says("/wave show 1")
    assert "Pledge threshold: 3 (counting)." in shown
    await world.tick(START - timedelta(hours=24))
    reminder = (await world.rows("1440:p1"))[0]
    assert "Pledges: 1 of the 3 needed by Fri 5 Jun 2026 19:00 (Europe/Paris)." in (
        world.rendered(reminder)
    )
    await world.deliver()

    await world.tick(START - timedelta(hours=1))

    told = {d.dedupe_key: world.text(d) for d in await world.deliver()}
    assert sorted(told) == [
        "wave:1:calledoff:p1",
        "wave:1:calledoff:p2",
        "wave:1:calledoff:telegram:2",
    ]
    assert "called off: it needed 3 pledges and had 1" in told["wave:1:calledoff:telegram:2"]
    wave = await world.wave()
    assert (wave.status, wave.pledge_state) == ("called_off", "not_reached")
    # No reminder of a called-off wave goes out; not even one written in the same tick.
    assert await world.keys(r"wave:1\.1:(60|0):") == []
    await world.tick(START)
    assert await world.keys(r"wave:1\.1:(60|0):") == []


async def test_a_stored_pledge_without_a_target_goes_ahead_at_its_deadline(
    world: World,
) -> None:
    # A row changed by hand: the pledge is open but its target is gone.
    await create(world, options='pledge:2 pledge_by:"2026-06-05 18:00"')
    await world.member(Platform.TELEGRAM, "2").says("/wave join 1")
    async with world.db.transaction() as tx:
        await tx.connection.execute(update(waves).values(pledge_target=None))
    await world.reminded_until(START - timedelta(hours=24))

    await world.tick(DEADLINE)

    on = {d.dedupe_key for d in await world.deliver()}
    assert sorted(on) == ["wave:1:on:p1", "wave:1:on:p2"]
    assert (await world.wave()).pledge_state == "reached"
