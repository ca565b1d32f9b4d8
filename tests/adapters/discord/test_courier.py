"""Outbox deliveries to Discord: nonces, no pings, and every API error as an outcome."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.courier import DiscordCourier
from bot.core.actors import ChatKind
from bot.core.delivery import (
    CannotPost,
    Delivery,
    Failed,
    Gone,
    Outcome,
    RetryAfter,
    Sent,
    Transient,
)
from bot.core.replies import Attachment, Button, Reply
from bot.core.richtext import Moment, doc, msg, para
from tests.adapters.discord.fakediscord import (
    DM_CHANNEL_ID,
    GENERAL_ID,
    MEMBER_ID,
    FakeDiscord,
)

MILESTONE = Reply(doc(para("10,000 signatures! @everyone <@&1234567890123456789>")))


def delivery(
    reply: Reply = MILESTONE, *, outbox_id: int = 42, chat: int = GENERAL_ID, dm: bool = False
) -> Delivery:
    kind = ChatKind.PRIVATE if dm else ChatKind.GROUP
    return Delivery(outbox_id, f"milestone:{outbox_id}", str(chat), kind, reply, "en")


def posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [
        r.body  # type: ignore[misc]
        for r in fake.requests
        if r.method == "POST" and r.path.endswith("/messages")
    ]


async def test_an_announcement_carries_its_outbox_nonce_and_pings_nobody(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    outcome = await adapter.courier.deliver(delivery())

    [body] = posts(fake)
    assert isinstance(outcome, Sent)
    assert body["nonce"] == "ob42"
    assert body["enforce_nonce"] is True
    assert body["allowed_mentions"] == {"parse": []}
    assert "@\u200beveryone \\<@\u200b&1234567890123456789>" in body["content"]
    assert [r.path for r in fake.requests if r.method == "POST"] == [
        f"/channels/{GENERAL_ID}/messages"
    ]


async def test_a_resend_after_a_crash_returns_the_message_already_posted(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    first = await adapter.courier.deliver(delivery())
    again = await adapter.courier.deliver(delivery())

    assert isinstance(first, Sent)
    assert again == first


async def test_a_dm_is_sent_to_the_users_dm_channel(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    outcome = await adapter.courier.deliver(delivery(chat=MEMBER_ID, dm=True))

    assert isinstance(outcome, Sent)
    opened = [r for r in fake.requests if r.path == "/users/@me/channels"]
    assert [r.body for r in opened] == [{"recipient_id": MEMBER_ID}]
    assert f"/channels/{DM_CHANNEL_ID}/messages" in [r.path for r in fake.requests]


async def test_buttons_a_file_and_times_travel_with_the_announcement(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    at = Moment(datetime(2026, 6, 1, 18, 0, tzinfo=UTC))
    reply = Reply(
        doc(msg("invite.line", code="ABCD", until=at, uses=1)),
        buttons=(Button("story.approve", msg("discord.try_again"), key="S-9"),),
        attachment=Attachment("book.html", b"<html></html>", "text/html"),
    )

    await adapter.courier.deliver(delivery(reply))

    [request] = [r for r in fake.requests if r.path.endswith("/messages")]
    assert request.files == {"book.html": b"<html></html>"}
    assert isinstance(request.body, dict)
    assert "<t:1780336800:F>" in request.body["content"]
    [row] = request.body["components"]
    assert row["components"][0]["custom_id"] == "chorus:story.approve:S-9"


async def test_a_long_announcement_is_sent_as_several_messages_with_their_own_nonces(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    reply = Reply(tuple(para("word " * 300) for _ in range(3)))

    outcome = await adapter.courier.deliver(delivery(reply, outbox_id=7))

    assert isinstance(outcome, Sent)
    assert [b["nonce"] for b in posts(fake)] == ["ob7", "ob7.1", "ob7.2"]
    assert all(len(b["content"]) <= 2000 for b in posts(fake))


ERRORS = [
    pytest.param(
        403, {"code": 50013, "message": "Missing Permissions"}, {}, False, CannotPost, id="403"
    ),
    pytest.param(
        403, {"code": 50001, "message": "Missing Access"}, {}, False, CannotPost, id="403-access"
    ),
    pytest.param(
        403, {"code": 50007, "message": "Cannot send"}, {}, True, Gone, id="403-dm-closed"
    ),
    pytest.param(404, {"code": 10003, "message": "Unknown Channel"}, {}, False, Gone, id="404"),
    pytest.param(404, {"code": 10004, "message": "Unknown Guild"}, {}, False, Gone, id="404-guild"),
    pytest.param(400, {"code": 50035, "message": "Invalid Form Body"}, {}, False, Failed, id="400"),
    pytest.param(503, {"message": "Service Unavailable"}, {}, False, Transient, id="503"),
]


@pytest.mark.parametrize(("status", "body", "headers", "dm", "expected"), ERRORS)
async def test_api_errors_become_outcomes(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
    dm: bool,
    expected: type[Outcome],
) -> None:
    fake.fail("POST", r"/messages$", status, body, headers=headers)

    outcome = await adapter.courier.deliver(delivery(chat=MEMBER_ID if dm else GENERAL_ID, dm=dm))

    assert isinstance(outcome, expected)
    assert len(posts(fake)) == 1  # discord.py did not retry it either


async def test_a_channel_where_the_permission_was_taken_away_cannot_be_posted_in(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.forbid(GENERAL_ID, 50013)

    sent = await adapter.courier.deliver(delivery())
    edited = await adapter.courier.edit(str(GENERAL_ID), "1200000000000000001", MILESTONE, "en")

    assert sent == CannotPost("403 50013: Missing Permissions")
    assert edited == CannotPost("403 50013: Missing Permissions")
    fake.allow(GENERAL_ID)
    assert isinstance(await adapter.courier.deliver(delivery(outbox_id=43)), Sent)


async def test_missing_access_to_a_channel_of_a_server_the_bot_left_is_gone(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    elsewhere = 1100000000000000777  # a channel of no server the bot is in (kicked offline)
    fake.forbid(elsewhere, 50001)

    outcome = await adapter.courier.deliver(delivery(chat=elsewhere))

    assert outcome == Gone("403 50001: Missing Access")


async def test_a_long_rate_limit_is_handed_back_to_the_sender(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    limited = {"message": "You are being rate limited.", "retry_after": 42.5, "global": False}
    fake.fail("POST", r"/messages$", 429, limited, headers={"Via": "1.1 google"})

    outcome = await adapter.courier.deliver(delivery())

    assert outcome == RetryAfter(42.5)


async def test_a_cloudflare_block_pauses_every_send(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.fail("POST", r"/messages$", 429, {"message": "blocked"}, headers={"Retry-After": "120"})

    outcome = await adapter.courier.deliver(delivery())

    assert outcome == RetryAfter(120.0, everything=True)


async def test_a_short_rate_limit_is_waited_out_by_discord_py(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    limited = {"message": "You are being rate limited.", "retry_after": 0.01, "global": True}
    fake.fail("POST", r"/messages$", 429, limited, headers={"Via": "1.1 google"})

    outcome = await adapter.courier.deliver(delivery())

    assert isinstance(outcome, Sent)
    assert len(posts(fake)) == 2


async def test_a_500_is_retried_by_discord_py_then_reported_transient(
    fake: FakeDiscord, adapter: DiscordAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.fail("POST", r"/messages$", 500, {"message": "Internal Server Error"}, times=5)
    # discord.py backs off 1, 3, 5, 7 and 9 s between its five tries; not in a unit test.
    monkeypatch.setattr(discord.http, "asyncio", _InstantSleep())

    outcome = await adapter.courier.deliver(delivery())

    assert isinstance(outcome, Transient)
    assert len(posts(fake)) == 5


async def test_a_send_that_hangs_is_transient(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    fake.fail("POST", r"/messages$", 200, {}, delay=0.3)
    courier = DiscordCourier(adapter.bridge, timeout=0.05)

    outcome = await courier.deliver(delivery())

    assert isinstance(outcome, Transient)


async def test_a_chat_id_that_is_not_a_discord_id_fails_without_a_request(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    outcome = await adapter.courier.deliver(
        Delivery(1, "x", "console", ChatKind.GROUP, MILESTONE, "en")
    )

    assert isinstance(outcome, Failed)
    assert posts(fake) == []


class _InstantSleep:
    """discord.http's view of asyncio, with sleeps that return at once."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        await asyncio.sleep(0)
        return result
