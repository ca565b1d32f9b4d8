"""`/campaign outbox`: organisers see the messages that did not go out, and act on them."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import Core
from bot.core.actors import Platform
from bot.core.outbox import Backoff, OutboxSender, SenderSettings
from bot.core.outbox.compose import Composed, ComposeRequest
from bot.core.replies import say
from bot.core.richtext import msg
from storage.database import Database
from storage.records import NewMessage, OutboxEntry
from tests.core.outbox.fakes import FakeCourier
from tests.core.outbox.helpers import payload
from tests.dialogue import Member, group, person
from tests.fakes import FakeClock

TG_GROUP = group(Platform.TELEGRAM, "-1001", "Keep 4o FR")
OTHER_GROUP = group(Platform.TELEGRAM, "-2002", "Another campaign")

Meet = Callable[..., Member]


async def start(meet: Meet, place=TG_GROUP, user: str = "1") -> Member:  # type: ignore[no-untyped-def]
    alice = meet(person(Platform.TELEGRAM, user, admin=True), place)
    answer = await alice.says(f'/setup name:"Campaign {user}"')
    assert "you are its organiser" in answer
    return alice


async def add_rows(db: Database, clock: FakeClock, chat: str, **outcomes: str) -> dict[str, int]:
    """One row per key, written for the place of `chat`, then settled as `outcomes` say
    (`dead:reason`, `failed:reason` or `sent`)."""
    async with db.transaction() as tx:
        place = await tx.places.find("telegram", chat)
        assert place is not None
        ids = {}
        for key in outcomes:
            message = NewMessage(key, "telegram", chat, "group", payload(), clock.now(), place.id)
            (ids[key],) = await tx.outbox.add_many([message], clock.now())
        await tx.outbox.claim("telegram", "s", clock.now(), 60, 100)
        for key, outcome in outcomes.items():
            status, _, reason = outcome.partition(":")
            if status == "dead":
                await tx.outbox.mark_dead(ids[key], "s", reason)
            elif status == "failed":
                await tx.outbox.fail(ids[key], "s", reason)
            else:
                await tx.outbox.mark_sent(ids[key], "s", "m1", clock.now())
    return ids


async def row(db: Database, outbox_id: int) -> OutboxEntry:
    async with db.read() as tx:
        found = await tx.outbox.get(outbox_id)
    assert found is not None
    return found


async def test_an_organiser_sees_the_failed_and_dead_messages_with_why(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start(meet)
    ids = await add_rows(
        db,
        clock,
        "-1001",
        **{
            "testimony:T-1:review": "dead:IndexError: boom",
            "digest:1:2026-06-01": "failed:Bad Request: message is too long",
            "milestone:1:1000:1": "sent",
        },
    )
    await start(meet, OTHER_GROUP, user="2")
    await add_rows(db, clock, "-2002", **{"milestone:2:1000:1": "dead:502 Bad Gateway"})

    shown = await alice.says("/campaign outbox")

    assert "Messages that did not go out (most recent first, 2 shown):" in shown
    dead = ids["testimony:T-1:review"]
    assert f"#{dead} gave up (attempts: 1) · testimony:T-1:review · IndexError: boom" in shown
    failed = ids["digest:1:2026-06-01"]
    assert f"#{failed} refused · digest:1:2026-06-01 · Bad Request: message is too long" in shown
    assert "milestone:1:1000:1" not in shown  # sent
    assert "milestone:2:1000:1" not in shown  # another campaign's
    assert f"Send #{dead} again" in shown
    assert f"Drop #{failed}" in shown


async def test_nothing_failed_says_so(meet: Meet) -> None:
    alice = await start(meet)

    shown = await alice.says("/campaign outbox")

    assert "Every message of this campaign went out, or is on its way: none failed." in shown


async def test_a_button_sends_a_dead_message_again(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start(meet)
    ids = await add_rows(db, clock, "-1001", **{"testimony:T-1:review": "dead:IndexError: boom"})
    dead = ids["testimony:T-1:review"]
    await alice.says("/campaign outbox")

    answer = await alice.says("/press 1")

    assert f"Message #{dead} (testimony:T-1:review) will be sent again now." in answer
    entry = await row(db, dead)
    assert (entry.status, entry.attempts) == ("pending", 0)
    assert "none failed" in await alice.says("/campaign outbox")
    async with db.read() as tx:
        [audited] = [e for e in await tx.audit.recent() if e.action == "outbox.retry"]
    assert (audited.actor, audited.detail["outbox_id"]) == ("telegram:1", dead)


async def test_dropping_asks_first_then_the_message_is_never_sent(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start(meet)
    ids = await add_rows(db, clock, "-1001", **{"digest:1:2026-06-01": "failed:Bad Request"})
    failed = ids["digest:1:2026-06-01"]

    asked = await alice.says(f"/campaign outbox drop:{failed}")

    assert f"Drop message #{failed} (digest:1:2026-06-01)? It will never be sent." in asked
    assert (await row(db, failed)).status == "failed"  # nothing happens before the press

    dropped = await alice.says("/press 1")

    assert f"Message #{failed} (digest:1:2026-06-01) is dropped: it will not be sent." in dropped
    entry = await row(db, failed)
    assert (entry.status, entry.last_error) == ("cancelled", "dropped by telegram:1")
    assert "none failed" in await alice.says("/campaign outbox")


async def test_a_member_cannot_see_nor_act_on_the_outbox(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start(meet)
    ids = await add_rows(db, clock, "-1001", **{"testimony:T-1:review": "dead:boom"})
    dead = ids["testimony:T-1:review"]
    await alice.says("/campaign outbox")
    bob = meet(person(Platform.TELEGRAM, "2"), TG_GROUP)

    assert "organiser" in await bob.says("/campaign outbox")
    assert "organiser" in await bob.says(f"/campaign outbox retry:{dead}")
    assert (await row(db, dead)).status == "dead"


async def test_another_campaigns_message_is_not_found(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice = await start(meet)
    await start(meet, OTHER_GROUP, user="2")
    theirs = (await add_rows(db, clock, "-2002", **{"milestone:2:1000:1": "dead:502"}))[
        "milestone:2:1000:1"
    ]

    for line in (f"/campaign outbox retry:{theirs}", f"/campaign outbox drop:{theirs}"):
        answer = await alice.says(line)
        assert f"There is no failed message #{theirs} in this campaign." in answer
    assert (await row(db, theirs)).status == "dead"


async def test_retry_and_drop_together_are_refused_by_name(meet: Meet) -> None:
    alice = await start(meet)

    answer = await alice.says("/campaign outbox retry:1 drop:2")

    assert "Give either retry or drop, not both." in answer


async def test_a_row_number_that_is_not_one_is_refused(meet: Meet) -> None:
    alice = await start(meet)

    assert "retry" in await alice.says("/campaign outbox retry:abc")
    assert "There is no failed message #12345 in this campaign." in await alice.says(
        "/campaign outbox retry:12345"
    )


class Flaky:
    """A composer whose first `failures` calls raise (a bug since fixed)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    async def compose(self, request: ComposeRequest) -> Composed | None:
        if self.failures:
            self.failures -= 1
            raise IndexError("list index out of range")
        return Composed(say(msg("test.announce", text="the alert")), "en")


