"""Between Discord interactions and the dispatcher: who, where, and how to answer in time."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import discord

from bot.adapters.discord.buttons import Buttons
from bot.adapters.discord.probe import DiscordProbe
from bot.adapters.discord.render import DiscordRenderer, allowed_mentions
from bot.core.actors import Actor, ChatKind, PlaceRef, Platform
from bot.core.commands import Command
from bot.core.dispatcher import Call, Dispatcher, Response
from bot.core.i18n import Catalogues
from bot.core.probe import AlwaysAllowed, PlaceProbe
from bot.core.replies import Reply
from bot.core.richtext import Msg, doc

log = logging.getLogger(__name__)

# Discord drops an interaction that is neither answered nor deferred within 3 s of its
# creation. Work that is not done after this many seconds of our receiving it is deferred,
# which leaves room for gateway latency and the defer request itself.
DEFER_AFTER = 1.5


def actor_of(interaction: discord.Interaction) -> Actor:
    """The user, with Manage Server as the platform's "administrator of this place".

    `interaction.permissions` are the member's resolved permissions sent by Discord with
    the interaction itself, so no member cache (and no members intent) is needed.
    """
    user = interaction.user
    admin = interaction.guild_id is not None and interaction.permissions.manage_guild
    return Actor(Platform.DISCORD, str(user.id), user.display_name, is_place_admin=admin)


def place_of(interaction: discord.Interaction) -> PlaceRef:
    """The server and channel; in a DM, the user's private place (chat id = the user id).

    The private place's chat id is the user's id on every platform, so an outbox row for a
    DM names the user; the courier opens the DM channel.
    """
    if interaction.guild_id is None:
        user_id = str(interaction.user.id)
        return PlaceRef(Platform.DISCORD, user_id, user_id, ChatKind.PRIVATE, "")
    guild = interaction.guild
    return PlaceRef(
        Platform.DISCORD,
        str(interaction.guild_id),
        str(interaction.channel_id),
        ChatKind.GROUP,
        guild.name if guild is not None else "",
    )


class Bridge:
    """Runs commands and button presses for Discord, and sends the replies back."""

    def __init__(
        self,
        *,
        client: discord.Client,
        dispatcher: Dispatcher,
        catalogues: Catalogues,
        defer_after: float = DEFER_AFTER,
    ) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.catalogues = catalogues
        self._defer_after = defer_after
        self.buttons = Buttons(self.press)

    # --- who and where ---------------------------------------------------------------
    def call(
        self, interaction: discord.Interaction, command: Command, raw: Mapping[str, str]
    ) -> Call:
        """A dispatcher call for `command` as `interaction`'s user, where it happens now."""
        where = place_of(interaction)
        return Call(actor_of(interaction), where, command, dict(raw), self.probe(where))

    def probe(self, where: PlaceRef) -> PlaceProbe:
        if where.kind is not ChatKind.GROUP:
            return AlwaysAllowed()

        async def name(permission: str) -> str:
            # Only asked when a permission is missing, so the extra read is rare.
            locale = await self.dispatcher.locale_for(where)
            template = f"discord.permission.{permission}"
            return self.catalogues.translator(locale).template(template)

        return DiscordProbe(self.client, int(where.external_id), name)

    # --- commands and buttons --------------------------------------------------------
    async def run_command(
        self, interaction: discord.Interaction, command: Command, raw: Mapping[str, str]
    ) -> None:
        """A slash command without a form: checks, then the handler, then the reply."""
        await self.respond(interaction, self.dispatcher.run(self.call(interaction, command, raw)))

    async def press(self, interaction: discord.Interaction, action: str, key: str) -> None:
        """A button press: the dispatcher checks the presser's permission again, now."""
        where = place_of(interaction)
        work = self.dispatcher.press(actor_of(interaction), where, action, key, self.probe(where))
        await self.respond(interaction, work)

    # --- answering -------------------------------------------------------------------
    async def respond(
        self,
        interaction: discord.Interaction,
        work: Coroutine[Any, Any, Response],
        view_for: Callable[[Response], discord.ui.View | None] | None = None,
    ) -> None:
        """Answer with the outcome of `work`, deferring first if it is not done in time.

        Quick work (most of it) is answered directly, so the reply is ephemeral exactly
        when it is private. Slow work is deferred: a command as an ephemeral "thinking"
        message (a public reply then replaces it with a new message, so nothing private is
        ever shown in public by mistake), a button press silently. `view_for` may give the
        answer a view of the adapter's own (a form's "Try again").
        """
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self._defer_after)
            deferred = False
            if not done:
                deferred = await self._defer(interaction)
            response = await task
        finally:
            task.cancel()
        view = view_for(response) if view_for is not None else None
        try:
            await self.send(interaction, response, deferred=deferred, view=view)
        except discord.HTTPException as error:
            # Usually 10062 (too late: the interaction expired) or 40060 (already answered).
            log.warning(
                "discord: could not answer interaction %s: %s %s",
                interaction.id,
                error.status,
                error.code,
            )

    async def _defer(self, interaction: discord.Interaction) -> bool:
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as error:
            log.warning("discord: could not defer %s: %s", interaction.id, error.code)
            return False
        return True

    async def send(
        self,
        interaction: discord.Interaction,
        response: Response,
        *,
        deferred: bool = False,
        view: discord.ui.View | None = None,
    ) -> None:
        """Send a reply: pages of at most 2000 characters, buttons and file on the last.

        `Reply.private` is Discord's ephemeral flag.
        """
        reply = response.reply
        translator = self.catalogues.translator(response.locale)
        pages = DiscordRenderer(translator).pages(reply.body)
        extras = self.extras(reply, response.locale)
        if view is not None:
            extras["view"] = view
        private = reply.private
        if deferred and not private and interaction.type is not discord.InteractionType.component:
            # The deferred "thinking" message is ephemeral; the first followup would become
            # it. Remove it, so the public reply is a message of its own.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        for index, page in enumerate(pages):
            last = index == len(pages) - 1
            kwargs: dict[str, Any] = {
                "content": page or None,
                "ephemeral": private,
                "allowed_mentions": allowed_mentions(reply.body, page),
            }
            if last:
                kwargs.update(extras)
            if index == 0 and not deferred and not interaction.response.is_done():
                await interaction.response.send_message(**kwargs)
            else:
                await interaction.followup.send(**kwargs)

    def extras(self, reply: Reply, locale: str) -> dict[str, Any]:
        """The view and file of a reply, as keyword arguments for discord.py's send."""
        extras: dict[str, Any] = {}
        view = self.buttons.view(reply.buttons, self.catalogues.translator(locale))
        if view is not None:
            extras["view"] = view
        if reply.attachment is not None:
            extras["file"] = discord.File(
                io.BytesIO(reply.attachment.data), filename=reply.attachment.filename
            )
        return extras

    async def say(self, interaction: discord.Interaction, message: Msg, locale: str) -> None:
        """A short private message, as the first response."""
        await self.send(interaction, Response(Reply(doc(message), private=True), locale))
