"""Testimonies on Telegram, end to end through the local Bot API: a story told in a private
conversation reached from the group, its alert in the moderators' group with inline buttons,
decisions pressed there, and the author told privately, all as the wire shows it."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.actors import Platform
from bot.core.outbox import OutboxSender, make_owner
from tests.adapters.telegram.conftest import Person, Sent, Telegram, eventually
from tests.adapters.telegram.test_telegram import alert

REFERENCE = re.compile(r"T-[2-9A-HJ-NP-Z]{4,8}")
STORY = "It helped me write my <b>thesis</b> & more, @everyone, when nothing else would."


def reference_in(text: str) -> str:
    match = REFERENCE.search(text)
    assert match, text
    return match.group(0)


@pytest.fixture
async def sender(telegram: Telegram) -> AsyncIterator[OutboxSender]:
    """The outbox sender for Telegram, as `chorus run` starts it."""
    core = telegram.core
    sender = OutboxSender(
        core.database,
        telegram.adapter.courier,
        core.clock,
        make_owner(Platform.TELEGRAM),
        composers=core.composers,
    )
    core.doorbell.listen(sender.wake)
    await sender.start()
    yield sender
    await sender.stop()


async def campaign(telegram: Telegram) -> tuple[dict[str, Any], dict[str, Any]]:
    """A community group and a moderators' group in one campaign; Mona moderates there."""
    community = await telegram.group(-1001, "Keep 4o Paris")
    moderators = await telegram.group(-1002, "Keep 4o moderators")
    alice = telegram.person(101, "Alice")
    for chat in (community, moderators):
        await telegram.make_admin(chat, alice)
    await alice.says("/start")
    await telegram.replies(alice.private)
    await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris', community)
    await telegram.replies(community)
    await alice.says("/campaign invite", community)
    [invite] = await telegram.replies(alice.private)
    code = re.search(r"join:([A-Z0-9]{8})", invite.text)
    assert code, invite.text
    await alice.says(f"/setup join:{code.group(1)}", moderators)
    await telegram.replies(moderators)
    await alice.says("/roles grant user:telegram:103 role:moderator", community)
    await telegram.replies(community)
    await telegram.person(103, "Mona").says("/testimonies review here", moderators)
    [marked] = await telegram.replies(moderators)
    assert "review place" in marked.text
    return community, moderators


async def answer_form(telegram: Telegram, person: Person, offer: Sent, *answers: str) -> Sent:
    """Open the form from its link and answer every question; the last message received."""
    [link] = offer.buttons
    await person.says(f"/start {link['url'].rsplit('=', 1)[1]}")
    await telegram.replies(person.private, 2)  # the form's title, then its first question
    last: Sent | None = None
    for number, answer in enumerate(answers, start=1):
        await person.says(answer)
        if number < len(answers):
            await telegram.replies(person.private)
    [last] = await telegram.replies(person.private)
    return last


async def test_a_story_from_the_group_is_reviewed_in_the_moderators_group(
    telegram: Telegram, sender: OutboxSender
) -> None:
    community, moderators = await campaign(telegram)
    bob, mona = telegram.person(102, "Bob"), telegram.person(103, "Mona")

    await bob.says("/testimony", community)
    [offer] = await telegram.replies(community)
    assert "Share your story" in offer.text
    receipt = await answer_form(
        telegram, bob, offer, "My thesis", STORY, "study", "/skip", "anonymous"
    )

    reference = reference_in(receipt.text)
    assert f"Your story “My thesis” is saved as <code>{reference}</code>." in receipt.text
    assert await telegram.unread(community) == []  # nothing about it in the community

    [review] = await telegram.replies(moderators)
    assert review.params["parse_mode"] == "HTML"
    assert "A new story is waiting for review." in review.text
    assert "It helped me write my &lt;b&gt;thesis&lt;/b&gt; &amp; more, @everyone" in review.text
    assert [(b["text"], b["callback_data"]) for b in review.buttons] == [
        ("Approve", f"a:testimony.approve|{reference}"),
        ("Reject", f"a:testimony.reject|{reference}"),
        ("Feature", f"a:testimony.feature|{reference}"),
    ]

    # A member of the moderators' group without the role cannot decide.
    await telegram.person(104, "Max").presses(review, "Approve", moderators)
    assert await alert(telegram, 1) == "Only the campaign's moderators and organisers can do that."
    await mona.presses(review, "Approve", moderators)
    assert (
        await alert(telegram, 2) == f"{reference} is approved. Its author will be told privately."
    )

    [notice] = await telegram.replies(bob.private)
    assert f"your story <code>{reference}</code> “My thesis” was approved" in notice.text
    await mona.presses(review, "Reject", moderators)
    assert await alert(telegram, 3) == f"{reference} was already decided: it is approved."
    assert await telegram.refused_calls() == []


