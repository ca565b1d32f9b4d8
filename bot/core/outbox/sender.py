"""The outbox sender of one platform (DESIGN §2.2).

It claims due outbox rows with a lease, hands each to the platform's courier inside the
rate limiter, and records what happened (see `settle`), each row in its own short
transaction right after its answer. Rows to one chat go one at a time, in order, through
one worker per chat; different chats go in parallel, with at most `concurrency` rows in hand.

A row whose `not_after` passes before it goes out is `expired`, never sent late. A row
cancelled while it waited in hand (its wave was called off) is not sent: the sender checks
the row is still its own just before sending it. Delivery is at least once: a process that
dies between the platform's answer and the commit sends that row again after its lease runs
out (Discord's nonce makes that resend harmless there).

No row stays leased without progress: an unexpected error anywhere in a row's life (its
composer, its rendering, the courier, a bug here) counts an attempt like a transient
failure, so the row is retried after a back-off and ends `dead` with that error as its
reason once its attempts run out; a courier that never answers is given up after
`send_timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import replace

from bot.core.clock import Clock
from bot.core.delivery import Courier, Delivery, Outcome, RetryAfter
from bot.core.outbox.backoff import Jitter
from bot.core.outbox.compose import (
    Composed,
    Composers,
    UnreadablePayload,
    compose_together,
    delivery_of,
    message_of,
    request_for,
)
from bot.core.outbox.leases import LeaseCheck
from bot.core.outbox.ratelimit import RateLimiter, WouldWait
from bot.core.outbox.settings import SenderSettings
from bot.core.outbox.settle import DropChat, HoldChat, RecipientGone, SendTo, Settler
from bot.core.outbox.transmit import Redact, describe, redacted, transmit
from bot.core.redaction import Redactor
from storage.database import Database
from storage.records import ClaimedMessage

logger = logging.getLogger(__name__)


class OutboxSender:
    """Sends one platform's outbox rows. Either `start()` it (then `wake()` it after
    writing rows, and `stop()` it), or drive it with `run_once()`; not both at once.
    """

    def __init__(
        self,
        database: Database,
        courier: Courier,
        clock: Clock,
        owner: str,
        settings: SenderSettings | None = None,
        *,
        limiter: RateLimiter | None = None,
        jitter: Jitter = random.random,
        on_recipient_gone: RecipientGone | None = None,
        composers: Composers | None = None,
        redact: Redact | None = None,
    ) -> None:
        """`owner` names this process's leases (see `make_owner`); `limiter` defaults to
        one built from `courier.limits`; `jitter` draws the back-off fractions;
        `on_recipient_gone` runs when a private chat refuses a message for good (see
        `settle`); `composers` build the rows whose payload says `compose` (see `compose`);
        `redact` takes secrets out of the reasons rows keep (by default, anything shaped
        like a platform token).
        """
        self._db = database
        self._courier = courier
        self._clock = clock
        self._owner = owner
        self._settings = settings or SenderSettings()
        self._limiter = limiter or RateLimiter(courier.limits)
        self._platform = courier.platform.value
        self._composers = composers or Composers()
        self._redact = redact or Redactor(())
        self._queues: dict[str, deque[ClaimedMessage]] = {}  # rows in hand, per chat
        self._workers: dict[str, asyncio.Task[None]] = {}  # one per queue
        self._in_hand: set[int] = set()
        self._leases = LeaseCheck(
            database, owner, lambda: self._in_hand, self._settings.lease_check_seconds
        )
        # Rows of the last claims composed together (see `_compose_claimed`), by outbox id.
        self._composed: dict[int, Composed | None] = {}
        # Chats whose worker has a row on the wire: stop() lets those finish.
        self._on_the_wire: set[str] = set()
        self._wakeup = asyncio.Event()
        self._backlog = False  # the last claim was full: more rows are probably due
        # Claim again once this much room is free, so that claims stay few and large.
        self._refill_at = max(1, min(self._settings.batch_size, self._settings.concurrency // 2))
        self._loop: asyncio.Task[None] | None = None
        self._stopping = False
        self._totals: Counter[str] = Counter()
        self._settler = Settler(
            database,
            clock,
            owner,
            self._platform,
            self._settings.backoff,
            jitter,
            self._totals,
            on_recipient_gone=on_recipient_gone,
        )

    # --- public API --------------------------------------------------------------------

    @property
    def owner(self) -> str:
        return self._owner

    @property
    def totals(self) -> Counter[str]:
        """What happened so far: rows claimed, sent, retried, failed, gone, … (a copy)."""
        return self._totals.copy()

    def wake(self) -> None:
        """Rows were just written (or cancelled): claim now rather than at the next poll,
        and read again whether the rows in hand are still ours."""
        self._leases.stale()
        self._backlog = True  # if our hands are full now, claim as soon as they are not
        self._wakeup.set()

    async def start(self) -> None:
        """Start claiming and sending in the background."""
        if self._loop is not None:
            raise RuntimeError("the outbox sender is already running")
        self._stopping = False
        self._loop = asyncio.create_task(self._run(), name=f"outbox-{self._platform}")

    async def stop(self) -> None:
        """Stop claiming; let sends already in flight finish within `stop_grace`, abandon
        the rest, and give every row still leased to this sender back to the table.
        """
        loop, self._loop = self._loop, None
        if loop is None:
            return
        self._stopping = True
        self._wakeup.set()
        try:
            await loop
        except Exception:
            logger.exception("%s outbox: the sender loop had failed", self._platform)
        for chat_id, worker in self._workers.items():
            if chat_id not in self._on_the_wire:  # still waiting: nothing on the wire yet
                worker.cancel()
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=self._settings.stop_grace)
            for worker in late:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        # A worker cancelled before its first step never ran its own clean-up.
        self._queues.clear()
        self._workers.clear()
        self._in_hand.clear()
        self._composed.clear()
        self._on_the_wire.clear()
        try:
            async with self._db.transaction() as tx:
                released = await tx.outbox.release(self._owner)
        except Exception:
            logger.exception(
                "%s outbox: could not release leases; they will run out", self._platform
            )
            return
        logger.info("%s outbox sender stopped; %d rows given back", self._platform, released)

    async def run_once(self) -> Counter[str]:
        """Claim one batch, send it, record every outcome; return what happened.

        For tests and benchmarks that drive the sender step by step.
        """
        if self._loop is not None:
            raise RuntimeError("run_once() while the sender runs in the background")
        before = self._totals.copy()
        await self._claim(self._settings.batch_size)
        while self._workers:
            await asyncio.wait(list(self._workers.values()))
        return self._totals - before

    # --- claiming ----------------------------------------------------------------------

    async def _run(self) -> None:
        settings = self._settings
        while not self._stopping:
            self._wakeup.clear()
            paused = self._limiter.paused_for()
            if not paused and self._room() >= self._refill_at:
                limit = min(settings.batch_size, self._room())
                try:
                    self._backlog = await self._claim(limit) == limit
                except Exception:
                    logger.exception("%s outbox: claiming failed; will try again", self._platform)
                    self._backlog = False
                if self._backlog and self._room() >= self._refill_at:
                    continue
            timeout = min(paused, settings.poll_interval) if paused else settings.poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)

    def _room(self) -> int:
        return self._settings.concurrency - len(self._in_hand)

    async def _claim(self, limit: int) -> int:
        async with self._db.transaction() as tx:
            claimed = await tx.outbox.claim(
                self._platform,
                self._owner,
                self._clock.now(),
                self._settings.lease_seconds,
                limit,
            )
        self._totals["claimed"] += len(claimed)
        await self._compose_claimed(claimed)
        for message in claimed:
            if message.id in self._in_hand:
                continue  # our own lease ran out while it waited here; it is still queued
            self._in_hand.add(message.id)
            self._queues.setdefault(message.chat_id, deque()).append(message)
            if message.chat_id not in self._workers:
                self._workers[message.chat_id] = asyncio.create_task(
                    self._work(message.chat_id), name=f"outbox-{self._platform}-chat"
                )
        return len(claimed)

    async def _compose_claimed(self, claimed: Iterable[ClaimedMessage]) -> None:
        """Compose the batch's composed rows together, now: they go out within seconds, and
        one by one they would read the same data many times. A row deferred or retried goes
        back to the table and is composed again when claimed again (see `compose_together`)."""
        requests = []
        for message in claimed:
            if "compose" in message.payload:
                try:
                    requests.append(request_for(message, self._courier.platform))
                except UnreadablePayload:
                    continue  # composed alone when it is sent, and failed there
        self._composed.update(await compose_together(self._composers, requests))

    def _done_with(self, messages: Iterable[ClaimedMessage]) -> None:
        for message in messages:
            self._in_hand.discard(message.id)
            self._composed.pop(message.id, None)
        if self._backlog and self._room() >= self._refill_at:
            self._wakeup.set()

    def _drop(self, queue: deque[ClaimedMessage]) -> None:
        """Forget the rest of a chat's rows in hand (they were settled all at once)."""
        self._done_with(queue)
        queue.clear()

    # --- sending -----------------------------------------------------------------------

    async def _work(self, chat_id: str) -> None:
        """Send the rows in hand for one chat, in order, one at a time."""
        queue = self._queues[chat_id]
        try:
            while queue and not self._stopping:
                message = queue.popleft()
                try:
                    await self._see_through(message, queue, chat_id)
                except Exception as error:
                    # A fault anywhere in the row's life: counted and retried, never left
                    # leased to a live sender that will not touch it again.
                    logger.exception("%s outbox %d: unexpected error", self._platform, message.id)
                    await self._settler.fault(message, describe(error, self._redact))
                finally:
                    self._on_the_wire.discard(chat_id)
                    self._done_with([message])
        finally:
            # Rows left here (we are stopping) stay leased until stop() releases them.
            self._done_with(queue)
            self._queues.pop(chat_id, None)
            self._workers.pop(chat_id, None)

    async def _see_through(
        self, message: ClaimedMessage, queue: deque[ClaimedMessage], worker: str
    ) -> None:
        """One row's life in this sender, from claimed to settled, in order:

        overdue → `expired`; lease lost → left alone; composed: unreadable → `failed`,
        nothing to say → `cancelled`; no longer ours (it was cancelled meanwhile) → left
        alone; waits its turn in the limiter; sent, and the outcome recorded (see `settle`).
        Then its chat waits (rate limited), is dropped (gone), or moved: the row follows it
        and goes through once more; moved twice in a row, it is left to a later claim.
        Anything raised here is a fault, settled by `_work`.
        """
        for _ in range(2):  # a second round only after the chat moved
            if self._overdue(message):
                await self._settler.expired(message)
                return
            kept = await self._settler.keep_lease(message, self._settings.lease_seconds)
            if kept is None:
                return
            message = kept
            try:
                delivery = await self._delivery(message)
            except UnreadablePayload as error:
                await self._settler.unreadable(message, self._redact(str(error)))
                return
            if delivery is None:  # composed at send time, and there is nothing to send now
                await self._settler.withdrawn(message, "nothing to send when it was due")
                return
            outcome = await self._send(message, delivery, queue, worker)
            if outcome is None:
                return
            after = await self._settler.outcome(message, delivery, redacted(outcome, self._redact))
            self._on_the_wire.discard(worker)
            match after:
                case HoldChat(seconds):  # keep the chat's order: all of it waits
                    # Rows claimed later wait too (a chat that may not post is tried once a
                    # probe).
                    self._limiter.pause_chat(message.chat_id, seconds)
                    await self._settler.defer(queue, seconds)
                    self._drop(queue)
                    return
                case DropChat():  # its rows were cancelled with it
                    self._drop(queue)
                    return
                case SendTo(chat_id):
                    for index, queued in enumerate(queue):
                        queue[index] = replace(queued, chat_id=chat_id)
                    if self._stopping:
                        return  # still leased: stop() gives it back
                    message = replace(message, chat_id=chat_id)
                case None:
                    return
        await self._settler.again_now(message, "moved twice")

    async def _send(
        self,
        message: ClaimedMessage,
        delivery: Delivery,
        queue: deque[ClaimedMessage],
        worker: str,
    ) -> Outcome | None:
        """Send within the limits; None when the row was dealt with otherwise (no longer
        ours, deferred because its chat must wait long, or expired while it waited)."""
        # Checked before the limiter, whose wait is short (`defer_after`): inside it, the
        # read would let other chats' sends start while a platform-wide pause is decided.
        if not await self._leases.still_ours(message.id):  # cancelled in bulk meanwhile
            self._totals["lost"] += 1
            logger.info("%s outbox %d: cancelled before it was sent", self._platform, message.id)
            return None
        try:
            async with self._limiter.slot(
                delivery.chat_id, delivery.chat_kind, max_wait=self._settings.defer_after
            ):
                if not self._overdue(message):  # the wait may have been long
                    self._on_the_wire.add(worker)
                    outcome = await transmit(
                        self._courier,
                        delivery,
                        give_up_after=self._settings.send_timeout,
                        redact=self._redact,
                    )
                    self._pause_for(delivery, outcome)
                    return outcome
        except WouldWait as wait:
            await self._settler.defer([message, *queue], wait.seconds)
            self._drop(queue)
            return None
        await self._settler.expired(message)
        return None

    def _pause_for(self, delivery: Delivery, outcome: Outcome) -> None:
        # Before the slot ends, so that no other send starts in between.
        if isinstance(outcome, RetryAfter):
            if outcome.everything:
                self._limiter.pause_all(outcome.seconds)
            else:
                self._limiter.pause_chat(delivery.chat_id, outcome.seconds)

    def _overdue(self, message: ClaimedMessage) -> bool:
        return message.not_after is not None and self._clock.now() >= message.not_after

    async def _delivery(self, message: ClaimedMessage) -> Delivery | None:
        if message.id in self._composed:  # composed with its batch (`_compose_claimed`)
            composed = self._composed.pop(message.id)
        else:
            # Composed now, from the database as it is, so that a retry shows fresh figures.
            request = request_for(message, self._courier.platform)
            composed = await message_of(self._composers, request)
        return delivery_of(message, composed) if composed is not None else None
