"""Recording what happened to an outbox row: one short transaction per outcome.

What each outcome does to the row:
- Sent: `sent`, with the platform's message id; a posting problem of the row's place in
  that chat is over (see `bot.core.posting`).
- RetryAfter: `pending` again after the given seconds, not counted as an attempt; the chat's
  other rows in hand wait as long, so they stay in order.
- Transient (or a courier that raised, or any other fault while the row was in hand):
  `pending` after an exponential back-off with full jitter, counted; `dead` once
  `max_attempts` is reached, with the last reason.
- Failed: `failed`, never retried unchanged.
- CannotPost (a group chat where the bot lost a permission): `failed` with the reason, and
  the place marked as unable to post there, its administrators and organisers told once, in
  one transaction; the place stays active. The chat's other rows wait `PROBE_EVERY` seconds
  (the sender pauses the chat that long), so it sees one refusal per probe, never a storm.
- Gone: `gone`; the chat's other unsent rows are cancelled and, for a group, its place is
  marked inactive, all in one transaction. Never retried. For a private chat, the sender's
  `on_recipient_gone` hook (if any) runs in that same transaction, so that features can stop
  writing to that user (e.g. mark a DM opt-in inactive) and reach them another way.
- Moved: the row, the chat's other rows and the place take the new chat id, in one
  transaction, and the row is sent there at once.

Every write is conditional on this sender's lease; a write that finds the lease gone (the
row was reclaimed by another process) changes nothing and is counted as `lost`. A write
that fails (the database is unreachable) is logged and counted as `unrecorded`: the lease
runs out and the row is claimed again, so delivery is at least once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeAlias, TypeVar

from bot.core.actors import ChatKind
from bot.core.clock import Clock
from bot.core.delivery import (
    CannotPost,
    Delivery,
    Failed,
    Gone,
    Moved,
    Outcome,
    RetryAfter,
    Sent,
    Transient,
)
from bot.core.outbox.backoff import Backoff, Jitter
from bot.core.posting import PROBE_EVERY, cannot_post
from storage.database import Database
from storage.records import ClaimedMessage
from storage.unit import Tx

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_LEASE_LOST = -1


@dataclass(frozen=True, slots=True)
class HoldChat:
    """The chat is rate limited: its other rows in hand go back until `seconds` from now."""

    seconds: float


@dataclass(frozen=True, slots=True)
class DropChat:
    """The chat is gone: its other rows in hand were cancelled with this one."""


@dataclass(frozen=True, slots=True)
class SendTo:
    """The chat moved to `chat_id`: send this row (and the chat's others) there."""

    chat_id: str


# What the chat's worker does next; None: carry on with its next row.
Next: TypeAlias = HoldChat | DropChat | SendTo | None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A private chat that refused a message for good: the user blocked the bot, closed their
    DMs, never started it, or is gone. `user_id` is the chat's id (the user's id on
    `platform`); `dedupe_key`, `place_id` and `user_key` are the refused row's."""

    platform: str
    user_id: str
    dedupe_key: str
    place_id: int | None
    user_key: str | None
    reason: str
    at: datetime


# Runs inside the transaction that records the refusal. It must not commit nor talk to the
# network; if it raises, its writes are undone and the refusal is still recorded.
RecipientGone: TypeAlias = Callable[[Tx, Unreachable], Awaitable[None]]


