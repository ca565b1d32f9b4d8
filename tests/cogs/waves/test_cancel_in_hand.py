"""A wave cancelled while its reminders are already in a sender's hands: none of them goes out."""

from __future__ import annotations

from datetime import timedelta

from bot.core.delivery import Delivery, RateLimits
from bot.core.outbox import OutboxSender, RateLimiter
from bot.core.replies import reply_to_data, say
from bot.core.richtext import msg
from storage.records import NewMessage
from tests.cogs.waves.support import START, World, create


async def test_a_reminder_claimed_before_the_wave_was_cancelled_is_not_sent(
    world: World,
) -> None:
    await create(world)
    # Something else for the Telegram group, due first: the reminder waits behind it.
    earlier = NewMessage(
        "test:earlier",
        "telegram",
        "-1001",
        "group",
        {"reply": reply_to_data(say(msg("test.announce", text="earlier"))), "locale": "en"},
        START - timedelta(hours=25),
    )
    async with world.db.transaction() as tx:
        await tx.outbox.add_many([earlier], world.clock.now())
    await world.deliver()  # the wave's announcements
    await world.tick(START - timedelta(hours=24))
    assert await world.keys(r"wave:1\.1:1440:p1") == ["wave:1.1:1440:p1"]
    telegram = world.couriers[world.alice.place.platform]
    already = len(telegram.deliveries)

    async def cancel_meanwhile(delivery: Delivery) -> None:
        if delivery.dedupe_key == "test:earlier":  # the reminder is claimed, waiting its turn
            answer = await world.alice.says("/wave cancel 1")
            assert "Friday push is cancelled" in answer

    telegram.on_deliver = cancel_meanwhile
    sender = OutboxSender(
        world.db,
        telegram,
        world.clock,
        "test-telegram",
        limiter=RateLimiter(RateLimits(10_000, 0.0)),
    )
    world.core.doorbell.listen(sender.wake)  # as `chorus run` wires it

    await sender.run_once()

    assert [d.dedupe_key for d in telegram.deliveries[already:]] == ["test:earlier"]
    [reminder] = await world.rows(r"wave:1\.1:1440:p1")
    assert reminder.status == "cancelled"
    # What goes out next is the cancellation, never the reminder.
    telegram.on_deliver = None
    sent = [d.dedupe_key for d in await world.deliver()]
    assert "wave:1:cancelled:p1" in sent
    assert not [key for key in sent if key.startswith("wave:1.1:")]
