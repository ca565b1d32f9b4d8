"""A reminder flood is refused: a bounded number of reminders per wave, none too early."""

from __future__ import annotations

from tests.cogs.waves.support import World, create


async def test_a_wave_with_too_many_reminders_is_refused_and_nothing_is_created(
    world: World,
) -> None:
    answer = await create(world, 'reminders:"72h,48h,24h,12h,1h,30m,0"')

    assert "Give at most 5 reminders." in answer
    async with world.db.read() as tx:
        assert await tx.outbox.all() == []
    assert "No posting waves are scheduled." in await world.alice.says("/wave list")
