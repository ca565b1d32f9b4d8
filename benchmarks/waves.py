"""A posting wave in 2,000 places with 20,000 members who asked for private reminders.

Run: .venv/bin/python benchmarks/waves.py [--places 2000] [--members 20000] [--rate 100]
         [--grace-seconds 40] [--batch 50] [--concurrency 64] [--db-dir DIR]

1. Set-up, in a fresh SQLite database (a temporary directory, or under `--db-dir`): a
   campaign and one place where the organiser creates the wave through `WaveService.create`
   (its one reminder at the start), then the other places and the members, in bulk (set-up
   is not measured).
2. Materialise: the schedule ticker runs at the wave's start; its one transaction writes the
   T-0 reminder to every place and privately to every member: an outbox row each, under its
   own key. The baseline is the bare cost of writing as many plain outbox rows in one
   transaction. A second tick at the same instant must write nothing.
3. Send: the real `OutboxSender` delivers the rows to the fake platform of
   `benchmarks/fakeplatform.py` (its own process; strict sliding windows; Telegram's shape of
   limits with `--rate` messages a second overall) through the fan-out benchmark's courier,
   until the grace window closes. Time is compressed: Chorus's 10-minute grace at Telegram's
   ~30 messages a second lets ~18,000 reminders out, so a real 22,000-row wave ends with some
   marked missed; here the platform allows `--rate` and the grace is `--grace-seconds`, so
   the run stays under a minute. Whatever is not out by then is marked expired (missed), never
   sent late; `--grace-seconds 600` sends everything.

Progress goes to stderr (with the sent and missed counts); the last stdout line is
`materialise_s=… rate_ratio=… violations=… lost=… duplicates=…`:
- materialise_s: seconds of the T-0 tick (goal ≤ 2 on SQLite);
- rate_ratio: messages accepted ÷ wall time from the sender's start to the last acceptance ÷
  the allowed rate (goal ≥ 0.95);
- violations: requests the platform refused for breaking a limit (goal 0);
- lost: reminder rows neither sent nor marked expired at the end (goal 0);
- duplicates: messages the platform received twice (by nonce), rows beyond one per
  recipient, and rows a repeated tick wrote (goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fanout import GROUP_PER_MINUTE, PER_CHAT_INTERVAL, HttpCourier, fake_platform, progress

from bot.core.actors import Actor, ChatKind, PlaceRef, Platform
from bot.core.commands import Arguments, Authority, CampaignRole, Context
from bot.core.delivery import RateLimits
from bot.core.outbox import OutboxSender, SenderSettings, make_owner
from bot.core.probe import AlwaysAllowed
from bot.core.scheduling import Ticker
from cogs.waves import build_waves
from cogs.waves.drafts import DraftRules, read_new
from cogs.waves.sharelinks import NETWORKS
from storage.database import Database
from storage.records import Campaign, NewMessage, Place

START = datetime(2026, 12, 4, 19, 0, tzinfo=UTC)  # Friday 20:00 in Paris
TEXTS = "\n".join(
    f"Text {n}: I rely on 4o for my work and my studies; keep it available. #keep4o"
    for n in range(1, 11)
)


class ShiftedClock:
    """Real time, shifted so that it reads `at` when `align` is called: leases and expiry
    run on real seconds while the wave is in December."""

    def __init__(self) -> None:
        self._shift = timedelta(0)

    def align(self, at: datetime) -> None:
        self._shift = at - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._shift


def organiser(now: datetime, campaign: Campaign, home: Place) -> Context:
    actor = Actor(Platform.TELEGRAM, "1", "Alice", is_place_admin=True)
    where = PlaceRef(Platform.TELEGRAM, home.external_id, home.external_id, ChatKind.GROUP)
    authority = Authority(role=CampaignRole.ORGANISER)
    return Context(actor, where, home, campaign, authority, now, AlwaysAllowed())


async def set_up(
    db: Database, clock: ShiftedClock, ticker: Ticker, arguments: argparse.Namespace
) -> int:
    """The campaign, the wave (created as an organiser creates one), the places, the members."""
    clock.align(START - timedelta(days=3))
    now = clock.now()
    parts = build_waves(
        db,
        clock,
        ticker,
        networks=",".join(NETWORKS),
        mastodon_instance="mastodon.social",
        grace_minutes=10,
        result_after_minutes=60,
    )
    places: list[int] = []
    homes: list[Place] = []  # the first is where the organiser works
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name="Keep 4o",
            hashtag="keep4o",
            timezone="Europe/Paris",
            locale="en",
            created_by="telegram:1",
            now=now,
        )
        for n in range(arguments.places):
            chat = str(-1_000_000 - n)
            place = await tx.places.add(
                platform="telegram",
                external_id=chat,
                campaign_id=campaign.id,
                title=f"group {n}",
                locale="en",
                timezone="Europe/Paris",
                announcement_channel=chat,
                now=now,
            )
            places.append(place.id)
            homes.append(place)
    context = organiser(now, campaign, homes[0])
    answers: dict[str, Any] = {
        "title": "Friday push",
        "when": "2026-12-04 20:00",
        "networks": "x bluesky mastodon threads reddit #keep4o",
        "brief": "Tell how 4o helps you",
        "texts": TEXTS,
        "reminders": "0",
    }
    new = read_new(Arguments(answers, context.actor), context, DraftRules(NETWORKS, 10))
    new = dataclasses.replace(new, grace_seconds=arguments.grace_seconds)
    wave, _start, _announced = await parts.service.create(context, new)
    people = [
        {
            "user_key": f"telegram:{n}",
            "platform": "telegram",
            "user_id": str(n),
            "display_name": f"member {n}",
            "place_id": places[n % len(places)],
            "wants_dm": True,
        }
        for n in range(100, 100 + arguments.members)
    ]
    async with db.transaction() as tx:
        await tx.waves.join_many(wave.id, people, now)
        # The announcements are not what is measured: out of the way.
        await tx.outbox.cancel_pending(f"wave:{wave.id}:announce:", "benchmark set-up")
    return wave.id


async def baseline(db: Database, rows: int) -> float:
    """Seconds to write `rows` plain outbox rows in one transaction."""
    now = datetime.now(UTC)
    payload = {"reply": {"body": [{"t": "p", "c": [{"t": "text", "v": "x" * 1000}]}]}}
    messages = [
        NewMessage(f"baseline:{n}", "console", str(n), "private", payload, now) for n in range(rows)
    ]
    began = time.perf_counter()
    async with db.transaction() as tx:
        await tx.outbox.add_many(messages, now)
    return time.perf_counter() - began


async def materialise(
    db: Database, ticker: Ticker, clock: ShiftedClock, rows: int
) -> tuple[float, int]:
    """The T-0 tick, timed; then the same tick again (it must write nothing)."""
    progress("the T-0 tick …")
    clock.align(START)
    began = time.perf_counter()
    first = await ticker.tick(START)
    seconds = time.perf_counter() - began
    again = await ticker.tick(START)
    base = await baseline(db, rows)
    progress(
        f"  {first.materialised} occurrences in {seconds:.3f} s; baseline: {rows} plain outbox "
        f"rows in {base:.3f} s (the tick costs {seconds / base:.1f}x that); the same tick "
        f"again: {again.materialised} occurrences"
    )
    return seconds, again.materialised


async def send(
    db: Database, clock: ShiftedClock, arguments: argparse.Namespace, expected: int
) -> tuple[dict[str, Any], float, Counter[str]]:
    """Send until everything is accepted or the grace window closed; the platform's stats,
    the wall time to the last acceptance, and the sender's totals."""
    rate = arguments.rate
    limits = RateLimits(rate, PER_CHAT_INTERVAL, GROUP_PER_MINUTE)
    async with (
        fake_platform(rate, 0.0) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        courier = HttpCourier(client, limits, expected)
        sender = OutboxSender(
            db,
            courier,
            clock,
            make_owner(Platform.TELEGRAM),
            SenderSettings(batch_size=arguments.batch, concurrency=arguments.concurrency),
        )
        progress(
            f"sending {expected} reminders at ≤ {rate}/s through {url}, "
            f"for a grace window of {arguments.grace_seconds} s …"
        )
        clock.align(START)
        started = time.monotonic()
        await sender.start()
        sender.wake()
        try:
            await asyncio.wait_for(courier.all_accepted.wait(), arguments.grace_seconds + 5)
        except TimeoutError:
            progress("  the grace window closed: what is left is missed, not sent late")
        finally:
            await sender.stop()
        stats: dict[str, Any] = (await client.get("/stats")).json()
        # Both processes read the same monotonic clock (CLOCK_MONOTONIC).
        progress(f"  first acceptance {stats['first_accepted'] - started:.2f} s after the start")
    async with db.transaction() as tx:
        # What the next claim of any sender does first: rows past their deadline expire.
        await tx.outbox.expire_overdue("telegram", clock.now())
    return stats, courier.last_accepted - started, sender.totals


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    expected = arguments.places + arguments.members
    with tempfile.TemporaryDirectory(dir=arguments.db_dir) as directory:
        clock = ShiftedClock()
        async with Database.connect(f"sqlite+aiosqlite:///{directory}/chorus.db") as db:
            ticker = Ticker(db, clock)
            progress(f"setting up {arguments.places} places and {arguments.members} members …")
            wave_id = await set_up(db, clock, ticker, arguments)
            seconds, again = await materialise(db, ticker, clock, expected)
            stats, wall, totals = await send(db, clock, arguments, expected)
            async with db.read() as tx:
                states = await tx.outbox.states(f"wave:{wave_id}.1:0:")
    statuses = Counter(status for _key, status in states)
    keys = Counter(key for key, _status in states)
    progress(f"sender totals: {dict(totals)}")
    progress(
        f"reminders: {len(states)} written, {statuses['sent']} sent, "
        f"{statuses['expired']} missed (expired), others {dict(statuses)}"
    )
    progress(f"platform saw: {stats}")
    return {
        "materialise_s": seconds,
        "ratio": stats["accepted"] / wall / arguments.rate if wall > 0 else 0.0,
        "violations": stats["violations"],
        "lost": expected - statuses["sent"] - statuses["expired"],
        "duplicates": stats["duplicates"] + sum(n - 1 for n in keys.values()) + again,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="a posting wave's reminders, end to end")
    parser.add_argument("--places", type=int, default=2000)
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=100, help="the platform's messages/s")
    parser.add_argument("--grace-seconds", type=int, default=40, help="the wave's grace window")
    parser.add_argument("--batch", type=int, default=50, help="rows per claim")
    parser.add_argument("--concurrency", type=int, default=64, help="rows in hand at most")
    parser.add_argument("--db-dir", default=None, help="where the SQLite file goes")
    result = asyncio.run(run(parser.parse_args()))
    print(
        f"materialise_s={result['materialise_s']:.3f} rate_ratio={result['ratio']:.3f} "
        f"violations={result['violations']} lost={result['lost']} "
        f"duplicates={result['duplicates']}"
    )


if __name__ == "__main__":
    main()