async def test_an_alert_that_died_of_a_bug_is_shown_and_sent_once_retried(
    meet: Meet, core: Core, db: Database, clock: FakeClock
) -> None:
    alice = await start(meet)
    core.composers.register("flaky", Flaky(failures=2))
    async with db.transaction() as tx:
        place = await tx.places.find("telegram", "-1001")
        assert place is not None
        message = NewMessage(
            "testimony:T-9:review",
            "telegram",
            "-1001",
            "group",
            {"compose": "flaky"},
            clock.now(),
            place.id,
        )
        (alert,) = await tx.outbox.add_many([message], clock.now())
    telegram = FakeCourier(Platform.TELEGRAM)
    settings = SenderSettings(backoff=Backoff(base=1.0, cap=1.0, max_attempts=2))
    sender = OutboxSender(
        db, telegram, clock, "test", settings, composers=core.composers, jitter=lambda: 1.0
    )
    for _ in range(3):
        await sender.run_once()
        clock.advance(seconds=2)
    assert telegram.deliveries == []

    shown = await alice.says("/campaign outbox")
    assert (
        f"#{alert} gave up (attempts: 2) · testimony:T-9:review · "
        "IndexError: list index out of range"
    ) in shown

    await alice.says(f"/campaign outbox retry:{alert}")
    await sender.run_once()

    [sent] = telegram.deliveries
    assert sent.outbox_id == alert
    assert (await row(db, alert)).status == "sent"
