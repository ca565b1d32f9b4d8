"""Fan-out: one message to each of 2,000 groups through the real OutboxSender, against a fake
platform (benchmarks/fakeplatform.py, its own process) that enforces the limits with strict
sliding windows and answers 429 to any breach.

Run: .venv/bin/python benchmarks/fanout.py [--chats 2000] [--rate 100] [--latency-ms 0]
The outbox lives in a fresh SQLite database in a temporary directory; the courier POSTs each
message to the fake platform with httpx, one request per message. The limits are Telegram's
shape (N/s overall, 1 s per chat, 20/min per group) with N scaled so that the run takes about
20 s while neither process is CPU bound (two cores: one for each).

Progress goes to stderr; the last stdout line is `rate_ratio=… violations=… duplicates=…`:
- rate_ratio: messages the platform accepted ÷ wall time from the sender's start to the last
  acceptance ÷ the allowed global rate (goal ≥ 0.95);
- violations: requests the platform refused because they broke a limit (goal 0);
- duplicates: messages the platform received twice, by outbox nonce (goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.core.actors import Platform
from bot.core.clock import SystemClock
from bot.core.delivery import (
    CannotPost,
    Delivery,
    Failed,
    Outcome,
    RateLimits,
    RetryAfter,
    Sent,
    Transient,
)
from bot.core.outbox import OutboxSender, SenderSettings, make_owner
from bot.core.replies import reply_to_data, say
from bot.core.richtext import msg
from storage.database import Database
from storage.records import NewMessage, Place
from storage.unit import Tx

PER_CHAT_INTERVAL = 1.0
GROUP_PER_MINUTE = 20


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class HttpCourier:
    """A courier that sends each message as one HTTP request to the fake platform."""

    platform = Platform.TELEGRAM

    def __init__(self, client: httpx.AsyncClient, limits: RateLimits, expected: int) -> None:
        self.limits = limits
        self._client = client
        self._expected = expected
        self.accepted = 0
        self.refused = 0
        self.last_accepted = 0.0
        self.all_accepted = asyncio.Event()

    async def deliver(self, delivery: Delivery) -> Outcome:
        outcome = await post_to_fake(self._client, delivery)
        if isinstance(outcome, RetryAfter):
            self.refused += 1
        elif isinstance(outcome, Sent):
            self.accepted += 1
            self.last_accepted = time.monotonic()
            if self.accepted >= self._expected:
                self.all_accepted.set()
        return outcome


async def post_to_fake(client: httpx.AsyncClient, delivery: Delivery) -> Outcome:
    """Send `delivery` as one request to the fake platform; its answer as the Telegram
    courier would report it: 200 → Sent, 429 → RetryAfter, 403 "not enough rights" →
    CannotPost, 5xx and network errors → Transient, another refusal → Failed."""
    body = {
        "chat_id": delivery.chat_id,
        "chat_kind": delivery.chat_kind.value,
        "nonce": delivery.nonce,
        "text": f"{delivery.dedupe_key} ({delivery.locale})",
    }
    try:
        response = await client.post("/send", json=body)
    except httpx.HTTPError as error:
        return Transient(type(error).__name__)
    status = response.status_code
    if status == 200:
        return Sent(str(response.json()["message_id"]))
    if status == 429:
        answer = response.json()
        return RetryAfter(float(answer["retry_after"]), answer["scope"] == "global")
    description = str(response.json().get("description", f"HTTP {status}"))
    if status == 403 and "not enough rights" in description:
        return CannotPost(description)
    if status >= 500:
        return Transient(f"HTTP {status}: {description}")
    return Failed(f"HTTP {status}: {description}")


async def add_group(tx: Tx, campaign_id: int, chat: str, number: int, now: datetime) -> Place:
    """One Telegram group of the benchmark's campaign, announcing in its own chat."""
    return await tx.places.add(
        platform="telegram",
        external_id=chat,
        campaign_id=campaign_id,
        title=f"group {number}",
        locale="en",
        timezone="UTC",
        announcement_channel=chat,
        now=now,
    )


