"""Testimony exports and submissions, measured on SQLite.

Run: .venv/bin/python benchmarks/export.py [--rows 100000] [--small 10000] [--submissions 200]
     [--spread 10]

1. CSV export of `--rows` testimonies (stories of 200 to 1,500 characters, some right-to-left,
   some with emoji or cells a spreadsheet would run) through the real export path (server-side
   cursor → rows → CSV writer → file), against `sqlite3 -csv` exporting the same columns, in
   the same order, from the same file. Best of two runs each.
2. Peak RSS of a fresh process exporting `--small` testimonies, and one exporting `--rows`:
   the growth shows whether memory stays flat as the table grows.
3. `--submissions` members submitting a story each through the dispatcher (the form's
   answers checked, the quotas, the story and its review alert stored) on a file database,
   all at the same instant: how many failed with "database is locked" (goal 0), and the 99th
   percentile of their latencies, each including its wait behind the others (goal ≤ 50 ms).
   Then the same number arriving at random over `--spread` seconds, printed on stderr.
   Chorus runs as `chorus run` does once it is ready (start-up's objects frozen out of
   garbage collection), and the CSV files of part 1 are deleted and the disk synced first.

Progress goes to stderr; the last stdout line is
`csv_ratio=… rss_growth_mb=… locked=… p99_ms=…` (goals: ≤ 2.0, ≤ 30, 0, ≤ 50).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_core
from bot.core.actors import Actor, ChatKind, PlaceRef, Platform
from bot.core.clock import SystemClock
from bot.core.dispatcher import Call
from bot.core.i18n import Catalogues
from bot.core.richtext import Para
from bot.heap import startup_frozen
from bot.settings import Settings
from cogs.testimonies import ExportRequest, ExportService, Pseudonyms
from cogs.testimonies.exports import ExportFormat
from storage.database import Database
from storage.repositories.testimonies import NewTestimony

CATEGORIES = ("writing", "study", "work", "legal", "health", "creativity", "accessibility")
WORDS = (
    *("it", "helped", "me", "write", "my", "thesis", "every", "night", "when", "nobody"),
    *("else", "could", "answer", "my", "questions", "and", "I", "finally", "understood"),
    *("the", "court", "papers", "the", "doctor", "letters", "and", "the", "forms"),
)
SPICE = ("ساعدني كثيراً في دراستي", "זה עזר לי מאוד", "🙏👍🏽✨", "=SUM(A1:A9)", "@everyone")
COLUMNS = (
    "reference, created_at, category, consent, status, featured, title, story, display_name, "
    "author_key"
)
BATCH = 5000


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def story(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(35, 250))]
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), rng.choice(SPICE))
    text = " ".join(words).capitalize() + "."
    return text if rng.random() < 0.7 else text.replace(" and ", ".\n\nAnd ", 1)


async def seed(url: str, sizes: list[int]) -> list[int]:
    """One campaign per size, each with that many pending testimonies; their ids."""
    rng = random.Random(4)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = []
    async with Database.connect(url) as database:
        for size in sizes:
            async with database.transaction() as tx:
                campaign = await tx.campaigns.create(
                    name=f"Campaign {size}",
                    hashtag="",
                    timezone="UTC",
                    locale="en",
                    created_by="console:operator",
                    now=start,
                )
            ids.append(campaign.id)
            for offset in range(0, size, BATCH):
                items = []
                for number in range(offset, min(size, offset + BATCH)):
                    author = f"telegram:{rng.randrange(size // 3 + 1)}"
                    new = NewTestimony(
                        campaign_id=campaign.id,
                        place_id=None,
                        author_key=author,
                        display_name=f"Member {number % 977}" if number % 3 else "",
                        title=f"Story {number}: " + " ".join(rng.sample(WORDS, 3)),
                        story=story(rng),
                        category=rng.choice(CATEGORIES),
                        consent=("named", "anonymous")[number % 2],
                        locale="en",
                    )
                    at = start + timedelta(seconds=number * 7)
                    items.append((new, f"T-{campaign.id}{number:07d}", at))
                async with database.transaction() as tx:
                    await tx.testimonies.add_batch(items)
            progress(f"seeded {size:,} testimonies in campaign {campaign.id}")
    return ids


async def export_csv(url: str, campaign_id: int, out: Path) -> int:
    """The real CSV export of the campaign to `out`; how many rows."""
    async with Database.connect(url, migrate=False) as database:
        service = ExportService(database, SystemClock(), Pseudonyms("bench"), Catalogues.load())
        request = ExportRequest(campaign_id, ExportFormat.CSV, "all", None, False, "benchmark")
        export = await service.prepare(request)
        await service.to_file(export, out)
        return export.count


def sqlite3_csv(db: Path, campaign_id: int, out: Path) -> None:
    # The same rows in the same order as Chorus's query: categories in the campaign's order.
    rank = " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate((*CATEGORIES, "other")))
    query = (
        f"SELECT {COLUMNS} FROM testimonies WHERE campaign_id = {campaign_id} "
        "AND status IN ('pending', 'approved', 'rejected') AND consent IN ('named', 'anonymous') "
        f"ORDER BY CASE category {rank} ELSE 8 END, category, featured DESC, created_at, id"
    )
    with out.open("wb") as handle:
        subprocess.run(["sqlite3", "-csv", "-header", str(db), query], stdout=handle, check=True)


def best_of(runs: int, work: object) -> float:
    assert callable(work)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def peak_rss_mb(url: str, campaign_id: int, out: Path) -> float:
    """Peak RSS of a fresh process that exports one campaign to CSV."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", url, str(campaign_id), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


