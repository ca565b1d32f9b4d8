"""Writing outbox rows and places the way features do, for the outbox tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.outbox import OutboxSender, RateLimiter, SenderSettings
from bot.core.replies import reply_to_data, say
from bot.core.richtext import msg
from storage.database import Database
from storage.records import NewMessage, OutboxEntry, Place
from tests.core.outbox.fakes import ClockTime, FakeCourier
from tests.fakes import FakeClock


def payload(text: str = "hello") -> dict[str, Any]:
    """An outbox payload as features write it."""
    return {"reply": reply_to_data(say(msg("test.announce", text=text))), "locale": "en"}


async def queue_message(
    db: Database,
    clock: FakeClock,
    key: str,
    *,
    chat: str = "-100",
    kind: str = "group",
    platform: str = "telegram",
    place_id: int | None = None,
    user_key: str | None = None,
    not_after: datetime | None = None,
    due: datetime | None = None,
    replaces: str | None = None,
) -> int:
    """Write one outbox row, due now (or at `due`), editing message `replaces` if given;
    return its id."""
    message = NewMessage(
        dedupe_key=key,
        platform=platform,
        chat_id=chat,
        chat_kind=kind,
        payload=payload(key) | ({"replaces": replaces} if replaces else {}),
        next_attempt_at=due or clock.now(),
        place_id=place_id,
        user_key=user_key,
        not_after=not_after,
    )
    async with db.transaction() as tx:
        (outbox_id,) = await tx.outbox.add_many([message], clock.now())
    return outbox_id


async def add_group(db: Database, clock: FakeClock, chat: str) -> Place:
    """A Telegram group joined to a new campaign, announcing in the group itself."""
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name=f"campaign {chat}",
            hashtag="",
            timezone="UTC",
            locale="en",
            created_by="telegram:1",
            now=clock.now(),
        )
        return await tx.places.add(
            platform="telegram",
            external_id=chat,
            campaign_id=campaign.id,
            title="a group",
            locale="en",
            timezone="UTC",
            announcement_channel=chat,
            now=clock.now(),
        )


def make_sender(
    db: Database,
    courier: FakeCourier,
    clock: FakeClock,
    owner: str = "sender-b",
    settings: SenderSettings | None = None,
) -> OutboxSender:
    """A sender whose limiter lives on the test's clock, with a jitter that always draws
    its ceiling (so back-off waits are predictable)."""
    time = ClockTime(clock)
    limiter = RateLimiter(courier.limits, time_source=time, sleep=time.sleep)
    return OutboxSender(db, courier, clock, owner, settings, limiter=limiter, jitter=lambda: 1.0)


async def row(db: Database, outbox_id: int) -> OutboxEntry:
    async with db.read() as tx:
        entry = await tx.outbox.get(outbox_id)
    assert entry is not None
    return entry


async def place(db: Database, place_id: int) -> Place:
    async with db.read() as tx:
        found = await tx.places.get(place_id)
    assert found is not None
    return found
