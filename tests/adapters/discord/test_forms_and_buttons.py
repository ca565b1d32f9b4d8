"""Forms as modals and persistent buttons, as dialogues over the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.app import Core
from tests.adapters.discord.conftest import new_adapter
from tests.adapters.discord.fakediscord import ADMIN, MEMBER, FakeDiscord
from tests.adapters.discord.people import Mention, Person
from tests.adapters.discord.stories import Stories

STORY = {"name": "Ada", "story": "It helped me @everyone **a lot**", "consent": "named"}


@pytest.fixture
async def stories(core: Core, fake: FakeDiscord) -> AsyncIterator[Stories]:
    """Chorus with the test cog, connected to the fake Discord."""
    cog = Stories()
    core.registry.add(cog)
    adapter = new_adapter(core)
    await adapter.start()
    yield cog
    await adapter.stop()


async def test_a_form_command_answers_with_its_modal_first(
    fake: FakeDiscord, stories: Stories
) -> None:
    shown = await Person(fake, MEMBER).slash("story")

    assert len(shown.requests) == 1  # nothing was deferred or sent before the modal
    modal = shown.modal
    assert modal["title"] == "test.story.title"
    inputs = [(c["type"], c["label"], c["component"]) for c in modal["components"]]
    assert [(kind, label) for kind, label, _ in inputs] == [
        (18, "test.story.name"),
        (18, "test.story.text"),
        (18, "test.story.consent"),
    ]
    name, story, consent = (component for _, _, component in inputs)
    assert (name["type"], name["style"], name["max_length"]) == (4, 1, 40)
    assert (story["type"], story["style"], story["max_length"]) == (4, 2, 3000)
    assert consent["type"] == 3
    assert [o["value"] for o in consent["options"]] == ["named", "anonymous"]


async def test_a_submitted_form_runs_the_command_and_shows_user_text_inert(
    fake: FakeDiscord, stories: Stories
) -> None:
    ada = Person(fake, MEMBER)
    shown = await ada.slash("story")

    saved = await ada.submit(shown, STORY)

    assert saved.messages[0]["content"] == (
        "**Ada** (named)\n> It helped me @\u200beveryone \\*\\*a lot\\*\\*"
    )
    assert saved.messages[0]["allowed_mentions"] == {"parse": []}
    assert [b["custom_id"] for b in saved.buttons()] == ["chorus:story.approve:S-1"]


async def test_a_bad_answer_offers_try_again_which_reopens_the_form_as_typed(
    fake: FakeDiscord, stories: Stories
) -> None:
    max_ = Person(fake, MEMBER)
    shown = await max_.slash("story")

    refused = await max_.submit(shown, {**STORY, "name": "A"})

    assert refused.private
    assert "“test.story.name” needs at least 2 characters." in refused.text
    reopened = await max_.press(refused, "Try again")
    fields = {c["component"]["custom_id"]: c["component"] for c in reopened.modal["components"]}
    assert fields["name"]["value"] == "A"
    assert fields["story"]["value"] == STORY["story"]
    assert [o["value"] for o in fields["consent"]["options"] if o["default"]] == ["named"]


async def test_someone_not_allowed_never_sees_the_form(fake: FakeDiscord, stories: Stories) -> None:
    refused = await Person(fake, MEMBER).slash("review")

    assert refused.first["type"] == 4
    assert refused.private
    assert "Only the campaign's moderators and organisers can do that." in refused.text


async def test_a_form_submitted_after_a_restart_hands_the_answers_back(
    core: Core, fake: FakeDiscord
) -> None:
    core.registry.add(Stories())
    first = new_adapter(core)
    await first.start()
    max_ = Person(fake, MEMBER)
    shown = await max_.slash("story")
    await first.stop()
    second = new_adapter(core)
    await second.start()
    try:
        answered = await max_.submit(shown, STORY)
    finally:
        await second.stop()

    assert answered.private
    assert "run /story again" in answered.text
    assert "> It helped me @\u200beveryone \\*\\*a lot\\*\\*" in answered.text


async def test_only_a_moderator_may_press_a_moderator_button(
    core: Core, fake: FakeDiscord, stories: Stories
) -> None:
    ada = Person(fake, ADMIN, admin=True)
    max_ = Person(fake, MEMBER)
    await ada.slash("setup", name="Keep 4o")
    shown = await max_.slash("story")
    story = await max_.submit(shown, STORY)

    refused = await max_.press(story, "test.approve")

    assert refused.private
    assert "Only the campaign's moderators and organisers can do that." in refused.text
    assert stories.approved == []

    await ada.slash("roles grant", user=Mention(MEMBER), role="moderator")
    approved = await max_.press(story, "test.approve")

    assert "approved `S-1`" in approved.text
    assert stories.approved == ["S-1"]


async def test_buttons_keep_working_after_a_restart(core: Core, fake: FakeDiscord) -> None:
    cog = Stories()
    core.registry.add(cog)
    first = new_adapter(core)
    await first.start()
    ada = Person(fake, ADMIN, admin=True)
    await ada.slash("setup", name="Keep 4o")
    # Ada set the campaign up, so she organises it: she may approve.
    story = await ada.submit(await ada.slash("story"), STORY)
    await first.stop()

    second: DiscordAdapter = new_adapter(core)
    await second.start()
    try:
        approved = await ada.press(story, "test.approve")
    finally:
        await second.stop()

    assert "approved `S-1`" in approved.text
    assert cog.approved == ["S-1"]
