"""The sender's check that the rows in hand are still its own: one read for all of them,
trusted until the sender is woken or a moment has passed."""

from __future__ import annotations

from bot.core.outbox.leases import LeaseCheck
from storage.database import Database
from tests.core.outbox.helpers import queue_message
from tests.fakes import FakeClock

OWNER = "telegram:test"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def claim_all(db: Database, clock: FakeClock) -> list[int]:
    async with db.transaction() as tx:
        claimed = await tx.outbox.claim("telegram", OWNER, clock.now(), 60.0, 10)
    return [message.id for message in claimed]


async def cancel_wave(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.outbox.cancel_pending("wave:", "wave cancelled")


async def test_one_read_answers_for_every_row_in_hand_until_it_is_stale(
    db: Database, clock: FakeClock
) -> None:
    await queue_message(db, clock, "wave:1.1:a", chat="-1")
    await queue_message(db, clock, "digest:1:2026-06-01", chat="-2")
    wave, digest = await claim_all(db, clock)
    ticks = Ticks()
    check = LeaseCheck(db, OWNER, lambda: {wave, digest}, max_age=0.5, monotonic=ticks)

    assert await check.still_ours(wave)
    await cancel_wave(db)  # by another process: nothing tells this one
    assert await check.still_ours(wave)  # the read of a moment ago still stands

    ticks.now += 0.5
    assert not await check.still_ours(wave)
    assert await check.still_ours(digest)


async def test_a_wake_makes_the_next_question_read_again(db: Database, clock: FakeClock) -> None:
    await queue_message(db, clock, "wave:1.1:a", chat="-1")
    [wave] = await claim_all(db, clock)
    check = LeaseCheck(db, OWNER, lambda: {wave}, max_age=60, monotonic=Ticks())

    assert await check.still_ours(wave)
    await cancel_wave(db)
    check.stale()  # this process cancelled it: its doorbell woke the sender

    assert not await check.still_ours(wave)


async def test_a_row_claimed_after_the_read_is_read_on_its_own_question(
    db: Database, clock: FakeClock
) -> None:
    await queue_message(db, clock, "wave:1.1:a", chat="-1")
    [first] = await claim_all(db, clock)
    in_hand = {first}
    check = LeaseCheck(db, OWNER, lambda: in_hand, max_age=60, monotonic=Ticks())
    assert await check.still_ours(first)

    await queue_message(db, clock, "wave:1.1:b", chat="-2")
    [second] = await claim_all(db, clock)
    in_hand.add(second)
    await cancel_wave(db)

    assert not await check.still_ours(second)  # not covered by the first read: read now
    assert not await check.still_ours(first)  # and that read covered it again
