"""When a source misbehaves: timeouts and 500s back off, odd readings are refused, organisers
are told once, and no milestone is ever announced from a bad reading."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Core
from storage.database import Database
from storage.records import OutboxEntry
from storage.repositories.petitions import Source
from tests.cogs.petitions.conftest import Meet, PetitionSite, make_poller, poll, start_campaign
from tests.cogs.petitions.test_signatures import milestone_rows, text_of
from tests.fakes import FakeClock

POINTER = "pointer:/data/attributes/signature_count"


async def the_source(db: Database) -> Source:
    async with db.read() as tx:
        [source] = await tx.petitions.sources(1)
    return source


async def alerts(db: Database) -> list[OutboxEntry]:
    async with db.read() as tx:
        return [e for e in await tx.outbox.all() if e.dedupe_key.startswith("petition-alert:")]


async def test_a_failing_site_is_retried_with_a_growing_back_off(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says(f"/signatures source add kind:json name:UK url:{site.url()} {POINTER}")
    poller = make_poller(db, clock)
    site.status = 500

    assert await poll(core, poller, clock) == 1
    first = await the_source(db)
    assert first.healthy is False
    assert first.retry_at == clock.now() + timedelta(seconds=30)  # base · 2⁰, jitter 1

    clock.advance(seconds=29)
    assert await poller.run_once() == 0  # still backing off
    clock.advance(seconds=1)
    assert await poller.run_once() == 1  # the same window, retried
    assert (await the_source(db)).retry_at == clock.now() + timedelta(seconds=60)
    assert await alerts(db) == []  # one or two transient failures are not worth a message

    clock.advance(seconds=60)
    assert await poller.run_once() == 1
    [alert] = await alerts(db)  # the third in a row is
    assert alert.chat_kind == "private"
    assert (alert.platform, alert.chat_id) == ("telegram", "1")
    assert "The petition source UK could not be read" in text_of(alert)
    assert "HTTP status 500" in text_of(alert)
    clock.advance(seconds=120)
    assert await poller.run_once() == 1
    assert len(await alerts(db)) == 1  # once per streak

    shown = await alice.says("/signatures source")
    assert "UK (json), unhealthy" in shown
    assert "last error: The site answered with HTTP status 500." in shown

    site.status = 200
    site.count = 950
    await poll(core, poller, clock, minutes=10)
    healthy = await the_source(db)
    assert (healthy.healthy, healthy.failures, healthy.last_count) == (True, 0, 950)
    assert "UK (json), healthy; last reading 950" in await alice.says("/signatures source")


async def test_a_site_that_does_not_answer_in_time_is_a_transient_failure(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says(f"/signatures source add kind:json url:{site.url()} {POINTER}")
    poller = make_poller(db, clock, timeout=0.2)
    site.delay = 1.0

    await poll(core, poller, clock)

    source = await the_source(db)
    assert (source.healthy, source.failures, source.last_count) == (False, 1, 900)
    assert "petitions.error.timeout" in source.last_error  # shown in the reader's language


async def test_implausible_readings_are_refused_and_organisers_told_once(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says(f"/signatures source add kind:json name:UK url:{site.url()} {POINTER}")
    poller = make_poller(db, clock)

    site.count = 90_000  # 100 times the last reading: a parse slip, not a surge
    await poll(core, poller, clock)
    site.count = 100  # a fall of nine tenths
    await poll(core, poller, clock, minutes=10)
    site.body = b"<html>maintenance</html>"  # HTML where JSON was
    await poll(core, poller, clock, minutes=30)

    assert await milestone_rows(db) == []
    [alert] = await alerts(db)
    assert "jumped from 900 to 90,000" in text_of(alert)
    source = await the_source(db)
    assert (source.healthy, source.last_count) == (False, 900)
    assert "The page is HTML, not JSON" in await alice.says("/signatures source")

    site.body = None
    site.count = 1_100
    await poll(core, poller, clock, minutes=60)
    assert (await the_source(db)).healthy is True
    assert [r.dedupe_key for r in await milestone_rows(db)] == ["milestone:1:1000:1"]

    site.count = 99_000
    await poll(core, poller, clock, minutes=10)
    assert len(await alerts(db)) == 2  # a new streak, a new alert


async def test_an_unchanged_page_is_asked_with_its_etag_and_costs_nothing(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    site.etag = '"v1"'
    alice = await start_campaign(meet)
    await alice.says(f"/signatures source add kind:json url:{site.url('/moved')} {POINTER}")
    poller = make_poller(db, clock)

    await poll(core, poller, clock)

    assert site.requests[-1]["If-None-Match"] == '"v1"'
    assert site.requests[-1]["User-Agent"].startswith("Chorus/")
    source = await the_source(db)
    assert (source.healthy, source.etag, source.polled_window) == (True, '"v1"', source.due_window)
