"""The outbox courier for Telegram: one delivery in, one outcome out, never an exception."""

from __future__ import annotations

import logging

from telegram.error import (
    BadRequest,
    ChatMigrated,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.adapters.telegram.outgoing import Poster, chat_id_of, is_unreachable, retry_seconds
from bot.core import delivery as outcomes
from bot.core.actors import Platform
from bot.core.delivery import Delivery, Outcome, RateLimits
from bot.core.replies import Reply

log = logging.getLogger(__name__)

# Telegram's published figures (Bot FAQ): about 30 messages a second overall, one a second
# to one chat, twenty a minute to one group. The sender paces a little below them.
TELEGRAM_LIMITS = RateLimits(global_per_second=30, per_chat_interval=1.0, per_group_per_minute=20)


# How Telegram says that the bot is in the chat but may not post there (an administrator
# restricted it, or made it a plain member of a channel): 400 or 403, e.g. "Bad Request: not
# enough rights to send text messages to the chat", "Bad Request: have no rights to send a
# message", "Forbidden: CHAT_WRITE_FORBIDDEN", "Bad Request: need administrator rights in
# the channel chat". Someone can give the right back; nobody removed the bot.
NO_RIGHTS = (
    "not enough rights",
    "have no rights",
    "chat_write_forbidden",
    "chat_restricted",
    "chat_send_",
    "need administrator rights",
)


def lacks_rights(error: TelegramError) -> bool:
    """The bot may not post in that chat, though it is still a member."""
    text = error.message.lower()
    return any(words in text for words in NO_RIGHTS)


def outcome_of(error: TelegramError) -> Outcome:
    """What a Telegram error means for an outbox row."""
    if isinstance(error, RetryAfter):
        return outcomes.RetryAfter(retry_seconds(error))
    if isinstance(error, ChatMigrated):
        return outcomes.Moved(str(error.new_chat_id))
    if lacks_rights(error):
        # Checked before the 403s that mean "removed": some of these come as 403 too.
        return outcomes.CannotPost(error.message)
    if is_unreachable(error):
        # 403: blocked by the user, kicked from the group, or a private chat never started;
        # retrying cannot help, and the place (or DM opt-in) must stop being written to.
        return outcomes.Gone(error.message)
    if isinstance(error, BadRequest):
        # Checked before NetworkError, which it subclasses: a payload Telegram refused.
        return outcomes.Failed(error.message)
    if isinstance(error, NetworkError | InvalidToken):
        # Timeouts, 5xx, connection errors; a revoked token too, until the operator acts.
        return outcomes.Transient(error.message)
    return outcomes.Failed(error.message)


class TelegramCourier:
    """Delivers outbox messages to Telegram chats (groups and private chats)."""

    platform = Platform.TELEGRAM
    limits = TELEGRAM_LIMITS

    def __init__(self, poster: Poster) -> None:
        self._poster = poster

    async def deliver(self, delivery: Delivery) -> Outcome:
        """Render and send; `Sent` carries the id of the first message of the reply."""
        try:
            message_id = await self._poster.post(
                chat_id_of(delivery.chat_id), delivery.reply, delivery.locale
            )
        except TelegramError as error:
            outcome = outcome_of(error)
            log.info(
                "telegram: outbox %s to %s: %s",
                delivery.outbox_id,
                delivery.chat_id,
                type(outcome).__name__,
            )
            return outcome
        return outcomes.Sent(str(message_id))

    async def edit(self, chat_id: str, message_id: str, reply: Reply, locale: str) -> Outcome:
        """Edit a live message. "Not modified" is success; a message deleted is `Gone`."""
        try:
            await self._poster.edit_text(chat_id_of(chat_id), int(message_id), reply, locale)
        except BadRequest as error:
            text = error.message.lower()
            if "not modified" in text:
                return outcomes.Sent(message_id)
            if "not found" in text or "can't be edited" in text:
                return outcomes.Gone(error.message)
            return outcome_of(error)
        except TelegramError as error:
            return outcome_of(error)
        return outcomes.Sent(message_id)

    async def pin(self, chat_id: str, message_id: str) -> bool:
        """Pin quietly; False when the bot may not pin there (not an administrator)."""
        try:
            await self._poster.pin(chat_id_of(chat_id), int(message_id))
        except TelegramError as error:
            log.info("telegram: cannot pin in %s: %s", chat_id, error.message)
            return False
        return True
