"""Counts typed by hand: read as people type them, doubted like polled counts, confirmed
with a button or `confirm:yes`, and undone with the milestones they announced."""

from __future__ import annotations

import re

from bot.app import Core
from bot.core.actors import Platform
from bot.core.delivery import Delivery
from bot.core.outbox import OutboxSender
from bot.core.render import PlainRenderer
from storage.database import Database
from storage.records import OutboxEntry
from tests.cogs.petitions.conftest import (
    DC_SERVER,
    Meet,
    PetitionSite,
    join,
    make_poller,
    poll,
    start_campaign,
)
from tests.cogs.petitions.test_signatures import milestone_rows, text_of
from tests.core.outbox.fakes import FakeCourier
from tests.dialogue import Member, group, person
from tests.fakes import FakeClock


class Platforms:
    """The Telegram group and the Discord server, as recording couriers with their senders."""

    def __init__(self, core: Core, clock: FakeClock) -> None:
        self.core = core
        self.couriers = {p: FakeCourier(p) for p in (Platform.TELEGRAM, Platform.DISCORD)}
        self._senders = [
            OutboxSender(core.database, courier, clock, f"test-{platform.value}")
            for platform, courier in self.couriers.items()
        ]

    async def deliver(self) -> list[Delivery]:
        before = {p: len(c.deliveries) for p, c in self.couriers.items()}
        for sender in self._senders:
            await sender.run_once()
        return [d for p, c in self.couriers.items() for d in c.deliveries[before[p] :]]

    def text(self, delivery: Delivery) -> str:
        renderer = PlainRenderer(self.core.catalogues.translator(delivery.locale))
        return renderer.render(delivery.reply.body)


async def all_rows(db: Database, prefix: str) -> list[OutboxEntry]:
    async with db.read() as tx:
        return [e for e in await tx.outbox.all() if e.dedupe_key.startswith(prefix)]


async def passed(db: Database) -> list[int]:
    async with db.read() as tx:
        return [m.threshold for m in await tx.petitions.milestones(1) if m.announced]


async def two_places(meet: Meet) -> Member:
    alice = await start_campaign(meet)
    await join(meet, alice, DC_SERVER)
    return alice


async def test_an_implausible_count_is_echoed_and_set_only_once_confirmed(
    meet: Meet, db: Database
) -> None:
    alice = await two_places(meet)
    await alice.says("/signatures set 9000")

    asked = await alice.says("/signatures set 120000")

    assert "The count jumped from 9,000 to 120,000 in one reading" in asked
    assert "Set the count to 120,000 anyway?" in asked
    assert "/signatures set 120000 confirm:yes" in asked
    assert "[1] Set 120,000" in asked
    assert await milestone_rows(db) == []
    assert "Signatures: 9,000" in await alice.says("/signatures")

    confirmed = await alice.says("/press 1")

    assert "The count is set. Total: 120,000." in confirmed
    assert "That passes the 100,000 milestone" in confirmed
    assert len(await milestone_rows(db)) == 2


async def test_confirm_yes_sets_an_implausible_count_and_a_drop_points_to_undo(
    meet: Meet, db: Database
) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 9000")

    assert "Total: 120,000" in await alice.says("/signatures set 120000 confirm:yes")
    dropped = await alice.says("/signatures set 12000")

    assert "The count fell from 120,000 to 12,000 in one reading" in dropped
    assert "/signatures undo takes it back with the milestones it announced" in dropped
    assert "Signatures: 120,000" in await alice.says("/signatures")


async def test_a_confirmation_pressed_after_the_count_changed_asks_again(
    meet: Meet, db: Database
) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 9000")
    await alice.says("/signatures set 120000")  # asked; the button is [1]
    bob = meet(person(Platform.TELEGRAM, "2"), group(Platform.TELEGRAM, "-1001"))
    assert "Only the campaign's organisers" in await bob.says("/signatures set 9500")
    await alice.says("/signatures set 9500")

    # The console remembers the last buttons shown: ask again, then let the count move.
    await alice.says("/signatures set 120000")
    await meet(alice.actor, alice.place).says("/signatures set 9600")
    again = await alice.says("/press 1")

    assert "The count jumped from 9,600 to 120,000" in again
    assert "Signatures: 9,600" in await alice.says("/signatures")


