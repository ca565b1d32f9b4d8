"""The rate limiter keeps a platform's sliding windows, however late requests arrive.

A platform judges each request by when it *arrived*, somewhere between when we started it
and when its answer came back. These tests let every request arrive at a random point of
that span and judge the arrivals with strict sliding windows.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import pytest

from bot.core.actors import ChatKind
from bot.core.delivery import RateLimits
from bot.core.outbox import RateLimiter, WouldWait
from tests.core.outbox.fakes import VirtualTime


@dataclass(frozen=True)
class Request:
    chat: str
    start: float
    end: float
    arrival: float


class Platform:
    """Sends through a limiter on virtual time, and remembers every request."""

    def __init__(self, limits: RateLimits, **options: float) -> None:
        self.time = VirtualTime()
        self.limiter = RateLimiter(limits, time_source=self.time, sleep=self.time.sleep, **options)
        self.requests: list[Request] = []
        self._arrive = random.Random(7)

    async def send(self, chat: str, kind: ChatKind = ChatKind.GROUP, latency: float = 0.05) -> None:
        async with self.limiter.slot(chat, kind):
            start = self.time.now
            await self.time.sleep(latency)
            end = self.time.now
        arrival = start + self._arrive.random() * (end - start)
        self.requests.append(Request(chat, start, end, arrival))

    def most_in_any_window(self, seconds: float, chat: str | None = None) -> int:
        """The most arrivals (to `chat`) that any window of `seconds` holds."""
        arrivals = sorted(r.arrival for r in self.requests if chat in (None, r.chat))
        most, first = 0, 0
        for last, arrival in enumerate(arrivals):
            while arrival - arrivals[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    def rate(self) -> float:
        span = max(r.end for r in self.requests) - min(r.start for r in self.requests)
        return len(self.requests) / span


async def test_the_global_rate_holds_in_every_second_and_is_nearly_used() -> None:
    platform = Platform(RateLimits(global_per_second=30, per_chat_interval=1))
    latencies = [0.005, 0.05, 0.02, 0.04]
    await platform.time.run(*(platform.send(str(n), latency=latencies[n % 4]) for n in range(600)))
    assert platform.most_in_any_window(1.0) <= 30
    assert platform.rate() >= 0.9 * 30


async def test_slow_answers_do_not_let_a_burst_through() -> None:
    # A request still in flight may yet arrive at any moment: it counts in every window.
    platform = Platform(RateLimits(global_per_second=30, per_chat_interval=1))
    latencies = [0.9, 0.01, 0.01, 0.01, 0.5]
    await platform.time.run(*(platform.send(str(n), latency=latencies[n % 5]) for n in range(300)))
    assert platform.most_in_any_window(1.0) <= 30


async def test_a_fan_out_starts_as_a_stream_not_a_burst() -> None:
    platform = Platform(RateLimits(global_per_second=30, per_chat_interval=1))
    await platform.time.run(*(platform.send(str(n)) for n in range(10)))
    starts = sorted(r.start for r in platform.requests)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 1 / 30


async def test_one_chat_gets_one_request_at_a_time_a_full_interval_apart() -> None:
    platform = Platform(RateLimits(global_per_second=100, per_chat_interval=1.0))
    await platform.time.run(*(platform.send("7", ChatKind.PRIVATE, latency=0.3) for _ in range(6)))
    requests = sorted(platform.requests, key=lambda r: r.start)
    for earlier, later in itertools.pairwise(requests):
        assert later.start >= earlier.end + 1.0  # judged from when the last one finished
        assert later.start <= earlier.end + 1.1  # and not much later than that
        assert later.arrival - earlier.arrival >= 1.0


async def test_a_group_gets_no_more_than_its_cap_in_any_minute() -> None:
    limits = RateLimits(global_per_second=100, per_chat_interval=0.1, per_group_per_minute=20)
    platform = Platform(limits)
    await platform.time.run(*(platform.send("-1") for _ in range(45)))
    assert platform.most_in_any_window(60.0) <= 20
    first_minute = [r for r in platform.requests if r.start < 60.0]
    assert len(first_minute) >= 19


async def test_the_group_cap_does_not_hold_back_private_chats() -> None:
    limits = RateLimits(global_per_second=100, per_chat_interval=0.1, per_group_per_minute=20)
    platform = Platform(limits)
    await platform.time.run(*(platform.send("7", ChatKind.PRIVATE) for _ in range(45)))
    assert platform.time.now < 10


async def test_a_platform_pause_holds_every_chat() -> None:
    platform = Platform(RateLimits(global_per_second=100, per_chat_interval=0))
    platform.limiter.pause_all(5.0)
    assert platform.limiter.paused_for() == 5.0
    await platform.time.run(platform.send("1"), platform.send("2"))
    assert min(r.start for r in platform.requests) >= 5.0


async def test_a_chat_pause_holds_only_that_chat() -> None:
    platform = Platform(RateLimits(global_per_second=100, per_chat_interval=0))
    platform.limiter.pause_chat("1", 30.0)
    await platform.time.run(platform.send("1"), platform.send("2"))
    starts = {r.chat: r.start for r in platform.requests}
    assert starts["1"] >= 30.0
    assert starts["2"] < 1.0


async def test_a_wait_longer_than_allowed_is_refused_without_taking_a_slot() -> None:
    platform = Platform(RateLimits(global_per_second=100, per_chat_interval=0))
    platform.limiter.pause_chat("1", 30.0)

    async def impatient() -> float:
        with pytest.raises(WouldWait) as refused:
            async with platform.limiter.slot("1", ChatKind.GROUP, max_wait=5.0):
                pass
        return refused.value.seconds

    waited, _ = await platform.time.run(impatient(), platform.send("2"))
    assert waited == pytest.approx(30.0)
    assert [r.chat for r in platform.requests] == ["2"]
    assert platform.time.now < 1.0


async def test_idle_chats_are_forgotten() -> None:
    platform = Platform(
        RateLimits(global_per_second=1000, per_chat_interval=1.0, per_group_per_minute=20),
        sweep_every=10.0,
    )
    await platform.time.run(*(platform.send(str(n), latency=0.001) for n in range(2000)))
    assert platform.limiter.tracked_chats == 2000  # all of them within the last minute
    platform.time.advance(61.0)
    await platform.time.run(platform.send("late"))
    assert platform.limiter.tracked_chats == 1


async def test_zero_means_no_such_limit() -> None:
    platform = Platform(RateLimits(global_per_second=0, per_chat_interval=0))
    await platform.time.run(*(platform.send("1", latency=0) for _ in range(100)))
    assert platform.time.now == 0


def test_a_margin_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="margin"):
        RateLimiter(RateLimits(30, 1), margin=1.5)
