"""Slash commands on Discord, as dialogues; assertions are on what goes over the wire."""

from __future__ import annotations

import pytest

from bot.app import Core
from tests.adapters.discord.conftest import new_adapter
from tests.adapters.discord.fakediscord import (
    APP_ID,
    GENERAL_ID,
    MEMBER,
    READ_ONLY_ID,
    FakeDiscord,
)
from tests.adapters.discord.people import Channel, Exchange, Mention, Person
from tests.adapters.discord.stories import Stories

NO_PINGS: dict[str, list[str]] = {"parse": []}


def no_message_pings(exchange: Exchange) -> bool:
    return all(message["allowed_mentions"] == NO_PINGS for message in exchange.messages)


async def test_an_administrator_sets_up_the_server_and_no_reply_can_ping(ada: Person) -> None:
    created = await ada.slash("setup", name="Keep 4o", timezone="Europe/Paris")

    assert created.first["type"] == 4
    assert "The campaign **Keep 4o** starts here" in created.text
    assert not created.private
    assert no_message_pings(created)

    shown = await ada.slash("campaign show")

    assert "Europe/Paris" in shown.text
    assert no_message_pings(shown)


async def test_setup_refuses_a_channel_where_the_bot_cannot_send(ada: Person) -> None:
    refused = await ada.slash("setup", name="Keep 4o", channel=Channel(READ_ONLY_ID))

    assert refused.private
    assert "lacks the “Send Messages” permission" in refused.text

    accepted = await ada.slash("setup", name="Keep 4o", channel=Channel(GENERAL_ID))

    assert "starts here" in accepted.text


async def test_a_plain_member_cannot_set_up_or_act_as_an_organiser(
    ada: Person, max_: Person
) -> None:
    refused = await max_.slash("setup", name="Mine now")

    assert refused.private
    assert "Only an administrator of this server or group can do that." in refused.text

    await ada.slash("setup", name="Keep 4o")
    not_an_organiser = await max_.slash("campaign invite", days=3)

    assert not_an_organiser.private
    assert "Only the campaign's organisers can do that." in not_an_organiser.text


async def test_a_server_only_command_in_a_dm_says_where_to_use_it(ada: Person) -> None:
    refused = await ada.slash("setup", dm=True, name="Keep 4o")

    assert refused.private
    assert "/setup works in a server or group, not in a private chat" in refused.text


async def test_a_private_reply_is_ephemeral(ada: Person) -> None:
    await ada.slash("setup", name="Keep 4o")

    invite = await ada.slash("campaign invite", days=3)

    assert invite.first["data"]["flags"] == 64
    assert "/setup join:" in invite.text


async def test_user_text_is_shown_literally_and_pings_nobody(ada: Person) -> None:
    hostile = "@everyone <@&1234567890123456789> **loud** [x](https://evil.example) <script>"

    created = await ada.slash("setup", name=hostile[:80])

    content = created.messages[0]["content"]
    assert "@\u200beveryone" in content
    assert "\\<@\u200b&1234567890123456789>" in content
    assert "\\*\\*loud\\*\\*" in content
    assert "\\[x\\](https://evil.example)" in content
    assert "\\<script>" in content
    assert no_message_pings(created)


async def test_a_user_option_names_a_discord_user(ada: Person) -> None:
    await ada.slash("setup", name="Keep 4o")

    granted = await ada.slash("roles grant", user=Mention(MEMBER), role="moderator")

    assert f"`discord:{MEMBER['id']}`" in granted.text


async def test_time_zones_are_suggested_as_the_user_types(ada: Person) -> None:
    suggested = await ada.autocomplete("setup", "timezone", "paris")

    assert suggested.first == {
        "type": 8,
        "data": {"choices": [{"name": "Europe/Paris", "value": "Europe/Paris"}]},
    }


@pytest.mark.parametrize("command", ["slow", "secret"])
async def test_slow_work_is_deferred_then_sent_as_a_followup(
    core: Core, fake: FakeDiscord, command: str
) -> None:
    core.registry.add(Stories(slow=0.05))
    adapter = new_adapter(core, defer_after=0.0)
    await adapter.start()
    try:
        # The deferral, then the reply (and for a public one, removing the deferral).
        answered = await Person(fake, MEMBER).slash(
            command, requests=2 if command == "secret" else 3
        )
    finally:
        await adapter.stop()

    assert answered.first == {"type": 5, "data": {"flags": 64}}  # ephemeral "thinking"
    [followup] = answered.messages
    assert followup["allowed_mentions"] == NO_PINGS
    deleted = [r for r in answered.requests if r.method == "DELETE"]
    if command == "secret":
        assert followup["flags"] & 64
        assert not deleted
    else:
        # A public reply must not become the ephemeral "thinking" message.
        assert [r.path for r in deleted] == [
            f"/webhooks/{APP_ID}/{deleted[0].interaction_token}/messages/@original"
        ]
        assert not followup.get("flags", 0) & 64


async def test_a_reply_with_a_file_uploads_it(core: Core, fake: FakeDiscord) -> None:
    core.registry.add(Stories())
    adapter = new_adapter(core)
    await adapter.start()
    try:
        exported = await Person(fake, MEMBER).slash("export")
    finally:
        await adapter.stop()

    [request] = exported.requests
    assert request.files == {"stories.csv": b"name,story\nAda,hello\n"}
    assert exported.private


async def test_a_long_reply_is_split_into_messages_discord_accepts(
    core: Core, fake: FakeDiscord
) -> None:
    core.registry.add(Stories())
    adapter = new_adapter(core)
    await adapter.start()
    try:
        answered = await Person(fake, MEMBER).slash("long")
    finally:
        await adapter.stop()

    assert len(answered.messages) == 4  # a paragraph of 1,500 characters each
    assert all(len(m["content"]) <= 2000 for m in answered.messages)
    assert answered.text.replace("\n", "").count("word") == 1200


async def test_the_bot_asks_for_no_privileged_intent(fake: FakeDiscord, ada: Person) -> None:
    assert fake.identify is not None
    assert fake.identify["intents"] == 1  # GUILDS only
