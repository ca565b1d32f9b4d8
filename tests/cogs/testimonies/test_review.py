"""Submit → receipt → review alert → approve / reject / feature → the author is told."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from bot.app import Core
from bot.core.actors import Platform
from bot.core.outbox import OutboxSender
from bot.core.outbox.compose import BatchComposer, Composed, ComposeRequest, Composers
from storage.database import Database
from storage.records import NewMessage
from tests.cogs.testimonies.conftest import (
    COMMUNITY,
    MODERATORS,
    STORY,
    Cast,
    Meet,
    reference_in,
    said,
    start_campaign,
    story,
)
from tests.core.outbox.fakes import FakeCourier
from tests.dialogue import person
from tests.fakes import FakeClock


async def test_a_story_is_received_privately_and_alerts_the_review_place(
    cast: Cast, db: Database
) -> None:
    receipt = await cast.bob.says("/testimony", *STORY)

    reference = reference_in(receipt)
    assert f"Thank you! Your story “My thesis” is saved as {reference}." in receipt
    assert "published with your name, once a moderator approves it" in receipt
    alert = await cast.mail.deliver(cast.mona)
    assert "A new story is waiting for review." in alert
    assert f"Story {reference}: My thesis" in alert
    assert "How it helped: Study · Consent: Publish it with my name · Name: Bob B." in alert
    assert (
        "> It helped me write my thesis when nothing else would.\n> I defended it in May." in alert
    )
    assert "[1] Approve  [2] Reject  [3] Feature" in alert
    # Moderators see a pseudonym, never the account.
    assert "telegram:2" not in alert
    async with db.read() as tx:
        [row] = [
            r for r in await tx.outbox.all() if r.dedupe_key.endswith(":review:telegram:-1009")
        ]
        stored = await tx.testimonies.by_reference(reference)
    assert (row.chat_kind, row.user_key) == ("group", "telegram:2")
    assert stored is not None
    assert (stored.status, stored.author_key, stored.consent) == ("pending", "telegram:2", "named")


async def test_the_alert_carries_no_words_of_the_story_and_is_dropped_once_decided(
    cast: Cast, db: Database
) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    async with db.read() as tx:
        [row] = [r for r in await tx.outbox.all() if ":review:" in r.dedupe_key]
    # The card is composed when the alert goes out, from the story as it is then.
    assert row.payload == {"compose": "testimony.review", "reference": reference}

    await cast.mona.says("/testimonies queue")
    assert f"{reference} is approved" in await cast.mona.says("/press 1")

    assert await cast.mail.deliver(cast.mona) == ""  # decided before its alert went out


class Watched:
    """A batch composer that records which rows it composed together and which alone."""

    def __init__(self, composer: BatchComposer) -> None:
        self._composer = composer
        self.together: list[int] = []
        self.alone: list[int] = []

    async def compose(self, request: ComposeRequest) -> Composed | None:
        self.alone.append(request.outbox_id)
        return await self._composer.compose(request)

    async def compose_many(
        self, requests: Sequence[ComposeRequest]
    ) -> Mapping[int, Composed | None]:
        composed = await self._composer.compose_many(requests)
        self.together.extend(composed)
        return composed


async def test_an_unreadable_alert_row_fails_alone_and_the_others_go_out(
    core: Core, cast: Cast, db: Database, clock: FakeClock
) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    async with db.transaction() as tx:
        [broken] = await tx.outbox.add_many(
            [
                NewMessage(
                    dedupe_key="testimony:T-BROKEN:review",
                    platform="telegram",
                    chat_id=MODERATORS.chat_id,
                    chat_kind="group",
                    payload={"compose": "testimony.review"},
                    next_attempt_at=clock.now(),
                )
            ],
            clock.now(),
        )
        [good] = [r.id for r in await tx.outbox.all() if ":review:" in r.dedupe_key]
    telegram = FakeCourier(Platform.TELEGRAM)
    original = core.composers.get("testimony.review")
    assert isinstance(original, BatchComposer)
    watched = Watched(original)
    composers = Composers()
    composers.register("testimony.review", watched)

    await OutboxSender(db, telegram, clock, "test", composers=composers).run_once()

    [alert] = telegram.deliveries
    assert alert.reply.buttons[0].key == reference
    async with db.read() as tx:
        row = await tx.outbox.get(broken)
    assert row is not None
    assert row.status == "failed"
    # The batch was composed together; only the broken row was set apart, and composed alone.
    assert (watched.together, watched.alone) == ([good], [broken])


async def test_stories_shared_at_the_same_moment_are_each_stored_and_alerted_once(
    meet: Meet, cast: Cast, db: Database
) -> None:
    members = [meet(person(Platform.TELEGRAM, str(100 + n)), COMMUNITY) for n in range(12)]

    receipts = await asyncio.gather(
        *(
            member.says("/testimony", *story(f"Story of member {n}"))
            for n, member in enumerate(members)
        )
    )

    references = [reference_in(receipt) for receipt in receipts]
    assert len(set(references)) == 12
    for n, receipt in enumerate(receipts):
        assert f"“Story of member {n}”" in receipt
    async with db.read() as tx:
        for n, (member, reference) in enumerate(zip(members, references, strict=True)):
            stored = await tx.testimonies.by_reference(reference)
            assert stored is not None
            assert (stored.title, stored.author_key) == (f"Story of member {n}", member.actor.key)
    alerts = await cast.mail.deliver(cast.mona)
    assert all(alerts.count(f"Story {reference}:") == 1 for reference in references)


async def test_approving_tells_the_author_privately_and_records_who_and_when(
    cast: Cast, db: Database
) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    await cast.mail.deliver(cast.mona)

    approved = await cast.mona.says("/press 1")

    assert f"{reference} is approved. Its author will be told privately." in approved
    notice = await cast.mail.deliver(cast.bob)
    assert f"Good news: your story {reference} “My thesis” was approved" in notice
    assert f"{reference} “My thesis”: approved" in await cast.bob.says("/testimony mine")
    shown = await cast.mona.says(f"/testimonies show {reference}")
    assert "approved by telegram:3, Mon 1 Jun 2026 14:00 (Europe/Paris)" in shown
    async with db.read() as tx:
        actions = [entry.action for entry in await tx.audit.recent()]
    assert actions[0] == "testimony.approve"


async def test_reject_asks_for_a_reason_which_reaches_the_author_privately(
    cast: Cast, db: Database
) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    await cast.mail.deliver(cast.mona)

    how = await cast.mona.says("/press 2")
    assert f"run /testimonies reject {reference} and write it there" in how
    rejected = await cast.mona.says(
        f"/testimonies reject {reference}", "Please leave out the <b>names</b> of others."
    )

    assert "Why? (sent privately to the author)" in rejected
    assert f"{reference} is rejected. Its author will receive your reason privately." in rejected
    notice = await cast.mail.deliver(cast.bob)
    assert f"Your story {reference} “My thesis” was not accepted. The moderators wrote:" in notice
    assert "> Please leave out the <b>names</b> of others." in notice
    async with db.read() as tx:
        stored = await tx.testimonies.by_reference(reference)
        assert stored is not None
        [decision] = await tx.testimonies.decisions(stored.id)
    assert (decision.decision, decision.actor) == ("reject", "telegram:3")
    assert decision.reason == "Please leave out the <b>names</b> of others."


async def test_featuring_approves_and_the_second_decision_is_told_it_was_decided(
    cast: Cast,
) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    await cast.mail.deliver(cast.mona)

    featured = await cast.mona.says("/press 3")
    again = await cast.mona.says("/press 1")

    assert f"{reference} is approved and featured." in featured
    assert f"{reference} was already decided: it is approved and featured." in again
    assert "approved and featured by the campaign's moderators" in await cast.mail.deliver(cast.bob)


async def test_two_moderators_pressing_at_once_one_decision_wins(
    core: Core, cast: Cast, db: Database
) -> None:
    await cast.alice.says("/roles grant user:telegram:5 role:moderator")
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    mona, omar = person(Platform.TELEGRAM, "3"), person(Platform.TELEGRAM, "5")

    answers = await asyncio.gather(
        core.dispatcher.press(mona, MODERATORS, "testimony.approve", reference),
        core.dispatcher.press(omar, MODERATORS, "testimony.approve", reference),
        cast.mona.says(f"/testimonies reject {reference}", "Not about the product."),
    )

    told = [said(core, answers[0]), said(core, answers[1]), answers[2]]
    decided = [text for text in told if "already decided" not in text]
    assert len(decided) == 1
    assert sum(f"{reference} was already decided: it is" in text for text in told) == 2
    async with db.read() as tx:
        stored = await tx.testimonies.by_reference(reference)
        assert stored is not None
        decisions = await tx.testimonies.decisions(stored.id)
        notices = [
            r for r in await tx.outbox.all() if r.chat_kind == "private" and r.chat_id == "2"
        ]
    assert len(decisions) == 1
    assert stored.decided_by == decisions[0].actor
    assert len(notices) == 1


async def test_a_member_cannot_decide_and_the_attempt_is_audited(
    core: Core, cast: Cast, db: Database
) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))

    refused = await cast.carla.says(f"/testimonies show {reference}")
    # A button made up by a modified client, pressed in the community.
    pressed = await core.dispatcher.press(
        cast.carla.actor, COMMUNITY, "testimony.approve", reference
    )

    assert "Only the campaign's moderators and organisers can do that." in refused
    assert pressed.reply.private
    assert said(core, pressed) == "Only the campaign's moderators and organisers can do that."
    async with db.read() as tx:
        stored = await tx.testimonies.by_reference(reference)
        audit = await tx.audit.recent()
    assert stored is not None
    assert stored.status == "pending"
    assert (audit[0].action, audit[0].actor) == ("testimony.denied", "telegram:4")


async def test_approved_consented_stories_are_posted_when_the_campaign_asks(
    cast: Cast, meet: Meet
) -> None:
    assert "Post approved stories in the announcement channels: yes" in await cast.alice.says(
        "/testimonies settings post_approved:yes"
    )
    named = reference_in(await cast.bob.says("/testimony", *story("Thesis", consent="anonymous")))
    private = reference_in(
        await cast.carla.says("/testimony", *story("Court", consent="moderators"))
    )
    for reference in (named, private):
        await cast.mona.says(f"/testimonies show {reference}")
        await cast.mona.says("/press 1")

    posted = await cast.mail.deliver(cast.alice)

    assert "A member's story · Study" in posted
    assert "Thesis" in posted
    assert "— Anonymous member" in posted
    assert "Court" not in posted  # moderators only: never published
    assert "As you asked, only the moderators read it" in await cast.mail.deliver(cast.carla)


async def test_without_a_review_place_organisers_are_told_once_and_the_queue_is_private(
    meet: Meet, db: Database
) -> None:
    cast = await start_campaign(meet, db, review_place=False)
    await cast.bob.says("/testimony", *STORY)
    await cast.carla.says("/testimony", *story("Court case"))

    hint = await cast.mail.deliver(cast.alice)
    queue = await cast.mona.says("/testimonies queue")

    assert hint.count("no review place yet") == 1
    assert "/testimonies review here" in hint
    assert "Waiting for review: 2 (page 1 of 1)." in queue
    assert "No review place is set, so new stories alert nobody." in queue
    assert await cast.mail.deliver(cast.bob) == ""  # nothing went to the community
    async with db.read() as tx:
        assert [r.chat_kind for r in await tx.outbox.all()] == ["private"]


async def test_a_review_place_set_later_receives_the_stories_already_waiting(
    meet: Meet, db: Database
) -> None:
    cast = await start_campaign(meet, db, review_place=False)
    reference = reference_in(await cast.bob.says("/testimony", *STORY))

    answer = await cast.mona.says("/testimonies review here")

    assert "Waiting now: 1." in answer
    assert f"Story {reference}: My thesis" in await cast.mail.deliver(cast.mona)


async def test_the_queue_pages_through_its_buttons(cast: Cast, core: Core) -> None:
    await cast.alice.says("/testimonies settings daily_limit:20 pending_limit:20")
    for number in range(7):
        await cast.bob.says("/testimony", *story(f"Story number {number}"))

    first = await cast.mona.says("/testimonies queue")
    second = await cast.mona.says("/press 16")

    assert "Waiting for review: 7 (page 1 of 2)." in first
    assert "[16] Next page" in first
    assert "Story number 4" in first
    assert "Story number 5" not in first
    assert "Waiting for review: 7 (page 2 of 2)." in second
    assert "Story number 5" in second
    assert "Next page" not in second


async def test_an_unknown_reference_is_named(cast: Cast) -> None:
    assert "There is no testimony T-ZZZZ here." in await cast.mona.says("/testimonies show T-ZZZZ")
    assert "There is no testimony nonsense here." in await cast.mona.says(
        "/testimonies show nonsense"
    )
    assert "There is no testimony T-ZZZZ here." in await cast.bob.says("/testimony withdraw zzzz")
