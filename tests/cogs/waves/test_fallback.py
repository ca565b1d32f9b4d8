"""A private reminder that cannot be delivered: the opt-in stops, the member is mentioned in
their place instead (only them: no role, nobody else)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.actors import Platform
from bot.core.delivery import Gone
from tests.cogs.waves.support import START, World, create


async def opt_in(world: World) -> bool | None:
    async with world.db.read() as tx:
        person = await tx.waves.participant(1, "telegram:2")
    assert person is not None
    return person.dm_active


async def test_a_refused_private_reminder_becomes_a_mention_in_the_members_group(
    world: World,
) -> None:
    await create(world)
    bob = world.member(Platform.TELEGRAM, "2")
    await bob.says("/wave remind 1")
    await world.deliver()
    # Bob blocks the bot (or never started it): Telegram refuses his private chat.
    world.couriers[Platform.TELEGRAM].answer(
        Gone("Forbidden: bot was blocked by the user"), chat="2"
    )

    await world.tick(START - timedelta(hours=24))
    sent = await world.deliver()

    assert await opt_in(world) is False
    by_key = {d.dedupe_key: d for d in sent}
    assert sorted(by_key) == [
        "wave:1.1:1440:fallback:telegram:2",
        "wave:1.1:1440:p1",
        "wave:1.1:1440:p2",
        "wave:1.1:1440:telegram:2",
    ]
    fallback = by_key["wave:1.1:1440:fallback:telegram:2"]
    assert fallback.chat_id == "-1001"
    assert world.text(fallback).startswith(
        "user 2: I could not reach you privately, so here is your reminder."
    )
    [row] = await world.rows("fallback")
    assert world.mentions(row, Platform.TELEGRAM) == ["2"]
    assert world.mentions(row, Platform.DISCORD) == []

    # The next reminder does not try his private chat again: he is named in the group's.
    await world.tick(START - timedelta(hours=1))
    sent = await world.deliver()
    assert sorted(d.dedupe_key for d in sent) == ["wave:1.1:60:p1", "wave:1.1:60:p2"]
    group = next(d for d in sent if d.chat_id == "-1001")
    assert "user 2: I could not reach you privately" in world.text(group)
    discord = next(d for d in sent if d.chat_id == "555")
    assert "user 2" not in world.text(discord)

    # Asking again (after unblocking) turns private reminders back on.
    await bob.says("/wave remind 1")
    assert await opt_in(world) is True


async def test_a_refused_cancellation_notice_is_given_in_the_place(world: World) -> None:
    await create(world)
    carol = world.member(Platform.DISCORD, "3")
    await carol.says("/wave remind 1")
    await world.deliver()
    world.couriers[Platform.DISCORD].answer(Gone("403 50007: Cannot send messages"), chat="3")

    await world.alice.says("/wave cancel 1")
    await world.deliver()

    [row] = await world.rows("cancelled:fallback")
    assert row.chat_id == "555"
    assert world.mentions(row, Platform.DISCORD) == ["3"]
    assert "Friday push is cancelled" in world.rendered(row)
