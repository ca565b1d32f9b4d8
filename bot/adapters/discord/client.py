"""The discord.py client Chorus runs: server intents only, mentions off, command tree."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

# The client waits at most this long in one rate limit before raising `RateLimited`
# (discord.py's minimum): a longer wait goes back to the outbox sender as "retry after".
MAX_RATELIMIT_WAIT = 30.0


def intents() -> discord.Intents:
    """Only `guilds`: servers, channels, roles and the bot's own member.

    Slash commands, buttons and modals arrive as interactions with the member's
    permissions attached, so neither the members nor the message-content intent (both
    privileged) is needed.
    """
    return discord.Intents(guilds=True)


def new_client(**options: Any) -> discord.Client:
    """A client that never pings: `AllowedMentions.none()` is the default for every send."""
    client = discord.Client(
        intents=intents(),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
        **options,
    )
    return client


def new_tree(client: discord.Client) -> app_commands.CommandTree[discord.Client]:
    return app_commands.CommandTree(
        client,
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )
