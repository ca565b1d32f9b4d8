"""Chorus on Telegram, end to end through a local Bot API: what people type, what goes out."""

from __future__ import annotations

import json
import logging

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.core.actors import ChatKind
from bot.core.delivery import Delivery, Gone, Moved, RetryAfter, Sent
from bot.core.errors import ConfigError
from bot.core.places import PlaceEvents
from bot.core.render import utf16_length
from bot.core.replies import Attachment, Button, Reply
from bot.core.richtext import Para, Text, msg
from tests.adapters.telegram.conftest import Telegram, eventually
from tests.fakes import FakeClock

HOSTILE = (
    '<script>alert("x")</script> & <a href="javascript:alert(1)">click</a> @everyone'
    " *bold* _it_ [link](http://evil.example) `code` &amp;"
)


async def set_up_campaign(telegram: Telegram) -> dict[str, object]:
    """A group whose administrator Alice started the campaign "Keep 4o" there."""
    group = await telegram.group()
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)
    await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris', group)
    await telegram.replies(group)
    return group


async def test_an_admin_sets_up_a_campaign_with_a_typed_command_line(telegram: Telegram) -> None:
    group = await telegram.group()
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)

    await alice.says('/setup@ChorusTestBot name:"Keep 4o" timezone:Europe/Paris', group)

    [reply] = await telegram.replies(group)
    assert reply.text.startswith(
        "The campaign <b>Keep 4o</b> starts here, and you are its organiser."
    )
    assert reply.params["parse_mode"] == "HTML"
    assert json.loads(reply.params["reply_parameters"])["message_id"] > 0
    async with telegram.core.database.read() as tx:
        place = await tx.places.find("telegram", str(group["id"]))
    assert place is not None
    assert (place.timezone, place.title) == ("Europe/Paris", "Keep 4o Paris")


async def test_a_refusal_in_a_group_is_private_or_a_quiet_reply(telegram: Telegram) -> None:
    group = await telegram.group()
    bob = telegram.person(102, "Bob")

    # Bob never opened a private chat with the bot: Telegram refuses a private message (403),
    # so the refusal is a quiet reply to him in the group.
    await bob.says('/setup name:"Mine"', group)
    [quiet] = await telegram.replies(group)
    assert quiet.text == "Only an administrator of this server or group can do that."
    assert quiet.params["disable_notification"] == "true"

    # Once he has started the bot, the refusal reaches him privately, and the group sees nothing.
    await bob.says("/start")
    await telegram.replies(bob.private)
    await bob.says('/setup name:"Mine"', group)
    [private] = await telegram.replies(bob.private)
    assert private.text == "Only an administrator of this server or group can do that."
    assert await telegram.unread(group) == []


async def test_a_form_from_a_group_is_answered_in_private_through_a_deep_link(
    telegram: Telegram,
) -> None:
    group = await telegram.group()
    alice = telegram.person(101, "Alice")

    await alice.says("/story", group)
    [offer] = await telegram.replies(group)
    assert "you answer this in a private chat with me" in offer.text
    [link] = offer.buttons
    assert link["text"] == "Open the form"
    assert link["url"].startswith("https://t.me/ChorusTestBot?start=")
    token = link["url"].rsplit("=", 1)[1]

    # Only Alice can open it.
    bob = telegram.person(102, "Bob")
    await bob.says(f"/start {token}")
    [not_yours] = await telegram.replies(bob.private)
    assert "This link was made for someone else" in not_yours.text

    await alice.says(f"/start {token}")
    intro, first = await telegram.replies(alice.private, 2)
    assert "/cancel stops without saving anything" in intro.text
    assert first.text == "(1/2) The campaign's name"

    await alice.says("x" * 21)
    [again] = await telegram.replies(alice.private)
    assert again.text.startswith("“The campaign's name” can be at most 20 characters.")
    assert again.text.endswith("(1/2) The campaign's name")

    await alice.says("Keep 4o <3")
    [second] = await telegram.replies(alice.private)
    assert second.text == "(2/2) The campaign's hashtag, without spaces"
    await alice.says("It helped me\nwrite my thesis.")

    [posted] = await telegram.replies(group)
    assert posted.text == "Campaign Keep 4o &lt;3|It helped me\nwrite my thesis."
    [done] = await telegram.replies(alice.private)
    assert done.text == "Done: the answer is posted in Keep 4o Paris."
    assert telegram.probe.stories == [
        ("telegram:101", str(group["id"]), "Keep 4o <3", "It helped me\nwrite my thesis.")
    ]

    # The link worked once.
    await alice.says(f"/start {token}")
    [used] = await telegram.replies(alice.private)
    assert "This link has expired or was already used" in used.text


