"""The Discord platform: lifecycle of the discord.py client inside Chorus's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

import discord
from discord import app_commands

from bot.adapters.discord.client import new_client, new_tree
from bot.adapters.discord.commands import build_tree
from bot.adapters.discord.courier import DiscordCourier
from bot.adapters.discord.events import PlaceListener
from bot.adapters.discord.forms import Forms
from bot.adapters.discord.interactions import DEFER_AFTER, Bridge, place_of
from bot.adapters.discord.limits import check_declarations
from bot.core.actors import Platform
from bot.core.commands import Command
from bot.core.dispatcher import Dispatcher
from bot.core.errors import ConfigError
from bot.core.i18n import DEFAULT_LOCALE, Catalogues
from bot.core.places import PlaceEvents
from bot.core.richtext import msg

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0
# discord.py waits this long after the last GUILD_CREATE before it calls itself ready.
GUILD_READY_TIMEOUT = 2.0


class DiscordAdapter:
    """Slash commands, modals and buttons on Discord, and the courier for its outbox.

    Construction checks every declaration against Discord's limits (`ConfigError` names
    the one that breaks). `start` logs in (a refused token is a `ConfigError`), connects
    the gateway as a task of the running loop and returns once Discord says ready; `stop`
    closes the connection. Commands are not synced here: see `sync_commands`.
    """

    platform = Platform.DISCORD

    def __init__(
        self,
        *,
        token: str,
        dispatcher: Dispatcher,
        catalogues: Catalogues,
        place_events: PlaceEvents,
        ready_timeout: float = READY_TIMEOUT,
        guild_ready_timeout: float = GUILD_READY_TIMEOUT,
        defer_after: float = DEFER_AFTER,
    ) -> None:
        english = catalogues.translator(DEFAULT_LOCALE)
        commands = list(dispatcher.registry.commands())
        buttons = [b for cog in dispatcher.registry.cogs for b in cog.buttons()]
        check_declarations(commands, buttons, english)
        self._token = token
        self._ready_timeout = ready_timeout
        self.client = new_client(guild_ready_timeout=guild_ready_timeout)
        self.tree = new_tree(self.client)
        self.bridge = Bridge(
            client=self.client,
            dispatcher=dispatcher,
            catalogues=catalogues,
            defer_after=defer_after,
        )
        self.forms = Forms(self.bridge)
        build_tree(self.tree, commands, self, english)
        self.tree.error(self.on_command_error)
        self.client.add_dynamic_items(self.bridge.buttons.item_class)
        PlaceListener(place_events).attach(self.client)
        self.client.event(self.on_interaction)
        self._courier = DiscordCourier(self.bridge)
        self._connection: asyncio.Task[None] | None = None

    @property
    def courier(self) -> DiscordCourier:
        return self._courier

    async def run(
        self, interaction: discord.Interaction, command: Command, raw: Mapping[str, str]
    ) -> None:
        """A slash command: a form command opens its modal, any other runs."""
        if command.form is not None:
            await self.forms.open(interaction, command, raw)
        else:
            await self.bridge.run_command(interaction, command, raw)

    async def on_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """discord.py could not turn an option into its value, or our callback broke.

        The dispatcher answers every refusal and handler error itself; what reaches here
        is a payload discord.py rejected (an option of the wrong kind) or a failed send.
        """
        if not isinstance(error, app_commands.TransformerError):
            log.error("discord: command failed", exc_info=error)
            return
        if not interaction.response.is_done():
            locale = await self.bridge.dispatcher.locale_for(place_of(interaction))
            await self.bridge.say(interaction, msg("discord.bad_option"), locale)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every interaction passes here too; only orphaned form submits are answered."""
        if interaction.type is discord.InteractionType.modal_submit:
            await self.forms.rescue(interaction)

    async def start(self) -> None:
        """Log in, connect the gateway in the background, return once ready."""
        try:
            await self.client.login(self._token)
        except discord.LoginFailure as error:
            await self.client.close()
            # `from None`: the chained HTTP error carries the request, and so the token.
            raise ConfigError(f"Discord refused the token: {error}") from None
        except BaseException:
            await self.client.close()
            raise
        self._connection = asyncio.create_task(
            self.client.connect(reconnect=True), name="discord-gateway"
        )
        ready = asyncio.create_task(self.client.wait_until_ready(), name="discord-ready")
        done, _ = await asyncio.wait(
            {ready, self._connection},
            timeout=self._ready_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready in done:
            log.info("discord: ready in %d servers", len(self.client.guilds))
            return
        ready.cancel()
        problem = self._why_not_connected(done)
        await self.stop()
        raise ConfigError(problem)

    def _why_not_connected(self, done: set[asyncio.Task[None]]) -> str:
        if self._connection not in done:
            return f"Discord did not become ready within {self._ready_timeout:.0f} s"
        if self._connection is None or self._connection.cancelled():
            return "Discord connection was cancelled"
        error = self._connection.exception()
        if isinstance(error, discord.PrivilegedIntentsRequired):
            return "Discord refused the intents Chorus asked for (enable them in the portal)"
        return f"Discord connection failed: {type(error).__name__}: {error}"

    async def stop(self) -> None:
        """Close the gateway and the HTTP session; wait for the connection task to end."""
        await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._connection, timeout=10)
            self._connection = None