async def test_counts_are_read_as_people_type_them(meet: Meet) -> None:
    alice = await start_campaign(meet)

    assert "Total: 1,520." in await alice.says("/signatures set 1,520")
    assert "Total: 1,700." in await alice.says("/signatures set 1 700")
    assert "Total: 2,500." in await alice.says("/signatures set 2.5k")
    assert "Total: 12,000." in await alice.says("/signatures set 12k")
    assert "Total: 15,000." in await alice.says('/signatures set "15 000"')
    assert "Total: 1,500,000." in await alice.says("/signatures set 1.5M confirm:yes")
    assert "Total: 1,520,000." in await alice.says("/signatures set 1 520 000")

    for typed, reason in (
        ("1.520", "has a decimal separator (. here), so it is not a whole count"),
        ("12,00", "is not a count: type a whole number from 0 to 1,000,000,000"),
        ("1.2345k", "is not a whole number of signatures: type a count from 0 to 1,000,000,000"),
        ("2000000000", "is out of range: a count is from 0 to 1,000,000,000"),
        ("1 52", "is not a count"),
        ("lots", "is not a count"),
    ):
        refused = await alice.says(f'/signatures set "{typed}"')
        assert refused == f"{typed} {reason}." or refused.startswith(f"{typed} {reason}"), refused
    assert "Signatures: 1,520,000" in await alice.says("/signatures")


async def test_a_typo_is_undone_with_its_milestones_which_are_announced_again_later(
    meet: Meet, core: Core, db: Database, clock: FakeClock
) -> None:
    alice = await two_places(meet)
    platforms = Platforms(core, clock)
    await alice.says("/signatures set 9000")
    await alice.says("/signatures set 120000 confirm:yes")
    sent = await platforms.deliver()
    assert len(sent) == 2
    assert "100,000" in await alice.says("/milestones")

    asked = await alice.says("/signatures undo")

    assert "The last count set by hand is 120,000" in asked
    assert "Undoing it puts that count back to 9,000." in asked
    assert "The 4 milestones it passed, up to 100,000, will be withdrawn" in asked
    assert "/signatures undo confirm:yes" in asked
    assert "[1] Undo 120,000" in asked
    assert await passed(db) == [10_000, 25_000, 50_000, 100_000]  # nothing done yet

    undone = await alice.says("/press 1")

    assert "The count 120,000 is taken back." in undone
    assert "Total: 9,000." in undone
    edits = await platforms.deliver()
    assert {e.replaces for e in edits} == {"m1"}  # each platform's first message, edited
    assert {e.chat_id for e in edits} == {"-1001", "555"}
    assert all(
        "Correction: 100,000 signatures was announced in error." in platforms.text(e) for e in edits
    )
    assert await passed(db) == []
    milestones = await alice.says("/milestones")
    assert "100,000" not in milestones
    assert "Next: 10,000" in milestones
    assert "Signatures: 9,000" in await alice.says("/signatures")

    # Reached for real: 10,000, then 25,000 … 100,000 are each announced again.
    assert "passes the 10,000 milestone" in await alice.says("/signatures set 12000")
    assert "passes the 50,000 milestone" in await alice.says("/signatures set 52000")
    assert "passes the 100,000 milestone" in await alice.says("/signatures set 100500")
    rows = await milestone_rows(db)
    fresh = [r for r in rows if r.dedupe_key.startswith("milestone:1:100000:")]
    assert len(fresh) == 2
    assert all(r.status == "pending" for r in fresh)
    assert "We are at 100,500 now." in text_of(fresh[0])
    retracted = await all_rows(db, "milestone-retracted:1:100000:")
    assert [r.status for r in retracted] == ["sent", "sent"]
    assert await passed(db) == [10_000, 25_000, 50_000, 100_000]


async def test_an_undo_cancels_announcements_not_sent_yet(
    meet: Meet, core: Core, db: Database, clock: FakeClock
) -> None:
    alice = await two_places(meet)
    await alice.says("/signatures set 900")
    await alice.says("/signatures set 1200")

    undone = await alice.says("/signatures undo confirm:yes")

    assert "The 1,000 milestone is withdrawn" in undone
    assert "Total: 900." in undone
    cancelled = await all_rows(db, "milestone-retracted:1:1000:")
    assert [r.status for r in cancelled] == ["cancelled", "cancelled"]
    assert await Platforms(core, clock).deliver() == []
    assert "Next: 1,000" in await alice.says("/milestones")


