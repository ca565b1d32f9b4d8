"""Live counters: one message per place, posted once, pinned where allowed, edited at a pace."""

from __future__ import annotations

from collections import deque

from bot.app import Core
from bot.core.actors import Platform
from bot.core.delivery import CannotPost, Gone, Outcome, Sent
from bot.core.render import PlainRenderer
from bot.core.replies import Reply
from cogs.petitions.livecounter import LiveUpdater
from storage.database import Database
from tests.cogs.petitions.conftest import Meet, start_campaign
from tests.core.outbox.fakes import FakeCourier
from tests.core.outbox.helpers import make_sender
from tests.fakes import FakeClock


class LiveCourier(FakeCourier):
    """A platform whose messages can be edited and pinned; edits are recorded."""

    def __init__(self, *, may_pin: bool = True) -> None:
        super().__init__(Platform.TELEGRAM)
        self.may_pin = may_pin
        self.edits: list[tuple[str, str, Reply]] = []
        self.pins: list[tuple[str, str]] = []
        self.edit_answers: deque[Outcome] = deque()

    async def edit(self, chat_id: str, message_id: str, reply: Reply, locale: str) -> Outcome:
        self.edits.append((chat_id, message_id, reply))
        return self.edit_answers.popleft() if self.edit_answers else Sent(message_id)

    async def pin(self, chat_id: str, message_id: str) -> bool:
        self.pins.append((chat_id, message_id))
        return self.may_pin


async def no_sleep(_seconds: float) -> None:
    return None


def updater(db: Database, clock: FakeClock, courier: LiveCourier) -> LiveUpdater:
    live = LiveUpdater(db, clock, interval=60, sleep=no_sleep)
    live.attach(courier)
    return live


async def test_a_live_counter_is_posted_pinned_and_edited_at_most_once_a_minute(
    meet: Meet, core: Core, db: Database, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 500")
    assert "A live counter is posted" in await alice.says("/signatures live on")
    assert "already has a live counter" in await alice.says("/signatures live on")
    courier = LiveCourier()
    live = updater(db, clock, courier)

    await make_sender(db, courier, clock).run_once()
    [first] = courier.deliveries
    assert first.dedupe_key == "live:1:0"
    assert first.chat_id == "-1001"
    assert await live.run_once() == 1
    assert courier.pins == [("-1001", "m1")]

    await alice.says("/signatures set 600")
    assert await live.run_once() == 1
    await alice.says("/signatures set 700")
    assert await live.run_once() == 0  # edited less than a minute ago
    clock.advance(seconds=61)
    assert await live.run_once() == 1
    assert await live.run_once() == 0  # nothing new to show

    assert [(chat, message) for chat, message, _ in courier.edits] == [("-1001", "m1")] * 2
    text = PlainRenderer(core.catalogues.translator("en")).render(courier.edits[-1][2].body)
    assert "Keep 4o: the petition, live" in text
    assert "Signatures: 700" in text
    assert "The live counter stops here." in await alice.says("/signatures live off")
    assert "This place has no live counter." in await alice.says("/signatures live off")


async def test_a_deleted_live_message_is_replaced_by_a_new_one(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 500")
    await alice.says("/signatures live on")
    courier = LiveCourier(may_pin=False)
    live = updater(db, clock, courier)
    await make_sender(db, courier, clock).run_once()
    await live.run_once()

    courier.edit_answers.append(Gone("404 10008: Unknown Message"))
    await alice.says("/signatures set 650")
    await live.run_once()
    await make_sender(db, courier, clock).run_once()

    assert [d.dedupe_key for d in courier.deliveries] == ["live:1:0", "live:1:1"]
    await live.run_once()
    assert courier.pins == [("-1001", "m1"), ("-1001", "m2")]  # tried; not allowed there
    clock.advance(seconds=61)
    await alice.says("/signatures set 700")
    await live.run_once()
    assert courier.edits[-1][1] == "m2"


async def test_two_processes_edit_a_counter_once_per_interval(
    meet: Meet, db: Database, database_url: str, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 500")
    await alice.says("/signatures live on")
    courier = LiveCourier()
    await make_sender(db, courier, clock).run_once()
    await updater(db, clock, courier).run_once()
    await alice.says("/signatures set 800")

    async with Database.connect(database_url) as other:
        first, second = updater(db, clock, courier), updater(other, clock, courier)
        done = [await first.run_once(), await second.run_once()]

    assert sorted(done) == [0, 1]
    assert len(courier.edits) == 1


async def test_a_counter_that_may_not_be_edited_marks_the_place_and_waits(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 500")
    await alice.says("/signatures live on")
    courier = LiveCourier()
    live = updater(db, clock, courier)
    await make_sender(db, courier, clock).run_once()
    await live.run_once()

    courier.edit_answers.append(CannotPost("Not enough rights to edit messages"))
    await alice.says("/signatures set 650")
    await live.run_once()
    assert "Chorus cannot post in -1001" in await alice.says("/campaign")

    for count in (700, 800):  # no edit is tried while the problem stands
        clock.advance(seconds=61)
        await alice.says(f"/signatures set {count}")
        await live.run_once()
    assert len(courier.edits) == 1

    await alice.says("/place set timezone:Europe/Berlin")  # the administrator fixed it
    clock.advance(seconds=61)
    assert await live.run_once() == 1
    assert "Chorus cannot post" not in await alice.says("/campaign")