async def test_a_form_can_be_cancelled_and_expires_when_left_unanswered(
    telegram: Telegram, clock: FakeClock
) -> None:
    alice = telegram.person(101, "Alice")

    await alice.says("/story")  # in the private chat: the form starts at once
    await telegram.replies(alice.private, 2)
    await alice.says("/cancel")
    [cancelled] = await telegram.replies(alice.private)
    assert cancelled.text == "Cancelled. Nothing was saved."
    await alice.says("/cancel")
    assert (await telegram.replies(alice.private))[0].text == "There is nothing to cancel."

    await alice.says("/story")
    await telegram.replies(alice.private, 2)
    clock.advance(minutes=31)
    await alice.says("Too late")
    [expired] = await telegram.replies(alice.private)
    assert expired.text.startswith("Your form expired after 30 minutes without an answer")
    assert telegram.probe.stories == []


async def test_inline_buttons_reach_their_cog_and_an_expired_one_is_answered_clearly(
    telegram: Telegram, clock: FakeClock
) -> None:
    group = await telegram.group()
    alice = telegram.person(101, "Alice")

    await alice.says("/buttons", group)
    [menu] = await telegram.replies(group)
    short, long, moderators_only = menu.buttons
    assert (short["text"], short["callback_data"]) == ("moderator", "a:probe.ok|K1")
    # A key too long for 64 bytes travels as a token kept in the database.
    assert long["callback_data"].startswith("t:")
    assert len(long["callback_data"].encode()) <= 64

    await alice.presses(menu, "moderator", group)
    [pressed] = await telegram.replies(group)
    assert pressed.text == "Campaign pressed K1"
    await alice.presses(menu, "organiser", group)
    [pressed_long] = await telegram.replies(group)
    assert pressed_long.text == "Campaign pressed KKKKKKKKKK"
    answered = await telegram.calls("answerCallbackQuery")
    assert len(answered) == 2

    # A refusal is the press's own alert, which only Alice sees.
    await alice.presses(menu, moderators_only["text"], group)
    assert await alert(telegram, 3) == "Only the campaign's moderators and organisers can do that."

    clock.advance(days=91)
    await alice.presses(menu, "organiser", group)
    assert await alert(telegram, 4) == "This button is no longer active. Run the command again."


async def alert(telegram: Telegram, nth: int) -> str:
    """The text of the `nth` answer to a button press, shown as an alert."""

    async def answered() -> bool:
        return len(await telegram.calls("answerCallbackQuery")) >= nth

    await eventually(answered, f"answer {nth} to a button press")
    params = (await telegram.calls("answerCallbackQuery"))[nth - 1]["params"]
    assert params["show_alert"] == "true"
    return str(params["text"])


async def test_hostile_text_arrives_literally_in_html_mode(telegram: Telegram) -> None:
    alice = telegram.person(101, "Alice")

    await alice.says("/echo")
    await telegram.replies(alice.private, 2)
    await alice.says(HOSTILE)

    [echoed] = await telegram.replies(alice.private)
    assert echoed.params["parse_mode"] == "HTML"
    assert echoed.text == (
        'Campaign &lt;script&gt;alert("x")&lt;/script&gt; &amp; '
        '&lt;a href="javascript:alert(1)"&gt;click&lt;/a&gt; @everyone'
        " *bold* _it_ [link](http://evil.example) `code` &amp;amp;"
    )
    assert await telegram.refused_calls() == []


async def test_a_group_command_in_a_private_chat_says_where_to_use_it(telegram: Telegram) -> None:
    bob = telegram.person(102, "Bob")

    await bob.says("/grouponly")

    [reply] = await telegram.replies(bob.private)
    assert (
        reply.text == "/grouponly works in a server or group, not in a private chat. Use it there."
    )