async def test_a_rejection_reason_is_asked_privately_and_reaches_the_author(
    telegram: Telegram, sender: OutboxSender
) -> None:
    community, moderators = await campaign(telegram)
    bob, mona = telegram.person(102, "Bob"), telegram.person(103, "Mona")
    await bob.says("/testimony", community)
    [offer] = await telegram.replies(community)
    receipt = await answer_form(telegram, bob, offer, "My thesis", STORY, "study", "Bob", "named")
    reference = reference_in(receipt.text)
    [review] = await telegram.replies(moderators)

    await mona.presses(review, "Reject", moderators)
    how = await alert(telegram, 1)
    assert f"run /testimonies reject {reference}" in how
    await mona.says(f"/testimonies reject {reference}", moderators)
    [reason_offer] = await telegram.replies(moderators)
    done = await answer_form(telegram, mona, reason_offer, "Please leave out <i>names</i>.")

    assert f"<code>{reference}</code> is rejected." in done.text
    [notice] = await telegram.replies(bob.private)
    assert "was not accepted. The moderators wrote:" in notice.text
    assert "<blockquote>Please leave out &lt;i&gt;names&lt;/i&gt;.</blockquote>" in notice.text


async def test_privacy_works_in_the_private_chat_and_forgets_everything(
    telegram: Telegram, sender: OutboxSender
) -> None:
    community, _moderators = await campaign(telegram)
    bob = telegram.person(102, "Bob")
    await bob.says("/testimony", community)
    [offer] = await telegram.replies(community)
    receipt = await answer_form(telegram, bob, offer, "My thesis", STORY, "study", "Bob", "named")
    reference = reference_in(receipt.text)

    await bob.says("/privacy export")
    [exported] = await telegram.replies(bob.private)
    assert exported.params["caption"] == "Here is everything Chorus keeps about you."
    [document] = await telegram.calls("sendDocument")
    assert document["params"]["chat_id"] in (102, "102")
    await bob.says("/privacy forget")
    [confirm] = await telegram.replies(bob.private)
    await bob.presses(confirm, "Yes, forget me", bob.private)

    async def forgotten() -> bool:
        async with telegram.core.database.read() as tx:
            stored = await tx.testimonies.by_reference(reference)
        return stored is not None and stored.author_key is None

    await eventually(forgotten, "Bob's story to be forgotten")
    async with telegram.core.database.read() as tx:
        stored = await tx.testimonies.by_reference(reference)
        rows = await tx.outbox.all()
    assert stored is not None
    assert (stored.title, stored.story) == ("", "")
    assert rows  # the review alert, sent: no payload keeps the story
    assert all("thesis" not in json.dumps(row.payload) for row in rows)


async def test_the_queue_is_never_shown_in_a_group_to_someone_without_a_private_chat(
    telegram: Telegram, sender: OutboxSender
) -> None:
    community, moderators = await campaign(telegram)
    bob, mona = telegram.person(102, "Bob"), telegram.person(103, "Mona")
    await bob.says("/testimony", community)
    [offer] = await telegram.replies(community)
    await answer_form(telegram, bob, offer, "My thesis", STORY, "study", "Bob", "named")
    await telegram.replies(moderators)  # the review alert

    # Mona never started the bot: the queue cannot reach her privately, and the group where
    # she asked sees a way to open a private chat, never the stories.
    await mona.says("/testimonies queue", community)
    [pointer] = await telegram.replies(community)

    assert "I can only send it in a private chat" in pointer.text
    assert "thesis" not in pointer.text
    assert pointer.buttons[0]["url"].startswith("https://t.me/")


