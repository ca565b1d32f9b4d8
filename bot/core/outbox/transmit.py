"""Handing one delivery to its platform: a new message, or an earlier one edited in place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

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

# Rewrites text that may carry a secret (an exception naming a request URL with a token).
Redact = Callable[[str], str]


def describe(error: BaseException, redact: Redact) -> str:
    """An exception as a row's reason: its type and message, without any secret."""
    text = str(error).strip()
    return redact(f"{type(error).__name__}: {text}" if text else type(error).__name__)


def redacted(outcome: Outcome, redact: Redact) -> Outcome:
    """The outcome with no secret in its reason (a platform's error may quote a URL)."""
    match outcome:
        case Transient(reason):
            return Transient(redact(reason))
        case Failed(reason):
            return Failed(redact(reason))
    return outcome


async def transmit(
    courier: Courier, delivery: Delivery, *, give_up_after: float, redact: Redact
) -> Outcome:
    """Send `delivery`, or with `replaces` edit that message to read it; what happened.

    Never raises: a courier must not, and if one does, or has not answered within
    `give_up_after` seconds, the row is retried like any transient failure, with the exception
    (or the wait) as its reason.
    """
    deadline = asyncio.timeout(give_up_after)
    try:
        async with deadline:
            if delivery.replaces is not None:
                return await _replace(courier, delivery, delivery.replaces)
            return await courier.deliver(delivery)
    except Exception as error:
        platform = courier.platform.value
        if isinstance(error, TimeoutError) and deadline.expired():  # ours, not the courier's
            logger.warning(
                "%s outbox %d: no answer within %g s", platform, delivery.outbox_id, give_up_after
            )
            return Transient(f"no answer from {platform} within {give_up_after:g} s")
        logger.exception("%s outbox %d: the courier raised", platform, delivery.outbox_id)
        return Transient(f"courier raised {describe(error, redact)}")


async def _replace(courier: Courier, delivery: Delivery, message_id: str) -> Outcome:
    """Edit the earlier message in place. One that is gone (deleted by someone, or its chat
    left) has nothing left to replace: done, and its chat is not written off."""
    if not isinstance(courier, LiveMessages):
        return Failed(f"{courier.platform.value} cannot edit a message")
    outcome = await courier.edit(delivery.chat_id, message_id, delivery.reply, delivery.locale)
    return Sent(message_id) if isinstance(outcome, Gone) else outcome
