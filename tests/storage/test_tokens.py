"""Chat tokens: made once, replaced in place, invisible once expired, purged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.database import Database
from storage.errors import Conflict
from tests.fakes import FakeClock


async def test_a_token_stands_for_its_payload_until_it_expires(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with db.transaction() as tx:
        await tx.tokens.create(
            token="abc",
            kind="form_link",
            payload={"path": "story", "raw": {"n": "1"}},
            user_key="telegram:1",
            now=now,
            expires_at=now + timedelta(minutes=30),
        )

    async with db.read() as tx:
        found = await tx.tokens.get("abc", "form_link", now)
        other_kind = await tx.tokens.get("abc", "button", now)
        later = await tx.tokens.get("abc", "form_link", now + timedelta(minutes=30))
    assert found is not None
    assert (found.payload, found.user_key) == ({"path": "story", "raw": {"n": "1"}}, "telegram:1")
    assert other_kind is None
    assert later is None


async def test_a_token_is_made_once_but_can_be_replaced(db: Database, clock: FakeClock) -> None:
    now = clock.now()
    until = now + timedelta(hours=1)
    async with db.transaction() as tx:
        await tx.tokens.create(
            token="t", kind="form", payload={"step": 1}, user_key=None, now=now, expires_at=until
        )
    with pytest.raises(Conflict):
        async with db.transaction() as tx:
            await tx.tokens.create(
                token="t",
                kind="form",
                payload={"step": 9},
                user_key=None,
                now=now,
                expires_at=until,
            )

    async with db.transaction() as tx:
        await tx.tokens.put(
            token="t", kind="form", payload={"step": 2}, user_key=None, now=now, expires_at=until
        )
    async with db.read() as tx:
        replaced = await tx.tokens.get("t", "form", now)
    assert replaced is not None
    assert replaced.payload == {"step": 2}


async def test_expired_tokens_are_purged(db: Database, clock: FakeClock) -> None:
    now = clock.now()
    async with db.transaction() as tx:
        for token, minutes in (("old", -1), ("new", 10)):
            await tx.tokens.create(
                token=token,
                kind="button",
                payload={},
                user_key=None,
                now=now,
                expires_at=now + timedelta(minutes=minutes),
            )
    async with db.transaction() as tx:
        purged = await tx.tokens.delete_expired(now)
        deleted = await tx.tokens.delete("new")
        deleted_again = await tx.tokens.delete("new")
    assert (purged, deleted, deleted_again) == (1, True, False)
