"""Start, stop, refused tokens, declarations past Discord's limits, places joined and left."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.adapters.base import Adapter
from bot.adapters.discord.sync import sync_commands
from bot.app import Core
from bot.core.commands import ButtonAction, Command, Form, FormField
from bot.core.errors import ConfigError
from bot.core.options import IntegerOption
from bot.core.replies import Reply
from bot.core.richtext import msg
from storage.records import Place
from tests.adapters.discord.conftest import TOKEN, new_adapter
from tests.adapters.discord.fakediscord import (
    APP_ID,
    GENERAL_ID,
    GUILD_ID,
    JSON,
    READ_ONLY_ID,
    FakeDiscord,
    guild,
)
from tests.adapters.discord.people import Channel, Person


async def test_a_refused_token_stops_the_start_with_a_clear_error(
    core: Core, fake: FakeDiscord
) -> None:
    fake.fail("GET", r"^/users/@me$", 401, {"message": "401: Unauthorized", "code": 0})
    adapter = new_adapter(core)

    with pytest.raises(ConfigError, match="Discord refused the token") as refused:
        await adapter.start()

    assert TOKEN not in str(refused.value)
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__


async def test_start_returns_once_ready_and_stop_disconnects(core: Core, fake: FakeDiscord) -> None:
    adapter = new_adapter(core)

    await adapter.start()

    assert adapter.client.is_ready()
    assert [g.id for g in adapter.client.guilds] == [GUILD_ID]
    await adapter.stop()
    assert adapter.client.is_closed()


class _Broken:
    """A cog whose declarations Discord would refuse."""

    name = "broken"

    def __init__(self, command: Command | None = None, button: str = "") -> None:
        self._command = command
        self._button = button

    def commands(self) -> Sequence[Command]:
        return (self._command,) if self._command else ()

    def buttons(self) -> Sequence[ButtonAction]:
        return (ButtonAction(self._button, _press),) if self._button else ()


async def _press(context: object, key: str) -> Reply:
    raise AssertionError("never pressed")


async def _handler(context: object, args: object) -> Reply:
    raise AssertionError("never run")


LONG_LABEL = Form(msg("help.help"), (FormField("story", msg("campaign.changed", name="x" * 40)),))


@pytest.mark.parametrize(
    ("cog", "named"),
    [
        (_Broken(Command("story", msg("help.help"), _handler, form=LONG_LABEL)), "/story"),
        (
            _Broken(
                Command(
                    "big",
                    msg("help.help"),
                    _handler,
                    options=(IntegerOption(name="n", help=msg("help.help"), max_value=2**60),),
                )
            ),
            "/big option 'n'",
        ),
        (_Broken(button="Story:Approve"), "button action 'Story:Approve'"),
    ],
)
def test_a_declaration_past_discords_limits_fails_at_start_up(
    core: Core, cog: _Broken, named: str
) -> None:
    core.registry.add(cog)

    with pytest.raises(ConfigError, match=named):
        new_adapter(core)


async def test_sync_publishes_the_commands_to_one_server_or_globally(
    core: Core, fake: FakeDiscord
) -> None:
    to_guild = await sync_commands(
        TOKEN, str(GUILD_ID), registry=core.registry, catalogues=core.catalogues
    )
    globally = await sync_commands(TOKEN, None, registry=core.registry, catalogues=core.catalogues)

    puts = [r for r in fake.requests if r.method == "PUT"]
    assert [r.path for r in puts] == [
        f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands",
        f"/applications/{APP_ID}/commands",
    ]
    assert to_guild == globally
    # Every cog's commands are published; these are the core's (features add their own).
    assert {"setup", "help", "campaign", "place", "roles"} <= set(to_guild)
    setup = puts[1].body[0]  # type: ignore[index]
    assert str(setup["default_member_permissions"]) == "32"  # Manage Server: a hint only
    assert setup["contexts"] == [0]  # servers only


async def _place(core: Core) -> Place | None:
    async with core.database.read() as tx:
        return await tx.places.find("discord", str(GUILD_ID))


async def _gateway(fake: FakeDiscord, ada: Person, event: str, data: JSON) -> None:
    """Send a gateway event and wait until the bot has handled it: the gateway is read in
    order, so an interaction sent after it is read after it; then every handler started
    since (the event's and the interaction's) is waited for."""
    before = asyncio.all_tasks()
    await fake.dispatch(event, data)
    await ada.slash("help")
    await fake.finished(before)


async def test_removal_from_the_server_and_return_follow_the_place(
    core: Core, fake: FakeDiscord, ada: Person
) -> None:
    await ada.slash("setup", name="Keep 4o")

    await _gateway(fake, ada, "GUILD_DELETE", {"id": str(GUILD_ID)})

    place = await _place(core)
    assert place is not None
    assert (place.active, place.inactive_reason) == (False, "removed from the server")

    # Re-added: a GUILD_CREATE without "unavailable" (that flag marks an outage's end).
    rejoined = {k: v for k, v in guild().items() if k != "unavailable"}
    await _gateway(fake, ada, "GUILD_CREATE", rejoined)

    place = await _place(core)
    assert place is not None
    assert place.active


async def test_deleting_the_announcement_channel_stops_announcements_there(
    core: Core, fake: FakeDiscord, ada: Person
) -> None:
    await ada.slash("setup", name="Keep 4o", channel=Channel(GENERAL_ID))
    deleted = guild()["channels"][1]
    assert deleted["id"] == str(READ_ONLY_ID)

    await _gateway(fake, ada, "CHANNEL_DELETE", deleted)  # another channel: nothing changes
    place = await _place(core)
    assert place is not None
    assert place.active

    await _gateway(fake, ada, "CHANNEL_DELETE", guild()["channels"][0])

    place = await _place(core)
    assert place is not None
    assert not place.active


def test_the_adapter_meets_the_adapter_protocol(core: Core) -> None:
    adapter: Adapter = new_adapter(core)  # checked by mypy

    assert adapter.platform.value == "discord"
    assert adapter.courier.limits.global_per_second == 50
