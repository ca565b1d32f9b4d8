"""The context loader: one read per event-loop turn, and every caller answered."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import cast

from bot.core.context_loader import ContextLoader, Found, Key
from storage.database import Database


class _Places:
    async def contexts_of(self, keys: Sequence[Key]) -> dict[Key, Found]:
        return {key: (None, None, "organiser") for key in keys}


class _Tx:
    places = _Places()


class SlowDriver:
    """A database whose pending read is held only by the code awaiting it, as a driver's
    socket wait may be: nothing else keeps the reading task alive."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.pending: list[weakref.ref[asyncio.Future[None]]] = []

    @asynccontextmanager
    async def read(self) -> AsyncIterator[_Tx]:
        answer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append(weakref.ref(answer))
        self.asked.set()
        await answer
        yield _Tx()


async def test_a_read_in_flight_survives_garbage_collection() -> None:
    driver = SlowDriver()
    loader = ContextLoader(cast("Database", driver))
    caller = asyncio.create_task(loader.load("console", "console", "console:op"))
    await driver.asked.wait()

    gc.collect()

    answer = driver.pending[0]()
    assert answer is not None, "the read was collected while its callers were waiting"
    answer.set_result(None)
    assert await caller == (None, None, "organiser")