async def test_undo_is_for_organisers_within_the_set_time(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    assert "There is no count set by hand to take back." in await alice.says("/signatures undo")
    assert "“confirm” must be one of: yes." in await alice.says("/signatures undo confirm:000")
    await alice.says("/signatures set 900")
    bob = meet(person(Platform.TELEGRAM, "2"), group(Platform.TELEGRAM, "-1001"))
    assert "Only the campaign's organisers" in await bob.says("/signatures undo confirm:yes")

    clock.advance(hours=25)
    late = await alice.says("/signatures undo confirm:yes")

    assert "The last count set by hand, 900, is more than 24 hours old" in late
    assert "Signatures: 900" in await alice.says("/signatures")

    clock.advance(hours=-2)  # within the window again: the first count goes, none is left
    first = await alice.says("/signatures undo confirm:yes")
    assert "The count 900 is taken back." in first
    assert "There is no count now." in first
    assert "There is no count yet." in await alice.says("/signatures")


async def test_a_confirmation_for_an_undo_already_overtaken_is_refused(meet: Meet) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 900")
    await alice.says("/signatures undo")  # shows [1] Undo 900
    other = meet(alice.actor, alice.place)
    await other.says("/signatures set 950")

    stale = await alice.says("/press 1")

    assert "That count is no longer the last one set by hand" in stale
    assert "Signatures: 950" in await alice.says("/signatures")


async def test_milestones_never_list_a_passed_threshold_above_the_next(meet: Meet) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 9000")
    await alice.says("/signatures set 120000")
    await alice.says("/press 1")
    await alice.says("/signatures set 12000")
    await alice.says("/press 1")

    shown = await alice.says("/milestones")

    listed = [int(n.replace(",", "")) for n in re.findall(r"^• ([\d,]+) on", shown, re.M)]
    found = re.search(r"Next: ([\d,]+)", shown)
    assert listed, shown
    assert found, shown
    assert int(found.group(1).replace(",", "")) > max(listed), shown


async def test_an_undo_keeps_the_milestones_other_sources_are_past(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says(
        f"/signatures source add kind:json name:UK url:{site.url()}"
        " pointer:/data/attributes/signature_count"
    )  # 900
    await alice.says("/signatures source add kind:manual name:paper")
    await alice.says("/signatures set 5000 source:paper")
    await alice.says("/signatures set 50000 source:paper confirm:yes")  # meant 5,500
    poller = make_poller(db, clock)
    for count in (4_000, 12_000):
        site.count = count
        await poll(core, poller, clock)

    undone = await alice.says("/signatures undo confirm:yes")

    assert "Total: 17,000." in undone
    assert "The 2 milestones up to 50,000 are withdrawn" in undone
    assert await passed(db) == [1_000, 2_500, 5_000, 10_000]
    assert "Next: 25,000" in await alice.says("/milestones")
    site.count = 30_000
    await poll(core, poller, clock)
    assert [r.dedupe_key for r in await milestone_rows(db) if ":25000:" in r.dedupe_key] == [
        "milestone:1:25000:1"
    ]


async def test_an_undo_waits_for_announcements_on_their_way_but_not_for_abandoned_ones(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 900")
    await alice.says("/signatures set 1200")
    async with db.transaction() as tx:  # a sender has taken the announcement
        [taken] = await tx.outbox.claim("telegram", "sender-a", clock.now(), 60, 10)

    busy = await alice.says("/signatures undo confirm:yes")

    assert "being sent right now: try again in a minute" in busy
    assert "Signatures: 1,200" in await alice.says("/signatures")
    clock.advance(seconds=61)  # that sender died: nobody holds the row any more
    assert "The 1,000 milestone is withdrawn" in await alice.says("/signatures undo confirm:yes")
    async with db.transaction() as tx:
        assert await tx.outbox.mark_sent(taken.id, "sender-a", "m1", clock.now()) is False
        row = await tx.outbox.get(taken.id)
    assert row is not None
    assert row.status == "cancelled"
