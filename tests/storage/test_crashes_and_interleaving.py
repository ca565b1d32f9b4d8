"""Transactions that interleave in one process, and a process killed in its commit loop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage.database import Database
from storage.records import NewMessage
from tests.fakes import FakeClock

ROOT = Path(__file__).resolve().parents[2]


def message(key: str, clock: FakeClock) -> NewMessage:
    return NewMessage(key, "console", "console", "group", {}, clock.now())


async def test_a_rolled_back_transaction_does_not_take_a_concurrent_one_with_it(
    db: Database, clock: FakeClock
) -> None:
    first_wrote = asyncio.Event()

    async def failing() -> None:
        async with db.transaction() as tx:
            await tx.outbox.add_many([message("a", clock)], clock.now())
            first_wrote.set()
            await asyncio.sleep(0)  # let the other coroutine run up to its transaction
            raise RuntimeError("a bug half-way")

    async def succeeding() -> None:
        await first_wrote.wait()
        async with db.transaction() as tx:
            await tx.outbox.add_many([message("b", clock)], clock.now())

    results = await asyncio.gather(failing(), succeeding(), return_exceptions=True)

    assert isinstance(results[0], RuntimeError)
    assert results[1] is None
    async with db.read() as tx:
        assert [row.dedupe_key for row in await tx.outbox.all()] == ["b"]


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime
    from storage.database import Database
    from storage.records import NewMessage

    async def main(url):
        async with Database.connect(url) as db:
            for n in range(100_000):
                now = datetime.now(UTC)
                async with db.transaction() as tx:
                    await tx.outbox.add_many(
                        [NewMessage(f"k{n}", "console", "console", "group", {}, now)], now
                    )
                print(n, flush=True)  # acknowledged: the commit returned

    asyncio.run(main(sys.argv[1]))
    """
)


@pytest.mark.timeout(120)
async def test_a_process_killed_in_its_commit_loop_keeps_every_acknowledged_commit(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER,
        url,
        stdout=subprocess.PIPE,
        env=environment,
        cwd=ROOT,
    )
    assert writer.stdout is not None
    acknowledged = -1
    while acknowledged < 200:
        line = await writer.stdout.readline()
        assert line, "the writer stopped before it was killed"
        acknowledged = int(line)
    writer.send_signal(signal.SIGKILL)
    await writer.wait()

    async with Database.connect(url) as db:
        async with db.raw_connection() as connection:
            check = (await connection.exec_driver_sql("PRAGMA integrity_check")).scalar()
        async with db.read() as tx:
            keys = {row.dedupe_key for row in await tx.outbox.all()}
    assert check == "ok"
    assert {f"k{n}" for n in range(acknowledged + 1)} <= keys
