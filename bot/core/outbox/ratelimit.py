"""Pacing sends a little below a platform's published limits, so the platform never says 429.

Three limits, from `RateLimits`: a global rate (messages per second over the whole platform),
a minimum interval between two messages to one chat, and a cap on messages to one group
chat per minute. Platforms judge them with sliding windows over the moment each request
*arrived*; the limiter cannot see that moment, only when a request started and when its
answer came back, and the arrival lies somewhere between. So every window here is judged
against when earlier requests *finished* (a request still in flight counts as inside every
window): then no window the platform draws can hold more requests than the limiter allowed,
however long the network took. Starts are also spaced evenly, so a fan-out begins as a
steady stream rather than a burst. Everything runs at `margin` (97 %) of the published
figures.

A 429 that names a wait pauses one chat (`pause_chat`) or the whole platform (`pause_all`).

Time is injected (a monotonic source and a sleep), so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from bot.core.actors import ChatKind
from bot.core.delivery import RateLimits

TimeSource = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

GLOBAL_WINDOW = 1.0  # seconds: "N messages per second"
GROUP_WINDOW = 60.0  # seconds: "M messages per minute to one group"
# Never sleep less: a wait computed as a difference of floats can round to nothing (and a
# coarse clock may not move over a tiny sleep), and oversleeping a little is always safe.
MIN_SLEEP = 0.001


class WouldWait(Exception):
    """Sending to this chat now would mean waiting longer than allowed (`seconds`)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"would wait {seconds:.3f} s")
        self.seconds = seconds


