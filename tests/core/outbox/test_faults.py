"""A row that breaks is retried, counted, and ends `dead` with its reason; never stuck, never
dropped in silence; and a row cancelled while it waited in the sender's hands is not sent."""

from __future__ import annotations

import asyncio

from bot.core.actors import Platform
from bot.core.delivery import Delivery
from bot.core.outbox import Backoff, OutboxSender, RateLimiter, SenderSettings
from bot.core.outbox.compose import Composed, ComposeRequest, Composers, UnreadablePayload
from bot.core.replies import say
from bot.core.richtext import msg
from storage.database import Database
from storage.records import NewMessage
from tests.core.outbox.fakes import GENEROUS, ClockTime, FakeCourier
from tests.core.outbox.helpers import queue_message, row
from tests.fakes import FakeClock

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


class Broken:
    """A composer with a bug: it raises `error` every time it is asked."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    async def compose(self, request: ComposeRequest) -> Composed | None:
        self.calls += 1
        raise self.error


class Fine:
    async def compose(self, request: ComposeRequest) -> Composed | None:
        return Composed(say(msg("test.announce", text="alert")), "en")


async def composed_row(db: Database, clock: FakeClock, key: str, composer: str) -> int:
    message = NewMessage(
        dedupe_key=key,
        platform="telegram",
        chat_id="-100",
        chat_kind="group",
        payload={"compose": composer, "reference": "T-7Q2K"},
        next_attempt_at=clock.now(),
    )
    async with db.transaction() as tx:
        (outbox_id,) = await tx.outbox.add_many([message], clock.now())
    return outbox_id


def sender(
    db: Database,
    clock: FakeClock,
    courier: FakeCourier,
    settings: SenderSettings | None = None,
    **composers: object,
) -> OutboxSender:
    registered = Composers()
    for name, composer in composers.items():
        registered.register(name, composer)  # type: ignore[arg-type]
    time = ClockTime(clock)
    limiter = RateLimiter(GENEROUS, time_source=time, sleep=time.sleep)
    return OutboxSender(
        db,
        courier,
        clock,
        "sender-b",
        settings,
        limiter=limiter,
        jitter=lambda: 1.0,
        composers=registered,
    )


THREE_ATTEMPTS = SenderSettings(backoff=Backoff(base=2.0, cap=60.0, max_attempts=3))


async def test_a_composer_bug_is_retried_with_back_off_then_dead_with_its_reason(
    db: Database, clock: FakeClock
) -> None:
    alert = await composed_row(db, clock, "testimony:T-7Q2K:review", "broken")
    composer = Broken(IndexError("list index out of range"))
    courier = FakeCourier()
    send = sender(db, clock, courier, THREE_ATTEMPTS, broken=composer)

    await send.run_once()

    entry = await row(db, alert)
    assert (entry.status, entry.attempts, entry.lease_owner) == ("pending", 1, None)
    assert entry.last_error == "IndexError: list index out of range"
    for _ in range(5):
        clock.advance(minutes=1)
        await send.run_once()

    entry = await row(db, alert)
    assert (entry.status, entry.attempts) == ("dead", 3)
    assert entry.last_error == "IndexError: list index out of range"
    assert composer.calls == 3
    assert courier.deliveries == []


async def test_an_assertion_in_a_composer_is_not_taken_for_an_unreadable_row(
    db: Database, clock: FakeClock
) -> None:
    alert = await composed_row(db, clock, "testimony:T-7Q2K:review", "broken")
    courier = FakeCourier()
    send = sender(db, clock, courier, broken=Broken(AssertionError("stale cache")))

    await send.run_once()

    entry = await row(db, alert)
    assert (entry.status, entry.attempts) == ("pending", 1)
    assert entry.last_error == "AssertionError: stale cache"


async def test_any_unexpected_error_counts_an_attempt_and_leaves_the_row_unleased(
    db: Database, clock: FakeClock
) -> None:
    broken = await composed_row(db, clock, "digest:1:2026-06-01", "broken")
    courier = FakeCourier()
    send = sender(db, clock, courier, broken=Broken(RuntimeError("the cache went away")))

    counts = await send.run_once()

    assert counts["retried"] == 1
    entry = await row(db, broken)
    assert (entry.status, entry.attempts, entry.lease_owner, entry.lease_until) == (
        "pending",
        1,
        None,
        None,
    )
    assert entry.last_error == "RuntimeError: the cache went away"
    # Due again after its back-off, not after a lease of a minute.
    assert (entry.next_attempt_at - clock.now()).total_seconds() == 2.0


async def test_a_broken_row_does_not_hold_up_the_rest_of_its_chat(
    db: Database, clock: FakeClock
) -> None:
    broken = await composed_row(db, clock, "testimony:T-1:review", "broken")
    fine = await composed_row(db, clock, "testimony:T-2:review", "fine")
    courier = FakeCourier()
    send = sender(db, clock, courier, broken=Broken(KeyError("x")), fine=Fine())

    await send.run_once()

    assert courier.outbox_ids == [fine]
    assert (await row(db, broken)).status == "pending"


async def test_a_composer_that_says_the_row_is_unreadable_fails_it_at_once(
    db: Database, clock: FakeClock
) -> None:
    alert = await composed_row(db, clock, "testimony:T-7Q2K:review", "broken")
    courier = FakeCourier()
    unreadable = Broken(UnreadablePayload("no testimony reference"))

    await sender(db, clock, courier, broken=unreadable).run_once()

    entry = await row(db, alert)
    assert (entry.status, entry.last_error) == (
        "failed",
        "unreadable payload: no testimony reference",
    )


async def test_a_reason_never_keeps_a_token(db: Database, clock: FakeClock) -> None:
    outbox_id = await queue_message(db, clock, "k")
    courier = FakeCourier()
    courier.answer(ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage"))

    await sender(db, clock, courier).run_once()

    entry = await row(db, outbox_id)
    assert entry.status == "pending"
    assert TOKEN not in entry.last_error
    assert entry.last_error == (
        "courier raised ConnectionError: POST https://api.telegram.org/bot[redacted]/sendMessage"
    )


async def test_a_courier_that_never_answers_is_given_up_and_the_row_retried(
    db: Database, clock: FakeClock
) -> None:
    outbox_id = await queue_message(db, clock, "k")
    courier = FakeCourier()
    never = asyncio.Event()

    async def hang(delivery: Delivery) -> None:
        await never.wait()

    courier.on_deliver = hang
    settings = SenderSettings(send_timeout=0.01)

    counts = await sender(db, clock, courier, settings).run_once()

    assert counts["retried"] == 1
    entry = await row(db, outbox_id)
    assert (entry.status, entry.attempts, entry.lease_owner) == ("pending", 1, None)
    assert entry.last_error == "no answer from telegram within 0.01 s"


async def test_rows_claimed_before_their_wave_is_cancelled_are_not_sent(
    db: Database, clock: FakeClock
) -> None:
    on_the_wire = await queue_message(db, clock, "wave:1.1:remind:a", chat="-1")
    in_hand = await queue_message(db, clock, "wave:1.1:remind:b", chat="-1")
    elsewhere = await queue_message(db, clock, "digest:1:2026-06-01", chat="-1")
    courier = FakeCourier()
    outbox_sender = sender(db, clock, courier)

    async def cancel_the_wave(delivery: Delivery) -> None:
        if delivery.outbox_id == on_the_wire:  # an organiser cancels while it goes out
            async with db.transaction() as tx:
                assert await tx.outbox.cancel_pending("wave:1.1:", "wave cancelled") == 2
            outbox_sender.wake()  # as the dispatcher's doorbell does after the command

    courier.on_deliver = cancel_the_wave

    await outbox_sender.run_once()

    assert courier.outbox_ids == [on_the_wire, elsewhere]
    entry = await row(db, in_hand)
    assert (entry.status, entry.last_error, entry.lease_until) == (
        "cancelled",
        "wave cancelled",
        None,
    )
    # The one already on the wire when the wave was cancelled did go out: recorded so.
    sent = await row(db, on_the_wire)
    assert (sent.status, sent.platform_message_id) == ("sent", "m1")


async def test_a_row_cancelled_by_another_process_is_not_sent_once_the_check_is_due(
    db: Database, clock: FakeClock
) -> None:
    on_the_wire = await queue_message(db, clock, "wave:1.1:remind:a", chat="-1")
    in_hand = await queue_message(db, clock, "wave:1.1:remind:b", chat="-1")
    courier = FakeCourier()

    async def cancelled_elsewhere(delivery: Delivery) -> None:
        # Another process cancels: nothing wakes this sender; its check, always due here
        # (`lease_check_seconds=0`), reads the table again before the next send.
        if delivery.outbox_id == on_the_wire:
            async with db.transaction() as tx:
                await tx.outbox.cancel_pending("wave:1.1:", "wave cancelled")

    courier.on_deliver = cancelled_elsewhere

    await sender(db, clock, courier, SenderSettings(lease_check_seconds=0)).run_once()

    assert courier.outbox_ids == [on_the_wire]
    assert (await row(db, in_hand)).status == "cancelled"


async def test_a_row_with_an_unknown_chat_kind_fails_without_stopping_the_batch(
    db: Database, clock: FakeClock
) -> None:
    message = NewMessage("odd", "telegram", "-1", "channel", {"compose": "fine"}, clock.now())
    async with db.transaction() as tx:
        (odd,) = await tx.outbox.add_many([message], clock.now())
    fine = await composed_row(db, clock, "testimony:T-2:review", "fine")
    courier = FakeCourier(Platform.TELEGRAM)

    await sender(db, clock, courier, fine=Fine()).run_once()

    assert courier.outbox_ids == [fine]
    entry = await row(db, odd)
    assert (entry.status, entry.last_error) == (
        "failed",
        "unreadable payload: unknown chat kind 'channel'",
    )
