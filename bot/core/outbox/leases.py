"""Whether the rows a sender holds are still its own, read for many rows at once.

A row cancelled in bulk while a sender holds it (its wave was called off, its author asked to
be forgotten) must not be sent. Reading each row just before its send costs one query per
message, which a fan-out feels; instead one query covers every row in hand, and its answer
stands until the sender is woken (a command of this process just changed the outbox: the
dispatcher's doorbell) or for `max_age` seconds (a change made by another process). With
`max_age` 0, every send reads afresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection

from storage.database import Database


class LeaseCheck:
    """Answers `still_ours(row)` from one shared read of every row in hand."""

    def __init__(
        self,
        database: Database,
        owner: str,
        in_hand: Callable[[], Collection[int]],
        max_age: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`in_hand` lists the ids the sender holds now (read along with the one asked)."""
        self._database = database
        self._owner = owner
        self._in_hand = in_hand
        self._max_age = max_age
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._generation = 0  # moves on each `stale()`: a read begun before it is stale too
        self._read_generation = -1
        self._read_at = float("-inf")
        self._covered: set[int] = set()
        self._ours: set[int] = set()

    def stale(self) -> None:
        """The outbox may have changed: the next question reads the table again."""
        self._generation += 1

    async def still_ours(self, outbox_id: int) -> bool:
        if not self._fresh_for(outbox_id):
            async with self._lock:  # one read serves every sender worker waiting here
                if not self._fresh_for(outbox_id):
                    await self._read(outbox_id)
        return outbox_id in self._ours

    def _fresh_for(self, outbox_id: int) -> bool:
        return (
            outbox_id in self._covered
            and self._read_generation == self._generation
            and self._monotonic() - self._read_at < self._max_age
        )

    async def _read(self, outbox_id: int) -> None:
        generation, started = self._generation, self._monotonic()
        ids = {outbox_id, *self._in_hand()}
        async with self._database.read() as tx:
            ours = await tx.outbox.still_ours(ids, self._owner)
        self._covered, self._ours = ids, ours
        self._read_generation, self._read_at = generation, started
