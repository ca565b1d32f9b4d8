"""Daily digests for 2,000 places due at the same minute: compose them all, then send them
through the real OutboxSender (composing each again at send time) to the fake platform
(benchmarks/fakeplatform.py, its own process, strict limits, 429 on any breach).

Run: .venv/bin/python benchmarks/digest.py [--places 2000] [--campaigns 20] [--rate 100]
The data lives in a fresh SQLite database: `--campaigns` campaigns share the places; each
has a petition source with 7 days of readings, approved testimonies and two waves; 10% of
the places want a chart (charts are drawn once per campaign, zone, language and data).

Progress goes to stderr; the last stdout line is
`render_s=… rate_ratio=… duplicates=… peak_rss_mb=…`:
- render_s: composing every digest from the database, charts included, in batches of the
  sender's claim size as the sender does (goal ≤ 5 s);
- rate_ratio: messages accepted ÷ wall time of the send ÷ the allowed rate (goal ≥ 0.95);
- duplicates: messages the platform received twice, by outbox nonce (goal 0);
- peak_rss_mb: the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fanout import GROUP_PER_MINUTE, PER_CHAT_INTERVAL, HttpCourier, fake_platform, progress
from sqlalchemy import insert

from bot.core.actors import Platform
from bot.core.delivery import RateLimits
from bot.core.i18n import Catalogues
from bot.core.outbox import OutboxSender, SenderSettings, make_owner
from bot.core.outbox.compose import Composers, budget_for
from bot.core.scheduling import Ticker
from cogs.digest import build_digest
from cogs.petitions.chart import ChartPainter
from storage.database import Database
from storage.records import Place
from storage.tables.petitions import petition_snapshots, petition_sources
from storage.tables.testimonies import testimonies
from storage.tables.waves import wave_occurrences, waves

DUE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


class Clock:
    """Wall time moved to the digest's day: the sender's leases still pass in real time."""

    def __init__(self, start: datetime) -> None:
        self.set(start)

    def set(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


async def fill(db: Database, places: int, campaigns: int) -> list[Place]:
    """Campaigns with readings, stories and waves; `places` Telegram groups among them."""
    now = DUE - timedelta(hours=1)
    found: list[Place] = []
    async with db.transaction() as tx:
        for c in range(campaigns):
            campaign = await tx.campaigns.create(
                name=f"campaign {c}",
                hashtag="",
                timezone="UTC",
                locale="en",
                created_by="x",
                now=now,
            )
            result = await tx.connection.execute(
                insert(petition_sources).values(
                    campaign_id=campaign.id,
                    name="main",
                    kind="manual",
                    created_by="x",
                    created_at=now - timedelta(days=8),
                    last_count=5000 + 28 * 40,
                )
            )
            source = result.inserted_primary_key[0]  # type: ignore[index]
            await tx.connection.execute(
                insert(petition_snapshots),
                [
                    {
                        "source_id": source,
                        "campaign_id": campaign.id,
                        "window_key": f"w{n}",
                        "count": 5000 + 40 * n,
                        "taken_at": now - timedelta(hours=6 * (28 - n)),
                    }
                    for n in range(29)
                ],
            )
            await tx.connection.execute(
                insert(testimonies),
                [
                    {
                        "reference": f"T-{c:03d}{n}",
                        "campaign_id": campaign.id,
                        "author_key": f"telegram:{c * 10 + n}",
                        "display_name": f"Member {n}",
                        "title": "How it helped me",
                        "story": "It helped me write, study and work, every single day. " * 20,
                        "category": "work",
                        "consent": "named",
                        "status": "approved",
                        "locale": "en",
                        "created_at": now - timedelta(hours=3),
                        "updated_at": now - timedelta(hours=2),
                        "decided_at": now - timedelta(hours=2),
                    }
                    for n in range(3)
                ],
            )
            for n in range(2):
                starts = DUE + timedelta(days=1 + n)
                wave = await tx.connection.execute(
                    insert(waves).values(
                        campaign_id=campaign.id,
                        title=f"Posting wave {n + 1}",
                        networks=["x"],
                        hashtags=["#keep"],
                        timezone="UTC",
                        rule={"type": "once", "at_utc": starts.isoformat()},
                        offsets=[],
                        grace_seconds=600,
                        status="scheduled",
                        created_by="x",
                        created_at=now,
                        updated_at=now,
                    )
                )
                await tx.connection.execute(
                    insert(wave_occurrences).values(
                        wave_id=wave.inserted_primary_key[0],  # type: ignore[index]
                        number=1,
                        starts_at=starts,
                        status="upcoming",
                    )
                )
            for _ in range(places // campaigns):
                chat = str(-1_000_000 - len(found))
                place = await tx.places.add(
                    platform="telegram",
                    external_id=chat,
                    campaign_id=campaign.id,
                    title=f"group {chat}",
                    locale="en",
                    timezone="UTC",
                    announcement_channel=chat,
                    now=now,
                )
                found.append(place)
    return found


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    places, rate = arguments.places, arguments.rate
    limits = RateLimits(rate, PER_CHAT_INTERVAL, GROUP_PER_MINUTE)
    clock = Clock(DUE - timedelta(minutes=30))
    with tempfile.TemporaryDirectory() as directory:
        async with (
            fake_platform(rate, 0.0) as url,
            Database.connect(f"sqlite+aiosqlite:///{directory}/chorus.db") as db,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            progress(f"writing {places} places in {arguments.campaigns} campaigns…")
            found = await fill(db, places, arguments.campaigns)
            place_ids = [place.id for place in found]
            ticker = Ticker(db, clock)
            composers = Composers()
            digest = build_digest(db, clock, Catalogues.load(), ticker, composers, ChartPainter())
            for index, place in enumerate(found):
                # The time and the chart in one change (the time is valid): fewer commits.
                await digest.service.change(place, time="09:00", chart=index % 10 == 0)
                await digest.service.turn(place, True)

            clock.set(DUE)
            progress("composing every digest (the render budget)…")
            started = time.perf_counter()
            budget = budget_for(Platform.TELEGRAM)
            charts = 0
            # In claimed batches, as the sender composes them (`compose_many`).
            size = SenderSettings().batch_size
            for first in range(0, len(place_ids), size):
                chunk = place_ids[first : first + size]
                drafts = await digest.composer.draft_many(chunk, "2026-06-01", budget, sending=True)
                for place_id in chunk:
                    draft = drafts[place_id]
                    assert draft.reply is not None
                    charts += draft.reply.attachment is not None
            render_s = time.perf_counter() - started
            progress(f"  {render_s:.2f} s for {len(place_ids)} digests ({charts} with a chart)")

            tick = await ticker.tick(clock.now())
            progress(f"tick: {tick}")

            courier = HttpCourier(client, limits, places)
            sender = OutboxSender(
                db,
                courier,
                clock,
                make_owner(Platform.TELEGRAM),
                SenderSettings(),
                composers=composers,
            )
            progress(f"sending {places} digests at ≤ {rate}/s through {url} …")
            started = time.monotonic()
            await sender.start()
            sender.wake()
            try:
                await asyncio.wait_for(courier.all_accepted.wait(), timeout=places / rate * 3 + 10)
            finally:
                await sender.stop()
            wall = courier.last_accepted - started
            stats = (await client.get("/stats")).json()
            async with db.read() as tx:
                rows = await tx.outbox.count_by_status("telegram")
    progress(f"sender totals: {dict(sender.totals)}")
    progress(f"outbox rows: {rows}")
    progress(f"platform saw: {stats}")
    return {"render_s": render_s, "accepted": stats["accepted"], "wall": wall, "stats": stats}


def main() -> None:
    parser = argparse.ArgumentParser(description="daily digests for many places at once")
    parser.add_argument("--places", type=int, default=2000)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--rate", type=int, default=100, help="the platform's messages/s")
    arguments = parser.parse_args()
    result = asyncio.run(run(arguments))
    ratio = result["accepted"] / result["wall"] / arguments.rate
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"render_s={result['render_s']:.2f} rate_ratio={ratio:.3f} "
        f"duplicates={result['stats']['duplicates']} peak_rss_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()
