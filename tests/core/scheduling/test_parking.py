"""One bad schedule never stops the others: it is parked, its organisers are told once, and an
edit or the operator resumes it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.core.i18n import Catalogues
from bot.core.render import PlainRenderer
from bot.core.replies import reply_from_data
from bot.core.scheduling import Fired, Ticker, reschedule
from storage.database import Database
from storage.errors import DatabaseFull
from storage.records import Schedule
from storage.schema import outbox, schedules
from storage.unit import Tx
from tests.core.scheduling.support import OutboxKind, add_schedule, occurrences, outbox_keys
from tests.fakes import FakeClock

ORGANISERS = ("discord:101", "telegram:202")
DAILY_14 = {"type": "daily", "time": "14:00"}  # 13:00 UTC in June


class PickyKind(OutboxKind):
    """Raises whenever `bad` is among the schedules it is given, like a handler that trips on
    one schedule's data; counts its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.bad: set[int] = set()
        self.calls = 0

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        self.calls += 1
        if self.bad & {f.schedule.id for f in fired}:
            raise RuntimeError("handler bug")
        await super().materialise(tx, fired)

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        if self.bad & {f.schedule.id for f in fired}:
            raise RuntimeError("handler bug")
        await super().missed(tx, fired)


async def campaign_with_organisers(db: Database, now: datetime) -> int:
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name="Clean Air", hashtag="#air", timezone="UTC", locale="en", created_by="x", now=now
        )
        await tx.roles.grant(campaign.id, "discord:303", "moderator", "x", now)
        for user_key in ORGANISERS:
            await tx.roles.grant(campaign.id, user_key, "organiser", "x", now)
        return campaign.id


async def notice_text(db: Database) -> str:
    """The first parking notice, as an organiser reads it."""
    async with db.read() as tx:
        result = await tx.connection.execute(
            select(outbox.c.payload)
            .where(outbox.c.dedupe_key.startswith("schedule-parked:"))
            .order_by(outbox.c.id)
        )
        payload = result.scalars().first()
    assert payload is not None
    translator = Catalogues.load().translator(payload["locale"])
    return PlainRenderer(translator).render(reply_from_data(payload["reply"]).body)


async def notices(db: Database) -> list[tuple[str, str, str]]:
    """The parking notices in the outbox: (platform, chat, chat kind)."""
    async with db.read() as tx:
        result = await tx.connection.execute(
            select(outbox.c.platform, outbox.c.chat_id, outbox.c.chat_kind)
            .where(outbox.c.dedupe_key.startswith("schedule-parked:"))
            .order_by(outbox.c.id)
        )
        return [tuple(row) for row in result]


async def stored(db: Database, schedule: Schedule) -> Schedule:
    async with db.read() as tx:
        found = await tx.schedules.get(schedule.id)
    assert found is not None
    return found


@pytest.fixture
def picky() -> PickyKind:
    return PickyKind()


@pytest.fixture
def ticker(db: Database, clock: FakeClock, picky: PickyKind) -> Ticker:
    ticker = Ticker(db, clock)
    ticker.register("test", picky)
    return ticker


async def test_a_failing_schedule_is_parked_while_the_others_are_written_in_the_same_tick(
    db: Database, ticker: Ticker, picky: PickyKind, clock: FakeClock
) -> None:
    campaign = await campaign_with_organisers(db, clock.now())
    before = await add_schedule(db, clock.now(), DAILY_14)
    bad = await add_schedule(db, clock.now(), DAILY_14, campaign_id=campaign)
    after = await add_schedule(db, clock.now(), DAILY_14)
    picky.bad = {bad.id}
    now = clock.advance(hours=1, minutes=5)

    result = await ticker.tick(now)

    assert (result.schedules, result.materialised, result.parked) == (2, 2, 1)
    good_rows = await occurrences(db, before) + await occurrences(db, after)
    assert [o.local_key for o in good_rows] == ["2026-06-01T14:00"] * 2
    assert [k for k in await outbox_keys(db) if k.startswith("test:")] == [
        f"test:{o.id}" for o in good_rows
    ]
    assert await occurrences(db, bad) == []
    parked = await stored(db, bad)
    assert parked.parked_at == now
    assert "RuntimeError: handler bug" in parked.parked_error
    assert parked.next_due_at == bad.next_due_at  # kept for the catch-up when resumed
    assert await notices(db) == [
        ("discord", "101", "private"),
        ("telegram", "202", "private"),
    ]
    told = await notice_text(db)
    assert f"A scheduled task (test, number {bad.id}) failed and is paused" in told
    incident = parked.parked_error.split(":")[0].removeprefix("incident ")
    assert f"incident {incident}" in told
    assert f"chorus schedules resume {bad.id}" in told


