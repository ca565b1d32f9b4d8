"""Publishing the command list to Discord, on request (`chorus sync`), never at every boot.

Discord rate-limits command creation (200 a day per server) and a global change can take
a while to reach every client, so syncing is an operator's act after an upgrade. A guild
sync (the dev server) is instant and is what to use while developing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.adapters.discord.client import new_client, new_tree
from bot.adapters.discord.commands import build_tree
from bot.adapters.discord.limits import check_declarations
from bot.core.commands import Command
from bot.core.errors import ConfigError
from bot.core.i18n import DEFAULT_LOCALE, Catalogues
from bot.core.registry import Registry


class _NotRunning:
    """Callbacks of a tree built only to be published: nothing runs them."""

    async def run(
        self, interaction: discord.Interaction, command: Command, raw: Mapping[str, str]
    ) -> None:
        raise RuntimeError("commands are not run by the sync client")


async def sync_commands(
    token: str, guild_id: str | None, *, registry: Registry, catalogues: Catalogues
) -> list[str]:
    """Publish the commands to Discord: to one server when `guild_id` is set, else globally.

    Returns the names of the top-level commands now on Discord. Only the REST API is used
    (no gateway connection). A refused token is a `ConfigError`.
    """
    english = catalogues.translator(DEFAULT_LOCALE)
    commands = list(registry.commands())
    check_declarations(commands, [b for c in registry.cogs for b in c.buttons()], english)
    client = new_client()
    tree = new_tree(client)
    build_tree(tree, commands, _NotRunning(), english)
    guild = _guild(guild_id)
    try:
        await client.login(token)
        if guild is not None:
            tree.copy_global_to(guild=guild)
        synced: list[Any] = await tree.sync(guild=guild)
    except discord.LoginFailure as error:
        raise ConfigError(f"Discord refused the token: {error}") from None
    except (OSError, discord.HTTPException) as error:
        raise ConfigError(f"Discord could not be reached: {error}") from None
    finally:
        await client.close()
    return [command.name for command in synced]


def _guild(guild_id: str | None) -> discord.Object | None:
    if not guild_id:
        return None
    if not guild_id.strip().isdigit():
        raise ConfigError(f"a Discord server id is a number, not {guild_id!r}")
    return discord.Object(id=int(guild_id.strip()))
