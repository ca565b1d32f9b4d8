"""An HTML source's regular expression: read by a linear-time engine, checked when it is saved,
and a stored pattern the engine cannot read makes its source unhealthy, never the bot stuck.

The pytest timeout is the guard on the patterns below: with a backtracking engine they run
for longer than the universe has left; here each answer comes back at once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.app import Core
from cogs.petitions.patterns import MAX_PATTERN_LENGTH, check_pattern, first_group
from cogs.petitions.sources import SourceError, count_in_html
from storage.database import Database
from storage.tables.petitions import petition_sources
from tests.cogs.petitions.conftest import Meet, PetitionSite, make_poller, poll, start_campaign
from tests.cogs.petitions.test_health import alerts, the_source
from tests.cogs.petitions.test_signatures import text_of
from tests.fakes import FakeClock

FORTY_ONES = b"1" * 40


async def test_a_pattern_that_would_backtrack_for_ever_is_answered_at_once(
    meet: Meet, db: Database, site: PetitionSite
) -> None:
    alice = await start_campaign(meet)
    site.body = FORTY_ONES

    answer = await alice.says(
        f'/signatures source add kind:html name:page url:{site.url()} pattern:"(\\d+)+x"'
    )

    assert "The source was not added: The regular expression finds nothing on the page." in answer
    async with db.read() as tx:
        assert await tx.petitions.sources(1) == []
    # The bot answers the next person at once too.
    assert "Keep 4o" in await alice.says("/signatures")


async def test_a_page_that_changes_under_an_accepted_pattern_is_read_at_once(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    site.body = b"<p>900 signatures</p>"
    added = await alice.says(
        f'/signatures source add kind:html name:page url:{site.url()} pattern:"(\\d+)+ signatures"'
    )
    assert "It reads 900 now" in added
    poller = make_poller(db, clock)

    site.body = FORTY_ONES
    assert await poll(core, poller, clock) == 1

    source = await the_source(db)
    assert (source.healthy, source.last_count) == (False, 900)
    assert "The regular expression finds nothing on the page." in await alice.says(
        "/signatures source"
    )


async def test_a_stored_pattern_the_engine_cannot_read_makes_its_source_unhealthy(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    site.body = b"<p>900 signatures</p>"
    await alice.says(
        f'/signatures source add kind:html name:page url:{site.url()} pattern:"(\\d+) signatures"'
    )
    # Saved by an older Chorus, which accepted look-arounds.
    async with db.transaction() as tx:
        await tx.connection.execute(
            update(petition_sources).values(pattern="(\\d+)(?= signatures)")
        )
    poller = make_poller(db, clock)

    assert await poll(core, poller, clock) == 1
    assert await poll(core, poller, clock) == 1  # the next window too: no crash, no lease kept

    source = await the_source(db)
    assert (source.healthy, source.last_count) == (False, 900)
    shown = await alice.says("/signatures source")
    assert "page (html), unhealthy" in shown
    assert "The regular expression is not valid: invalid perl operator: (?=" in shown
    assert "no look-arounds" in shown
    [alert] = await alerts(db)
    assert "The petition source page could not be read" in text_of(alert)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(\\d+", "The regular expression is not valid: missing ): (\\d+"),
        ("(?<=Total: )(\\d+)", "The regular expression is not valid: invalid perl operator"),
        ("(\\d+) (\\1)", "The regular expression is not valid: invalid escape sequence: \\1"),
        ("\\d+ signatures", "exactly one group ( … ) around the count; it has 0"),
        ("(\\d+)/(\\d+)", "exactly one group ( … ) around the count; it has 2"),
        ("(\\d+)" + "x" * MAX_PATTERN_LENGTH, "at most 500 characters; this one has 505"),
        ("(\\d{1001})", "The regular expression is not valid: invalid repetition size: {1001}"),
    ],
)
def test_a_pattern_is_refused_with_the_reason_when_it_is_saved(pattern: str, reason: str) -> None:
    from bot.core.i18n import Catalogues
    from bot.core.render import PlainRenderer
    from bot.core.richtext import doc

    with pytest.raises(SourceError) as refused:
        check_pattern(pattern)

    text = PlainRenderer(Catalogues.load().translator("en")).render(doc(refused.value.message))
    assert reason in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("pattern", "page", "count"),
    [
        ("([0-9][0-9\\u202f]*) signatures", "12\u202f345 signatures", 12_345),  # Python's \uXXXX
        ("(?P<n>\\d+) signed\\Z", "42 signed", 42),  # Python's \Z and named groups
        ("(?i)SIGNATURES: (\\d[\\d,]*)", "signatures: 1,520", 1_520),
        ("<b>([^<]+)</b>", "<b>12&nbsp;345</b>", 12_345),  # an entity inside the count
    ],
)
def test_patterns_written_for_python_keep_reading_the_same_count(
    pattern: str, page: str, count: int
) -> None:
    assert count_in_html(page, pattern) == count


def test_matching_is_linear_on_a_page_at_the_size_cap() -> None:
    page = "1" * 2_000_000
    for pattern in ("(\\d+)+x", "(1*)*x", "((?:1|11)*)x", "(.*1){20}x"):
        assert first_group(check_pattern(pattern), page) is None
