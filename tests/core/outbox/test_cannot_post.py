"""A chat where the bot lost a permission: the row fails, the place is marked and stays
active, the people who can fix it are told once, the chat is probed (never hammered), and
the problem clears itself when a send goes through again."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from bot.core.actors import ChatKind
from bot.core.delivery import CannotPost, Gone
from bot.core.i18n import Catalogues
from bot.core.posting import PROBE_EVERY
from bot.core.render import PlainRenderer
from bot.core.richtext import Document
from storage.database import Database
from storage.records import Place
from tests.core.outbox.fakes import FakeCourier
from tests.core.outbox.helpers import add_group, make_sender, place, queue_message, row
from tests.fakes import FakeClock

NO_RIGHTS = "Not enough rights to send text messages to the chat"


async def test_a_lost_permission_fails_the_row_and_marks_the_place_which_stays_active(
    db: Database, clock: FakeClock
) -> None:
    group = await add_group(db, clock, "-100")
    refused = await queue_message(db, clock, "a", chat="-100", place_id=group.id)
    held = await queue_message(db, clock, "b", chat="-100", place_id=group.id)
    other = await add_group(db, clock, "-200")
    unaffected = await queue_message(db, clock, "c", chat="-200", place_id=other.id)
    courier = FakeCourier()
    courier.answer(CannotPost(NO_RIGHTS), chat="-100")
    sender = make_sender(db, courier, clock)
    started = clock.now()

    counts = await sender.run_once()

    assert counts["cannot_post"] == 1
    assert courier.chats.count("-100") == 1
    failed = await row(db, refused)
    assert (failed.status, failed.last_error) == ("failed", NO_RIGHTS)
    waiting = await row(db, held)
    assert waiting.status == "pending"  # not cancelled: it goes out once Chorus may post
    assert waiting.next_attempt_at >= clock.now() + timedelta(seconds=PROBE_EVERY)
    assert (await row(db, unaffected)).status == "sent"
    marked = await place(db, group.id)
    assert marked.active
    assert (marked.posting_problem, marked.posting_problem_chat) == (NO_RIGHTS, "-100")
    assert marked.posting_problem_since is not None
    assert started <= marked.posting_problem_since <= clock.now()
    assert (await place(db, other.id)).posting_problem_since is None


async def test_a_chat_that_may_not_post_is_probed_once_per_interval_never_hammered(
    db: Database, clock: FakeClock
) -> None:
    group = await add_group(db, clock, "-100")
    for index in range(60):
        await queue_message(db, clock, f"old:{index}", chat="-100", place_id=group.id)
    courier = FakeCourier()
    courier.answer(*(CannotPost(NO_RIGHTS) for _ in range(100)), chat="-100")
    sender = make_sender(db, courier, clock)
    tries: list[float] = []
    started = clock.now()

    for minute in range(61):
        # New messages keep coming for that chat while it cannot post.
        await queue_message(db, clock, f"new:{minute}", chat="-100", place_id=group.id)
        before = len(courier.deliveries)
        await sender.run_once()
        tries += [(clock.now() - started).total_seconds()] * (len(courier.deliveries) - before)
        clock.advance(seconds=60)

    # One refusal per probe interval: at most one in any 10 minutes, 7 in the hour.
    assert len(tries) == 7
    assert all(later - earlier >= PROBE_EVERY for earlier, later in pairwise(tries))
    assert (await place(db, group.id)).active


async def test_a_send_that_goes_through_again_clears_the_problem_and_the_rest_follow(
    db: Database, clock: FakeClock
) -> None:
    group = await add_group(db, clock, "-100")
    first = await queue_message(db, clock, "a", chat="-100", place_id=group.id)
    rest = [await queue_message(db, clock, key, chat="-100", place_id=group.id) for key in "bcd"]
    courier = FakeCourier()
    courier.answer(CannotPost(NO_RIGHTS), chat="-100")
    sender = make_sender(db, courier, clock)
    await sender.run_once()
    assert (await place(db, group.id)).posting_problem_since is not None

    clock.advance(seconds=PROBE_EVERY + 1)  # the administrator gave the permission back
    await sender.run_once()

    assert courier.outbox_ids == [first, *rest]
    assert [(await row(db, outbox_id)).status for outbox_id in rest] == ["sent"] * 3
    cleared = await place(db, group.id)
    assert (cleared.posting_problem, cleared.posting_problem_chat) == ("", "")
    assert cleared.posting_problem_since is None


async def test_the_administrators_and_organisers_are_told_privately_once(
    db: Database, clock: FakeClock
) -> None:
    group = await campaign_with_people(db, clock)
    for key in ("a", "b"):
        await queue_message(db, clock, key, chat="-100", place_id=group.id)
    courier = FakeCourier()
    courier.answer(CannotPost(NO_RIGHTS), CannotPost(NO_RIGHTS), chat="-100")
    sender = make_sender(db, courier, clock)

    await sender.run_once()  # refused: the notices are written
    clock.advance(seconds=PROBE_EVERY + 1)
    await sender.run_once()  # the notices go out; the probe is refused again: no new notice
    clock.advance(seconds=PROBE_EVERY + 1)
    await sender.run_once()

    notices = [d for d in courier.deliveries if d.chat_kind is ChatKind.PRIVATE]
    assert sorted(d.chat_id for d in notices) == ["1", "7"]  # the organiser, the admin
    assert all(d.reply.private for d in notices)
    text = {d.chat_id: render(d.reply.body, d.locale) for d in notices}
    assert "Chorus can no longer post in -100 in Keep 4o Paris: " + NO_RIGHTS in text["7"]
    assert "choose another channel with /place set channel:" in text["7"]
    assert "tries again every 10 minutes" in text["7"]
    assert "Keep 4o Paris (Telegram), a community of the campaign Keep 4o" in text["1"]
    assert "/campaign lists every community where Chorus cannot post" in text["1"]
    assert courier.chats.count("-100") == 2


async def test_two_channels_of_one_place_that_refuse_do_not_take_turns_telling_people(
    db: Database, clock: FakeClock
) -> None:
    group = await campaign_with_people(db, clock)
    courier = FakeCourier()
    for chat in ("-100", "-101"):  # the announcement channel, and the digest's own
        courier.answer(*(CannotPost(NO_RIGHTS) for _ in range(4)), chat=chat)
    sender = make_sender(db, courier, clock)

    for probe in range(4):
        await queue_message(db, clock, f"a{probe}", chat="-100", place_id=group.id)
        await queue_message(db, clock, f"d{probe}", chat="-101", place_id=group.id)
        await sender.run_once()
        clock.advance(seconds=PROBE_EVERY + 1)

    notices = [d for d in courier.deliveries if d.chat_kind is ChatKind.PRIVATE]
    assert sorted(d.chat_id for d in notices) == ["1", "7"]
    assert (await place(db, group.id)).posting_problem_chat == "-100"


async def test_a_lost_permission_in_a_private_chat_is_a_recipient_gone(
    db: Database, clock: FakeClock
) -> None:
    first = await queue_message(db, clock, "a", chat="42", kind="private")
    second = await queue_message(db, clock, "b", chat="42", kind="private")
    courier = FakeCourier()
    courier.answer(CannotPost("CHAT_WRITE_FORBIDDEN"), chat="42")

    await make_sender(db, courier, clock).run_once()

    assert (await row(db, first)).status == "gone"
    assert (await row(db, second)).status == "cancelled"


async def test_only_a_removal_makes_the_place_inactive(db: Database, clock: FakeClock) -> None:
    group = await add_group(db, clock, "-100")
    await queue_message(db, clock, "a", chat="-100", place_id=group.id)
    await queue_message(db, clock, "b", chat="-100", place_id=group.id)
    courier = FakeCourier()
    courier.answer(CannotPost(NO_RIGHTS), Gone("Forbidden: bot was kicked"), chat="-100")
    sender = make_sender(db, courier, clock)

    await sender.run_once()
    assert (await place(db, group.id)).active
    clock.advance(seconds=PROBE_EVERY + 1)
    await sender.run_once()

    removed = await place(db, group.id)
    assert not removed.active
    assert removed.posting_problem_since is None  # inactive says it all


async def campaign_with_people(db: Database, clock: FakeClock) -> Place:
    """A Telegram group set up by its administrator 7, in a campaign organised by 1."""
    now = clock.now()
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name="Keep 4o",
            hashtag="",
            timezone="UTC",
            locale="en",
            created_by="telegram:1",
            now=now,
        )
        await tx.roles.grant(campaign.id, "telegram:1", "organiser", "telegram:1", now)
        group = await tx.places.add(
            platform="telegram",
            external_id="-100",
            campaign_id=campaign.id,
            title="Keep 4o Paris",
            locale="en",
            timezone="UTC",
            announcement_channel="-100",
            now=now,
        )
        await tx.audit.record(
            at=now,
            actor="telegram:7",
            action="campaign.join",
            campaign_id=campaign.id,
            place_id=group.id,
        )
    return group


def render(body: Document, locale: str) -> str:
    return PlainRenderer(Catalogues.load().translator(locale)).render(body)
