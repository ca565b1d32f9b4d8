"""A background job that runs on a rhythm, sooner when woken, and survives its own failures."""

from __future__ import annotations

import asyncio

from bot.core.periodic import Periodic


async def test_it_runs_when_woken_and_keeps_going_after_a_failure() -> None:
    runs: list[int] = []
    ran = [asyncio.Event(), asyncio.Event()]

    async def work() -> None:
        runs.append(len(runs))
        ran[len(runs) - 1].set()
        if len(runs) == 1:
            raise RuntimeError("a bad run")

    job = Periodic("test-job", work, every=60)
    await job.start()
    await ran[0].wait()  # the first run, at start
    job.wake()
    await ran[1].wait()  # the woken one; the next would be a minute away
    await job.stop()

    assert runs == [0, 1]  # the first run failed, the woken one still happened
    assert not job.running


async def test_stop_cancels_a_run_that_outlasts_its_grace() -> None:
    started = asyncio.Event()

    async def stuck() -> None:
        started.set()
        await asyncio.Event().wait()  # never answers

    job = Periodic("stuck-job", stuck, every=60, grace=0.01)
    await job.start()
    await started.wait()

    await job.stop()

    assert not job.running
