"""The host's clock stepped back or forward: no occurrence twice, bounded catch-up, no spin."""

from __future__ import annotations

from datetime import timedelta

from bot.core.scheduling import Ticker
from storage.database import Database
from tests.core.scheduling.support import OutboxKind, add_schedule, occurrences, outbox_keys
from tests.fakes import utc


async def test_a_clock_stepped_back_an_hour_fires_nothing_again(
    db: Database, ticker: Ticker, kind: OutboxKind
) -> None:
    schedule = await add_schedule(db, utc("2026-06-01 10:00"), {"type": "daily", "time": "14:00"})

    fired = await ticker.tick(utc("2026-06-01 13:05"))  # 14:05 in London: due
    back = await ticker.tick(utc("2026-06-01 12:05"))  # the host's clock steps back an hour
    again = await ticker.tick(utc("2026-06-01 13:10"))  # and reaches 14:10 a second time

    assert fired.materialised == 1
    assert (back.schedules, back.materialised) == (0, 0)
    assert (again.schedules, again.materialised) == (0, 0)
    assert [o.local_key[:16] for o in await occurrences(db, schedule)] == ["2026-06-01T14:00"]
    assert len(await outbox_keys(db)) == 1
    assert len(kind.materialised) == 1


async def test_a_clock_stepped_forward_a_year_catches_up_by_policy_and_rests(
    db: Database, ticker: Ticker, kind: OutboxKind
) -> None:
    schedule = await add_schedule(
        db, utc("2026-06-01 10:00"), {"type": "daily", "time": "14:00"}, catchup="late_once"
    )

    jumped = await ticker.tick(utc("2027-06-01 10:00"))  # the host wakes a year later
    rest = await ticker.tick(utc("2027-06-01 10:00"))  # a tick at the same instant: nothing

    # One late occurrence is sent under 'late_once'; the older ones are recorded skipped,
    # at most a bounded number, and nobody is called for them.
    assert jumped.materialised == 1
    assert not jumped.full
    assert (rest.schedules, rest.materialised, rest.skipped) == (0, 0, 0)
    recorded = await occurrences(db, schedule)
    assert len(recorded) <= 101
    assert len(kind.materialised) == 1
    assert len(await outbox_keys(db)) == 1


async def test_a_clock_stepped_forward_then_back_writes_each_day_once(
    db: Database, ticker: Ticker
) -> None:
    schedule = await add_schedule(db, utc("2026-06-01 10:00"), {"type": "daily", "time": "14:00"})
    start = utc("2026-06-01 13:05")

    for now in (
        start,
        start + timedelta(days=1),  # stepped forward a day
        start + timedelta(hours=20),  # and back four hours
        start + timedelta(days=1, minutes=5),
    ):
        await ticker.tick(now)

    keys = [o.local_key[:10] for o in await occurrences(db, schedule)]
    assert keys == ["2026-06-01", "2026-06-02"]
    assert len(await outbox_keys(db)) == 2