@contextlib.asynccontextmanager
async def fake_platform(rate: int, latency_ms: float) -> AsyncIterator[str]:
    """Start benchmarks/fakeplatform.py in its own process; yield its base URL."""
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("fakeplatform.py")),
        f"--global-per-second={rate}",
        f"--per-chat-interval={PER_CHAT_INTERVAL}",
        f"--group-per-minute={GROUP_PER_MINUTE}",
        f"--latency-ms={latency_ms}",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        line = (await asyncio.wait_for(server.stdout.readline(), 10)).decode().strip()
        if not line.startswith("port="):
            raise RuntimeError(f"the fake platform did not start: {line!r}")
        yield f"http://127.0.0.1:{line.removeprefix('port=')}"
    finally:
        if server.returncode is None:
            server.terminate()
        await server.wait()


async def fill_outbox(db: Database, chats: int) -> None:
    """A campaign in `chats` Telegram groups, and one milestone message to each."""
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name="benchmark", hashtag="", timezone="UTC", locale="en", created_by="x", now=now
        )
        messages = []
        for n in range(chats):
            chat = str(-1_000_000 - n)
            place = await add_group(tx, campaign.id, chat, n, now)
            reply = say(msg("milestone.reached", count=1000))
            messages.append(
                NewMessage(
                    dedupe_key=f"milestone:{campaign.id}:1000:{place.id}",
                    platform="telegram",
                    chat_id=chat,
                    chat_kind="group",
                    payload={"reply": reply_to_data(reply), "locale": "en"},
                    next_attempt_at=now,
                    place_id=place.id,
                )
            )
        await tx.outbox.add_many(messages, now)


async def watch(courier: HttpCourier, started: float, chats: int) -> None:
    while not courier.all_accepted.is_set():
        await asyncio.sleep(2)
        elapsed = time.monotonic() - started
        progress(
            f"  {elapsed:5.1f} s: {courier.accepted}/{chats} accepted "
            f"({courier.accepted / elapsed:.1f}/s), {courier.refused} refused"
        )


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    chats, rate = arguments.chats, arguments.rate
    limits = RateLimits(rate, PER_CHAT_INTERVAL, GROUP_PER_MINUTE)
    with tempfile.TemporaryDirectory() as directory:
        async with (
            fake_platform(rate, arguments.latency_ms) as url,
            Database.connect(f"sqlite+aiosqlite:///{directory}/chorus.db") as db,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            progress(f"writing {chats} places and outbox rows…")
            await fill_outbox(db, chats)
            courier = HttpCourier(client, limits, chats)
            sender = OutboxSender(
                db, courier, SystemClock(), make_owner(Platform.TELEGRAM), SenderSettings()
            )
            progress(f"sending to {chats} groups at ≤ {rate}/s through {url} …")
            cpu, started = time.process_time(), time.monotonic()
            await sender.start()
            sender.wake()
            watcher = asyncio.create_task(watch(courier, started, chats))
            try:
                await asyncio.wait_for(courier.all_accepted.wait(), timeout=chats / rate * 3 + 10)
            finally:
                watcher.cancel()
                await sender.stop()
            wall = courier.last_accepted - started
            cpu = time.process_time() - cpu
            stats = (await client.get("/stats")).json()
            async with db.read() as tx:
                rows = await tx.outbox.count_by_status("telegram")
    progress(f"sender totals: {dict(sender.totals)}")
    progress(f"outbox rows: {rows}")
    progress(f"platform saw: {stats}")
    progress(f"bot process CPU: {cpu:.1f} s over {wall:.1f} s wall ({cpu / wall:.0%} of a core)")
    return {"accepted": stats["accepted"], "wall": wall, "stats": stats, "rate": rate}


def main() -> None:
    parser = argparse.ArgumentParser(description="fan-out through the outbox sender")
    parser.add_argument("--chats", type=int, default=2000, help="groups, one message each")
    parser.add_argument("--rate", type=int, default=100, help="the platform's messages/s")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added server latency")
    result = asyncio.run(run(parser.parse_args()))
    stats = result["stats"]
    ratio = result["accepted"] / result["wall"] / result["rate"]
    print(
        f"rate_ratio={ratio:.3f} violations={stats['violations']} duplicates={stats['duplicates']}"
    )


if __name__ == "__main__":
    main()