async def test_a_posted_story_deleted_by_its_author_is_edited_out_of_the_group(
    telegram: Telegram, sender: OutboxSender
) -> None:
    community, moderators = await campaign(telegram)
    alice, bob, mona = (
        telegram.person(n, name) for n, name in ((101, "Alice"), (102, "Bob"), (103, "Mona"))
    )
    await alice.says("/testimonies settings post_approved:yes", community)
    await telegram.replies(alice.private)
    await bob.says("/testimony", community)
    [offer] = await telegram.replies(community)
    receipt = await answer_form(
        telegram, bob, offer, "My thesis", STORY, "study", "/skip", "anonymous"
    )
    reference = reference_in(receipt.text)
    [review] = await telegram.replies(moderators)
    await mona.presses(review, "Approve", moderators)
    await telegram.replies(bob.private)  # the good news
    [post] = await telegram.replies(community)
    assert "It helped me write my" in post.text

    await bob.says(f"/testimony delete {reference}", community)
    [confirm] = await telegram.replies(bob.private)
    await bob.presses(confirm, f"a:testimony.erase|{reference}", bob.private)
    assert f"{reference} is deleted" in await alert(telegram, 2)

    async def edited() -> bool:
        return len(await telegram.calls("editMessageText")) == 1

    await eventually(edited, "the post edited")
    [edit] = await telegram.calls("editMessageText")
    assert edit["status"] == 200
    assert str(edit["params"]["chat_id"]) == str(community["id"])
    assert str(edit["params"]["message_id"]) == str(post.message_id)
    assert edit["params"]["text"] == "This story was withdrawn by its author."
    assert await telegram.unread(community) == []  # edited in place, nothing new posted


async def test_a_member_over_quota_is_told_privately_and_gets_no_form_link(
    telegram: Telegram, sender: OutboxSender
) -> None:
    community, _moderators = await campaign(telegram)
    alice, bob = telegram.person(101, "Alice"), telegram.person(102, "Bob")
    await alice.says("/testimonies settings pending_limit:1", community)
    await telegram.replies(alice.private)
    await bob.says("/testimony", community)
    [offer] = await telegram.replies(community)
    await answer_form(telegram, bob, offer, "My thesis", STORY, "study", "/skip", "anonymous")

    await bob.says("/testimony", community)

    [refused] = await telegram.replies(bob.private)
    assert "the limit of stories waiting for a moderator at once (1)" in refused.text
    assert await telegram.unread(community) == []  # no link to a form he could not send


LONG_STORY = ("It helped me write my thesis when nothing else would. " * 80)[:3999] + "!"


async def test_a_refused_answer_is_asked_again_alone_and_the_long_story_kept(
    telegram: Telegram, sender: OutboxSender
) -> None:
    community, _moderators = await campaign(telegram)
    alice, bob = telegram.person(101, "Alice"), telegram.person(102, "Bob")
    await alice.says("/testimonies settings categories:legal,health", community)
    await telegram.replies(alice.private)
    await bob.says("/testimony", community)
    [offer] = await telegram.replies(community)
    [link] = offer.buttons
    await bob.says(f"/start {link['url'].rsplit('=', 1)[1]}")
    await telegram.replies(bob.private, 2)  # the form's title, then its first question

    await bob.says("Visit https://spam.example")
    [again] = await telegram.replies(bob.private)
    assert "“A short title for your story” cannot contain a link." in again.text
    assert "(1/5) A short title for your story" in again.text  # the title, not the story
    for answer in ("My thesis", LONG_STORY, "study", "/skip"):
        await bob.says(answer)
        await telegram.replies(bob.private)
    await bob.says("anonymous")

    # Refused once sent: the category alone is asked again, the other answers kept.
    [refused] = await telegram.replies(bob.private)
    assert "this campaign collects stories about legal, health." in refused.text
    assert "(3/5) How did it help?" in refused.text
    await bob.says("legal")
    [receipt] = await telegram.replies(bob.private)
    reference = reference_in(receipt.text)
    async with telegram.core.database.read() as tx:
        stored = await tx.testimonies.by_reference(reference)
    assert stored is not None
    assert (stored.title, stored.story, stored.category) == ("My thesis", LONG_STORY, "legal")
