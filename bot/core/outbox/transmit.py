"""Handing one delivery to its platform: a new message, or an earlier one edited in place."""

from __future__ import annotations

import logging

from bot.core.delivery import (
    Courier,
    Delivery,
    Failed,
    Gone,
    LiveMessages,
    Outcome,
    Sent,
    Transient,
)

logger = logging.getLogger(__name__)


async def transmit(courier: Courier, delivery: Delivery) -> Outcome:
    """Send `delivery`, or with `replaces` edit that message to read it; what happened.

    Never raises: a courier must not, and if one does, the row is retried like a timeout.
    """
    try:
        if delivery.replaces is not None:
            return await _replace(courier, delivery, delivery.replaces)
        return await courier.deliver(delivery)
    except Exception as error:
        logger.exception(
            "%s outbox %d: the courier raised; retrying later",
            courier.platform.value,
            delivery.outbox_id,
        )
        return Transient(f"courier raised {type(error).__name__}")


async def _replace(courier: Courier, delivery: Delivery, message_id: str) -> Outcome:
    """Edit the earlier message in place. One that is gone (deleted by someone, or its chat
    left) has nothing left to replace: done, and its chat is not written off."""
    if not isinstance(courier, LiveMessages):
        return Failed(f"{courier.platform.value} cannot edit a message")
    outcome = await courier.edit(delivery.chat_id, message_id, delivery.reply, delivery.locale)
    return Sent(message_id) if isinstance(outcome, Gone) else outcome
