"""Reading who and where a command comes from, for every command arriving at once together.

A burst of commands (a wave's start, a popular call for stories) would otherwise queue one
small read transaction each; here the calls of one event-loop turn share one read.
"""

from __future__ import annotations

import asyncio

from storage.database import Database
from storage.records import Campaign, Place

Key = tuple[str, str, str]  # platform, place's external id, user key
Found = tuple[Place | None, Campaign | None, str | None]


class ContextLoader:
    """Coalesces concurrent context reads into one query per event-loop turn."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._pending: dict[Key, asyncio.Future[Found]] | None = None
        # The loop keeps only weak references to tasks: a flush nobody holds could be
        # collected halfway, leaving every caller of its batch waiting for ever.
        self._flushes: set[asyncio.Task[None]] = set()

    async def load(self, platform: str, external_id: str, user_key: str) -> Found:
        """The place, its campaign and the user's role there."""
        if self._pending is None:
            self._pending = {}
            # Runs after every task already waiting in this turn has joined the batch.
            flush = asyncio.get_running_loop().create_task(self._flush())
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        key = (platform, external_id, user_key)
        future = self._pending.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._pending[key] = future
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        batch, self._pending = self._pending or {}, None
        try:
            async with self._database.read() as tx:
                found = await tx.places.contexts_of(list(batch))
        except Exception as error:
            for future in batch.values():
                if not future.done():
                    future.set_exception(error)
            return
        for key, future in batch.items():
            if not future.done():
                future.set_result(found[key])
