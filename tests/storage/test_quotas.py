"""Quotas: one statement takes a unit, so concurrent first uses neither fail nor overspend."""

from __future__ import annotations

import asyncio

from storage.database import Database
from tests.fakes import utc

WINDOW = utc("2026-06-01T00:00")


async def _take(db: Database, limit: int) -> bool:
    async with db.transaction() as tx:
        return await tx.quotas.take("wave.create:telegram:2", WINDOW, limit)


async def test_concurrent_first_uses_take_exactly_the_limit(db: Database) -> None:
    taken = await asyncio.gather(*(_take(db, 3) for _ in range(8)))

    assert sorted(taken) == [False] * 5 + [True] * 3
    async with db.read() as tx:
        assert await tx.quotas.used("wave.create:telegram:2", WINDOW) == 3


async def test_a_unit_given_back_can_be_taken_again(db: Database) -> None:
    assert await _take(db, 1)
    assert not await _take(db, 1)

    async with db.transaction() as tx:
        await tx.quotas.give_back("wave.create:telegram:2", WINDOW)

    assert await _take(db, 1)
    assert not await _take(db, 1)
