"""Test doubles for the outbox: a courier at the network edge, and time for the limiter."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.core.actors import ChatKind, Platform
from bot.core.delivery import Delivery, Outcome, RateLimits, Sent
from bot.core.replies import Reply
from tests.fakes import FakeClock

_T = TypeVar("_T")

GENEROUS = RateLimits(global_per_second=1000, per_chat_interval=0)


class FakeCourier:
    """A platform that records every delivery and answers from a script.

    `answer(...)` queues outcomes (or exceptions to raise) for one chat, or for any chat;
    once a script runs out, deliveries succeed with message ids `m1`, `m2`, …
    `on_deliver` runs inside each delivery (to make the network slow, move the clock, …).
    Edits of earlier messages (`LiveMessages.edit`) are recorded as deliveries too, with
    `replaces` set, and answered from the same scripts.
    """

    def __init__(
        self, platform: Platform = Platform.TELEGRAM, limits: RateLimits = GENEROUS
    ) -> None:
        self.platform = platform
        self.limits = limits
        self.deliveries: list[Delivery] = []
        self.on_deliver: Callable[[Delivery], Awaitable[None]] | None = None
        self._scripts: defaultdict[str | None, deque[Outcome | Exception]] = defaultdict(deque)

    def answer(self, *outcomes: Outcome | Exception, chat: str | None = None) -> None:
        self._scripts[chat].extend(outcomes)

    async def deliver(self, delivery: Delivery) -> Outcome:
        self.deliveries.append(delivery)
        if self.on_deliver is not None:
            await self.on_deliver(delivery)
        script = self._scripts[delivery.chat_id] or self._scripts[None]
        outcome = script.popleft() if script else Sent(f"m{len(self.deliveries)}")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def edit(self, chat_id: str, message_id: str, reply: Reply, locale: str) -> Outcome:
        edited = Delivery(0, "", chat_id, ChatKind.GROUP, reply, locale, replaces=message_id)
        self.deliveries.append(edited)
        script = self._scripts[chat_id] or self._scripts[None]
        outcome = script.popleft() if script else Sent(message_id)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def pin(self, chat_id: str, message_id: str) -> bool:
        return False

    @property
    def chats(self) -> list[str]:
        """The chat of every delivery, in order."""
        return [delivery.chat_id for delivery in self.deliveries]

    @property
    def outbox_ids(self) -> list[int]:
        """The outbox row of every delivery, in order."""
        return [delivery.outbox_id for delivery in self.deliveries]


class ClockTime:
    """A limiter time source read from a FakeClock; sleeping moves the clock forward.

    Good for sender tests that run one step at a time: the limiter and the database then
    share one notion of time, so "pause for 30 s" and "due in 30 s" agree.
    """

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._epoch = clock.now()

    def __call__(self) -> float:
        return (self._clock.now() - self._epoch).total_seconds()

    async def sleep(self, seconds: float) -> None:
        target = self() + seconds
        await asyncio.sleep(0)
        if target > self():
            self._clock.advance(seconds=target - self())


class VirtualTime:
    """Exact virtual time for concurrent code that only waits by sleeping (or on each other).

    `run()` lets every runnable task run, then wakes the earliest sleeper and moves time to
    when it asked to wake, and so on, until the tasks are done.
    """

    YIELDS = 25  # event-loop turns given to runnable tasks before time moves on

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let time pass while nothing happens."""
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, *work: Awaitable[_T]) -> list[_T]:
        tasks = [asyncio.ensure_future(item) for item in work]
        while not all(task.done() for task in tasks):
            for _ in range(self.YIELDS):
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                break
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # cancelled sleepers
            if not self._sleepers:
                for task in tasks:
                    task.cancel()
                raise AssertionError("stuck: nothing runs and nothing sleeps")
            wake_at, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake_at)
            future.set_result(None)
        return [task.result() for task in tasks]
