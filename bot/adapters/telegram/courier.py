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

log = logging.getLogger(__name__)

# Telegram's published figures (Bot FAQ): about 30 messages a second overall, one a second
# to one chat, twenty a minute to one group. The sender paces a little below them.
TELEGRAM_LIMITS = RateLimits(global_per_second=30, per_chat_interval=1.0, per_group_per_minute=20)


def outcome_of(error: TelegramError) -> Outcome:
    """What a Telegram error means for an outbox row."""
    if isinstance(error, RetryAfter):
        return outcomes.RetryAfter(retry_seconds(error))
    if isinstance(error, ChatMigrated):
        return outcomes.Moved(str(error.new_chat_id))
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
