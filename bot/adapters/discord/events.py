"""Gateway events that change where Chorus may write: servers joined and left, channels gone."""

from __future__ import annotations

import discord

from bot.core.actors import Platform
from bot.core.places import PlaceEvents

# Why a place went inactive, as recorded for operators (`chorus` CLI, logs).
REMOVED = "removed from the server"
DELETED = "channel deleted"


class PlaceListener:
    """Tells `PlaceEvents` when the bot joins or leaves a server, or loses a channel.

    Its methods carry discord.py's event names, so `client.event` registers them as is.
    """

    def __init__(self, place_events: PlaceEvents) -> None:
        self._places = place_events

    def attach(self, client: discord.Client) -> None:
        client.event(self.on_guild_join)
        client.event(self.on_guild_remove)
        client.event(self.on_guild_channel_delete)
        client.event(self.on_raw_thread_delete)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added to a server (again): a place that was left there becomes active."""
        await self._places.returned(Platform.DISCORD, str(guild.id))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Kicked or banned, or the server was deleted: stop writing there."""
        await self._places.left(Platform.DISCORD, str(guild.id), REMOVED)

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A deleted channel: the place whose announcement channel it was goes inactive.

        Storage matches the id against announcement channels (and server ids: only a
        server's very old default channel can share the server's id).
        """
        await self._places.left(Platform.DISCORD, str(channel.id), DELETED)

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        """A thread can be an announcement channel too."""
        await self._places.left(Platform.DISCORD, str(payload.thread_id), DELETED)