async def test_an_anonymous_administrator_acts_for_the_group(telegram: Telegram) -> None:
    group = await telegram.group()
    anonymous = telegram.person(1087968824, "Group")
    anonymous.extra = {"is_bot": True, "username": "GroupAnonymousBot"}

    await anonymous.says('/setup name:"Keep 4o"', group, sender_chat=group)

    [reply] = await telegram.replies(group)
    assert reply.text.startswith("The campaign <b>Keep 4o</b> starts here")


async def test_the_bot_kicked_or_blocked_makes_the_place_inactive(telegram: Telegram) -> None:
    group = await set_up_campaign(telegram)
    alice = telegram.person(101, "Alice")
    courier = telegram.adapter.courier

    async def active() -> bool:
        async with telegram.core.database.read() as tx:
            place = await tx.places.find("telegram", str(group["id"]))
        assert place is not None
        return place.active

    async def inactive() -> bool:
        return not await active()

    await telegram.membership(group, by=alice, old="member", new="kicked")
    await eventually(inactive, "the place to become inactive")
    outcome = await courier.deliver(delivery(str(group["id"]), ChatKind.GROUP))
    assert outcome == Gone("Forbidden: bot was kicked from the supergroup chat")

    await telegram.membership(group, by=alice, old="kicked", new="member")
    await eventually(active, "the place to be active again")

    # A user who blocks the bot: deliveries to their private chat are gone too.
    await alice.says("/start")
    await telegram.replies(alice.private)
    await telegram.membership(alice.private, by=alice, old="member", new="kicked")

    async def blocked() -> bool:
        outcome = await courier.deliver(delivery("101", ChatKind.PRIVATE))
        return outcome == Gone("Forbidden: bot was blocked by the user")

    await eventually(blocked, "deliveries to the user to be refused")


async def test_a_migrated_group_keeps_its_place(telegram: Telegram) -> None:
    group = await set_up_campaign(telegram)
    alice = telegram.person(101, "Alice")
    supergroup = {"id": -1009999, "type": "supergroup", "title": "Keep 4o Paris"}

    await telegram.migrate(group, to=supergroup, by=alice)

    async def moved() -> bool:
        async with telegram.core.database.read() as tx:
            return await tx.places.find("telegram", "-1009999") is not None

    await eventually(moved, "the place to move to the supergroup's id")
    outcome = await telegram.adapter.courier.deliver(delivery(str(group["id"]), ChatKind.GROUP))
    assert outcome == Moved("-1009999")


async def test_a_429_is_reported_with_its_wait(telegram: Telegram) -> None:
    group = await telegram.group()
    courier = telegram.adapter.courier

    await telegram.control(
        "/fail", {"method": "sendMessage", "chat_id": group["id"], "retry_after": 7}
    )
    assert await courier.deliver(delivery(str(group["id"]), ChatKind.GROUP)) == RetryAfter(7.0)
    assert isinstance(await courier.deliver(delivery(str(group["id"]), ChatKind.GROUP)), Sent)

    # Telegram's own flood limit (20 a minute in a group, here 2) names the rest of its window.
    await telegram.control("/setLimits", {"group_per_min": 2})
    for _ in range(2):
        assert isinstance(await courier.deliver(delivery(str(group["id"]), ChatKind.GROUP)), Sent)
    limited = await courier.deliver(delivery(str(group["id"]), ChatKind.GROUP))
    assert isinstance(limited, RetryAfter)
    assert 55 <= limited.seconds <= 60
    assert courier.limits.per_group_per_minute == 20


async def test_a_long_message_is_split_into_pages_telegram_accepts(telegram: Telegram) -> None:
    group = await telegram.group()
    paragraph = "Chorus 👍🏽 keeps every voice & every <story>. " * 20  # surrogate pairs, escapes
    reply = Reply(
        tuple(Para((Text(f"{i}: {paragraph}"),)) for i in range(12)),
        buttons=(Button("probe.ok", msg("roles.moderator"), "K1"),),
    )

    outcome = await telegram.adapter.courier.deliver(
        Delivery(1, "long", str(group["id"]), ChatKind.GROUP, reply, "en")
    )

    assert isinstance(outcome, Sent)
    pages = await telegram.sent()
    assert len(pages) >= 3  # about 13,500 units of markup
    assert all(utf16_length(page.text) <= 4096 for page in pages)
    assert all(page.params["parse_mode"] == "HTML" for page in pages)
    assert [bool(page.buttons) for page in pages] == [False] * (len(pages) - 1) + [True]
    assert "\n".join(page.text for page in pages).count("&lt;story&gt;") == 12 * 20
    assert await telegram.refused_calls() == []