async def test_a_parked_schedule_is_left_alone_and_its_organisers_told_only_once(
    db: Database, ticker: Ticker, picky: PickyKind, clock: FakeClock
) -> None:
    campaign = await campaign_with_organisers(db, clock.now())
    good = await add_schedule(db, clock.now(), DAILY_14)
    bad = await add_schedule(db, clock.now(), DAILY_14, campaign_id=campaign)
    picky.bad = {bad.id}

    await ticker.tick(clock.advance(hours=1, minutes=5))
    for _ in range(3):  # three more days of ticks
        await ticker.tick(clock.advance(days=1))
    calls_after_parking = picky.calls

    await ticker.tick(clock.advance(days=1))

    assert [o.status for o in await occurrences(db, good)] == ["materialised"] * 5
    assert await occurrences(db, bad) == []
    assert len(await notices(db)) == len(ORGANISERS)
    assert picky.calls == calls_after_parking + 1  # only the good schedule, in one call
    async with db.read() as tx:
        assert [s.id for s in await tx.schedules.parked(campaign)] == [bad.id]


async def test_one_kind_failing_does_not_undo_another_kinds_rows(
    db: Database, clock: FakeClock, kind: OutboxKind
) -> None:
    broken = OutboxKind()
    broken.fail = True
    ticker = Ticker(db, clock)
    ticker.register("test", kind)
    ticker.register("broken", broken)
    good = await add_schedule(db, clock.now(), DAILY_14)
    bad = await add_schedule(db, clock.now(), DAILY_14, kind="broken")

    result = await ticker.tick(clock.advance(hours=1, minutes=5))

    assert (result.materialised, result.parked) == (1, 1)
    rows = await occurrences(db, good)
    assert await outbox_keys(db) == [f"test:{rows[0].id}"]
    assert (await stored(db, bad)).parked_at is not None
    assert (await stored(db, good)).parked_at is None


async def test_an_edit_resumes_a_parked_schedule(
    db: Database, ticker: Ticker, picky: PickyKind, clock: FakeClock
) -> None:
    bad = await add_schedule(db, clock.now(), DAILY_14)
    picky.bad = {bad.id}
    await ticker.tick(clock.advance(hours=1, minutes=5))
    assert (await stored(db, bad)).parked_at is not None

    picky.bad = set()  # the data it tripped on is fixed by the edit
    async with db.transaction() as tx:
        await reschedule(tx, bad.id, now=clock.now(), rule={"type": "daily", "time": "15:00"})
    resumed = await stored(db, bad)
    assert (resumed.parked_at, resumed.parked_error) == (None, "")

    await ticker.tick(clock.advance(hours=1))  # 14:05 UTC, past 15:00 London

    assert [o.local_key for o in await occurrences(db, bad)] == ["2026-06-01T15:00"]


