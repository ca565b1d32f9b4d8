"""Sharing a story: bad input is named or made inert, nothing is half-written, quotas hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_core
from bot.settings import Settings
from storage.database import Database
from tests.cogs.testimonies.conftest import STORY, Cast, reference_in, story
from tests.dialogue import Member
from tests.fakes import FakeClock


async def stored(db: Database) -> list[tuple[str, str, str]]:
    async with db.read() as tx:
        mine = await tx.testimonies.of_author("telegram:2")
    return [(t.title, t.story, t.display_name) for t in mine]


@pytest.mark.parametrize(
    ("answers", "refusal"),
    [
        (story(text="   \n\t  "), "“Your story: how did it help you?” cannot be empty."),
        (
            story(text="\u200b\u200c\u200d" * 30),
            "“Your story: how did it help you?” cannot be empty.",
        ),
        (story(text="https://example.com/a-very-long-link"), "cannot be only a link"),
        (story(text="👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍"), "needs a few words of your own"),
        (story(title="x" * 101), "“A short title for your story” can be at most 100 characters."),
        (
            story(text="y" * 4001),
            "“Your story: how did it help you?” can be at most 4,000 characters.",
        ),
        (
            story(title="Visit http://spam.example now"),
            "“A short title for your story” cannot contain a link.",
        ),
        (story(title="!!!"), "“A short title for your story” needs a few words of your own."),
    ],
)
async def test_a_story_that_cannot_be_stored_is_refused_naming_its_field(
    cast: Cast, db: Database, answers: tuple[str, ...], refusal: str
) -> None:
    answer = await cast.bob.says("/testimony", *answers)

    assert refusal in answer
    assert "saved as" not in answer
    assert await stored(db) == []
    assert await cast.mail.pending() == []  # no alert either: nothing half-written


async def test_controls_and_invisible_characters_are_dropped_and_markup_stays_inert(
    cast: Cast, db: Database
) -> None:
    hostile = "Thanks\u202e to \x00it <b>@everyone</b> **bold** [x](javascript:alert(1))\u200b!"

    receipt = await cast.bob.says(
        "/testimony", "My <i>thesis</i>\x07", hostile, "study", "@everyone", "named"
    )

    reference = reference_in(receipt)
    title, text, name = (await stored(db))[0]
    assert title == "My <i>thesis</i>"
    assert text == "Thanks to it <b>@everyone</b> **bold** [x](javascript:alert(1))!"
    assert name == "@everyone"
    alert = await cast.mail.deliver(cast.mona)
    assert f"Story {reference}: My <i>thesis</i>" in alert


async def test_the_form_can_be_cancelled_without_saving_anything(cast: Cast, db: Database) -> None:
    answer = await cast.bob.says("/testimony", "My thesis", "/cancel")

    assert "Cancelled. Nothing was saved." in answer
    assert await stored(db) == []


async def test_a_bad_answer_is_asked_again_on_the_console(cast: Cast) -> None:
    answer = await cast.bob.says(
        "/testimony", "My thesis", "It helped me so much with everything.", "magic", *story()[2:]
    )

    assert "“How did it help?” must be one of: writing, study, work" in answer
    assert "saved as T-" in answer


async def test_a_named_story_without_a_name_uses_the_members_display_name(
    cast: Cast, db: Database
) -> None:
    await cast.bob.says("/testimony", "Thesis", story()[1], "study", "", "named")
    await cast.carla.says("/testimony", "Court", story()[1], "legal", "", "anonymous")

    async with db.read() as tx:
        bob = await tx.testimonies.of_author("telegram:2")
        carla = await tx.testimonies.of_author("telegram:4")
    assert (bob[0].display_name, carla[0].display_name) == ("user 2", "")


async def test_a_campaign_may_collect_fewer_categories(cast: Cast) -> None:
    changed = await cast.alice.says("/testimonies settings categories:legal,health")
    refused = await cast.bob.says("/testimony", *story())

    assert "How it helped: legal, health" in changed
    assert "“How did it help?”: this campaign collects stories about legal, health." in refused
    assert "/testimonies settings" in await cast.alice.says("/help")


async def test_pending_and_daily_quotas_say_when_to_come_back(cast: Cast, clock: FakeClock) -> None:
    assert "saved as" in await cast.bob.says("/testimony", *story("One"))
    two = reference_in(await cast.bob.says("/testimony", *story("Two")))

    refused = await cast.bob.says("/testimony", *story("Three"))
    assert "the limit of stories waiting for a moderator at once (2)" in refused

    await cast.bob.says(f"/testimony withdraw {two}")
    clock.advance(hours=1)
    assert "saved as" in await cast.bob.says("/testimony", *story("Three"))
    await cast.mona.says("/testimonies queue")
    await cast.mona.says("/press 1")  # approve "One": one slot frees up, but the day is full
    refused = await cast.bob.says("/testimony", *story("Four"))
    assert "You have reached the limit of stories per 24 hours (3)." in refused
    assert "You can share another after Tue 2 Jun 2026 14:00 (Europe/Paris)." in refused

    clock.advance(hours=23, seconds=1)
    assert "saved as" in await cast.bob.says("/testimony", *story("Four"))


async def test_a_member_over_quota_is_told_before_the_form_is_shown(cast: Cast) -> None:
    await cast.alice.says("/testimonies settings daily_limit:1")
    await cast.bob.says("/testimony", *story("One"))

    refused = await cast.bob.says("/testimony")

    assert "You have reached the limit of stories per 24 hours (1)." in refused
    assert "A short title for your story" not in refused  # no question was asked


async def test_quotas_hold_across_a_restart(
    cast: Cast, database_url: str, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    await cast.alice.says("/testimonies settings daily_limit:1")
    await cast.bob.says("/testimony", *story("One"))

    async with Database.connect(database_url) as reopened:
        restarted = build_core(settings, reopened, clock)
        bob = Member(restarted, cast.bob.actor, cast.bob.place, tmp_path / "files")
        refused = await bob.says("/testimony", *story("Two"))

    assert "You have reached the limit of stories per 24 hours (1)." in refused


# A story as long as the form takes, every word of which must survive any refusal.
LONG_STORY = ("It helped me write my thesis when nothing else would. " * 80)[:3999] + "!"


async def stored_story(db: Database) -> list[tuple[str, str, str]]:
    async with db.read() as tx:
        mine = await tx.testimonies.of_author("telegram:2")
    return [(t.title, t.story, t.category) for t in mine]


async def test_a_link_in_the_title_is_refused_before_the_story_is_asked(
    cast: Cast, db: Database
) -> None:
    answer = await cast.bob.says(
        "/testimony", "Visit http://spam.example", "My thesis", LONG_STORY, *STORY[2:]
    )

    refused, _, after = answer.partition("“A short title for your story” cannot contain a link.")
    assert "Your story: how did it help you?" not in refused  # asked before the story
    assert after.strip().startswith("A short title for your story")  # the title, again
    assert "saved as" in after
    assert await stored_story(db) == [("My thesis", LONG_STORY, "study")]


async def test_a_story_refused_once_sent_asks_that_field_again_and_keeps_the_others(
    cast: Cast, db: Database
) -> None:
    await cast.alice.says("/testimonies settings categories:legal,health")

    answer = await cast.bob.says("/testimony", "My thesis", LONG_STORY, *STORY[2:], "legal")

    refusal = "“How did it help?”: this campaign collects stories about legal, health."
    _, _, after = answer.partition(refusal)
    assert after.strip().startswith("How did it help?")  # that question only, once more
    assert "A short title for your story" not in after
    assert "Your story: how did it help you?" not in after
    assert "saved as" in after
    assert await stored_story(db) == [("My thesis", LONG_STORY, "legal")]