class Settler:
    """Writes the outcomes of one sender's rows under its lease, and counts them."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        owner: str,
        platform: str,
        backoff: Backoff,
        jitter: Jitter,
        totals: Counter[str],
        *,
        on_recipient_gone: RecipientGone | None = None,
    ) -> None:
        self._db = database
        self._on_recipient_gone = on_recipient_gone
        self._clock = clock
        self._owner = owner
        self._platform = platform
        self._backoff = backoff
        self._jitter = jitter
        self._totals = totals

    async def outcome(self, message: ClaimedMessage, delivery: Delivery, outcome: Outcome) -> Next:
        """Record the courier's `outcome` for `message`; say what the chat does next."""
        owner, outbox_id, now = self._owner, message.id, self._clock.now()
        match outcome:
            case Sent(message_id):
                await self._record(
                    message, "sent", lambda tx: self._sent(tx, message, delivery, message_id)
                )
            case RetryAfter(seconds, everything):
                at = now + timedelta(seconds=seconds)
                error = f"rate limited for {seconds:g} s" + (" (everything)" if everything else "")
                await self._record(
                    message,
                    "rate_limited",
                    lambda tx: tx.outbox.retry(outbox_id, owner, at, error, count_attempt=False),
                )
                # A platform-wide pause holds every chat in the limiter already.
                return None if everything else HoldChat(seconds)
            case Transient(reason):
                await self._transient(message, reason)
            case Failed(reason):
                logger.warning(
                    "%s outbox %d: refused by the platform: %s", self._platform, outbox_id, reason
                )
                await self._record(
                    message, "failed", lambda tx: tx.outbox.fail(outbox_id, owner, reason)
                )
            case CannotPost(reason) if delivery.chat_kind is ChatKind.GROUP:
                await self._cannot_post(message, delivery, reason)
                return HoldChat(PROBE_EVERY)
            case Gone(reason) | CannotPost(reason):  # a private chat that refuses is gone
                await self._gone(message, delivery, reason)
                return DropChat()
            case Moved(new_chat_id):
                if await self._move(message, delivery, new_chat_id):
                    return SendTo(new_chat_id)
        return None

    async def expired(self, message: ClaimedMessage) -> None:
        """Its `not_after` passed while it waited in hand: `expired`, never sent."""
        await self._record(message, "expired", lambda tx: tx.outbox.expire(message.id, self._owner))

    async def unreadable(self, message: ClaimedMessage, reason: str) -> None:
        """Its payload can never become a delivery: `failed` (a bug upstream), with why."""
        logger.error("%s outbox %d: unreadable payload: %s", self._platform, message.id, reason)
        await self._record(
            message,
            "failed",
            lambda tx: tx.outbox.fail(message.id, self._owner, f"unreadable payload: {reason}"),
        )

    async def fault(self, message: ClaimedMessage, reason: str) -> None:
        """Something unexpected went wrong with it (a composer or renderer raised): like a
        transient failure, counted and retried after a back-off, `dead` at the last attempt.
        (The caller logs the traceback.)"""
        await self._transient(message, reason)

    async def withdrawn(self, message: ClaimedMessage, why: str) -> None:
        """Nothing is to be sent for it any more (its composer said so): `cancelled`."""
        await self._record(
            message, "cancelled", lambda tx: tx.outbox.cancel(message.id, self._owner, why)
        )

    async def again_now(self, message: ClaimedMessage, why: str) -> None:
        """Give the row back, due at once, without counting an attempt."""
        now = self._clock.now()
        await self._record(
            message,
            "retried",
            lambda tx: tx.outbox.retry(message.id, self._owner, now, why, count_attempt=False),
        )

    async def defer(self, messages: Sequence[ClaimedMessage], seconds: float) -> None:
        """Give untried rows back, due in `seconds` (their chat must wait that long)."""
        if not messages:
            return
        at = self._clock.now() + timedelta(seconds=seconds)
        ids = [message.id for message in messages]
        deferred = await self._write(ids[0], lambda tx: tx.outbox.defer(ids, self._owner, at))
        self._totals["deferred"] += deferred or 0

    async def keep_lease(
        self, message: ClaimedMessage, lease_seconds: float
    ) -> ClaimedMessage | None:
        """Renew the lease of a row that waited half of it in hand; None if it is lost."""
        now = self._clock.now()
        if message.lease_until - now > timedelta(seconds=lease_seconds / 2):
            return message
        until = now + timedelta(seconds=lease_seconds)
        renewed = await self._write(
            message.id, lambda tx: tx.outbox.renew(message.id, self._owner, until)
        )
        if renewed is None:  # the database failed; the lease will run out
            return None
        if not renewed:
            self._totals["lost"] += 1
            return None
        return replace(message, lease_until=until)

    # --- outcomes that touch more than the row -----------------------------------------

    async def _transient(self, message: ClaimedMessage, reason: str) -> None:
        backoff, failures, owner = self._backoff, message.attempts + 1, self._owner
        if backoff.exhausted(failures):
            logger.warning(
                "%s outbox %d: giving up after %d failures: %s",
                self._platform,
                message.id,
                failures,
                reason,
            )
            await self._record(
                message, "dead", lambda tx: tx.outbox.mark_dead(message.id, owner, reason)
            )
            return
        at = self._clock.now() + timedelta(seconds=backoff.delay(failures, self._jitter))
        await self._record(
            message,
            "retried",
            lambda tx: tx.outbox.retry(message.id, owner, at, reason, count_attempt=True),
        )

    async def _sent(
        self, tx: Tx, message: ClaimedMessage, delivery: Delivery, message_id: str
    ) -> bool:
        if not await tx.outbox.mark_sent(message.id, self._owner, message_id, self._clock.now()):
            return False
        place_id = message.place_id
        if (
            delivery.chat_kind is ChatKind.GROUP
            and place_id is not None
            and await tx.places.clear_posting_problem(place_id, delivery.chat_id)
        ):
            logger.info(
                "%s place %d can post in %s again", self._platform, place_id, message.chat_id
            )
        return True

    async def _cannot_post(self, message: ClaimedMessage, delivery: Delivery, reason: str) -> None:
        owner, now, platform = self._owner, self._clock.now(), self._platform

        async def write(tx: Tx) -> bool:
            if not await tx.outbox.fail(message.id, owner, reason):
                return False
            try:
                # A savepoint: if marking the place fails, the row still fails (a refusal
                # recorded is never sent again unchanged).
                async with tx.connection.begin_nested():
                    await cannot_post(
                        tx, platform, delivery.chat_id, message.place_id, reason[:200], now
                    )
            except Exception:
                logger.exception(
                    "%s outbox %d: could not mark the place's posting problem",
                    platform,
                    message.id,
                )
            return True

        logger.warning(
            "%s outbox %d: may not post in %s: %s", platform, message.id, delivery.chat_id, reason
        )
        await self._record(message, "cannot_post", write)

    async def _gone(self, message: ClaimedMessage, delivery: Delivery, reason: str) -> None:
        owner, now, platform = self._owner, self._clock.now(), self._platform

        async def write(tx: Tx) -> int:
            cancelled = await tx.outbox.gone(message.id, owner, reason)
            if cancelled is None:
                return _LEASE_LOST
            if delivery.chat_kind is ChatKind.GROUP:
                await tx.places.deactivate_chat(platform, delivery.chat_id, now, reason[:200])
            elif self._on_recipient_gone is not None:
                await self._tell_gone(tx, self._on_recipient_gone, message, delivery, reason)
            return cancelled

        cancelled = await self._write(message.id, write)
        if cancelled is None:
            return
        if cancelled == _LEASE_LOST:
            self._totals["lost"] += 1
            return
        self._totals["gone"] += 1
        self._totals["cancelled"] += cancelled
        logger.info(
            "%s outbox %d: recipient gone (%s); %d other rows cancelled",
            platform,
            message.id,
            reason,
            cancelled,
        )

    async def _tell_gone(
        self,
        tx: Tx,
        hook: RecipientGone,
        message: ClaimedMessage,
        delivery: Delivery,
        reason: str,
    ) -> None:
        gone = Unreachable(
            platform=self._platform,
            user_id=delivery.chat_id,
            dedupe_key=message.dedupe_key,
            place_id=message.place_id,
            user_key=message.user_key,
            reason=reason[:200],
            at=self._clock.now(),
        )
        try:
            # A savepoint: a failing hook must not undo the refusal itself, or the row would
            # be sent again, and a 403 repeated (Discord bans IPs that collect them).
            async with tx.connection.begin_nested():
                await hook(tx, gone)
        except Exception:
            logger.exception(
                "%s outbox %d: the recipient-gone hook failed", self._platform, message.id
            )

    async def _move(self, message: ClaimedMessage, delivery: Delivery, new_chat_id: str) -> bool:
        owner, now, platform, old = self._owner, self._clock.now(), self._platform, delivery.chat_id

        async def write(tx: Tx) -> bool:
            if not await tx.outbox.move_chat(message.id, owner, new_chat_id):
                return False
            await tx.places.move(platform, old, new_chat_id, now)
            return True

        done = await self._write(message.id, write)
        if done is None:
            return False
        self._totals["moved" if done else "lost"] += 1
        return done

    # --- writing -----------------------------------------------------------------------

    async def _record(
        self, message: ClaimedMessage, what: str, action: Callable[[Tx], Awaitable[bool]]
    ) -> None:
        """Write one settle; count it as `what`, or as lost if our lease was gone."""
        done = await self._write(message.id, action)
        if done is None:
            return
        self._totals[what if done else "lost"] += 1
        if not done:
            logger.warning(
                "%s outbox %d: lease lost before recording %s", self._platform, message.id, what
            )

    async def _write(self, outbox_id: int, action: Callable[[Tx], Awaitable[_T]]) -> _T | None:
        """Run `action` in its own transaction; None (logged, counted) if that failed."""
        try:
            async with self._db.transaction() as tx:
                return await action(tx)
        except Exception:
            logger.exception(
                "%s outbox %d: could not record the outcome; it will be tried again",
                self._platform,
                outbox_id,
            )
            self._totals["unrecorded"] += 1
            return None
