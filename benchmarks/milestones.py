"""Milestones: one milestone to 2,000 places through the real fan-out path, and chart costs.

Run: .venv/bin/python benchmarks/milestones.py [--places 2000] [--rate 100] [--charts 1000]

1. Fan-out. A campaign with `--places` Telegram groups and a manual petition source at 900
   (its baseline) in a fresh SQLite database. One reading of 1,050 is accepted through
   `cogs.petitions.readings.accept_reading`: the snapshot, the milestone and one outbox row
   per place in one transaction (its time is printed). The same window is then read again
   and a second reading of the same count arrives, as a second process would deliver them:
   neither may add a row. The real `OutboxSender` then sends the rows to the fake platform
   of `benchmarks/fakeplatform.py` (its own process, strict sliding windows, Telegram's
   shape of limits with N/s overall), through the fan-out benchmark's HTTP courier.
2. Charts, afterwards, in a process of their own (so its memory is the charts' alone):
   the `/signatures` chart of 30 days of 5-minute readings with milestones, rendered
   `--charts` times; the median time per chart, and the resident memory after
   10 charts and after all of them.

The last stdout line is `rate_ratio=… duplicates=… chart_ms=… chart_rss_growth_mb=…`:
- rate_ratio: messages accepted ÷ wall time ÷ the allowed rate (goal ≥ 0.95);
- duplicates: messages the platform received twice, by nonce, plus outbox rows beyond one
  per place (goal 0);
- chart_ms: median milliseconds per chart (goal ≤ 300);
- chart_rss_growth_mb: resident memory after all charts minus after 10 (goal ≤ 20).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fanout import (
    GROUP_PER_MINUTE,
    PER_CHAT_INTERVAL,
    HttpCourier,
    add_group,
    fake_platform,
    progress,
)

from bot.core.actors import Platform
from bot.core.clock import SystemClock
from bot.core.delivery import RateLimits
from bot.core.outbox import OutboxSender, SenderSettings, make_owner
from cogs.petitions.chart import ChartText, Mark, render_chart
from cogs.petitions.readings import accept_reading
from cogs.petitions.trend import Point
from storage.database import Database


async def fill(db: Database, places: int) -> None:
    """A campaign in `places` Telegram groups with a manual source at 900."""
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name="benchmark", hashtag="keep4o", timezone="UTC", locale="en", created_by="x", now=now
        )
        for n in range(places):
            chat = str(-1_000_000 - n)
            await add_group(tx, campaign.id, chat, n, now)
        source = await tx.petitions.add_source(
            campaign_id=campaign.id,
            name="manual",
            kind="manual",
            url="",
            pointer="",
            pattern="",
            link="https://petition.example/123",
            created_by="x",
            now=now,
        )
        await accept_reading(tx, source, 900, window="baseline", now=now, polled=False)


async def cross(db: Database) -> tuple[float, int]:
    """Accept the reading that passes 1,000, then replay it twice; (seconds, outbox rows)."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with db.transaction() as tx:
        [source] = await tx.petitions.sources(1)
        accepted = await accept_reading(tx, source, 1_050, window="w1", now=now, polled=True)
    seconds = time.perf_counter() - started
    assert accepted.announced == 1_000, accepted
    for window in ("w1", "w2"):  # the same window again; the next window, same count
        async with db.transaction() as tx:
            [source] = await tx.petitions.sources(1)
            await accept_reading(tx, source, 1_050, window=window, now=now, polled=True)
    async with db.read() as tx:
        rows = len(await tx.outbox.all("telegram"))
    return seconds, rows


async def fan_out(arguments: argparse.Namespace) -> dict[str, Any]:
    places, rate = arguments.places, arguments.rate
    limits = RateLimits(rate, PER_CHAT_INTERVAL, GROUP_PER_MINUTE)
    with tempfile.TemporaryDirectory() as directory:
        async with (
            fake_platform(rate, 0.0) as url,
            Database.connect(f"sqlite+aiosqlite:///{directory}/chorus.db") as db,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            progress(f"writing {places} places…")
            await fill(db, places)
            seconds, rows = await cross(db)
            progress(f"milestone transaction: {rows} outbox rows in {seconds * 1000:.0f} ms")
            courier = HttpCourier(client, limits, places)
            sender = OutboxSender(
                db, courier, SystemClock(), make_owner(Platform.TELEGRAM), SenderSettings()
            )
            progress(f"announcing to {places} groups at ≤ {rate}/s through {url} …")
            started = time.monotonic()
            await sender.start()
            sender.wake()
            try:
                await asyncio.wait_for(courier.all_accepted.wait(), timeout=places / rate * 3 + 10)
            finally:
                await sender.stop()
            wall = courier.last_accepted - started
            stats = (await client.get("/stats")).json()
    progress(f"platform saw: {stats}")
    return {"stats": stats, "wall": wall, "rows": rows}


def rss_mb() -> float:
    """This process's resident memory: /proc on Linux, the peak elsewhere."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def charts(count: int) -> dict[str, float]:
    """Render the chart `count` times; the median ms and the RSS after 10 and after all."""
    end = datetime.now(UTC)
    start = end - timedelta(days=30)
    points = [Point(start + timedelta(minutes=5 * i), 800 + i * 3) for i in range(8_640)]
    marks = [Mark(1_000, start + timedelta(hours=1)), Mark(10_000, start + timedelta(days=12))]
    text = ChartText(
        "Keep 4o: signatures, last 30 days",
        "Not enough data yet",
        lambda value: f"{value:,.0f}",
        lambda moment: moment.strftime("%d %b"),
    )
    timings: list[float] = []
    after_ten = 0.0
    for n in range(count):
        started = time.perf_counter()
        png = render_chart(points, marks, start, end, text, 30_000)
        timings.append(time.perf_counter() - started)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        if n == 9:
            gc.collect()
            after_ten = rss_mb()
    gc.collect()
    after_all = rss_mb()
    return {
        "chart_ms": statistics.median(timings) * 1000,
        "rss_after_10": after_ten,
        "rss_after_all": after_all,
    }


async def run(arguments: argparse.Namespace) -> tuple[dict[str, Any], dict[str, float]]:
    fanned = await fan_out(arguments)
    # After the fan-out, not beside it: on two cores the charts would slow the sender.
    chart_process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__)),
        "--charts-only",
        f"--charts={arguments.charts}",
        stdout=asyncio.subprocess.PIPE,
    )
    progress(f"rendering {arguments.charts} charts in process {chart_process.pid} …")
    output, _ = await chart_process.communicate()
    return fanned, json.loads(output.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="milestone fan-out and chart costs")
    parser.add_argument("--places", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=100, help="the platform's messages/s")
    parser.add_argument("--charts", type=int, default=1000)
    parser.add_argument("--charts-only", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.charts_only:
        print(json.dumps(charts(arguments.charts)))
        return
    fanned, drawn = asyncio.run(run(arguments))
    stats = fanned["stats"]
    ratio = stats["accepted"] / fanned["wall"] / arguments.rate
    duplicates = stats["duplicates"] + max(0, fanned["rows"] - arguments.places)
    growth = drawn["rss_after_all"] - drawn["rss_after_10"]
    progress(
        f"charts: RSS {drawn['rss_after_10']:.1f} MB after 10, "
        f"{drawn['rss_after_all']:.1f} MB after {arguments.charts}"
    )
    print(
        f"rate_ratio={ratio:.3f} duplicates={duplicates} chart_ms={drawn['chart_ms']:.0f} "
        f"chart_rss_growth_mb={growth:.1f}"
    )


if __name__ == "__main__":
    main()
