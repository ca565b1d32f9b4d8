"""A fake chat platform that enforces its rate limits strictly, for the fan-out benchmark.

Run: .venv/bin/python benchmarks/fakeplatform.py --global-per-second 100 \
        --per-chat-interval 1 --group-per-minute 20 [--latency-ms 0]
It listens on a free port of 127.0.0.1, prints `port=<n>` on stdout, and serves until it is
terminated. Every limit is a strict sliding window over the moment each request *arrived*:
- at most N accepted messages in any 1-second window, over all chats;
- at least S seconds between two accepted messages to one chat;
- at most M accepted messages in any 60-second window to one group chat.

POST /send {"chat_id", "chat_kind": "group"|"private", "nonce", "text"}
    200 {"message_id": n}, or 429 {"retry_after": seconds, "scope": "global"|"chat"|"group"}
    A nonce accepted before is a duplicate delivery: counted, and answered with the first id.
GET /stats: what it saw, as JSON.

Faults (for benchmarks/chaos.py; none unless asked, so other benchmarks see the limits only):
POST /faults {"forbidden": [chat, …], "server_errors": {chat: n, …}, "slow": [chat, …],
              "slow_seconds": s}
    forbidden: every message to that chat is refused 403 "not enough rights" (the bot lost
    its send permission there); server_errors: the chat's next n messages get 500; slow: the
    chat's first message is answered only after `slow_seconds`, with 504 and *not* accepted
    (a gateway that gave up before the message reached the platform: retrying it is no
    duplicate). A faulty answer comes before any limit is judged and uses none of them.
GET /accepted: how many messages each chat accepted, {chat: n}.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

GLOBAL_WINDOW = 1.0
GROUP_WINDOW = 60.0


@dataclass
class Stats:
    received: int = 0
    accepted: int = 0
    violations: int = 0
    violations_by_scope: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    faults: dict[str, int] = field(default_factory=dict)  # injected answers, by kind
    first_accepted: float = 0.0  # monotonic seconds (shared with the benchmark's clock)
    last_accepted: float = 0.0


class Platform:
    """The limits, and everything accepted within them."""

    def __init__(self, per_second: int, chat_interval: float, group_per_minute: int) -> None:
        self.per_second = per_second
        self.chat_interval = chat_interval
        self.group_per_minute = group_per_minute
        self.stats = Stats()
        self._recent: deque[float] = deque()  # accepted arrivals in the last second
        self._last_to_chat: dict[str, float] = {}
        self._group_recent: dict[str, deque[float]] = {}
        self._by_nonce: dict[str, int] = {}
        self.accepted_by_chat: dict[str, int] = {}
        self.faults = Faults()

    def judge(self, chat: str, kind: str, arrival: float) -> tuple[str, float] | None:
        """Which limit this arrival breaks, and how long until it would not; None if none."""
        while self._recent and self._recent[0] <= arrival - GLOBAL_WINDOW:
            self._recent.popleft()
        if len(self._recent) >= self.per_second:
            return "global", self._recent[0] + GLOBAL_WINDOW - arrival
        last = self._last_to_chat.get(chat)
        if last is not None and arrival - last < self.chat_interval:
            return "chat", last + self.chat_interval - arrival
        if kind == "group" and self.group_per_minute:
            recent = self._group_recent.setdefault(chat, deque())
            while recent and recent[0] <= arrival - GROUP_WINDOW:
                recent.popleft()
            if len(recent) >= self.group_per_minute:
                return "group", recent[0] + GROUP_WINDOW - arrival
        return None

    def accept(self, chat: str, kind: str, nonce: str, arrival: float) -> int:
        stats = self.stats
        if nonce in self._by_nonce:
            stats.duplicates += 1
            return self._by_nonce[nonce]
        stats.accepted += 1
        stats.first_accepted = stats.first_accepted or arrival
        stats.last_accepted = arrival
        self._recent.append(arrival)
        self._last_to_chat[chat] = arrival
        if kind == "group" and self.group_per_minute:
            self._group_recent.setdefault(chat, deque()).append(arrival)
        self._by_nonce[nonce] = stats.accepted
        self.accepted_by_chat[chat] = self.accepted_by_chat.get(chat, 0) + 1
        return stats.accepted


@dataclass
class Faults:
    """Answers injected before the limits are judged (POST /faults); none by default."""

    forbidden: set[str] = field(default_factory=set)
    server_errors: dict[str, int] = field(default_factory=dict)  # chat → 500s still to give
    slow: set[str] = field(default_factory=set)  # chats whose first message stalls
    slow_seconds: float = 0.0

    def load(self, body: dict[str, Any]) -> None:
        self.forbidden = {str(chat) for chat in body.get("forbidden", ())}
        self.server_errors = {str(k): int(v) for k, v in body.get("server_errors", {}).items()}
        self.slow = {str(chat) for chat in body.get("slow", ())}
        self.slow_seconds = float(body.get("slow_seconds", 0.0))

    def answer(self, chat: str) -> tuple[str, int, dict[str, Any]] | None:
        """The fault this message to `chat` meets (kind, status, body), if any."""
        if chat in self.forbidden:
            body = {"description": "Forbidden: not enough rights to send text messages"}
            return "forbidden", 403, body
        if self.server_errors.get(chat, 0) > 0:
            self.server_errors[chat] -= 1
            return "server_error", 500, {"description": "Internal Server Error"}
        if chat in self.slow:
            self.slow.discard(chat)
            return "slow", 504, {"description": "Gateway Timeout"}
        return None


def make_app(platform: Platform, latency: float) -> web.Application:
    async def send(request: web.Request) -> web.Response:
        arrival = time.monotonic()
        body = await request.json()
        platform.stats.received += 1
        chat, kind, nonce = str(body["chat_id"]), str(body["chat_kind"]), str(body["nonce"])
        fault = platform.faults.answer(chat)
        if fault is not None:
            what, status, answer = fault
            faults = platform.stats.faults
            faults[what] = faults.get(what, 0) + 1
            if what == "slow":
                await asyncio.sleep(platform.faults.slow_seconds)
            return web.json_response(answer, status=status)
        breach = platform.judge(chat, kind, arrival)
        if latency:
            await asyncio.sleep(latency)
        if breach is not None:
            scope, retry_after = breach
            stats = platform.stats
            stats.violations += 1
            stats.violations_by_scope[scope] = stats.violations_by_scope.get(scope, 0) + 1
            return web.json_response({"retry_after": retry_after, "scope": scope}, status=429)
        message_id = platform.accept(chat, kind, nonce, arrival)
        return web.json_response({"message_id": message_id})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(asdict(platform.stats))

    async def faults(request: web.Request) -> web.Response:
        platform.faults.load(await request.json())
        return web.json_response({"ok": True})

    async def accepted(request: web.Request) -> web.Response:
        return web.json_response(platform.accepted_by_chat)

    app = web.Application()
    app.router.add_post("/send", send)
    app.router.add_get("/stats", stats)
    app.router.add_post("/faults", faults)
    app.router.add_get("/accepted", accepted)
    return app


async def serve(arguments: argparse.Namespace) -> None:
    platform = Platform(
        arguments.global_per_second, arguments.per_chat_interval, arguments.group_per_minute
    )
    runner = web.AppRunner(make_app(platform, arguments.latency_ms / 1000), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    _, port = runner.addresses[0][:2]
    print(f"port={port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description="a fake platform enforcing rate limits")
    parser.add_argument("--global-per-second", type=int, required=True)
    parser.add_argument("--per-chat-interval", type=float, default=1.0)
    parser.add_argument("--group-per-minute", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
