"""The outbox table: claims take due rows under a lease; only the lease holder settles them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.database import Database
from tests.core.outbox.helpers import queue_message, row
from tests.fakes import FakeClock

LEASE = 60.0


async def claim(db: Database, clock: FakeClock, owner: str, limit: int = 10) -> list[int]:
    async with db.transaction() as tx:
        claimed = await tx.outbox.claim("telegram", owner, clock.now(), LEASE, limit)
    return [message.id for message in claimed]


async def test_a_claim_leases_due_rows_oldest_first(db: Database, clock: FakeClock) -> None:
    later = await queue_message(db, clock, "b", due=clock.now() + timedelta(seconds=5))
    first = await queue_message(db, clock, "a", due=clock.now() - timedelta(seconds=5))
    second = await queue_message(db, clock, "c")
    await queue_message(db, clock, "discord", platform="discord")

    assert await claim(db, clock, "A") == [first, second]

    entry = await row(db, first)
    assert (entry.status, entry.lease_owner) == ("sending", "A")
    assert entry.lease_until == clock.now() + timedelta(seconds=LEASE)
    assert (await row(db, later)).status == "pending"


async def test_a_claim_takes_no_more_than_its_limit(db: Database, clock: FakeClock) -> None:
    for n in range(5):
        await queue_message(db, clock, f"k{n}", chat=str(n))
    assert len(await claim(db, clock, "A", limit=3)) == 3
    assert len(await claim(db, clock, "B", limit=3)) == 2


async def test_two_claimers_never_take_the_same_row(db: Database, clock: FakeClock) -> None:
    ids = {await queue_message(db, clock, f"k{n}", chat=str(n)) for n in range(30)}
    first, second = await asyncio.gather(
        claim(db, clock, "A", limit=20), claim(db, clock, "B", limit=20)
    )
    assert not set(first) & set(second)
    assert set(first) | set(second) == ids


async def test_a_live_lease_is_not_reclaimed_but_an_expired_one_is(
    db: Database, clock: FakeClock
) -> None:
    outbox_id = await queue_message(db, clock, "k")
    assert await claim(db, clock, "A") == [outbox_id]

    clock.advance(seconds=LEASE - 1)
    assert await claim(db, clock, "B") == []

    clock.advance(seconds=2)
    assert await claim(db, clock, "B") == [outbox_id]
    assert (await row(db, outbox_id)).lease_owner == "B"


async def test_rows_past_their_not_after_are_expired_at_claim_time(
    db: Database, clock: FakeClock
) -> None:
    stale = await queue_message(db, clock, "stale", not_after=clock.now())
    not_yet_due = await queue_message(
        db,
        clock,
        "later",
        due=clock.now() + timedelta(hours=1),
        not_after=clock.now() - timedelta(seconds=1),
    )
    fresh = await queue_message(db, clock, "fresh", not_after=clock.now() + timedelta(minutes=5))

    assert await claim(db, clock, "A") == [fresh]
    assert (await row(db, stale)).status == "expired"
    assert (await row(db, not_yet_due)).status == "expired"


async def test_only_the_lease_holder_settles_a_row(db: Database, clock: FakeClock) -> None:
    outbox_id = await queue_message(db, clock, "k")
    await claim(db, clock, "A")
    async with db.transaction() as tx:
        assert not await tx.outbox.mark_sent(outbox_id, "B", "m1", clock.now())
        assert not await tx.outbox.fail(outbox_id, "B", "400")
        assert await tx.outbox.gone(outbox_id, "B", "403") is None
        assert await tx.outbox.mark_sent(outbox_id, "A", "m1", clock.now())
        # Settled rows are no longer leased to anyone's benefit.
        assert not await tx.outbox.retry(outbox_id, "A", clock.now(), "late", count_attempt=True)
    entry = await row(db, outbox_id)
    assert (entry.status, entry.platform_message_id, entry.sent_at) == ("sent", "m1", clock.now())


async def test_a_retry_counts_an_attempt_only_when_asked(db: Database, clock: FakeClock) -> None:
    outbox_id = await queue_message(db, clock, "k")
    at = clock.now() + timedelta(seconds=30)
    await claim(db, clock, "A")
    async with db.transaction() as tx:
        await tx.outbox.retry(outbox_id, "A", at, "429", count_attempt=False)
    clock.advance(seconds=30)
    await claim(db, clock, "A")
    async with db.transaction() as tx:
        await tx.outbox.retry(outbox_id, "A", at, "502", count_attempt=True)

    entry = await row(db, outbox_id)
    assert (entry.status, entry.attempts, entry.last_error) == ("pending", 1, "502")
    assert (entry.lease_owner, entry.lease_until, entry.next_attempt_at) == (None, None, at)


async def test_a_gone_chat_takes_its_pending_rows_with_it(db: Database, clock: FakeClock) -> None:
    failing = await queue_message(db, clock, "a", chat="-1")
    pending = await queue_message(db, clock, "b", chat="-1", due=clock.now() + timedelta(hours=1))
    other_chat = await queue_message(
        db, clock, "c", chat="-2", due=clock.now() + timedelta(hours=1)
    )
    other_platform = await queue_message(
        db, clock, "d", chat="-1", platform="discord", due=clock.now() + timedelta(hours=1)
    )
    await claim(db, clock, "A", limit=1)

    async with db.transaction() as tx:
        assert await tx.outbox.gone(failing, "A", "Forbidden: bot was kicked") == 1

    assert (await row(db, failing)).status == "gone"
    assert (await row(db, pending)).status == "cancelled"
    assert (await row(db, other_chat)).status == "pending"
    assert (await row(db, other_platform)).status == "pending"


async def test_release_gives_back_only_the_owners_rows(db: Database, clock: FakeClock) -> None:
    mine = await queue_message(db, clock, "a", chat="1")
    theirs = await queue_message(db, clock, "b", chat="2")
    await claim(db, clock, "A", limit=1)
    await claim(db, clock, "B", limit=1)

    async with db.transaction() as tx:
        assert await tx.outbox.release("A") == 1

    entry = await row(db, mine)
    assert (entry.status, entry.lease_owner, entry.lease_until) == ("pending", None, None)
    assert (await row(db, theirs)).lease_owner == "B"


async def test_forgetting_a_user_cancels_and_erases_their_rows(
    db: Database, clock: FakeClock
) -> None:
    sent = await queue_message(db, clock, "a", chat="1", user_key="telegram:7")
    await claim(db, clock, "A", limit=1)
    async with db.transaction() as tx:
        await tx.outbox.mark_sent(sent, "A", "m1", clock.now())
    waiting = await queue_message(db, clock, "b", chat="1", user_key="telegram:7")
    someone_else = await queue_message(db, clock, "c", chat="1", user_key="telegram:8")

    async with db.transaction() as tx:
        assert await tx.outbox.cancel_for_user("telegram:7") == 1

    assert (await row(db, waiting)).status == "cancelled"
    assert (await row(db, sent)).status == "sent"
    for outbox_id in (sent, waiting):
        entry = await row(db, outbox_id)
        assert (entry.payload, entry.user_key) == ({}, None)
    assert (await row(db, someone_else)).status == "pending"


async def test_counts_by_status(db: Database, clock: FakeClock) -> None:
    for n in range(3):
        await queue_message(db, clock, f"k{n}", chat=str(n))
    await claim(db, clock, "A", limit=1)
    async with db.read() as tx:
        assert await tx.outbox.count_by_status("telegram") == {"pending": 2, "sending": 1}
        assert await tx.outbox.count_by_status("discord") == {}


async def test_cancelling_a_prefix_also_cancels_claimed_rows_which_are_then_not_ours(
    db: Database, clock: FakeClock
) -> None:
    claimed = await queue_message(db, clock, "wave:1.1:a", chat="1")
    waiting = await queue_message(
        db, clock, "wave:1.1:b", chat="2", due=clock.now() + timedelta(hours=1)
    )
    other = await queue_message(db, clock, "wave:1.2:a", chat="3")
    assert await claim(db, clock, "A", limit=1) == [claimed]

    async with db.transaction() as tx:
        assert await tx.outbox.still_ours([claimed, other], "A") == {claimed}
        assert await tx.outbox.cancel_pending("wave:1.1:", "occurrence cancelled") == 2
        assert await tx.outbox.still_ours([claimed], "A") == set()

    for outbox_id in (claimed, waiting):
        entry = await row(db, outbox_id)
        assert (entry.status, entry.last_error) == ("cancelled", "occurrence cancelled")
    assert (await row(db, other)).status == "pending"
    clock.advance(seconds=LEASE + 1)
    assert await claim(db, clock, "B") == [other]  # a cancelled row is never reclaimed


async def test_a_send_already_on_the_wire_when_its_row_was_cancelled_is_recorded_as_sent(
    db: Database, clock: FakeClock
) -> None:
    outbox_id = await queue_message(db, clock, "wave:1.1:a")
    await claim(db, clock, "A")
    async with db.transaction() as tx:
        await tx.outbox.cancel_pending("wave:1.1:", "occurrence cancelled")

    async with db.transaction() as tx:
        assert not await tx.outbox.mark_sent(outbox_id, "B", "m9", clock.now())
        assert await tx.outbox.mark_sent(outbox_id, "A", "m1", clock.now())

    entry = await row(db, outbox_id)
    assert (entry.status, entry.platform_message_id) == ("sent", "m1")


async def test_troubled_rows_are_listed_newest_first_retried_and_dropped_once(
    db: Database, clock: FakeClock
) -> None:
    dead = await queue_message(db, clock, "a", chat="1")
    clock.advance(seconds=1)
    failed = await queue_message(db, clock, "b", chat="2")
    sent = await queue_message(db, clock, "c", chat="3")
    await claim(db, clock, "A")
    async with db.transaction() as tx:
        await tx.outbox.mark_dead(dead, "A", "502")
        await tx.outbox.fail(failed, "A", "400")
        await tx.outbox.mark_sent(sent, "A", "m1", clock.now())

    async with db.read() as tx:
        listed = await tx.outbox.troubled()
    assert [(r.id, r.status, r.attempts, r.reason) for r in listed] == [
        (failed, "failed", 0, "400"),
        (dead, "dead", 1, "502"),
    ]

    async with db.transaction() as tx:
        assert (await tx.outbox.retry_troubled(dead, clock.now())) is not None
        assert await tx.outbox.retry_troubled(dead, clock.now()) is None
        assert await tx.outbox.drop_troubled(dead, "no") is None  # pending again: not dropped
        assert (await tx.outbox.drop_troubled(failed, "dropped by telegram:1")) is not None
        assert await tx.outbox.retry_troubled(sent, clock.now()) is None

    entry = await row(db, dead)
    assert (entry.status, entry.attempts, entry.next_attempt_at) == ("pending", 0, clock.now())
    assert (await row(db, failed)).status == "cancelled"
    assert await claim(db, clock, "B") == [dead]
