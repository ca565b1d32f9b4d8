"""Who is speaking, where, and whether they administer the group.

Place administrators on Telegram are the chat's administrators: asked with
getChatAdministrators, kept for a few minutes, forgotten as soon as a chat_member update says
the list changed. An anonymous administrator writes as GroupAnonymousBot with the group as
`sender_chat`; Chorus treats that as an administrator acting for the group (their identity
is the group's, so a campaign role given to them belongs to that group's anonymous admins,
not to every anonymous admin on Telegram). Messages from Telegram's service account and from
other bots are ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot, CallbackQuery, Chat, Message, User
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.core.actors import Actor, ChatKind, PlaceRef, Platform
from bot.core.clock import Clock

log = logging.getLogger(__name__)

ANONYMOUS_ADMIN_ID = 1087968824  # @GroupAnonymousBot
SERVICE_ID = 777000  # Telegram's service notifications, channel posts forwarded to groups
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
ADMIN_TTL = timedelta(minutes=5)
# When the list cannot be read (the bot lacks the right, the API is down), ask again sooner.
FAILED_TTL = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Incoming:
    """Someone acting in a chat: who, where, and where to answer them.

    `user_id` is the Telegram user to write to privately, or None for an anonymous
    administrator (they can only be answered in the group). `message_id` is the message to
    reply to, `thread_id` the forum topic it was in.
    """

    actor: Actor
    where: PlaceRef
    chat_id: int
    user_id: int | None
    message_id: int | None = None
    thread_id: int | None = None

    @property
    def in_group(self) -> bool:
        return self.where.kind is ChatKind.GROUP


def place_of(chat: Chat) -> PlaceRef:
    """A group is a place (its id names it and receives its replies); so is a private chat."""
    if chat.type in GROUP_TYPES:
        return PlaceRef(
            Platform.TELEGRAM, str(chat.id), str(chat.id), ChatKind.GROUP, chat.title or ""
        )
    return PlaceRef(Platform.TELEGRAM, str(chat.id), str(chat.id), ChatKind.PRIVATE, "")


def display_name(user: User) -> str:
    return user.full_name or (f"@{user.username}" if user.username else str(user.id))


class Administrators:
    """The administrators of each group, cached for a few minutes."""

    def __init__(self, bot: Bot, clock: Clock, ttl: timedelta = ADMIN_TTL) -> None:
        self._bot = bot
        self._clock = clock
        self._ttl = ttl
        self._known: dict[int, tuple[datetime, frozenset[int]]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        return user_id in await self.of(chat_id)

    async def of(self, chat_id: int) -> frozenset[int]:
        now = self._clock.now()
        cached = self._known.get(chat_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            members = await self._bot.get_chat_administrators(chat_id)
        except TelegramError as error:
            log.warning("telegram: cannot list the administrators of %s: %s", chat_id, error)
            self._known[chat_id] = (now + FAILED_TTL, frozenset())
            return frozenset()
        admins = frozenset(member.user.id for member in members)
        self._known[chat_id] = (now + self._ttl, admins)
        return admins

    def forget(self, chat_id: int) -> None:
        """The list changed (a chat_member update): ask Telegram again next time."""
        self._known.pop(chat_id, None)

    # --- who is speaking ----------------------------------------------------------------
    async def sender(self, message: Message) -> Incoming | None:
        """Who sent `message`, with their authority; None for messages Chorus ignores."""
        user = message.from_user
        chat = message.chat
        if user is None or user.id == SERVICE_ID:
            return None
        where = place_of(chat)
        thread = message.message_thread_id if message.is_topic_message else None
        if user.id == ANONYMOUS_ADMIN_ID:
            if message.sender_chat is None or message.sender_chat.id != chat.id:
                return None
            actor = Actor(Platform.TELEGRAM, str(chat.id), chat.title or "", is_place_admin=True)
            return Incoming(actor, where, chat.id, None, message.message_id, thread)
        if user.is_bot:
            return None
        admin = where.kind is ChatKind.GROUP and await self.is_admin(chat.id, user.id)
        actor = Actor(Platform.TELEGRAM, str(user.id), display_name(user), is_place_admin=admin)
        return Incoming(actor, where, chat.id, user.id, message.message_id, thread)

    async def presser(self, query: CallbackQuery) -> Incoming | None:
        """Who pressed a button: always the real user, even for an anonymous administrator."""
        message = query.message
        if message is None:
            return None
        user = query.from_user
        chat = message.chat
        where = place_of(chat)
        admin = where.kind is ChatKind.GROUP and await self.is_admin(chat.id, user.id)
        actor = Actor(Platform.TELEGRAM, str(user.id), display_name(user), is_place_admin=admin)
        thread = None
        if isinstance(message, Message) and message.is_topic_message:
            thread = message.message_thread_id
        return Incoming(actor, where, chat.id, user.id, None, thread)
