"""Creating, editing and stopping schedules: what is refused, and that nothing fires twice."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.scheduling import Ticker, create_schedule, reschedule
from storage.database import Database
from storage.records import NewOccurrence
from tests.core.scheduling.support import add_schedule, occurrences, outbox_keys
from tests.fakes import FakeClock, utc


async def test_a_new_schedule_is_due_at_its_first_occurrence(
    db: Database, clock: FakeClock
) -> None:
    schedule = await add_schedule(
        db, clock.now(), {"type": "weekly", "weekdays": ["FRI"], "time": "09:00"}
    )

    assert schedule.next_due_at == utc("2026-06-05 08:00")  # Friday 09:00 BST
    assert schedule.rule == {"type": "weekly", "weekdays": ["fri"], "time": "09:00"}
    assert schedule.active


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Europe/Londres"}, "unknown time zone"),
        ({"rule": {"type": "daily", "time": "9h"}}, "HH:MM"),
        ({"catchup": "sometimes"}, "catch-up policy"),
        ({"grace_seconds": 5}, "grace window"),
        ({"rule": {"type": "once", "at": "2026-05-31T09:00"}}, "already passed"),
    ],
)
async def test_a_bad_schedule_is_refused_with_a_reason_and_nothing_is_stored(
    db: Database, clock: FakeClock, changes: dict[str, Any], message: str
) -> None:
    fields: dict[str, Any] = {
        "kind": "test",
        "timezone": "Europe/London",
        "rule": {"type": "daily", "time": "09:00"},
        "catchup": "missed",
        "grace_seconds": 600,
        "payload": {},
        "now": clock.now(),
    }
    with pytest.raises(ValueError, match=message):
        async with db.transaction() as tx:
            await create_schedule(tx, **(fields | changes))
    async with db.read() as tx:
        assert await tx.schedules.due(utc("2030-01-01 00:00"), 10) == []


async def test_moving_a_schedule_to_another_zone_does_not_fire_the_same_local_time_twice(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    schedule = await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"})
    await ticker.tick(clock.advance(hours=1, minutes=5))  # 14:05 in London: fired
    # The organiser then moves the community to New York, where 14:00 today is still ahead.
    async with db.transaction() as tx:
        moved = await reschedule(tx, schedule.id, now=clock.now(), timezone="America/New_York")
    assert moved.next_due_at == utc("2026-06-01 18:00")

    clock.set(utc("2026-06-01 18:05"))
    result = await ticker.tick(clock.now())

    assert (result.schedules, result.materialised) == (1, 0)
    assert [o.local_key for o in await occurrences(db, schedule)] == ["2026-06-01T14:00"]
    assert len(await outbox_keys(db)) == 1
    async with db.read() as tx:
        after = await tx.schedules.get(schedule.id)
    assert after is not None
    assert after.next_due_at == utc("2026-06-02 18:00")


async def test_editing_the_time_moves_the_next_occurrence(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    schedule = await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"})
    async with db.transaction() as tx:
        edited = await reschedule(
            tx, schedule.id, now=clock.now(), rule={"type": "daily", "time": "13:30"}
        )
    assert edited.next_due_at == utc("2026-06-01 12:30")
    assert edited.timezone == "Europe/London"

    await ticker.tick(clock.advance(minutes=31))

    assert [o.local_key for o in await occurrences(db, schedule)] == ["2026-06-01T13:30"]


async def test_a_stale_next_due_finds_its_occurrences_already_written(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    # As if another process had not yet seen the advance, or a backup was restored.
    schedule = await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"})
    now = clock.advance(hours=1, minutes=5)
    await ticker.tick(now)
    async with db.transaction() as tx:
        await tx.schedules.advance([(schedule.id, schedule.next_due_at)])

    result = await ticker.tick(now)

    assert (result.schedules, result.materialised) == (1, 0)
    assert len(await occurrences(db, schedule)) == 1
    assert len(await outbox_keys(db)) == 1


async def test_occurrences_are_unique_per_schedule_and_local_time(
    db: Database, clock: FakeClock
) -> None:
    schedule = await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"})
    first = NewOccurrence(schedule.id, "2026-06-01T14:00", utc("2026-06-01 13:00"), "missed")
    second = NewOccurrence(schedule.id, "2026-06-02T14:00", utc("2026-06-02 13:00"), "missed")
    async with db.transaction() as tx:
        written = await tx.schedules.add_occurrences([first], clock.now())
    async with db.transaction() as tx:
        again = await tx.schedules.add_occurrences([first, second], clock.now())
        changed = await tx.schedules.set_occurrence_status([written[0].id], "reported")

    assert [o.local_key for o in written] == ["2026-06-01T14:00"]
    assert [o.local_key for o in again] == ["2026-06-02T14:00"]
    assert changed == 1
    assert [o.status for o in await occurrences(db, schedule)] == ["reported", "missed"]


async def test_a_deactivated_schedule_never_comes_due(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    schedule = await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"})
    async with db.transaction() as tx:
        assert await tx.schedules.deactivate(schedule.id, clock.now())
        assert not await tx.schedules.deactivate(schedule.id, clock.now())

    result = await ticker.tick(clock.advance(days=3))

    assert result.schedules == 0
    assert await occurrences(db, schedule) == []
    with pytest.raises(ValueError, match="no active schedule"):
        async with db.transaction() as tx:
            await reschedule(tx, schedule.id, now=clock.now(), timezone="UTC")


async def test_due_returns_the_soonest_first_up_to_the_limit(
    db: Database, clock: FakeClock
) -> None:
    await add_schedule(db, clock.now(), {"type": "daily", "time": "16:00"})  # due, past the limit
    soon = await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"})
    middle = await add_schedule(db, clock.now(), {"type": "daily", "time": "15:00"})

    async with db.transaction() as tx:
        due = await tx.schedules.due(utc("2026-06-01 16:00"), 2)
        none_yet = await tx.schedules.due(utc("2026-06-01 12:59"), 10)

    assert [s.id for s in due] == [soon.id, middle.id]
    assert none_yet == []
