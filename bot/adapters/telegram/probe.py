"""Can the bot post in a chat? Asked of Telegram when a place picks its announcement chat."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberOwner,
    ChatMemberRestricted,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.adapters.telegram.outgoing import chat_id_of

log = logging.getLogger(__name__)

SEND = "can_send_messages"
POST = "can_post_messages"  # channels: only administrators with this right may post


class TelegramProbe:
    """`PlaceProbe` for Telegram: the missing right is named as Telegram names it."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def missing_post_permission(self, channel_id: str) -> str | None:
        if not channel_id.lstrip("-").isdigit() and not channel_id.startswith("@"):
            return SEND  # not a Telegram chat at all (e.g. a Discord channel mention)
        chat_id = chat_id_of(channel_id)
        try:
            member = await self._bot.get_chat_member(chat_id, self._bot.id)
            if isinstance(member, ChatMemberOwner):
                return None
            if isinstance(member, ChatMemberAdministrator):
                # Only set for channels; in groups an administrator may always write.
                return POST if member.can_post_messages is False else None
            if isinstance(member, ChatMemberLeft | ChatMemberBanned):
                return SEND
            if isinstance(member, ChatMemberRestricted):
                return None if member.is_member and member.can_send_messages else SEND
            # A plain member writes unless the chat's default permissions forbid it.
            chat = await self._bot.get_chat(chat_id)
        except (BadRequest, Forbidden):
            return SEND  # chat not found, or the bot has no access to it
        except TelegramError as error:
            # Telegram could not answer: do not block a setting on a network hiccup.
            log.warning("telegram: cannot check posting rights in %s: %s", channel_id, error)
            return None
        if chat.type == ChatType.CHANNEL:
            return POST
        if chat.permissions is not None and chat.permissions.can_send_messages is False:
            return SEND
        return None