async def test_the_operator_resumes_a_schedule_and_its_catch_up_policy_decides(
    db: Database, ticker: Ticker, picky: PickyKind, clock: FakeClock
) -> None:
    bad = await add_schedule(db, clock.now(), DAILY_14, catchup="late_once")
    picky.bad = {bad.id}
    await ticker.tick(clock.advance(hours=1, minutes=5))
    await ticker.tick(clock.advance(days=2))  # parked: not even looked at

    picky.bad = set()
    async with db.transaction() as tx:
        resumed = await tx.schedules.resume(bad.id)
        again = await tx.schedules.resume(bad.id)
    assert resumed is not None
    assert resumed.parked_at is None
    assert again is None  # not parked any more
    await ticker.tick(clock.now())

    rows = await occurrences(db, bad)
    assert [(o.local_key, o.status) for o in rows] == [
        ("2026-06-01T14:00", "skipped"),
        ("2026-06-02T14:00", "skipped"),
        ("2026-06-03T14:00", "materialised"),
    ]


async def test_a_database_failure_rolls_the_whole_tick_back_and_the_retry_writes_the_same(
    db: Database, clock: FakeClock, kind: OutboxKind
) -> None:
    # The disk fills up while a handler writes: nobody's fault among the schedules, so the
    # whole tick is undone (nothing parked) and the next tick writes what a clean one would.
    class DiskFull(OutboxKind):
        async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
            if self.fail:
                raise OperationalError("INSERT", {}, Exception("database or disk is full"))
            await super().materialise(tx, fired)

    disk = DiskFull()
    disk.fail = True
    ticker = Ticker(db, clock)
    ticker.register("test", kind)
    ticker.register("disk", disk)
    good = await add_schedule(db, clock.now(), DAILY_14)
    other = await add_schedule(db, clock.now(), DAILY_14, kind="disk")
    now = clock.advance(hours=1, minutes=5)

    with pytest.raises(DatabaseFull):
        await ticker.tick(now)

    assert await occurrences(db, good) == []
    assert await occurrences(db, other) == []
    assert await outbox_keys(db) == []
    assert (await stored(db, other)).parked_at is None
    assert (await stored(db, good)).next_due_at == good.next_due_at

    disk.fail = False
    result = await ticker.tick(now)

    rows = await occurrences(db, good) + await occurrences(db, other)
    assert [(o.schedule_id, o.local_key) for o in rows] == [
        (good.id, "2026-06-01T14:00"),
        (other.id, "2026-06-01T14:00"),
    ]
    assert sorted(await outbox_keys(db)) == sorted(f"test:{o.id}" for o in rows)
    assert (result.materialised, result.parked) == (2, 0)


async def test_an_unreadable_schedule_is_parked_with_its_reason_and_organisers_told(
    db: Database, ticker: Ticker, clock: FakeClock
) -> None:
    campaign = await campaign_with_organisers(db, clock.now())
    good = await add_schedule(db, clock.now(), DAILY_14)
    broken = await add_schedule(db, clock.now(), DAILY_14, campaign_id=campaign)
    async with db.transaction() as tx:  # e.g. written by an older version, or by hand
        await tx.connection.execute(
            schedules.update().where(schedules.c.id == broken.id).values(timezone="Mars/Base")
        )

    result = await ticker.tick(clock.advance(hours=1, minutes=5))
    await ticker.tick(clock.advance(days=1))

    assert (result.schedules, result.materialised, result.parked) == (1, 1, 1)
    assert len(await occurrences(db, good)) == 2
    parked = await stored(db, broken)
    assert "Mars/Base" in parked.parked_error
    assert parked.next_due_at == broken.next_due_at
    assert len(await notices(db)) == len(ORGANISERS)


async def test_parking_notices_are_keyed_by_the_parking(
    db: Database, ticker: Ticker, picky: PickyKind, clock: FakeClock
) -> None:
    # Parked, resumed by an edit, parked again: told twice in all, once per parking.
    campaign = await campaign_with_organisers(db, clock.now())
    bad = await add_schedule(db, clock.now(), DAILY_14, campaign_id=campaign)
    picky.bad = {bad.id}
    await ticker.tick(clock.advance(hours=1, minutes=5))
    async with db.transaction() as tx:
        await reschedule(tx, bad.id, now=clock.now(), rule=DAILY_14)

    await ticker.tick(clock.advance(days=1))

    assert len(await notices(db)) == 2 * len(ORGANISERS)