class LockedCounter(logging.Handler):
    """Counts log records (incidents included) that mention a locked database."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        if "database is locked" in text:
            self.count += 1


async def submissions(directory: Path, count: int, spread: float) -> tuple[int, float]:
    """`count` members submitting through the dispatcher: (locked, p99 in ms).

    With `spread` 0 they all submit at the same instant; otherwise each arrives at a random
    moment within `spread` seconds, and its latency runs from its arrival.
    """
    name = f"submissions-{spread:g}.db"
    url = f"sqlite+aiosqlite:///{directory / name}"
    settings = Settings(_env_file=None, database_url=url, secret="bench-secret")
    counter = LockedCounter()
    logging.getLogger().addHandler(counter)
    async with Database.connect(url) as database:
        core = build_core(settings, database, SystemClock())
        place = PlaceRef(Platform.TELEGRAM, "-1001", "-1001", ChatKind.GROUP, "Keep 4o")
        organiser = Actor(Platform.TELEGRAM, "1", "Alice", is_place_admin=True)
        for path, raw in (
            ("setup", {"name": "Keep 4o"}),
            ("testimonies review", {"where": "here"}),
        ):
            command = core.registry.get(path)
            assert command is not None
            await core.dispatcher.run(Call(organiser, place, command, raw))
        share = core.registry.get("testimony share")
        assert share is not None
        answers = {
            "title": "It helped me",
            "story": "It helped me write my thesis when nothing else would. " * 8,
            "category": "study",
            "display_name": "",
            "consent": "anonymous",
        }
        rng = random.Random(7)
        arrivals = sorted(rng.uniform(0, spread) for _ in range(count))

        async def one(number: int) -> tuple[float, str]:
            await asyncio.sleep(max(0.0, started + arrivals[number] - time.perf_counter()))
            actor = Actor(Platform.TELEGRAM, str(1000 + number), f"member {number}")
            began = time.perf_counter()
            response = await core.dispatcher.run(Call(actor, place, share), answers)
            first = response.reply.body[0]
            key = getattr(first.children[0], "key", "") if isinstance(first, Para) else ""
            return time.perf_counter() - began, key

        with startup_frozen():  # as `chorus run` does once it is ready
            started = time.perf_counter()
            results = await asyncio.gather(*(one(number) for number in range(count)))
    logging.getLogger().removeHandler(counter)
    latencies = sorted(seconds for seconds, _key in results)
    received = sum(key == "testimony.receipt" for _seconds, key in results)
    p99 = latencies[max(0, round(0.99 * len(latencies)) - 1)] * 1000
    how = "at once" if not spread else f"over {spread:g} s"
    progress(
        f"{received}/{count} submissions received ({how}): median "
        f"{latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99:.1f} ms"
    )
    return counter.count + (count - received), p99


async def child(url: str, campaign_id: int, out: Path) -> None:
    await export_csv(url, campaign_id, out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{peak:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--spread", type=float, default=10.0)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, campaign, out = args.child
        asyncio.run(child(url, int(campaign), Path(out)))
        return
    if shutil.which("sqlite3") is None:
        sys.exit("sqlite3 (the command-line shell) is needed for the baseline")
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        db = directory / "exports.db"
        url = f"sqlite+aiosqlite:///{db}"
        small_id, big_id = asyncio.run(seed(url, [args.small, args.rows]))
        ours = best_of(2, lambda: asyncio.run(export_csv(url, big_id, directory / "ours.csv")))
        theirs = best_of(2, lambda: sqlite3_csv(db, big_id, directory / "sqlite3.csv"))
        progress(
            f"CSV of {args.rows:,}: Chorus {ours:.2f} s "
            f"({(directory / 'ours.csv').stat().st_size / 1e6:.0f} MB), "
            f"sqlite3 -csv {theirs:.2f} s "
            f"({(directory / 'sqlite3.csv').stat().st_size / 1e6:.0f} MB)"
        )
        small_rss = peak_rss_mb(url, small_id, directory / "small.csv")
        big_rss = peak_rss_mb(url, big_id, directory / "big.csv")
        progress(
            f"peak RSS: {small_rss:.1f} MB for {args.small:,}, {big_rss:.1f} MB for {args.rows:,}"
        )
        # The exports above left ~300 MB of files: gone, and the disk settled, before the
        # submissions' commits are timed, so that their fsyncs do not wait on that writeback.
        for written in directory.glob("*.csv"):
            written.unlink()
        os.sync()
        paced_locked, paced = asyncio.run(submissions(directory, args.submissions, args.spread))
        locked, p99 = asyncio.run(submissions(directory, args.submissions, 0.0))
        locked += paced_locked
        progress(f"p99 with {args.submissions} arriving over {args.spread:g} s: {paced:.1f} ms")
    print(
        f"csv_ratio={ours / theirs:.2f} rss_growth_mb={big_rss - small_rss:.1f} "
        f"locked={locked} p99_ms={p99:.1f}"
    )


if __name__ == "__main__":
    main()
