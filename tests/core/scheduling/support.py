"""A small schedule kind for the ticker tests, and helpers that write schedules and read rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core.scheduling import Fired, Ticker, create_schedule
from storage.database import Database
from storage.records import NewMessage, Occurrence, Schedule
from storage.schema import outbox
from storage.unit import Tx


class OutboxKind:
    """Writes one outbox row per occurrence (dedupe key `test:<occurrence id>`); remembers the
    missed ones it was told about. Set `fail` to make it raise, like a bug in a handler."""

    def __init__(self) -> None:
        self.materialised: list[Occurrence] = []
        self.missed_told: list[Occurrence] = []
        self.fail = False

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        if self.fail:
            raise RuntimeError("handler bug")
        messages = [
            NewMessage(
                dedupe_key=f"test:{occurrence.id}",
                platform="console",
                chat_id="console",
                chat_kind="group",
                payload={"schedule": f.schedule.id, "local_key": occurrence.local_key},
                next_attempt_at=occurrence.created_at,
            )
            for f in fired
            for occurrence in f.occurrences
        ]
        await tx.outbox.add_many(messages, messages[0].next_attempt_at)
        self.materialised.extend(o for f in fired for o in f.occurrences)

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        self.missed_told.extend(o for f in fired for o in f.occurrences)


async def add_schedule(
    db: Database,
    now: datetime,
    rule: dict[str, Any],
    *,
    timezone: str = "Europe/London",
    catchup: str = "missed",
    grace_seconds: int = 600,
    kind: str = "test",
    campaign_id: int | None = None,
) -> Schedule:
    async with db.transaction() as tx:
        return await create_schedule(
            tx,
            kind=kind,
            timezone=timezone,
            rule=rule,
            catchup=catchup,
            grace_seconds=grace_seconds,
            payload={},
            now=now,
            campaign_id=campaign_id,
        )


async def occurrences(db: Database, schedule: Schedule) -> list[Occurrence]:
    async with db.read() as tx:
        return await tx.schedules.occurrences_of(schedule.id)


async def outbox_keys(db: Database) -> list[str]:
    async with db.read() as tx:
        result = await tx.connection.execute(select(outbox.c.dedupe_key).order_by(outbox.c.id))
        return list(result.scalars())


async def tick_every(
    ticker: Ticker, start: datetime, end: datetime, every: timedelta
) -> list[datetime]:
    """Tick like the timer would, from `start` to `end`; the instants at which it materialised."""
    fired_at: list[datetime] = []
    now = start
    while now <= end:
        if (await ticker.tick(now)).materialised:
            fired_at.append(now)
        now += every
    return fired_at
