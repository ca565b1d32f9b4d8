"""A background job that runs now and then: every few seconds, or at once when woken."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs `work` every `every` seconds, and soon after `wake()`; one run at a time.

    A failing run is logged and the next one happens as planned. `stop()` lets the run in
    progress finish for up to `grace` seconds, then cancels it.
    """

    def __init__(
        self, name: str, work: Callable[[], Awaitable[object]], every: float, grace: float = 5.0
    ) -> None:
        self._name = name
        self._work = work
        self._every = every
        self._grace = grace
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None

    def wake(self) -> None:
        self._wakeup.set()

    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        # A flag, not only cancel(): on Python 3.11 a wait_for() that is woken and
        # cancelled at once can swallow the cancellation.
        self._stopping = True
        self._wakeup.set()
        _done, pending = await asyncio.wait({task}, timeout=self._grace)
        for late in pending:
            late.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        while not self._stopping:
            self._wakeup.clear()
            try:
                await self._work()
            except Exception:
                log.exception("%s failed; will try again", self._name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._every)
