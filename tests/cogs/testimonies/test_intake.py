"""Submissions stored together: each gets its own story, whatever references they draw."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from bot.core.richtext import msg
from cogs.testimonies.intake import Entry, Intake, Limits
from storage.database import Database
from storage.records import Campaign
from storage.repositories.testimonies import NewTestimony
from tests.fakes import FakeClock


def drawing(*references: str) -> Callable[[int], str]:
    """References drawn in this order, whatever the attempt."""
    queue = list(references)
    return lambda _attempt: queue.pop(0)


async def a_campaign(db: Database, clock: FakeClock) -> Campaign:
    async with db.transaction() as tx:
        return await tx.campaigns.create(
            name="Keep 4o",
            hashtag="",
            timezone="UTC",
            locale="en",
            created_by="telegram:1",
            now=clock.now(),
        )


def entry(campaign: Campaign, author: str, title: str) -> Entry:
    new = NewTestimony(
        campaign_id=campaign.id,
        place_id=None,
        author_key=author,
        display_name="",
        title=title,
        story="It helped me write my thesis when nothing else would.",
        category="study",
        consent="anonymous",
        locale="en",
    )
    return Entry(campaign, new, "UTC", msg("testimony.field.category"))


async def test_two_of_one_group_drawing_the_same_reference_each_keep_their_own_story(
    db: Database, clock: FakeClock
) -> None:
    campaign = await a_campaign(db, clock)
    # The second draws what the first drew; the third is taken by nobody.
    intake = Intake(db, clock, Limits(3, 3), drawing("T-AAAA", "T-AAAA", "T-BBBB"))

    first, second = await asyncio.gather(
        intake.store(entry(campaign, "telegram:2", "Bob's story")),
        intake.store(entry(campaign, "telegram:4", "Carla's story")),
    )

    assert (first.reference, first.title) == ("T-AAAA", "Bob's story")
    assert (second.reference, second.title) == ("T-BBBB", "Carla's story")
    async with db.read() as tx:
        stored = await tx.testimonies.by_references({"T-AAAA", "T-BBBB"})
    assert {ref: t.author_key for ref, t in stored.items()} == {
        "T-AAAA": "telegram:2",
        "T-BBBB": "telegram:4",
    }


async def test_a_reference_taken_earlier_is_drawn_again(db: Database, clock: FakeClock) -> None:
    campaign = await a_campaign(db, clock)
    intake = Intake(db, clock, Limits(3, 3), drawing("T-AAAA", "T-AAAA", "T-CCCC"))
    await intake.store(entry(campaign, "telegram:2", "Bob's story"))

    later = await intake.store(entry(campaign, "telegram:4", "Carla's story"))

    assert (later.reference, later.title) == ("T-CCCC", "Carla's story")


async def test_one_story_the_database_refuses_fails_alone_and_the_others_are_stored(
    db: Database, clock: FakeClock
) -> None:
    campaign = await a_campaign(db, clock)
    intake = Intake(db, clock, Limits(3, 3))
    broken = entry(campaign, "telegram:3", "A story from a place that is gone")
    # A place deleted while its member was typing: the row breaks the group's insert.
    broken = Entry(
        campaign, replace(broken.testimony, place_id=424242), "UTC", broken.category_label
    )

    first, refused, third = await asyncio.gather(
        intake.store(entry(campaign, "telegram:2", "Bob's story")),
        intake.store(broken),
        intake.store(entry(campaign, "telegram:4", "Carla's story")),
        return_exceptions=True,
    )

    assert isinstance(refused, Exception)
    assert not isinstance(first, BaseException)
    assert first.title == "Bob's story"
    assert not isinstance(third, BaseException)
    assert third.title == "Carla's story"
    async with db.read() as tx:
        stored = await tx.testimonies.by_references({first.reference, third.reference})
        assert await tx.testimonies.of_author("telegram:3") == []
    assert {t.author_key for t in stored.values()} == {"telegram:2", "telegram:4"}