@dataclass(eq=False, slots=True)
class _Chat:
    """What the limiter remembers about one chat, until it has been idle long enough."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # slots taken or waited for; a chat in use is never forgotten
    last_finish: float = -math.inf
    paused_until: float = -math.inf
    # Group chats: when the latest sends finished (only as many as the group cap).
    finishes: deque[float] | None = None


class RateLimiter:
    """The rate limits of one platform, shared by every send of one sender."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        margin: float = 0.97,
        time_source: TimeSource = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        sweep_every: float = 60.0,
    ) -> None:
        """Pace at `margin` of `limits` (0 in a limit means "no such limit").

        `time_source` and `sleep` are a monotonic clock in seconds and its sleep; the idle
        state of chats is forgotten every `sweep_every` seconds.
        """
        if not 0 < margin <= 1:
            raise ValueError("margin must be in (0, 1]")
        self._time = time_source
        self._sleep = sleep
        rate = limits.global_per_second
        # At most this many requests in flight or finished within the last second.
        self._global_cap = max(1, math.floor(rate * margin * GLOBAL_WINDOW)) if rate > 0 else 0
        self._spacing = 1.0 / (rate * margin) if rate > 0 else 0.0
        self._chat_gap = max(0.0, limits.per_chat_interval) / margin
        self._group_cap = (
            max(1, math.floor(limits.per_group_per_minute * margin))
            if limits.per_group_per_minute > 0
            else 0
        )
        self._chats: dict[str, _Chat] = {}
        self._gate = asyncio.Lock()  # one request at a time decides when the next may start
        self._a_request_finished = asyncio.Event()
        self._in_flight = 0
        # Finish times of recent requests; only the latest `cap` can ever matter.
        self._finishes: deque[float] = deque(maxlen=max(1, self._global_cap))
        self._next_start = -math.inf
        self._paused_until = -math.inf
        self._sweep_every = sweep_every
        self._next_sweep = self._time() + sweep_every

    # --- public API --------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def slot(
        self, chat_id: str, kind: ChatKind, *, max_wait: float = math.inf
    ) -> AsyncIterator[None]:
        """Wait until one request to `chat_id` may start, and hold the chat while it runs.

        Send the request inside the block: the limiter counts it from the moment the block
        starts until it ends, and never lets two blocks for one chat run at once.

        Raises `WouldWait` (before taking anything) if this chat's own limits, or a pause
        of it or of the whole platform, would hold the request for more than `max_wait`
        seconds; waits for the global rate are not counted, they are always short.
        """
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        chat.users += 1
        try:
            async with chat.lock:
                await self._wait_for_chat(chat, kind, max_wait)
                # Holding the chat, nothing else can make it wait again: only time passes.
                async with self._gate:
                    await self._wait_for_platform(max_wait)
                    self._in_flight += 1
                    self._space_next_start()
                try:
                    yield
                finally:
                    self._finished(chat, kind)
        finally:
            chat.users -= 1
            self._sweep_if_due()

    def pause_all(self, seconds: float) -> None:
        """The platform said "too many requests" for everything: start none for `seconds`."""
        self._paused_until = max(self._paused_until, self._time() + seconds)

    def pause_chat(self, chat_id: str, seconds: float) -> None:
        """The platform said "too many requests" to this chat: none to it for `seconds`."""
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat()
        chat.paused_until = max(chat.paused_until, self._time() + seconds)

    def paused_for(self) -> float:
        """Seconds left in a platform-wide pause (0 when there is none)."""
        return max(0.0, self._paused_until - self._time())

    @property
    def tracked_chats(self) -> int:
        """How many chats the limiter currently remembers (idle ones are swept)."""
        return len(self._chats)

    # --- waiting -----------------------------------------------------------------------

    async def _wait_for_chat(self, chat: _Chat, kind: ChatKind, max_wait: float) -> None:
        while True:
            wait = self._ready_at(chat, kind) - self._time()
            if wait <= 0:
                return
            if wait > max_wait:
                raise WouldWait(wait)
            await self._nap(wait)

    def _ready_at(self, chat: _Chat, kind: ChatKind) -> float:
        ready = max(self._paused_until, chat.paused_until, chat.last_finish + self._chat_gap)
        if kind is ChatKind.GROUP and chat.finishes and len(chat.finishes) >= self._group_cap:
            # The oldest of the last `cap` sends must leave the minute before the next.
            ready = max(ready, chat.finishes[0] + GROUP_WINDOW)
        return ready

    async def _wait_for_platform(self, max_wait: float) -> None:
        while True:
            now = self._time()
            paused = self._paused_until - now
            if paused > 0:
                if paused > max_wait:
                    raise WouldWait(paused)
                await self._nap(paused)
                continue
            if not self._global_cap:
                return
            if self._in_flight >= self._global_cap:
                # Nothing can leave the window before something finishes.
                self._a_request_finished.clear()
                await self._a_request_finished.wait()
                continue
            while self._finishes and self._finishes[0] + GLOBAL_WINDOW <= now:
                self._finishes.popleft()
            if self._in_flight + len(self._finishes) >= self._global_cap:
                await self._nap(self._finishes[0] + GLOBAL_WINDOW - now)
                continue
            if self._next_start > now:
                await self._nap(self._next_start - now)
                continue
            return

    def _space_next_start(self) -> None:
        """Keep starts on an even grid. Every sleep ends a little late (the event loop has
        other work, and stalls for milliseconds now and then); measuring each interval from
        the actual start would add that lateness up and lose several percent of the rate.
        A start late by up to one interval keeps the grid, so the next one catches up; after
        a longer wait (idle, or held by the window) the grid restarts from now, so no burst
        follows. Starts never run ahead of the grid, and the window rule alone keeps the
        limits."""
        now = self._time()
        scheduled = self._next_start
        base = scheduled if now - scheduled <= self._spacing else now
        self._next_start = base + self._spacing

    async def _nap(self, seconds: float) -> None:
        await self._sleep(max(seconds, MIN_SLEEP))

    def _finished(self, chat: _Chat, kind: ChatKind) -> None:
        end = self._time()
        self._in_flight -= 1
        if self._global_cap:
            self._finishes.append(end)
        chat.last_finish = end
        if kind is ChatKind.GROUP and self._group_cap:
            if chat.finishes is None:
                chat.finishes = deque(maxlen=self._group_cap)
            chat.finishes.append(end)
        self._a_request_finished.set()

    # --- memory ------------------------------------------------------------------------

    def _sweep_if_due(self) -> None:
        now = self._time()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._sweep_every
        idle = [key for key, chat in self._chats.items() if self._forgettable(chat, now)]
        for key in idle:
            del self._chats[key]

    def _forgettable(self, chat: _Chat, now: float) -> bool:
        """Nobody uses it, and forgetting it would not let any send out earlier."""
        return (
            chat.users == 0
            and chat.paused_until <= now
            and chat.last_finish + self._chat_gap <= now
            and (not chat.finishes or chat.finishes[-1] + GROUP_WINDOW <= now)
        )
