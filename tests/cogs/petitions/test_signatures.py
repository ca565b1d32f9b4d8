"""The petition's count as organisers and members live it: sources, polls, milestones."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Core
from bot.core.actors import Platform
from storage.database import Database
from storage.records import OutboxEntry
from storage.tables.petitions import petition_snapshots
from tests.cogs.petitions.conftest import (
    DC_SERVER,
    Meet,
    PetitionSite,
    join,
    make_poller,
    poll,
    start_campaign,
)
from tests.dialogue import group, person
from tests.fakes import FakeClock


async def milestone_rows(db: Database) -> list[OutboxEntry]:
    async with db.read() as tx:
        return [e for e in await tx.outbox.all() if e.dedupe_key.startswith("milestone:")]


async def snapshot_count(db: Database) -> int:
    async with db.read() as tx:
        rows = await tx.connection.execute(select(petition_snapshots.c.id))
        return len(list(rows))


def text_of(entry: OutboxEntry) -> str:
    """The announcement as the console would print it (English, plain text)."""
    from bot.core.i18n import Catalogues
    from bot.core.render import PlainRenderer
    from bot.core.replies import reply_from_data

    reply = reply_from_data(entry.payload["reply"])
    return PlainRenderer(Catalogues.load().translator(entry.payload["locale"])).render(reply.body)


async def add_json_source(meet: Meet, site: PetitionSite) -> str:
    alice = await start_campaign(meet)
    return await alice.says(
        f"/signatures source add kind:json name:UK url:{site.url()}"
        " pointer:/data/attributes/signature_count link:https://petition.example/123"
    )


async def test_a_json_source_is_read_and_a_milestone_reaches_every_place_once(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    dora = await join(meet, alice, DC_SERVER)
    added = await alice.says(
        f"/signatures source add kind:json name:UK url:{site.url()}"
        " pointer:/data/attributes/signature_count link:https://petition.example/123"
    )
    assert "The source UK is added. It reads 900 now" in added
    poller = make_poller(db, clock)

    site.count = 1_040
    assert await poll(core, poller, clock) == 1

    rows = await milestone_rows(db)
    async with db.read() as tx:
        places = await tx.places.of_campaign(1)
    assert sorted(r.dedupe_key for r in rows) == sorted(
        f"milestone:1:1000:{place.id}" for place in places
    )
    assert {(r.platform, r.chat_id) for r in rows} == {("telegram", "-1001"), ("discord", "555")}
    announcement = text_of(rows[0])
    assert "🎉 1,000 signatures!" in announcement
    assert "We are at 1,040 now." in announcement
    assert "https://petition.example/123" in announcement
    assert "#keep4o" in announcement

    # The same window read again, and later windows without a new threshold: nothing more.
    assert await poll(core, poller, clock) == 1
    assert len(await milestone_rows(db)) == 2
    assert "Signatures: 1,040" in await dora.says("/signatures")


async def test_the_first_reading_is_a_baseline_and_announces_nothing(
    meet: Meet, db: Database, site: PetitionSite
) -> None:
    site.count = 22_000

    assert "It reads 22,000 now" in await add_json_source(meet, site)

    assert await milestone_rows(db) == []
    async with db.read() as tx:
        [baseline] = await tx.petitions.milestones(1)
    assert (baseline.threshold, baseline.announced) == (10_000, False)


async def test_a_count_that_falls_and_rises_again_is_announced_once(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    await add_json_source(meet, site)  # 900
    poller = make_poller(db, clock)

    for count in (999, 1_001, 998, 1_003):
        site.count = count
        await poll(core, poller, clock)

    assert [r.dedupe_key for r in await milestone_rows(db)] == ["milestone:1:1000:1"]
    assert await snapshot_count(db) == 5


async def test_a_jump_over_several_thresholds_is_one_message_with_the_highest(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    site.count = 2_400
    await add_json_source(meet, site)
    poller = make_poller(db, clock)

    site.count = 10_500
    await poll(core, poller, clock)

    [row] = await milestone_rows(db)
    assert row.dedupe_key == "milestone:1:10000:1"
    assert "That is 3 milestones passed at once: we are at 10,500 now." in text_of(row)
    async with db.read() as tx:
        passed = [m.threshold for m in await tx.petitions.milestones(1) if m.announced]
    assert passed == [2_500, 5_000, 10_000]


async def test_places_that_join_later_are_not_flooded_with_old_milestones(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says(
        f"/signatures source add kind:json url:{site.url()}"
        " pointer:/data/attributes/signature_count"
    )
    poller = make_poller(db, clock)
    site.count = 1_200
    await poll(core, poller, clock)

    await join(meet, alice, DC_SERVER)
    site.count = 2_000
    await poll(core, poller, clock)

    assert [r.dedupe_key for r in await milestone_rows(db)] == ["milestone:1:1000:1"]
    site.count = 2_600
    await poll(core, poller, clock)
    assert sorted(r.dedupe_key for r in await milestone_rows(db)) == [
        "milestone:1:1000:1",
        "milestone:1:2500:1",
        "milestone:1:2500:2",
    ]


async def test_an_html_page_with_thin_spaces_is_read(
    meet: Meet, db: Database, site: PetitionSite
) -> None:
    alice = await start_campaign(meet)
    site.count = 12_345

    answer = await alice.says(
        f"/signatures source add kind:html name:page url:{site.url('/page.html')}"
        ' pattern:"([0-9][0-9\u202f,.]*) signatures"'
    )

    assert "The source page is added. It reads 12,345 now" in answer


async def test_an_organiser_sets_a_count_by_hand_within_the_allowed_range(
    meet: Meet, db: Database
) -> None:
    alice = await start_campaign(meet)
    assert "The count is set. Total: 900." in await alice.says("/signatures set 900")

    answer = await alice.says("/signatures set 1200")
    assert "That passes the 1,000 milestone" in answer
    for bad in ("-5", "abc", "1e99"):
        refused = await alice.says(f"/signatures set {bad}")
        assert refused.startswith(bad)
        assert "from 0 to 1,000,000,000" in refused
    assert [r.dedupe_key for r in await milestone_rows(db)] == ["milestone:1:1000:1"]

    bob = meet(person(Platform.TELEGRAM, "2"), group(Platform.TELEGRAM, "-1001"))
    assert "Only the campaign's organisers can do that." in await bob.says("/signatures set 5")


async def test_milestones_are_shown_and_edited_by_organisers(meet: Meet, db: Database) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures set 900")

    assert "Milestones: ladder" in await alice.says("/milestones")
    assert "The milestones are now: every:500." in await alice.says(
        "/milestones set rule:every every:500"
    )
    assert "Next: 1,000" in await alice.says("/milestones")
    changed = await alice.says('/milestones set rule:list list:"950, 2.5k, 1M"')
    assert "The milestones are now: 950,2500,1000000." in changed
    refused = await alice.says('/milestones set rule:list list:"soon"')
    assert "Give 1 to 50 milestones as whole numbers" in refused

    await alice.says("/signatures set 960")
    assert [r.dedupe_key for r in await milestone_rows(db)] == ["milestone:1:950:1"]
    assert "950 on" in await alice.says("/milestones")


async def test_who_added_a_source_is_exported_and_forgotten_on_request(
    meet: Meet, core: Core, db: Database, site: PetitionSite
) -> None:
    await add_json_source(meet, site)
    cog = core.petitions.cog

    async with db.transaction() as tx:
        exported = await cog.export_user_data(tx, "telegram:1")
        await cog.forget_user(tx, "telegram:1")
        after = await cog.export_user_data(tx, "telegram:1")

    assert exported == {"petition_sources_added": ["UK"]}
    assert after == {"petition_sources_added": []}
    async with db.read() as tx:
        assert [s.name for s in await tx.petitions.sources(1)] == ["UK"]
