"""How long one schedule tick takes to materialise 10,000 due schedules on SQLite.

Run: .venv/bin/python benchmarks/tick.py
Writes progress to stderr; the last stdout line is `tick_s=<seconds> second_tick_rows=<rows>`,
where the second tick runs at the same instant and must write nothing.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.scheduling import Fired, Ticker, create_schedule
from storage.database import Database
from storage.records import NewMessage
from storage.unit import Tx

SCHEDULES = 10_000
START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class BenchmarkKind:
    """One outbox row per occurrence, written in one add_many per tick; counts the rows."""

    def __init__(self) -> None:
        self.rows = 0

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        messages = [
            NewMessage(
                dedupe_key=f"bench:{occurrence.id}",
                platform="console",
                chat_id="console",
                chat_kind="group",
                payload={"schedule": f.schedule.id, "local_key": occurrence.local_key},
                next_attempt_at=occurrence.created_at,
            )
            for f in fired
            for occurrence in f.occurrences
        ]
        self.rows += len(await tx.outbox.add_many(messages, messages[0].next_attempt_at))

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        raise AssertionError("nothing is late in this benchmark")


class FixedClock:
    """The benchmark's instant, for the Ticker (which only reads it from its timer)."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        async with Database.connect(url) as database:
            progress(f"creating {SCHEDULES} daily schedules spread over one hour …")
            async with database.transaction() as tx:
                for number in range(SCHEDULES):
                    minute = number % 60
                    await create_schedule(
                        tx,
                        kind="bench",
                        timezone="Europe/London",  # 14:mm BST = 13:mm UTC
                        rule={"type": "daily", "time": f"14:{minute:02d}"},
                        catchup="missed",
                        grace_seconds=3600,
                        payload={"number": number},
                        now=START,
                    )
            now = START + timedelta(hours=1, minutes=59)  # all due, all within grace
            kind = BenchmarkKind()
            ticker = Ticker(database, FixedClock(now), batch_size=SCHEDULES)
            ticker.register("bench", kind)

            progress("first tick …")
            began = time.perf_counter()
            first = await ticker.tick(now)
            tick_s = time.perf_counter() - began
            progress(
                f"  {first.schedules} schedules, {first.materialised} occurrences, "
                f"{kind.rows} outbox rows in {tick_s:.3f} s"
            )
            if first.materialised != SCHEDULES or kind.rows != SCHEDULES:
                raise SystemExit("the first tick did not materialise every schedule")

            progress("second tick at the same instant …")
            rows_before = kind.rows
            second = await ticker.tick(now)
            second_rows = second.materialised + second.missed + second.skipped
            second_rows += kind.rows - rows_before
            progress(f"  {second.schedules} schedules due, {second_rows} rows written")

            # Baseline: the bare cost of writing the same number of outbox rows in one
            # transaction, which every tick of this size pays anyway.
            baseline = [
                NewMessage(f"baseline:{n}", "console", "console", "group", {"n": n}, now)
                for n in range(SCHEDULES)
            ]
            began = time.perf_counter()
            async with database.transaction() as tx:
                await tx.outbox.add_many(baseline, now)
            baseline_s = time.perf_counter() - began
            progress(
                f"baseline: {SCHEDULES} outbox rows alone in {baseline_s:.3f} s; "
                f"the tick costs {tick_s / baseline_s:.1f}x that"
            )
    print(f"tick_s={tick_s:.3f} second_tick_rows={second_rows}")


if __name__ == "__main__":
    asyncio.run(main())
