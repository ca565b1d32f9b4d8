"""The sender in the background: woken by writers, stopped cleanly, shared between processes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

from bot.core.delivery import Delivery
from bot.core.outbox import SenderSettings
from storage.database import Database
from tests.core.outbox.fakes import FakeCourier
from tests.core.outbox.helpers import make_sender, queue_message, row
from tests.fakes import FakeClock


async def until(check: Callable[[], bool | Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait (in real time) until `check` holds."""
    async with asyncio.timeout(seconds):
        while True:
            result = check()
            if result if isinstance(result, bool) else await result:
                return
            await asyncio.sleep(0.01)


async def test_a_woken_sender_sends_without_waiting_for_its_poll(
    db: Database, clock: FakeClock
) -> None:
    courier = FakeCourier()
    sender = make_sender(db, courier, clock, settings=SenderSettings(poll_interval=30))
    await sender.start()
    try:
        # The first look has claimed (nothing: the count is there, at 0); the next is 30 s away.
        await until(lambda: "claimed" in sender.totals)
        outbox_id = await queue_message(db, clock, "k")
        sender.wake()
        await until(lambda: len(courier.deliveries) == 1)
    finally:
        await sender.stop()
    assert (await row(db, outbox_id)).status == "sent"


async def test_stopping_lets_the_send_in_flight_finish_and_gives_the_rest_back(
    db: Database, clock: FakeClock
) -> None:
    ids = [await queue_message(db, clock, f"k{n}", chat="-1") for n in range(3)]
    courier = FakeCourier()
    answer = asyncio.Event()

    async def slow_network(delivery: Delivery) -> None:
        await answer.wait()

    courier.on_deliver = slow_network
    sender = make_sender(db, courier, clock)
    await sender.start()
    await until(lambda: len(courier.deliveries) == 1)

    # The answer arrives once stop() is under way (it runs up to its first wait at once).
    asyncio.get_running_loop().call_soon(answer.set)
    await sender.stop()

    assert courier.outbox_ids == [ids[0]]
    assert (await row(db, ids[0])).status == "sent"
    for outbox_id in ids[1:]:
        entry = await row(db, outbox_id)
        assert (entry.status, entry.lease_owner, entry.lease_until) == ("pending", None, None)


async def test_stopping_abandons_a_send_that_outlasts_the_grace(
    db: Database, clock: FakeClock
) -> None:
    outbox_id = await queue_message(db, clock, "k")
    courier = FakeCourier()

    async def no_answer(delivery: Delivery) -> None:
        await asyncio.Event().wait()

    courier.on_deliver = no_answer
    sender = make_sender(db, courier, clock, settings=SenderSettings(stop_grace=0.1))
    await sender.start()
    await until(lambda: len(courier.deliveries) == 1)

    async with asyncio.timeout(5):
        await sender.stop()

    entry = await row(db, outbox_id)
    assert (entry.status, entry.lease_owner) == ("pending", None)


async def test_two_senders_on_one_table_send_every_row_exactly_once(
    db: Database, database_url: str, clock: FakeClock
) -> None:
    ids = [await queue_message(db, clock, f"k{n}", chat=str(n % 40)) for n in range(200)]
    settings = SenderSettings(batch_size=10, concurrency=16, poll_interval=0.02)
    couriers = [FakeCourier(), FakeCourier()]

    async def network(delivery: Delivery) -> None:
        await asyncio.sleep(0.001)

    for courier in couriers:
        courier.on_deliver = network
    async with Database.connect(database_url, migrate=False) as other_process:
        senders = [
            make_sender(db, couriers[0], clock, owner="process-1", settings=settings),
            make_sender(other_process, couriers[1], clock, owner="process-2", settings=settings),
        ]
        for sender in senders:
            await sender.start()

        async def all_sent() -> bool:
            async with db.read() as tx:
                return (await tx.outbox.count_by_status("telegram")) == {"sent": len(ids)}

        try:
            await until(all_sent, seconds=30)
        finally:
            for sender in senders:
                await sender.stop()

    sent = Counter(couriers[0].outbox_ids + couriers[1].outbox_ids)
    assert sorted(sent) == sorted(ids)
    assert set(sent.values()) == {1}
