"""The ticker, as a dialogue: a schedule is written, time passes, ticks run → rows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from bot.core.scheduling import Fired, Ticker
from storage.database import Database
from storage.unit import Tx
from tests.core.scheduling.support import (
    OutboxKind,
    add_schedule,
    occurrences,
    outbox_keys,
    tick_every,
)
from tests.fakes import FakeClock, utc

EVERY_15_MIN = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("tz", "at", "day", "fires_at"),
    [
        ("Europe/London", "01:30", "2026-03-29", "2026-03-29 01:30"),  # gap → 02:30 BST
        ("Europe/London", "01:30", "2026-10-25", "2026-10-25 00:30"),  # twice → first
        ("America/New_York", "02:30", "2026-03-08", "2026-03-08 07:30"),  # gap → 03:30 EDT
        ("America/New_York", "01:30", "2026-11-01", "2026-11-01 05:30"),  # twice → first
        ("Australia/Sydney", "02:30", "2026-10-04", "2026-10-03 16:30"),  # gap → 03:30 AEDT
    ],
)
async def test_a_daily_schedule_fires_exactly_once_on_a_dst_day(
    db: Database, ticker: Ticker, tz: str, at: str, day: str, fires_at: str
) -> None:
    start = utc(fires_at) - timedelta(hours=12)
    schedule = await add_schedule(db, start, {"type": "daily", "time": at}, timezone=tz)

    fired = await tick_every(ticker, start, start + timedelta(hours=24), EVERY_15_MIN)

    rows = await occurrences(db, schedule)
    assert [(o.local_key, o.due_at, o.status) for o in rows] == [
        (f"{day}T{at}", utc(fires_at), "materialised")
    ]
    assert fired == [utc(fires_at)]  # the first tick at or after the due instant
    assert await outbox_keys(db) == [f"test:{rows[0].id}"]


async def test_a_tick_run_twice_writes_nothing_the_second_time(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"})  # 13:00 UTC
    now = clock.advance(hours=1, minutes=5)

    first = await ticker.tick(now)
    second = await ticker.tick(now)

    assert (first.schedules, first.materialised) == (1, 1)
    assert (second.schedules, second.materialised) == (0, 0)
    assert len(await outbox_keys(db)) == 1


async def test_weekly_and_monthly_schedules_fire_on_their_days(
    db: Database, ticker: Ticker
) -> None:
    start = utc("2026-01-01 00:00")
    weekly = await add_schedule(
        db, start, {"type": "weekly", "weekdays": ["sat"], "time": "12:00"}, timezone="UTC"
    )
    monthly = await add_schedule(
        db, start, {"type": "monthly", "day": 31, "time": "12:00"}, timezone="UTC"
    )

    await tick_every(ticker, start, utc("2026-03-01 00:00"), timedelta(hours=6))

    assert [o.local_key[:10] for o in await occurrences(db, monthly)] == [
        "2026-01-31",
        "2026-02-28",
    ]
    saturdays = [o.local_key[:10] for o in await occurrences(db, weekly)]
    assert len(saturdays) == 9
    assert all(datetime.fromisoformat(d).weekday() == 5 for d in saturdays)


async def test_a_one_off_fires_once_and_is_then_finished(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    schedule = await add_schedule(db, clock.now(), {"type": "once", "at": "2026-06-01T14:00"})

    await tick_every(ticker, clock.now(), clock.now() + timedelta(days=2), timedelta(hours=1))

    assert [o.local_key for o in await occurrences(db, schedule)] == ["2026-06-01T14:00"]
    async with db.read() as tx:
        finished = await tx.schedules.get(schedule.id)
    assert finished is not None
    assert finished.next_due_at is None


async def test_after_downtime_a_missed_reminder_is_marked_and_reported_not_sent(
    db: Database, ticker: Ticker, kind: OutboxKind, clock: FakeClock
) -> None:
    # A wave reminder at 14:00 BST (13:00 UTC) with 15 minutes of grace; the bot is down
    # from 12:00 to 16:00 UTC.
    schedule = await add_schedule(
        db, clock.now(), {"type": "once", "at": "2026-06-01T14:00"}, grace_seconds=900
    )

    result = await ticker.tick(clock.advance(hours=4))

    rows = await occurrences(db, schedule)
    assert [(o.local_key, o.status) for o in rows] == [("2026-06-01T14:00", "missed")]
    assert (result.materialised, result.missed) == (0, 1)
    assert kind.missed_told == rows
    assert await outbox_keys(db) == []


async def test_a_reminder_late_but_within_its_grace_is_still_sent(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    schedule = await add_schedule(
        db, clock.now(), {"type": "once", "at": "2026-06-01T14:00"}, grace_seconds=900
    )

    await ticker.tick(utc("2026-06-01 13:10"))  # ten minutes late

    assert [o.status for o in await occurrences(db, schedule)] == ["materialised"]
    assert len(await outbox_keys(db)) == 1


async def test_after_three_days_down_a_digest_is_sent_once_late(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    schedule = await add_schedule(
        db, clock.now(), {"type": "daily", "time": "18:00"}, catchup="late_once"
    )

    result = await ticker.tick(clock.advance(days=3))  # 2026-06-04 12:00 UTC

    rows = await occurrences(db, schedule)
    assert [(o.local_key, o.status) for o in rows] == [
        ("2026-06-01T18:00", "skipped"),
        ("2026-06-02T18:00", "skipped"),
        ("2026-06-03T18:00", "materialised"),
    ]
    assert (result.materialised, result.skipped) == (1, 2)
    assert await outbox_keys(db) == [f"test:{rows[-1].id}"]
    async with db.read() as tx:
        after = await tx.schedules.get(schedule.id)
    assert after is not None
    assert after.next_due_at == utc("2026-06-04 17:00")  # back on the rule, not re-anchored


async def test_after_downtime_a_poll_just_runs_once(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    schedule = await add_schedule(
        db, clock.now(), {"type": "interval", "seconds": 3600}, catchup="run", grace_seconds=0
    )

    await ticker.tick(clock.advance(hours=5, minutes=30))

    rows = await occurrences(db, schedule)
    assert [(o.local_key, o.status) for o in rows] == [("2026-06-01T17:00:00Z", "materialised")]
    assert len(await outbox_keys(db)) == 1


async def test_a_schedule_of_an_unknown_kind_is_counted_and_left_due(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    known = await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"})
    stray = await add_schedule(db, clock.now(), {"type": "daily", "time": "14:00"}, kind="gone")

    result = await ticker.tick(clock.advance(hours=1, minutes=5))
    again = await ticker.tick(clock.now())

    assert (result.schedules, result.materialised, result.ignored) == (1, 1, 1)
    assert (again.schedules, again.ignored) == (0, 1)  # still due: reported at every tick
    assert len(await occurrences(db, known)) == 1
    assert await occurrences(db, stray) == []
    async with db.read() as tx:
        left = await tx.schedules.get(stray.id)
    assert left is not None
    assert (left.next_due_at, left.parked_at) == (stray.next_due_at, None)


async def test_two_tickers_at_once_write_each_occurrence_once(
    db: Database, database_url: str, clock: FakeClock
) -> None:
    # Two processes: two Database objects (two pools) on one database. The handler yields to
    # the loop while holding its transaction, so the two ticks really overlap.
    class SlowKind(OutboxKind):
        async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
            await asyncio.sleep(0.05)
            await super().materialise(tx, fired)

    schedules = [
        await add_schedule(
            db, clock.now(), {"type": "daily", "time": f"14:{m:02d}"}, grace_seconds=3600
        )
        for m in range(40)
    ]
    now = clock.advance(hours=1, minutes=45)
    async with Database.connect(database_url) as other:
        first, second = Ticker(db, clock), Ticker(other, clock)
        first.register("test", SlowKind())
        second.register("test", SlowKind())

        results = await asyncio.gather(first.tick(now), second.tick(now))

    assert sum(r.materialised for r in results) == 40
    keys = await outbox_keys(db)
    assert len(keys) == len(set(keys)) == 40
    for schedule in schedules:
        assert len(await occurrences(db, schedule)) == 1


async def test_the_timer_ticks_until_stopped_and_wake_ticks_at_once(
    db: Database, clock: FakeClock, kind: OutboxKind
) -> None:
    written = asyncio.Event()
    ticker = Ticker(db, clock, interval_seconds=3600, on_outbox_written=written.set)
    ticker.register("test", kind)
    await add_schedule(db, clock.now(), {"type": "once", "at": "2026-06-01T14:00"})
    clock.advance(hours=1, minutes=5)

    await ticker.start()  # the first tick runs at start
    await written.wait()  # bounded by the per-test timeout
    assert len(kind.materialised) == 1

    written.clear()
    await add_schedule(db, clock.now(), {"type": "once", "at": "2026-06-01T15:00"})
    clock.advance(hours=1)
    ticker.wake()  # the timer would wait an hour; wake() does not
    await written.wait()  # bounded by the per-test timeout
    assert len(kind.materialised) == 2

    await ticker.stop()
    assert not ticker.running
    await ticker.stop()  # stopping twice is harmless


async def test_a_short_timer_keeps_ticking_and_stops_cleanly(
    db: Database, clock: FakeClock, kind: OutboxKind
) -> None:
    ticks = 0
    three = asyncio.Event()

    class CountingClock(FakeClock):
        def now(self) -> datetime:  # the ticker asks the clock once per tick
            nonlocal ticks
            ticks += 1
            if ticks >= 3:
                three.set()
            return super().now()

    ticker = Ticker(db, CountingClock(clock.now()), interval_seconds=0.02)
    ticker.register("test", kind)

    await ticker.start()
    with pytest.raises(RuntimeError, match="already running"):
        await ticker.start()
    await three.wait()  # bounded by the per-test timeout
    await ticker.stop()
    stopped_at = ticks
    ticker.wake()  # ignored once stopped
    await ticker.quiet()

    assert ticks == stopped_at
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "chorus-schedule-tick"]


async def test_a_backlog_bigger_than_a_batch_is_worked_off_at_once_and_then_it_rests(
    db: Database, clock: FakeClock, kind: OutboxKind
) -> None:
    # Five due schedules, a batch of two, and five due schedules of a kind nobody handles
    # (they must neither crowd the batch nor make the ticker spin).
    for minute in range(5):
        for schedule_kind in ("gone", "test"):
            await add_schedule(
                db, clock.now(), {"type": "daily", "time": f"14:0{minute}"}, kind=schedule_kind
            )
    ticks = 0
    all_sent = asyncio.Event()

    class CountingClock(FakeClock):
        def now(self) -> datetime:
            nonlocal ticks
            ticks += 1
            return super().now()

    def outbox_written() -> None:
        if len(kind.materialised) == 5:
            all_sent.set()

    ticker = Ticker(
        db,
        CountingClock(clock.now() + timedelta(hours=1, minutes=8)),
        interval_seconds=3600,
        batch_size=2,
        on_outbox_written=outbox_written,
    )
    ticker.register("test", kind)

    await ticker.start()
    await all_sent.wait()  # bounded by the per-test timeout
    await ticker.quiet()  # the ticks that followed the full batches are over
    await ticker.stop()

    assert ticks == 3  # 2 + 2 + 1, one after the other, then nothing until the timer
    assert len(await outbox_keys(db)) == 5
