"""Outbox messages to Discord channels and DMs, with every API error turned into an outcome."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord

from bot.adapters.discord.interactions import Bridge
from bot.adapters.discord.render import DiscordRenderer, allowed_mentions
from bot.core.actors import ChatKind, Platform
from bot.core.delivery import (
    CannotPost,
    Delivery,
    Failed,
    Gone,
    Outcome,
    RateLimits,
    RetryAfter,
    Sent,
    Transient,
)
from bot.core.replies import Reply

log = logging.getLogger(__name__)

# Discord allows 50 requests a second per bot (the sender paces a little below). Sends to
# one channel share a bucket commonly observed at 5 per 5 seconds: one per second is that
# rate sustained, where 0.2 s would spend the burst at once and then wait on 429s.
# discord.py still honours the bucket headers on top of this.
DISCORD_LIMITS = RateLimits(global_per_second=50.0, per_chat_interval=1.0, per_group_per_minute=0)
# One delivery may wait on discord.py's own retries (five tries on a 500, up to 25 s) and
# on rate limits up to the client's max_ratelimit_timeout (30 s); past this, a transient
# failure is reported so the row's lease is not held forever.
SEND_TIMEOUT = 60.0
# Discord's JSON code for a channel the bot cannot see (permission, or not in its server).
MISSING_ACCESS = 50001
# When a 429 says nothing of when to retry (a Cloudflare block of the whole IP).
UNKNOWN_RETRY_AFTER = 60.0


class DiscordCourier:
    """`Courier` for Discord: renders an outbox reply and sends it with its nonce.

    The nonce is the outbox row's (`ob<id>`), sent with `enforce_nonce`: Discord returns
    the message it already created for that nonce instead of posting it again, so a resend
    after a crash does not duplicate. A reply longer than one message is sent as several,
    `ob<id>`, `ob<id>.1`, …; buttons and the file go with the last.
    """

    platform = Platform.DISCORD
    limits = DISCORD_LIMITS

    def __init__(self, bridge: Bridge, *, timeout: float = SEND_TIMEOUT) -> None:
        self._bridge = bridge
        self._timeout = timeout

    async def deliver(self, delivery: Delivery) -> Outcome:
        """Send one outbox message; report what happened, never raise for API errors."""
        if not delivery.chat_id.isdigit():
            return Failed(f"not a Discord id: {delivery.chat_id!r}")
        try:
            async with asyncio.timeout(self._timeout):
                return await self._send(delivery)
        except discord.RateLimited as error:
            return RetryAfter(error.retry_after)
        except discord.Forbidden as error:
            # Retrying a 403 only counts towards Cloudflare's invalid-request ban.
            return self._forbidden(delivery, error)
        except discord.NotFound as error:
            # 10003 unknown channel, 10004 unknown guild (deleted), 10013 unknown user.
            return Gone(_describe(error))
        except discord.DiscordServerError as error:
            return Transient(_describe(error))
        except discord.HTTPException as error:
            return _outcome_of(error)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return Transient(f"{type(error).__name__}: {error}")

    def _forbidden(self, delivery: Delivery, error: discord.Forbidden) -> Outcome:
        """A 403. In a DM (50007: DMs closed, no shared server) the user is out of reach.

        In a server's channel, 50013 missing permissions or 50001 missing access mean that
        someone took a permission away: the bot is still there and an administrator can give
        it back, so the place stays active (`CannotPost`). Discord answers 50001 too for a
        channel of a server the bot is no longer in; the gateway's guild list tells them
        apart, and a channel that is in no server the bot is in is gone.
        """
        if delivery.chat_kind is ChatKind.PRIVATE:
            return Gone(_describe(error))
        return self._forbidden_in(delivery.chat_id, error)

    def _forbidden_in(self, channel_id: str, error: discord.Forbidden) -> Outcome:
        client = self._bridge.client
        unseen = client.is_ready() and client.get_channel(int(channel_id)) is None
        if error.code == MISSING_ACCESS and unseen:
            return Gone(_describe(error))
        return CannotPost(_describe(error))

    async def _send(self, delivery: Delivery) -> Outcome:
        channel = await self._channel(delivery)
        reply = delivery.reply
        pages = DiscordRenderer(self._bridge.catalogues.translator(delivery.locale)).pages(
            reply.body
        )
        extras = self._bridge.extras(reply, delivery.locale)
        first: discord.Message | None = None
        for index, page in enumerate(pages):
            kwargs: dict[str, Any] = {
                "content": page or None,
                "nonce": delivery.nonce if index == 0 else f"{delivery.nonce}.{index}",
                # Pings nobody, unless the reply mentions a user on purpose: then that user.
                "allowed_mentions": allowed_mentions(reply.body, page),
            }
            if index == len(pages) - 1:
                kwargs.update(extras)
            if kwargs["content"] is None and len(kwargs) == 3:
                continue
            message = await channel.send(**kwargs)
            first = first or message
        if first is None:
            return Failed("empty message")
        return Sent(str(first.id))

    async def edit(self, chat_id: str, message_id: str, reply: Reply, locale: str) -> Outcome:
        """Edit a live message (its first page); `Gone` when it was deleted."""
        if not (chat_id.isdigit() and message_id.isdigit()):
            return Failed(f"not Discord ids: {chat_id!r}, {message_id!r}")
        renderer = DiscordRenderer(self._bridge.catalogues.translator(locale))
        message = self._bridge.client.get_partial_messageable(int(chat_id)).get_partial_message(
            int(message_id)
        )
        try:
            async with asyncio.timeout(self._timeout):
                await message.edit(
                    content=renderer.pages(reply.body)[0],
                    allowed_mentions=discord.AllowedMentions.none(),
                )
        except discord.RateLimited as error:
            return RetryAfter(error.retry_after)
        except discord.Forbidden as error:
            return self._forbidden_in(chat_id, error)
        except discord.NotFound as error:
            return Gone(_describe(error))  # 10008 unknown message: deleted by someone
        except discord.HTTPException as error:
            return _outcome_of(error)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return Transient(f"{type(error).__name__}: {error}")
        return Sent(message_id)

    async def pin(self, chat_id: str, message_id: str) -> bool:
        """Pin a message; False without Manage Messages (or Pin Messages) there."""
        if not (chat_id.isdigit() and message_id.isdigit()):
            return False
        channel = self._bridge.client.get_partial_messageable(int(chat_id))
        try:
            async with asyncio.timeout(self._timeout):
                await channel.get_partial_message(int(message_id)).pin()
        except (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError) as error:
            log.info("discord: cannot pin in %s: %s", chat_id, error)
            return False
        return True

    async def _channel(self, delivery: Delivery) -> discord.abc.Messageable:
        client = self._bridge.client
        if delivery.chat_kind is ChatKind.PRIVATE:
            # A private chat is named by the user's id; the DM channel is opened (or found
            # in the cache) here. 50007 on send means the user closed their DMs.
            return await client.create_dm(discord.Object(id=int(delivery.chat_id)))
        return client.get_partial_messageable(int(delivery.chat_id))


def _outcome_of(error: discord.HTTPException) -> Outcome:
    if error.status == 429:
        # discord.py retries ordinary 429s itself; one reaching us is a Cloudflare block
        # (no Via header: the whole IP is limited) or a limit that outlasted its retries.
        headers = error.response.headers
        after = headers.get("Retry-After") or headers.get("X-RateLimit-Reset-After")
        everything = headers.get("X-RateLimit-Global") == "true" or "Via" not in headers
        return RetryAfter(_seconds(after), everything=everything)
    if error.status == 401 or error.status >= 500:
        return Transient(_describe(error))
    return Failed(_describe(error))  # 400 / 50035 invalid form body, 413 too large, …


def _seconds(value: str | None) -> float:
    try:
        return max(float(value), 0.0) if value else UNKNOWN_RETRY_AFTER
    except ValueError:
        return UNKNOWN_RETRY_AFTER


def _describe(error: discord.HTTPException) -> str:
    return f"{error.status} {error.code}: {error.text}"[:500]
