"""The outbox sender, told as what the platform receives and what the rows say afterwards."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.core.actors import ChatKind
from bot.core.delivery import Delivery, Failed, Gone, Moved, RetryAfter, Transient
from bot.core.outbox import Backoff, SenderSettings
from bot.core.replies import reply_from_data
from storage.database import Database
from storage.records import NewMessage
from tests.core.outbox.fakes import FakeCourier
from tests.core.outbox.helpers import (
    add_group,
    make_sender,
    payload,
    place,
    queue_message,
    row,
)
from tests.fakes import FakeClock


async def test_a_queued_message_goes_out_once_and_is_recorded(
    db: Database, clock: FakeClock
) -> None:
    outbox_id = await queue_message(db, clock, "milestone:1:1000:1", chat="-100")
    courier = FakeCourier()
    sender = make_sender(db, courier, clock)

    counts = await sender.run_once()

    assert counts["sent"] == 1
    (delivery,) = courier.deliveries
    assert (delivery.outbox_id, delivery.chat_id, delivery.chat_kind) == (
        outbox_id,
        "-100",
        ChatKind.GROUP,
    )
    assert delivery.nonce == f"ob{outbox_id}"
    assert delivery.dedupe_key == "milestone:1:1000:1"
    assert delivery.reply == reply_from_data(payload("milestone:1:1000:1")["reply"])
    assert delivery.locale == "en"
    entry = await row(db, outbox_id)
    assert (entry.status, entry.platform_message_id, entry.sent_at) == ("sent", "m1", clock.now())

    assert await sender.run_once() == {}
    assert len(courier.deliveries) == 1


async def test_a_row_replacing_a_message_edits_it_in_place(db: Database, clock: FakeClock) -> None:
    outbox_id = await queue_message(db, clock, "retract:1", chat="-100", replaces="m7")
    courier = FakeCourier()

    assert (await make_sender(db, courier, clock).run_once())["sent"] == 1

    [edited] = courier.deliveries
    assert (edited.chat_id, edited.replaces) == ("-100", "m7")
    assert edited.reply == reply_from_data(payload("retract:1")["reply"])
    entry = await row(db, outbox_id)
    assert (entry.status, entry.platform_message_id) == ("sent", "m7")


async def test_a_message_gone_before_its_edit_is_done_and_its_chat_still_written_to(
    db: Database, clock: FakeClock
) -> None:
    edit = await queue_message(db, clock, "retract:1", chat="-100", replaces="m7")
    after = await queue_message(db, clock, "next", chat="-100")
    courier = FakeCourier()
    courier.answer(Gone("message to edit not found"), chat="-100")

    await make_sender(db, courier, clock).run_once()

    assert [d.replaces for d in courier.deliveries] == ["m7", None]
    assert (await row(db, edit)).status == "sent"
    assert (await row(db, after)).status == "sent"


async def test_a_crashed_senders_rows_go_out_exactly_once_after_its_lease(
    db: Database, clock: FakeClock
) -> None:
    outbox_id = await queue_message(db, clock, "k")
    # Sender A claims the row, then dies before it records anything.
    async with db.transaction() as tx:
        (claimed,) = await tx.outbox.claim("telegram", "sender-a", clock.now(), 60, 10)
    courier = FakeCourier()
    sender_b = make_sender(db, courier, clock, owner="sender-b")

    await sender_b.run_once()
    assert courier.deliveries == []  # A's lease still stands

    clock.advance(seconds=61)
    await sender_b.run_once()
    await sender_b.run_once()
    assert courier.outbox_ids == [outbox_id]

    # A comes back to life and reports its send: nothing changes.
    async with db.transaction() as tx:
        assert not await tx.outbox.mark_sent(claimed.id, "sender-a", "a-late", clock.now())
    entry = await row(db, outbox_id)
    assert (entry.status, entry.platform_message_id, entry.lease_owner) == (
        "sent",
        "m1",
        "sender-b",
    )


async def test_a_rate_limited_message_waits_as_long_as_it_was_told(
    db: Database, clock: FakeClock
) -> None:
    outbox_id = await queue_message(db, clock, "k")
    courier = FakeCourier()
    courier.answer(RetryAfter(30))
    sender = make_sender(db, courier, clock)

    assert (await sender.run_once())["rate_limited"] == 1
    entry = await row(db, outbox_id)
    assert (entry.status, entry.attempts) == ("pending", 0)  # not a failed attempt

    clock.advance(seconds=29)
    await sender.run_once()
    assert len(courier.deliveries) == 1

    clock.advance(seconds=2)
    assert (await sender.run_once())["sent"] == 1
    assert len(courier.deliveries) == 2


async def test_a_rate_limited_chat_keeps_its_other_messages_in_order(
    db: Database, clock: FakeClock
) -> None:
    first = await queue_message(db, clock, "a", chat="-1")
    second = await queue_message(db, clock, "b", chat="-1")
    elsewhere = await queue_message(db, clock, "c", chat="-2")
    courier = FakeCourier()
    courier.answer(RetryAfter(10), chat="-1")
    sender = make_sender(db, courier, clock)

    await sender.run_once()
    assert courier.outbox_ids == [first, elsewhere]

    clock.advance(seconds=11)
    await sender.run_once()
    assert courier.outbox_ids == [first, elsewhere, first, second]


async def test_a_platform_wide_429_holds_every_chat(db: Database, clock: FakeClock) -> None:
    first = await queue_message(db, clock, "a", chat="-1")
    second = await queue_message(db, clock, "b", chat="-2")
    courier = FakeCourier()
    courier.answer(RetryAfter(10, everything=True))
    sender = make_sender(db, courier, clock)

    await sender.run_once()
    # The two chats go in parallel: whichever reached the platform first met the 429, and
    # the other was held without being tried.
    [refused] = courier.outbox_ids
    held = second if refused == first else first
    assert (await row(db, held)).next_attempt_at == clock.now() + timedelta(seconds=10)

    clock.advance(seconds=10)
    await sender.run_once()
    assert sorted(courier.outbox_ids[1:]) == [first, second]


async def test_a_group_that_removed_the_bot_is_marked_inactive_and_left_alone(
    db: Database, clock: FakeClock
) -> None:
    group = await add_group(db, clock, "-100")
    failing = await queue_message(db, clock, "a", chat="-100", place_id=group.id)
    later = await queue_message(
        db, clock, "b", chat="-100", place_id=group.id, due=clock.now() + timedelta(hours=1)
    )
    other = await add_group(db, clock, "-200")
    unaffected = await queue_message(db, clock, "c", chat="-200", place_id=other.id)
    courier = FakeCourier()
    courier.answer(Gone("Forbidden: bot was kicked from the group chat"), chat="-100")
    sender = make_sender(db, courier, clock)

    counts = await sender.run_once()

    assert (counts["gone"], counts["cancelled"]) == (1, 1)
    assert (await row(db, failing)).status == "gone"
    assert (await row(db, later)).status == "cancelled"
    assert (await row(db, unaffected)).status == "sent"
    inactive = await place(db, group.id)
    assert not inactive.active
    assert inactive.inactive_reason == "Forbidden: bot was kicked from the group chat"
    assert (await place(db, other.id)).active

    clock.advance(hours=2)
    await sender.run_once()
    assert courier.chats.count("-100") == 1  # never retried


async def test_a_blocked_private_chat_cancels_its_messages(db: Database, clock: FakeClock) -> None:
    group = await add_group(db, clock, "42")  # a place whose id happens to match: untouched
    first = await queue_message(db, clock, "a", chat="42", kind="private")
    second = await queue_message(db, clock, "b", chat="42", kind="private")
    courier = FakeCourier()
    courier.answer(Gone("Forbidden: bot was blocked by the user"))
    sender = make_sender(db, courier, clock)

    await sender.run_once()

    assert courier.outbox_ids == [first]
    assert (await row(db, second)).status == "cancelled"
    assert (await place(db, group.id)).active


async def test_a_refused_payload_fails_and_is_not_retried(db: Database, clock: FakeClock) -> None:
    outbox_id = await queue_message(db, clock, "k")
    courier = FakeCourier()
    courier.answer(Failed("Bad Request: can't parse entities"))
    sender = make_sender(db, courier, clock)

    await sender.run_once()
    clock.advance(hours=1)
    await sender.run_once()

    entry = await row(db, outbox_id)
    assert (entry.status, entry.last_error) == ("failed", "Bad Request: can't parse entities")
    assert len(courier.deliveries) == 1


async def test_transient_failures_back_off_then_give_up(db: Database, clock: FakeClock) -> None:
    outbox_id = await queue_message(db, clock, "k")
    courier = FakeCourier()
    courier.answer(*[Transient("502 Bad Gateway")] * 4)
    settings = SenderSettings(backoff=Backoff(base=2, cap=10, max_attempts=4))
    sender = make_sender(db, courier, clock, settings=settings)

    waits = []
    for _ in range(4):
        before = clock.now()
        await sender.run_once()
        entry = await row(db, outbox_id)
        if entry.status != "pending":
            break
        waits.append((entry.next_attempt_at - before).total_seconds())
        clock.advance(seconds=waits[-1] - 0.5)
        await sender.run_once()  # too early: nothing goes out
        clock.advance(seconds=0.5)

    # The test's jitter always draws the ceiling: 2, 4, 8, then the cap.
    assert waits == [2, 4, 8]
    entry = await row(db, outbox_id)
    assert (entry.status, entry.attempts, entry.last_error) == ("dead", 4, "502 Bad Gateway")
    assert len(courier.deliveries) == 4


async def test_a_courier_that_raises_is_retried_and_the_sender_carries_on(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await queue_message(db, clock, "a", chat="-1")
    fine = await queue_message(db, clock, "b", chat="-2")
    courier = FakeCourier()
    courier.answer(RuntimeError("connection reset"), chat="-1")
    sender = make_sender(db, courier, clock)

    with caplog.at_level(logging.ERROR, logger="bot.core.outbox"):
        counts = await sender.run_once()

    assert (counts["retried"], counts["sent"]) == (1, 1)
    entry = await row(db, broken)
    assert (entry.status, entry.attempts) == ("pending", 1)
    assert (await row(db, fine)).status == "sent"
    assert any(record.args and broken in record.args for record in caplog.records)


async def test_a_message_past_its_not_after_is_never_sent(db: Database, clock: FakeClock) -> None:
    stale = await queue_message(db, clock, "a", not_after=clock.now() - timedelta(seconds=1))
    courier = FakeCourier()
    sender = make_sender(db, courier, clock)

    await sender.run_once()

    assert courier.deliveries == []
    assert (await row(db, stale)).status == "expired"


async def test_a_message_that_expires_while_waiting_its_turn_is_not_sent(
    db: Database, clock: FakeClock
) -> None:
    slow = await queue_message(db, clock, "a", chat="-1")
    waiting = await queue_message(
        db, clock, "b", chat="-1", not_after=clock.now() + timedelta(seconds=5)
    )
    courier = FakeCourier()

    async def slow_network(delivery: Delivery) -> None:
        clock.advance(seconds=10)

    courier.on_deliver = slow_network
    sender = make_sender(db, courier, clock)

    await sender.run_once()

    assert courier.outbox_ids == [slow]
    assert (await row(db, waiting)).status == "expired"


async def test_a_group_that_became_a_supergroup_is_followed(db: Database, clock: FakeClock) -> None:
    group = await add_group(db, clock, "-100")
    first = await queue_message(db, clock, "a", chat="-100", place_id=group.id)
    second = await queue_message(db, clock, "b", chat="-100", place_id=group.id)
    courier = FakeCourier()
    courier.answer(Moved("-100999"), chat="-100")
    sender = make_sender(db, courier, clock)

    counts = await sender.run_once()

    assert courier.chats == ["-100", "-100999", "-100999"]
    assert courier.outbox_ids == [first, first, second]
    assert (counts["moved"], counts["sent"]) == (1, 2)
    moved = await place(db, group.id)
    assert (moved.external_id, moved.announcement_channel) == ("-100999", "-100999")
    assert (await row(db, first)).chat_id == "-100999"


async def test_an_unreadable_payload_fails_without_reaching_the_platform(
    db: Database, clock: FakeClock
) -> None:
    message = NewMessage("k", "telegram", "-1", "group", {"nonsense": True}, clock.now())
    async with db.transaction() as tx:
        (outbox_id,) = await tx.outbox.add_many([message], clock.now())
    courier = FakeCourier()

    await make_sender(db, courier, clock).run_once()

    assert courier.deliveries == []
    assert (await row(db, outbox_id)).status == "failed"


async def test_one_chat_at_a_time_many_chats_at_once(db: Database, clock: FakeClock) -> None:
    expected: dict[str, list[int]] = {}
    for n in range(12):
        chat = str(n % 4)
        expected.setdefault(chat, []).append(await queue_message(db, clock, f"k{n}", chat=chat))
    courier = FakeCourier()
    busy: set[str] = set()
    most_at_once = 0

    async def network(delivery: Delivery) -> None:
        nonlocal most_at_once
        assert delivery.chat_id not in busy, "two sends to one chat at once"
        busy.add(delivery.chat_id)
        most_at_once = max(most_at_once, len(busy))
        await asyncio.sleep(0.01)
        busy.discard(delivery.chat_id)

    courier.on_deliver = network
    await make_sender(db, courier, clock).run_once()

    for chat, ids in expected.items():
        assert [d.outbox_id for d in courier.deliveries if d.chat_id == chat] == ids
    assert most_at_once > 1
