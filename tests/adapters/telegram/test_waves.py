"""Posting waves on Telegram, through the real adapter and a local Bot API: the form in a
private chat, the announcement's buttons, the deep link that opens a private chat for DM
reminders, reminders with share links, and the mention when a private chat refuses."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.delivery import RateLimits
from bot.core.outbox import OutboxSender, RateLimiter
from tests.adapters.telegram.conftest import Person, Telegram, eventually
from tests.fakes import FakeClock

START = datetime(2026, 6, 5, 18, 0, tzinfo=UTC)  # Friday 20:00 in Paris


async def send_outbox(telegram: Telegram) -> None:
    """What a running Chorus does with its Telegram outbox rows: send them, once."""
    core = telegram.core
    sender = OutboxSender(
        core.database,
        telegram.adapter.courier,
        core.clock,
        "telegram-test",
        limiter=RateLimiter(RateLimits(1000, 0.0)),
        on_recipient_gone=core.waves.service.recipient_gone,
    )
    while sum((await sender.run_once()).values()):
        pass


async def wave_in_a_group(telegram: Telegram) -> tuple[dict[str, Any], Person]:
    """Alice, an administrator, starts a campaign in a group and creates a wave there."""
    group = await telegram.group()
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)
    await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris hashtag:#keep4o', group)
    await telegram.replies(group)

    await alice.says('/wave create reminders:"1h,0"', group)
    [offer] = await telegram.replies(group)
    token = offer.buttons[0]["url"].rsplit("=", 1)[1]
    await alice.says(f"/start {token}")
    await telegram.replies(alice.private, 2)  # the form's title, the first question
    for answer in ("Friday push", "2026-06-05 20:00", "x bluesky #keep4o", "/skip"):
        await alice.says(answer)
        await telegram.replies(alice.private)
    await alice.says("I rely on 4o every day\nKeep the model that helped me")
    [created] = await telegram.replies(alice.private)
    assert "Wave #1 <b>Friday push</b> is scheduled for Fri 5 Jun 2026 20:00 (Europe/Paris)." in (
        created.text
    )
    return group, alice


async def test_a_wave_is_announced_with_buttons_and_reminds_by_dm_after_a_deep_link(
    telegram: Telegram, clock: FakeClock
) -> None:
    group, _alice = await wave_in_a_group(telegram)
    await send_outbox(telegram)
    [announcement] = await telegram.replies(group)
    assert announcement.params["parse_mode"] == "HTML"
    assert "📣 New posting wave: <b>Friday push</b>" in announcement.text
    assert [b["callback_data"] for b in announcement.buttons] == [
        "a:wave.join|1",
        "a:wave.remind|1",
        "a:wave.posted|1",
    ]

    # Bob never started the bot: "Remind me by DM" opens his private chat by a deep link.
    bob = telegram.person(102, "Bob")
    await bob.presses(announcement, "Remind me by DM", group)

    async def answered() -> bool:
        return bool(await telegram.calls("answerCallbackQuery"))

    await eventually(answered, "the press to be answered")
    [press] = await telegram.calls("answerCallbackQuery")
    link = press["params"]["url"]
    assert link.startswith("https://t.me/ChorusTestBot?start=")
    assert await telegram.unread(group) == []
    await bob.says(f"/start {link.rsplit('=', 1)[1]}")
    [confirmed] = await telegram.replies(bob.private)
    assert confirmed.text.startswith("I'll remind you privately before <b>Friday push</b>")
    assert [b["text"] for b in confirmed.buttons] == ["Stop DM reminders"]

    # One hour before, and at the start: in the group and in Bob's private chat.
    clock.set(START - timedelta(hours=1))
    await telegram.core.ticker.tick(START - timedelta(hours=1))
    await send_outbox(telegram)
    [soon] = await telegram.replies(bob.private)
    assert soon.text.startswith("⏰ <b>Friday push</b> starts in 1 h: Fri 5 Jun 2026 20:00")
    await telegram.replies(group)

    clock.set(START)
    await telegram.core.ticker.tick(START)
    await send_outbox(telegram)
    [now] = await telegram.replies(bob.private)
    assert "🚀 <b>Friday push</b> starts now!" in now.text
    assert '<a href="https://x.com/intent/post?text=' in now.text
    assert '<a href="https://bsky.app/intent/compose?text=' in now.text
    assert [b["text"] for b in now.buttons] == ["I posted", "Stop DM reminders"]
    await telegram.replies(group)  # the group's own reminder

    # Bob says he posted, from his private chat; an hour later the group hears the result.
    await bob.presses(now, "I posted", bob.private)
    await eventually(lambda: _answered(telegram, 2), "the second press to be answered")
    clock.set(START + timedelta(hours=1))
    await telegram.core.ticker.tick(START + timedelta(hours=1))
    await send_outbox(telegram)
    [result] = await telegram.replies(group)
    assert "📊 <b>Friday push</b> (Fri 5 Jun 2026 20:00 (Europe/Paris)): 1 joined" in result.text
    assert "1 said they posted" in result.text
    # The one refusal: the press's first try to answer Bob privately, before he started.
    refused = await telegram.refused_calls()
    assert [call["params"]["chat_id"] for call in refused] == ["102"]


async def test_a_member_who_blocks_the_bot_is_mentioned_in_the_group_instead(
    telegram: Telegram, clock: FakeClock
) -> None:
    group, _alice = await wave_in_a_group(telegram)
    carol = telegram.person(103, "Carol <3")
    await carol.says("/start")
    await telegram.replies(carol.private)
    await carol.says("/wave remind 1", group)
    await telegram.replies(carol.private)  # the confirmation, privately
    await telegram.membership(carol.private, by=carol, old="member", new="kicked")
    await send_outbox(telegram)
    await telegram.replies(group)  # the announcement

    clock.set(START - timedelta(hours=1))
    await telegram.core.ticker.tick(START - timedelta(hours=1))
    await send_outbox(telegram)

    reminder, fallback = await telegram.replies(group, 2)
    assert "starts in 1 h" in reminder.text
    mention = f'<a href="tg://user?id=103">{html.escape("Carol <3", quote=False)}</a>'
    assert fallback.text.startswith(f"<b>{mention}</b>: I could not reach you privately")
    async with telegram.core.database.read() as tx:
        person = await tx.waves.participant(1, "telegram:103")
    assert person is not None
    assert person.dm_active is False
    refused = await telegram.refused_calls()
    assert [call["params"]["chat_id"] for call in refused] == ["103"]


async def _answered(telegram: Telegram, count: int) -> bool:
    return len(await telegram.calls("answerCallbackQuery")) >= count


def test_only_a_telegram_user_is_rendered_as_a_telegram_mention(telegram: Telegram) -> None:
    from bot.adapters.telegram.render import TelegramRenderer
    from bot.core.richtext import Mention, Para, Text

    renderer = TelegramRenderer(telegram.core.catalogues.translator("en"))
    document = (
        Para((Mention("telegram", "7", "<Bo>"), Text(" "), Mention("discord", "4", "A&B"))),
    )

    assert renderer.render(document) == '<a href="tg://user?id=7">&lt;Bo&gt;</a> A&amp;B'


async def remind_command_held_for(telegram: Telegram, bob: Person, group: dict[str, Any]) -> str:
    """Bob, who never started the bot, types `/wave remind 1` in the group: the group gets
    a button that opens his private chat by a deep link; the link."""
    await send_outbox(telegram)
    await telegram.replies(group)  # the announcement
    await bob.says("/wave remind 1", group)
    [note] = await telegram.replies(group)
    assert "press the button below and then start" in note.text.lower()
    assert "Friday push" not in note.text  # the answer itself is not shown in the group
    [button] = note.buttons
    link = button["url"]
    assert link.startswith("https://t.me/ChorusTestBot?start=")
    assert await telegram.unread(bob.private) == []
    return link.rsplit("=", 1)[1]


async def test_a_remind_command_from_a_member_who_never_started_opens_a_deep_link(
    telegram: Telegram,
) -> None:
    group, _alice = await wave_in_a_group(telegram)
    bob = telegram.person(102, "Bob")
    token = await remind_command_held_for(telegram, bob, group)

    await bob.says(f"/start {token}")
    [confirmed] = await telegram.replies(bob.private)
    assert confirmed.text.startswith("I'll remind you privately before <b>Friday push</b>")
    assert [b["text"] for b in confirmed.buttons] == ["Stop DM reminders"]
    async with telegram.core.database.read() as tx:
        person = await tx.waves.participant(1, "telegram:102")
    assert person is not None
    assert person.wants_dm is True
    assert person.dm_active is True
    # The link is shown once.
    await bob.says(f"/start {token}")
    [again] = await telegram.replies(bob.private)
    assert "Friday push" not in again.text


async def test_opening_the_link_reactivates_an_opt_in_a_failed_dm_turned_off(
    telegram: Telegram, clock: FakeClock
) -> None:
    group, _alice = await wave_in_a_group(telegram)
    bob = telegram.person(102, "Bob")
    clock.set(START - timedelta(hours=2))  # a held answer keeps for 24 hours
    token = await remind_command_held_for(telegram, bob, group)

    # The first reminder comes before Bob opens the link: his private chat refuses it.
    clock.set(START - timedelta(hours=1))
    await telegram.core.ticker.tick(START - timedelta(hours=1))
    await send_outbox(telegram)
    await telegram.replies(group, 2)  # the group's reminder, and Bob's mention
    async with telegram.core.database.read() as tx:
        person = await tx.waves.participant(1, "telegram:102")
    assert person is not None
    assert person.dm_active is False

    await bob.says(f"/start {token}")
    [confirmed] = await telegram.replies(bob.private)
    assert confirmed.text.startswith("I'll remind you privately before <b>Friday push</b>")
    async with telegram.core.database.read() as tx:
        person = await tx.waves.participant(1, "telegram:102")
    assert person is not None
    assert person.wants_dm is True
    assert person.dm_active is True

    # And the reminder at the start reaches him privately.
    clock.set(START)
    await telegram.core.ticker.tick(START)
    await send_outbox(telegram)
    [now] = await telegram.replies(bob.private)
    assert "🚀 <b>Friday push</b> starts now!" in now.text
