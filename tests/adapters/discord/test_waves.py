"""Posting waves on Discord, over the fake Discord: the modal, the announcement with a
timestamp local to every reader, the buttons, and a DM refused with 50007 turning into a
mention that pings exactly that member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.adapters.discord.adapter import DiscordAdapter
from bot.app import Core
from bot.core.delivery import RateLimits
from bot.core.outbox import OutboxSender, RateLimiter
from tests.adapters.discord.fakediscord import DM_CHANNEL_ID, GENERAL_ID, MEMBER_ID, FakeDiscord
from tests.adapters.discord.people import Person
from tests.fakes import FakeClock

START = datetime(2026, 6, 5, 18, 0, tzinfo=UTC)  # Friday 20:00 in Paris
ANSWERS = {
    "title": "Friday push",
    "when": "friday 20:00",
    "networks": "x bluesky #keep4o",
    "brief": "Say how 4o helps you @everyone",
    "texts": "I rely on 4o every day\nKeep the model that helped me",
}


async def send_outbox(core: Core, adapter: DiscordAdapter) -> None:
    sender = OutboxSender(
        core.database,
        adapter.courier,
        core.clock,
        "discord-test",
        limiter=RateLimiter(RateLimits(1000, 0.0)),
        on_recipient_gone=core.waves.service.recipient_gone,
    )
    while sum((await sender.run_once()).values()):
        pass


def channel_posts(fake: FakeDiscord, channel: int) -> list[dict[str, Any]]:
    return [
        r.body  # type: ignore[misc]
        for r in fake.requests
        if r.method == "POST" and r.path == f"/channels/{channel}/messages"
    ]


async def test_a_wave_from_a_modal_is_announced_and_joined_with_buttons(
    fake: FakeDiscord, adapter: DiscordAdapter, ada: Person, max_: Person, core: Core
) -> None:
    await ada.slash("setup", name="Keep 4o", timezone="Europe/Paris", hashtag="keep4o")
    shown = await ada.slash("wave create", reminders="1h,0")

    created = await ada.submit(shown, ANSWERS)

    assert created.private
    assert f"scheduled for <t:{int(START.timestamp())}:F>" in created.text
    await send_outbox(core, adapter)
    [announcement] = channel_posts(fake, GENERAL_ID)
    assert f"When: <t:{int(START.timestamp())}:F>" in announcement["content"]
    assert "@\u200beveryone" in announcement["content"]  # user text stays inert
    assert announcement["allowed_mentions"] == {"parse": []}
    buttons = [b for row in announcement["components"] for b in row["components"]]
    assert [b["custom_id"] for b in buttons] == [
        "chorus:wave.join:1",
        "chorus:wave.remind:1",
        "chorus:wave.posted:1",
    ]

    card = await max_.slash("wave show", id=1)
    joined = await max_.press(card, "I'm in")
    assert joined.private
    assert "You're in for **Friday push**" in joined.text
    again = await max_.press(card, "I'm in")
    assert "You were already in" in again.text
    assert "Members in so far: 1." in again.text


async def test_a_dm_refused_with_50007_becomes_a_ping_for_that_member_only(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    ada: Person,
    max_: Person,
    core: Core,
    clock: FakeClock,
) -> None:
    await ada.slash("setup", name="Keep 4o", timezone="Europe/Paris", hashtag="keep4o")
    await ada.submit(await ada.slash("wave create", reminders="1h,0"), ANSWERS)
    card = await max_.slash("wave show", id=1)
    reminded = await max_.press(card, "Remind me by DM")
    assert "I'll remind you privately" in reminded.text
    await send_outbox(core, adapter)
    fake.fail(
        "POST",
        f"/channels/{DM_CHANNEL_ID}/messages",
        403,
        {"code": 50007, "message": "Cannot send messages to this user"},
    )

    clock.set(START - timedelta(hours=1))
    await core.ticker.tick(START - timedelta(hours=1))
    await send_outbox(core, adapter)

    reminder, fallback = channel_posts(fake, GENERAL_ID)[1:]
    assert reminder["allowed_mentions"] == {"parse": []}
    assert fallback["content"].startswith(f"**<@{MEMBER_ID}>**: I could not reach you privately")
    assert fallback["allowed_mentions"] == {"parse": [], "users": [MEMBER_ID]}
    async with core.database.read() as tx:
        person = await tx.waves.participant(1, f"discord:{MEMBER_ID}")
    assert person is not None
    assert person.dm_active is False
    # The next reminder names him in the channel's own reminder; his DMs are not tried again.
    dm_tries = len(channel_posts(fake, DM_CHANNEL_ID))
    clock.set(START)
    await core.ticker.tick(START)
    await send_outbox(core, adapter)
    at_start = channel_posts(fake, GENERAL_ID)[-1]
    assert f"<@{MEMBER_ID}>" in at_start["content"]
    assert at_start["allowed_mentions"]["users"] == [MEMBER_ID]
    assert len(channel_posts(fake, DM_CHANNEL_ID)) == dm_tries


def test_only_a_discord_user_is_rendered_as_a_discord_mention(core: Core) -> None:
    from bot.adapters.discord.render import DiscordRenderer, allowed_mentions
    from bot.core.richtext import Mention, Para, Text

    document = (
        Para((Mention("discord", "42", "Ada"), Text(" <@43> "), Mention("telegram", "7", "Bo*"))),
    )
    page = DiscordRenderer(core.catalogues.translator("en")).render(document)

    assert page == "<@42> \\<@43> Bo\\*"
    payload: dict[str, Any] = dict(allowed_mentions(document, page).to_dict())
    assert payload == {"parse": [], "users": [42]}


async def test_a_time_that_cannot_be_read_reopens_the_form_as_typed(ada: Person) -> None:
    await ada.slash("setup", name="Keep 4o", timezone="Europe/Paris", hashtag="keep4o")
    typed = {**ANSWERS, "when": "someday soon"}

    refused = await ada.submit(await ada.slash("wave create", reminders="1h,0"), typed)

    assert refused.private
    assert (
        refused.text
        == "“When”: “someday soon” has no time of day I can read. Add one like 20:00 or 8pm."
    )
    reopened = await ada.press(refused, "Try again")
    assert reopened.first["type"] == 9  # the modal again, as the first response
    values = {
        c["component"]["custom_id"]: c["component"]["value"] for c in reopened.modal["components"]
    }
    assert values == typed
    created = await ada.submit(reopened, ANSWERS)
    assert f"scheduled for <t:{int(START.timestamp())}:F>" in created.text
