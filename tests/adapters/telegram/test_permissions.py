"""A group whose administrators took Chorus's right to post away, against the Bot API emulator:
Telegram answers "not enough rights"; the group stays in the campaign, its administrator is
told privately, and posting resumes once the right is given back."""

from __future__ import annotations

from typing import Any

from telegram.error import BadRequest, Forbidden

from bot.adapters.telegram.courier import outcome_of
from bot.core import delivery
from bot.core.outbox import OutboxSender, RateLimiter
from bot.core.posting import PROBE_EVERY
from storage.records import Place
from tests.adapters.telegram.conftest import Person, Telegram, eventually
from tests.adapters.telegram.test_telegram import set_up_campaign
from tests.core.outbox.fakes import ClockTime
from tests.core.outbox.helpers import queue_message
from tests.fakes import FakeClock

NO_RIGHTS = "Not enough rights to send text messages to the chat"


def sender(telegram: Telegram, clock: FakeClock) -> OutboxSender:
    """The outbox sender, its limiter on the test's clock (so a probe's wait can pass)."""
    courier = telegram.adapter.courier
    time = ClockTime(clock)
    limiter = RateLimiter(courier.limits, time_source=time, sleep=time.sleep)
    core = telegram.core
    return OutboxSender(core.database, courier, clock, "telegram-test", limiter=limiter)


async def place_of(telegram: Telegram, group: dict[str, Any]) -> Place:
    async with telegram.core.database.read() as tx:
        found = await tx.places.find("telegram", str(group["id"]))
    assert found is not None
    return found


async def campaign_with_a_private_chat(telegram: Telegram) -> tuple[dict[str, Any], Person]:
    """A group whose administrator Alice set the campaign up there, having started a private
    chat with the bot first (so that notices can reach her)."""
    alice = telegram.person(101, "Alice")
    await alice.says("/start")
    await telegram.replies(alice.private)
    return await set_up_campaign(telegram), alice


async def test_a_group_that_took_the_right_to_post_stays_and_its_admin_is_told(
    telegram: Telegram, clock: FakeClock
) -> None:
    group, alice = await campaign_with_a_private_chat(telegram)
    await alice.says("/signatures set 800", group)
    await alice.says("/signatures set 2600", group)
    await telegram.replies(group, 2)
    await telegram.control("/setChat", {"chat": group, "botStatus": "restricted"})
    outbox = sender(telegram, clock)

    assert (await outbox.run_once())["cannot_post"] == 1
    place = await place_of(telegram, group)
    held = await queue_message(
        telegram.core.database, clock, "held", chat=str(group["id"]), place_id=place.id
    )
    await outbox.run_once()  # the notice goes out; the held row waits for the probe

    refused = [c for c in await telegram.refused_calls() if c["method"] == "sendMessage"]
    assert [c["description"] for c in refused] == [f"Bad Request: {NO_RIGHTS.lower()}"]
    assert place.active
    assert place.posting_problem == NO_RIGHTS
    [notice] = await telegram.replies(alice.private)
    assert "Chorus can no longer post in" in notice.text
    assert NO_RIGHTS in notice.text

    await telegram.control("/setChat", {"chat": group, "botStatus": "member"})
    clock.advance(seconds=PROBE_EVERY + 1)
    assert (await outbox.run_once())["sent"] == 1

    [_delivered] = await telegram.replies(group)
    async with telegram.core.database.read() as tx:
        entry = await tx.outbox.get(held)
    assert entry is not None
    assert entry.status == "sent"
    assert (await place_of(telegram, group)).posting_problem_since is None
    await alice.says("/place", group)
    [shown] = await telegram.replies(group)
    assert "Announcements go to" in shown.text
    assert "cannot post" not in shown.text


async def test_restricting_the_bot_marks_the_place_and_lifting_it_ends_the_problem(
    telegram: Telegram, clock: FakeClock
) -> None:
    group, alice = await campaign_with_a_private_chat(telegram)

    await telegram.membership(group, by=alice, old="member", new="restricted")

    async def marked() -> bool:
        return (await place_of(telegram, group)).posting_problem_since is not None

    await eventually(marked, "the place to be marked")
    place = await place_of(telegram, group)
    assert place.active  # restricted, not removed
    await sender(telegram, clock).run_once()
    [notice] = await telegram.replies(alice.private)
    assert "Chorus can no longer post in" in notice.text

    await telegram.membership(group, by=alice, old="restricted", new="member")

    async def cleared() -> bool:
        return (await place_of(telegram, group)).posting_problem_since is None

    await eventually(cleared, "the problem to be over")
    assert (await place_of(telegram, group)).active


def test_no_right_to_post_is_told_apart_from_a_removal() -> None:
    cannot = [
        BadRequest("Bad Request: not enough rights to send text messages to the chat"),
        BadRequest("Bad Request: have no rights to send a message"),
        BadRequest("Bad Request: need administrator rights in the channel chat"),
        Forbidden("Forbidden: CHAT_WRITE_FORBIDDEN"),
        BadRequest("Bad Request: CHAT_RESTRICTED"),
    ]
    removed = [
        Forbidden("Forbidden: bot was kicked from the supergroup chat"),
        Forbidden("Forbidden: bot is not a member of the channel chat"),
        BadRequest("Bad Request: chat not found"),
        Forbidden("Forbidden: bot was blocked by the user"),
    ]

    assert all(isinstance(outcome_of(error), delivery.CannotPost) for error in cannot)
    assert all(isinstance(outcome_of(error), delivery.Gone) for error in removed)
