"""What a digest says: read at send time, kept to one message, the same as its preview."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.discord.render import MESSAGE_LIMIT as DISCORD_LIMIT
from bot.adapters.discord.render import DiscordRenderer
from bot.adapters.telegram.render import CAPTION_LIMIT, MESSAGE_LIMIT, TelegramRenderer
from bot.core.actors import Platform
from bot.core.outbox.compose import budget_for
from bot.core.render import utf16_length
from tests.cogs.digest.support import World
from tests.fakes import utc

NOON = utc("2026-06-01T12:00")  # 21:00 in Tokyo


async def digest_at_2100(world: World) -> None:
    world.clock.set(utc("2026-06-01T11:00"))
    await world.aki.says("/digest time 21:00")
    await world.aki.says("/digest on")


async def test_the_digest_is_read_when_it_is_sent_not_when_it_is_due(world: World) -> None:
    await digest_at_2100(world)
    await world.signatures((utc("2026-05-30T00:00"), 900), (utc("2026-06-01T00:00"), 1200))
    await world.tick(NOON)

    # A story approved and a wave planned after the row was written, before it is sent.
    await world.testimony("Thesis", "I wrote my thesis with it", at=NOON, name="Mia")
    await world.wave("Friday push", utc("2026-06-02T10:00"), joined=3)
    world.clock.set(NOON + timedelta(minutes=1))
    [sent] = await world.deliver()

    text = world.text(sent)
    assert "1,200 signatures" in text
    assert "Next milestone: 2,500, 1,300 to go" in text
    assert "Friday push: Tue 2 Jun 2026 19:00 (Asia/Tokyo), 3 joined" in text
    assert "“Thesis: I wrote my thesis with it” — Mia" in text


async def test_the_next_digest_counts_from_the_last_one_sent(world: World) -> None:
    await digest_at_2100(world)
    await world.signatures((utc("2026-05-31T00:00"), 900), (utc("2026-06-01T00:00"), 1200))
    await world.testimony("Old", "approved before the first digest", at=utc("2026-06-01T10:00"))
    first = await world.run(NOON, NOON, timedelta(hours=1))
    await world.testimony(
        "New", "approved after it", at=utc("2026-06-01T20:00"), consent="anonymous"
    )
    await world.testimony(
        "Private", "moderators only", at=utc("2026-06-01T21:00"), consent="moderators"
    )
    second = await world.run(NOON + timedelta(days=1), NOON + timedelta(days=1), timedelta(hours=1))

    assert "New stories shared: 1" in world.text(first[0])
    text = world.text(second[0])
    assert "New stories shared: 1" in text  # the private one is neither counted nor quoted
    assert "“New: approved after it” — Anonymous member" in text
    assert "Private" not in text
    assert "Old" not in text


async def test_preview_shows_privately_what_is_later_sent(world: World) -> None:
    await digest_at_2100(world)
    await world.signatures((utc("2026-05-30T00:00"), 900), (utc("2026-06-01T00:00"), 1200))
    await world.wave("Friday push", utc("2026-06-02T10:00"), joined=3)
    world.clock.set(NOON)

    preview = await world.aki.says("/digest preview")
    [sent] = await world.run(NOON, NOON, timedelta(minutes=30))

    assert world.text(sent) in preview


async def test_a_quiet_day_is_one_line_or_nothing(world: World) -> None:
    await digest_at_2100(world)
    [short] = await world.run(NOON, NOON, timedelta(hours=1))

    await world.aki.says("/digest quiet skip")
    skipped = await world.run(
        NOON + timedelta(days=1), NOON + timedelta(days=1), timedelta(hours=1)
    )

    assert world.text(short) == "Campaign digest, June 1, 2026: no news today."
    assert skipped == []
    [row] = await world.rows("digest:1:2026-06-02")
    assert row.status == "cancelled"
    assert "Nothing would be sent today" in await world.aki.says("/digest preview")


async def test_a_place_the_bot_left_gets_nothing_and_nothing_is_retried(world: World) -> None:
    await digest_at_2100(world)
    await world.tick(NOON)  # today's row is written …
    await world.core.place_events.left(Platform.TELEGRAM, "-1001", "kicked")  # … then kicked

    sent = await world.run(NOON, NOON + timedelta(days=2), timedelta(hours=6))

    assert sent == []
    assert [(r.dedupe_key, r.status) for r in await world.rows("digest:")] == [
        ("digest:1:2026-06-01", "cancelled")
    ]


async def test_long_titles_emoji_and_right_to_left_text_fit_one_message_everywhere(
    world: World,
) -> None:
    await digest_at_2100(world)
    await world.aki.says("/digest chart on")
    await world.signatures(
        *[(utc("2026-05-25T00:00") + timedelta(hours=6 * n), 1000 + 37 * n) for n in range(28)]
    )
    hebrew = "שמרו על המודל הזה בבקשה " * 40
    emoji = "👍🏽🎉<b>&amp;</b> " * 300
    for n in range(2):
        await world.wave(("🌊 " + hebrew)[:100], utc("2026-06-02T10:00") + timedelta(hours=n), 5)
    await world.testimony(hebrew[:120], emoji + hebrew * 4, at=NOON, name="מיה 👩🏽‍💻")
    world.clock.set(NOON)
    place = await world.place("-1001")

    for platform, limit in ((Platform.DISCORD, DISCORD_LIMIT), (Platform.TELEGRAM, CAPTION_LIMIT)):
        draft = await world.core.digest.composer.draft(
            place.id, "2026-06-01", budget_for(platform), sending=True
        )
        assert draft is not None
        assert draft.reply is not None
        assert draft.reply.attachment is not None
        translator = world.core.catalogues.translator(draft.locale)
        if platform is Platform.DISCORD:
            pages = DiscordRenderer(translator).pages(draft.reply.body)
        else:
            pages = TelegramRenderer(translator).pages(draft.reply.body, limit)
        assert len(pages) == 1
        assert utf16_length(pages[0]) <= limit
        assert "…" in pages[0]
        assert "1,999 signatures" in pages[0]
        assert "\ufffd" not in pages[0]


async def test_without_a_chart_telegram_gets_the_fuller_message(world: World) -> None:
    await digest_at_2100(world)
    long_story = "Это помогло мне написать диссертацию. " * 200
    await world.testimony("История", long_story, at=NOON, name="Аня")
    world.clock.set(NOON)
    place = await world.place("-1001")
    draft = await world.core.digest.composer.draft(
        place.id, "2026-06-01", budget_for(Platform.TELEGRAM), sending=True
    )

    assert draft is not None
    assert draft.reply is not None
    assert draft.reply.attachment is None
    page = TelegramRenderer(world.core.catalogues.translator("en")).pages(draft.reply.body)
    assert len(page) == 1
    assert utf16_length(page[0]) <= MESSAGE_LIMIT
    assert "— Аня" in page[0]
