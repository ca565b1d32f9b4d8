"""Rows composed at send time: the sender asks the named composer, with the platform's room."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.actors import Platform
from bot.core.outbox import OutboxSender, RateLimiter
from bot.core.outbox.compose import Composed, ComposeRequest, Composers
from bot.core.replies import say
from bot.core.richtext import msg
from storage.database import Database
from storage.records import NewMessage
from tests.core.outbox.fakes import GENEROUS, FakeCourier
from tests.core.outbox.helpers import queue_message, row
from tests.fakes import FakeClock


class Counting:
    """A composer that says how many times it was asked, or nothing when told to."""

    def __init__(self) -> None:
        self.requests: list[ComposeRequest] = []
        self.silent = False

    async def compose(self, request: ComposeRequest) -> Composed | None:
        self.requests.append(request)
        if self.silent:
            return None
        return Composed(say(msg("test.announce", text=f"call {len(self.requests)}")), "fr")


async def composed_row(db: Database, clock: FakeClock, key: str) -> int:
    message = NewMessage(
        dedupe_key=key,
        platform="discord",
        chat_id="555",
        chat_kind="group",
        payload={"compose": "counting", "place_id": 1},
        next_attempt_at=clock.now(),
    )
    async with db.transaction() as tx:
        (outbox_id,) = await tx.outbox.add_many([message], clock.now())
    return outbox_id


def sender(
    db: Database, clock: FakeClock, courier: FakeCourier, composer: Counting
) -> OutboxSender:
    composers = Composers()
    composers.register("counting", composer)
    return OutboxSender(
        db, courier, clock, "test", limiter=RateLimiter(GENEROUS), composers=composers
    )


async def test_a_composed_row_is_built_when_it_is_sent(db: Database, clock: FakeClock) -> None:
    outbox_id = await composed_row(db, clock, "digest:1:2026-06-01")
    await queue_message(db, clock, "milestone:1:1000:1", chat="555", platform="discord")
    courier = FakeCourier(Platform.DISCORD)
    composer = Counting()

    counts = await sender(db, clock, courier, composer).run_once()

    assert counts["sent"] == 2
    [request] = composer.requests
    assert (request.outbox_id, request.platform, request.budget.text) == (
        outbox_id,
        Platform.DISCORD,
        2000,
    )
    assert courier.deliveries[0].locale == "fr"
    assert (await row(db, outbox_id)).status == "sent"


async def test_nothing_to_compose_withdraws_the_row_for_good(
    db: Database, clock: FakeClock
) -> None:
    outbox_id = await composed_row(db, clock, "digest:1:2026-06-01")
    courier = FakeCourier(Platform.DISCORD)
    composer = Counting()
    composer.silent = True
    send = sender(db, clock, courier, composer)

    await send.run_once()
    clock.advance(hours=1)
    await send.run_once()

    assert courier.deliveries == []
    assert len(composer.requests) == 1
    assert (await row(db, outbox_id)).status == "cancelled"


async def test_an_unknown_composer_fails_the_row(db: Database, clock: FakeClock) -> None:
    outbox_id = await composed_row(db, clock, "digest:1:2026-06-01")
    courier = FakeCourier(Platform.DISCORD)

    await OutboxSender(db, courier, clock, "test", limiter=RateLimiter(GENEROUS)).run_once()

    assert courier.deliveries == []
    assert (await row(db, outbox_id)).status == "failed"


class Batching(Counting):
    """A composer that also builds a claimed batch's rows together."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[int]] = []

    async def compose_many(self, requests: Sequence[ComposeRequest]) -> dict[int, Composed | None]:
        self.batches.append([request.outbox_id for request in requests])
        return {request.outbox_id: await self.compose(request) for request in requests}


async def test_a_batch_composer_builds_the_claimed_rows_together(
    db: Database, clock: FakeClock
) -> None:
    first = await composed_row(db, clock, "digest:1:2026-06-01")
    second = await composed_row(db, clock, "digest:2:2026-06-01")
    courier = FakeCourier(Platform.DISCORD)
    composer = Batching()

    counts = await sender(db, clock, courier, composer).run_once()

    assert counts["sent"] == 2
    assert composer.batches == [[first, second]]
    assert len(composer.requests) == 2  # not composed again one by one
    assert (await row(db, first)).status == (await row(db, second)).status == "sent"
