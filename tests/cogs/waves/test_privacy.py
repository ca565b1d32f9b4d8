"""Pledges, posted links and DM opt-ins are personal data: exported on request, and erased
(with any private reminder still waiting) when a member asks to be forgotten."""

from __future__ import annotations

from datetime import timedelta

from bot.core.actors import Platform
from bot.core.privacy import KeepsPersonalData
from tests.cogs.waves.support import START, World, create


def keeper(world: World) -> KeepsPersonalData:
    [cog] = [c for c in world.core.registry.cogs if c.name == "waves"]
    assert isinstance(cog, KeepsPersonalData)
    return cog


async def test_a_members_wave_data_is_exported_and_forgotten(world: World) -> None:
    await create(world)
    bob = world.member(Platform.TELEGRAM, "2")
    await bob.says("/wave remind 1")
    world.clock.set(START)
    await bob.says("/wave posted 1 https://bsky.app/profile/bob/post/1")
    await world.tick(START)
    waves = keeper(world)

    async with world.db.read() as tx:
        exported = await waves.export_user_data(tx, "telegram:2")
    assert exported["joined"][0] | {"joined_at": "-"} == {
        "wave": 1,
        "name": "user 2",
        "reminders_by_dm": True,
        "joined_at": "-",
    }
    assert exported["posted"][0]["link"] == "https://bsky.app/profile/bob/post/1"
    assert exported["dm_opt_ins"] == [{"platform": "telegram", "active": True, "reason": ""}]
    assert "links you give when you say you posted" in world.core.catalogues.translator(
        "en"
    ).template(waves.data_statement().key)

    async with world.db.transaction() as tx:
        await waves.forget_user(tx, "telegram:2")
        await tx.outbox.cancel_for_user("telegram:2")

    async with world.db.read() as tx:
        assert await waves.export_user_data(tx, "telegram:2") == {
            "joined": [],
            "posted": [],
            "dm_opt_ins": [],
        }
    [dm] = await world.rows(r"wave:1\.1:0:telegram:2")
    assert (dm.status, dm.payload) == ("cancelled", {})
    await world.tick(START + timedelta(hours=1))
    [result] = await world.rows("result:p1")
    assert "0 joined, 0 said they posted" in world.rendered(result)