async def test_a_file_goes_as_a_document_captioned_with_the_reply(telegram: Telegram) -> None:
    group = await telegram.group()
    reply = Reply(
        (Para((Text("Testimonies <export>"),)),),
        attachment=Attachment("testimonies.csv", b"id,text\n1,hello\n", "text/csv"),
    )

    outcome = await telegram.adapter.courier.deliver(
        Delivery(2, "file", str(group["id"]), ChatKind.GROUP, reply, "en")
    )

    assert isinstance(outcome, Sent)
    [call] = await telegram.calls("sendDocument")
    assert call["params"]["caption"] == "Testimonies &lt;export&gt;"
    assert call["params"]["parse_mode"] == "HTML"
    assert call["files"] == [{"field": "document", "name": "testimonies.csv", "size": 16}]


async def test_menus_are_published_for_each_audience(telegram: Telegram) -> None:
    menus = await telegram.control("/commands")

    by_scope = {json.loads(key)[0]["type"]: commands for key, commands in menus.items()}
    names = {scope: [c["command"] for c in commands] for scope, commands in by_scope.items()}
    assert "setup" in names["all_chat_administrators"]
    assert "setup" not in names["all_group_chats"]
    assert "grouponly" not in names["all_private_chats"]
    campaign = next(c for c in by_scope["all_group_chats"] if c["command"] == "campaign")
    assert campaign["description"].endswith("(also: show, set, invite, invites, revoke, outbox)")


async def test_posting_rights_are_checked_where_announcements_go(telegram: Telegram) -> None:
    group = await telegram.group()
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)
    elsewhere = {"id": -1004242, "type": "supergroup", "title": "Elsewhere"}
    await telegram.control("/setChat", {"chat": elsewhere, "botStatus": "left"})

    await alice.says(f'/setup name:"Keep 4o" channel:{elsewhere["id"]}', group)

    [reply] = await telegram.replies(group)
    assert "it lacks the “can_send_messages” permission there" in reply.text


async def test_a_refused_token_stops_the_start_without_showing_it(
    telegram: Telegram, emulator: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = "123456:this-token-is-not-known-to-telegram-at-all"
    core = telegram.core
    adapter = TelegramAdapter(
        token=token,
        api_url=emulator,
        dispatcher=core.dispatcher,
        catalogues=core.catalogues,
        place_events=PlaceEvents(core.database, core.clock, core.doorbell),
        database=core.database,
        clock=core.clock,
    )

    with caplog.at_level(logging.DEBUG), pytest.raises(ConfigError) as refused:
        await adapter.start()

    assert "Telegram refused the token" in str(refused.value)
    assert token not in str(refused.value)
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__
    # httpx logs request URLs (the root handler's redaction filter masks them); Chorus's own
    # records must not carry the token at all.
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert not [line for line in ours if token.split(":")[1] in line]


def delivery(chat_id: str, kind: ChatKind) -> Delivery:
    return Delivery(1, "test", chat_id, kind, Reply((Para((Text("Hello"),)),)), "en")


async def test_typos_are_named_with_the_closest_match(telegram: Telegram) -> None:
    group = await telegram.group()
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)

    await alice.says('/setup name:"X" timzone:Europe/Paris', group)
    [option] = await telegram.replies(group)
    assert option.text == "/setup has no option “timzone”. Did you mean “timezone”?"

    # Ours even unaddressed, since /wave is one of Chorus's commands.
    await alice.says("/wave craete", group)
    [subcommand] = await telegram.replies(group)
    assert subcommand.text == "There is no command /wave craete. Did you mean /wave create?"

    # An unknown name may be another bot's: answered only when addressed to Chorus.
    await alice.says("/hepl", group)
    await alice.says("/hepl@ChorusTestBot", group)
    [command] = await telegram.replies(group)
    assert command.text == "There is no command /hepl. Did you mean /help?"
    assert await telegram.unread(group) == []  # the first /hepl, not for Chorus, got nothing
