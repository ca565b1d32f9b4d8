"""What the bot may do in a channel of a server, read from discord.py's cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

# What an announcement needs, in the order a server admin would fix them: see the channel,
# write in it, attach a file (an outbox message may carry one, and a 403 on it would stop
# the whole place). Embeds are never sent, so Embed Links is not required.
CHANNEL_NEEDS = ("view_channel", "send_messages", "attach_files")
THREAD_NEEDS = ("view_channel", "send_messages_in_threads", "attach_files")

PermissionNamer = Callable[[str], Awaitable[str]]


class DiscordProbe:
    """`PlaceProbe` for one Discord server: the bot's own permissions in its channels."""

    def __init__(self, client: discord.Client, guild_id: int, name: PermissionNamer) -> None:
        """`name` turns a permission's API name into the words a server admin sees."""
        self._client = client
        self._guild_id = guild_id
        self._name = name

    async def missing_post_permission(self, channel_id: str) -> str | None:
        """The first permission the bot lacks to post in `channel_id`, or None.

        A channel that is not in this server (or not known at all) is reported as lacking
        View Channel: the bot cannot see it.
        """
        missing = await self.missing(channel_id)
        return None if missing is None else await self._name(missing)

    async def missing(self, channel_id: str) -> str | None:
        """Like `missing_post_permission`, with the permission's API name."""
        guild = self._client.get_guild(self._guild_id)
        if guild is None or not channel_id.isdigit():
            return "view_channel"
        channel = guild.get_channel_or_thread(int(channel_id))
        if channel is None or isinstance(channel, discord.CategoryChannel | discord.ForumChannel):
            return "view_channel"
        me = guild.me or await self._fetch_me(guild)
        if me is None:
            return "view_channel"
        granted = channel.permissions_for(me)
        needs = THREAD_NEEDS if isinstance(channel, discord.Thread) else CHANNEL_NEEDS
        for permission in needs:
            if not getattr(granted, permission):
                return permission
        return None

    async def _fetch_me(self, guild: discord.Guild) -> discord.Member | None:
        # Without the members intent the cache still holds the bot's own member; this is
        # the fallback for a cache that is not filled yet.
        user = self._client.user
        if user is None:
            return None
        try:
            return await guild.fetch_member(user.id)
        except discord.HTTPException:
            return None
