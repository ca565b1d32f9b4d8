"""An update Telegram delivers again (after a restart, before its offset was confirmed) stores
nothing twice: a form is set aside before its answers are submitted."""

from __future__ import annotations

from storage.database import Database
from tests.adapters.telegram.conftest import Telegram
from tests.adapters.telegram.test_testimonies import STORY, answer_form, campaign, reference_in


async def test_the_last_answer_of_a_story_delivered_twice_stores_one_story(
    telegram: Telegram,
) -> None:
    community, _ = await campaign(telegram)
    bob = telegram.person(102, "Bob")
    await bob.says("/testimony", community)
    [offer] = await telegram.replies(community)

    receipt = await answer_form(
        telegram, bob, offer, "My thesis", STORY, "study", "/skip", "anonymous"
    )
    await bob.says("anonymous")  # the same last answer, once more
    await bob.says("/testimony mine")  # handled after it: updates are read in order
    replies = await telegram.replies(bob.private)

    reference = reference_in(receipt.text)
    assert "saved as" not in replies[-1].text
    database: Database = telegram.core.database
    async with database.read() as tx:
        mine = await tx.testimonies.of_author("telegram:102")
    assert [story.reference for story in mine] == [reference]
