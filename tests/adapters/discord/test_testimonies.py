"""Testimonies on Discord, through built interactions and the fake Discord: the story in a
modal, the private receipt, the review alert posted to the review channel with persistent
buttons, a decision pressed there, the author's DM, and an export as a file."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.app import Core
from bot.core.actors import Platform
from bot.core.outbox import OutboxSender, make_owner
from tests.adapters.discord.fakediscord import (
    DM_CHANNEL_ID,
    GENERAL_ID,
    MEMBER_ID,
    FakeDiscord,
    Request,
)
from tests.adapters.discord.people import Exchange, Person

REFERENCE = re.compile(r"T-[2-9A-HJ-NP-Z]{4,8}")
STORY = {
    "title": "My court case",
    "story": "It helped me win my case @everyone <@&123456789012345678> **really**.",
    "category": "legal",
    "display_name": "Max",
    "consent": "named",
}


@pytest.fixture
async def sender(core: Core, adapter: DiscordAdapter) -> AsyncIterator[OutboxSender]:
    sender = OutboxSender(
        core.database,
        adapter.courier,
        core.clock,
        make_owner(Platform.DISCORD),
        composers=core.composers,
    )
    core.doorbell.listen(sender.wake)
    await sender.start()
    yield sender
    await sender.stop()


def channel_posts(fake: FakeDiscord, channel: int) -> list[Request]:
    return [
        r for r in fake.requests if r.method == "POST" and r.path == f"/channels/{channel}/messages"
    ]


async def posted(fake: FakeDiscord, channel: int, count: int = 1) -> list[Request]:
    await fake.quiet(after=lambda: len(channel_posts(fake, channel)) >= count)
    return channel_posts(fake, channel)


async def press(person: Person, request: Request, label: str) -> Exchange:
    """Press the button labelled `label` on a message Chorus posted to a channel."""
    assert isinstance(request.body, dict)
    buttons = [b for row in request.body["components"] for b in row["components"]]
    [button] = [b for b in buttons if b["label"] == label]
    data: dict[str, Any] = {"custom_id": button["custom_id"], "component_type": 2}
    return await person._interact(3, data, message=request.answer)


async def test_a_story_in_a_modal_is_reviewed_in_the_review_channel_and_the_author_told(
    fake: FakeDiscord, ada: Person, max_: Person, sender: OutboxSender
) -> None:
    await ada.slash("setup", name="Keep 4o")
    marked = await ada.slash("testimonies review", where="here")
    assert "review place" in marked.text

    shown = await max_.slash("testimony share")
    fields = [(c["component"]["custom_id"], c["label"]) for c in shown.modal["components"]]
    assert fields == [
        ("title", "A short title for your story"),
        ("story", "Your story: how did it help you?"),
        ("category", "How did it help?"),
        ("display_name", "Name to publish it under (optional)"),
        ("consent", "May we publish it?"),
    ]
    receipt = await max_.submit(shown, STORY)

    assert receipt.private
    match = REFERENCE.search(receipt.text)
    assert match, receipt.text
    reference = match.group(0)
    assert f"is saved as `{reference}`" in receipt.text

    [alert] = await posted(fake, GENERAL_ID)
    assert isinstance(alert.body, dict)
    assert alert.body["allowed_mentions"] == {"parse": []}
    assert (
        "@\u200beveryone \\<@\u200b&123456789012345678> \\*\\*really\\*\\*" in alert.body["content"]
    )
    custom_ids = [b["custom_id"] for row in alert.body["components"] for b in row["components"]]
    assert custom_ids == [
        f"chorus:testimony.approve:{reference}",
        f"chorus:testimony.reject:{reference}",
        f"chorus:testimony.feature:{reference}",
    ]

    refused = await press(max_, alert, "Approve")
    assert refused.private
    assert "Only the campaign's moderators and organisers can do that." in refused.text
    approved = await press(ada, alert, "Feature")
    assert approved.private
    assert f"`{reference}` is approved and featured." in approved.text

    [dm] = await posted(fake, DM_CHANNEL_ID)
    [opened] = [r for r in fake.requests if r.path == "/users/@me/channels"]
    assert opened.body == {"recipient_id": MEMBER_ID}
    assert isinstance(dm.body, dict)
    assert (
        f"your story `{reference}` “My court case” was approved and featured" in dm.body["content"]
    )


async def test_a_member_over_quota_gets_no_modal_to_type_into(ada: Person, max_: Person) -> None:
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("testimonies settings", pending_limit="1")
    await max_.submit(await max_.slash("testimony share"), STORY)

    refused = await max_.slash("testimony share")

    assert refused.first["type"] == 4  # a message, not a modal
    assert refused.private
    assert "the limit of stories waiting for a moderator at once (1)" in refused.text


async def test_a_bad_answer_comes_back_with_try_again_and_nothing_is_stored(
    core: Core, ada: Person, max_: Person
) -> None:
    await ada.slash("setup", name="Keep 4o")

    refused = await max_.submit(
        await max_.slash("testimony share"), {**STORY, "story": "https://spam.example/only-a-link"}
    )

    assert refused.private
    assert "cannot be only a link" in refused.text
    async with core.database.read() as tx:
        assert await tx.testimonies.of_author(f"discord:{MEMBER_ID}") == []


async def test_a_moderator_exports_a_csv_file_privately(
    fake: FakeDiscord, ada: Person, max_: Person, sender: OutboxSender
) -> None:
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("testimonies review", where="here")
    receipt = await max_.submit(
        await max_.slash("testimony share"), {**STORY, "title": "=HYPERLINK(1)"}
    )
    assert receipt.private
    [alert] = await posted(fake, GENERAL_ID)
    await press(ada, alert, "Approve")

    exported = await ada.slash("testimonies export", format="csv")

    assert exported.private
    assert "Stories in it: 1." in exported.text
    [upload] = [r for r in exported.requests if r.files]
    [(_name, data)] = upload.files.items()
    [row] = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert row["title"] == "'=HYPERLINK(1)"
    assert row["author"].startswith("M-")
    assert str(MEMBER_ID) not in data.decode("utf-8")


async def test_privacy_forget_in_a_dm(ada: Person, max_: Person, core: Core) -> None:
    await ada.slash("setup", name="Keep 4o")
    await max_.submit(await max_.slash("testimony share"), STORY)

    confirm = await max_.slash("privacy forget", dm=True)
    assert confirm.private
    done = await max_.press(confirm, "Yes, forget me")

    assert "Chorus keeps nothing about you any more." in done.text
    async with core.database.read() as tx:
        assert await tx.testimonies.of_author(f"discord:{MEMBER_ID}") == []


async def test_a_posted_story_taken_back_by_its_author_is_edited_out_of_the_channel(
    fake: FakeDiscord, ada: Person, max_: Person, sender: OutboxSender
) -> None:
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("testimonies review", where="here")
    await ada.slash("testimonies settings", post_approved="yes")
    receipt = await max_.submit(await max_.slash("testimony share"), STORY)
    match = REFERENCE.search(receipt.text)
    assert match, receipt.text
    [alert] = await posted(fake, GENERAL_ID)
    await press(ada, alert, "Approve")
    [_alert, post] = await posted(fake, GENERAL_ID, 2)
    assert isinstance(post.body, dict)
    assert "My court case" in post.body["content"]

    withdrawn = await max_.slash("testimony withdraw", ref=match.group(0))

    assert withdrawn.private
    await fake.quiet(after=lambda: any(r.method == "PATCH" for r in fake.requests))
    [edit] = [r for r in fake.requests if r.method == "PATCH"]
    assert edit.path == f"/channels/{GENERAL_ID}/messages/{post.answer['id']}"
    assert isinstance(edit.body, dict)
    assert edit.body["content"] == "This story was withdrawn by its author."
    assert len(channel_posts(fake, GENERAL_ID)) == 2  # edited in place, nothing new posted


LONG_STORY = ("It helped me write my thesis when nothing else would. " * 80)[:3999] + "!"


def reopened_values(reopened: Exchange) -> dict[str, Any]:
    """The values a reopened modal shows: text inputs' values, selects' default options."""
    assert reopened.first["type"] == 9  # a modal, as the first response to the press
    values: dict[str, Any] = {}
    for label in reopened.modal["components"]:
        component = label["component"]
        if "options" in component:
            values[component["custom_id"]] = [
                o["value"] for o in component["options"] if o["default"]
            ]
        else:
            values[component["custom_id"]] = component.get("value")
    return values


async def test_a_link_in_the_title_reopens_the_modal_with_the_long_story_as_typed(
    core: Core, ada: Person, max_: Person
) -> None:
    await ada.slash("setup", name="Keep 4o")
    typed = {**STORY, "title": "Visit https://spam.example", "story": LONG_STORY}

    refused = await max_.submit(await max_.slash("testimony share"), typed)

    assert refused.private
    assert refused.text == "“A short title for your story” cannot contain a link."
    reopened = reopened_values(await max_.press(refused, "Try again"))
    assert reopened["title"] == "Visit https://spam.example"
    assert reopened["story"] == LONG_STORY
    assert (reopened["category"], reopened["consent"]) == (["legal"], ["named"])
    async with core.database.read() as tx:
        assert await tx.testimonies.of_author(f"discord:{MEMBER_ID}") == []


async def test_a_story_refused_once_sent_comes_back_to_be_sent_again_as_typed(
    core: Core, ada: Person, max_: Person
) -> None:
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("testimonies settings", categories="health,work")
    typed = {**STORY, "story": LONG_STORY}

    refused = await max_.submit(await max_.slash("testimony share"), typed)

    assert refused.private
    assert "this campaign collects stories about health, work." in refused.text
    shown = await max_.press(refused, "Try again")
    reopened = reopened_values(shown)
    assert (reopened["title"], reopened["story"]) == (STORY["title"], LONG_STORY)
    receipt = await max_.submit(shown, {**typed, "category": "work"})
    assert "is saved as" in receipt.text
    async with core.database.read() as tx:
        [stored] = await tx.testimonies.of_author(f"discord:{MEMBER_ID}")
    assert (stored.story, stored.category) == (LONG_STORY, "work")


async def test_a_quota_reached_while_the_modal_was_open_still_offers_the_answers_back(
    ada: Person, max_: Person
) -> None:
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("testimonies settings", pending_limit="1")
    first, second = await max_.slash("testimony share"), await max_.slash("testimony share")
    await max_.submit(first, STORY)

    refused = await max_.submit(second, {**STORY, "story": LONG_STORY})

    assert refused.private
    assert "the limit of stories waiting for a moderator at once (1)" in refused.text
    assert [b["label"] for b in refused.buttons()] == ["Try again"]
