"""A wave from start to finish: created, announced everywhere, joined, reminded at T-24h,
T-1h and T-0 by the injected clock, and its result posted."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from bot.core.actors import Platform
from bot.core.richtext import Link, Para
from tests.cogs.waves.support import START, World, create
from tests.dialogue import group, person


async def test_a_wave_is_announced_in_every_place_in_its_own_zone(world: World) -> None:
    reply = await create(world)

    assert "Wave #1 Friday push is scheduled for Fri 5 Jun 2026 20:00 (Europe/Paris)." in reply
    assert "Announced in the campaign's places: 2." in reply
    sent = await world.deliver()
    by_chat = {delivery.chat_id: world.text(delivery) for delivery in sent}
    assert sorted(by_chat) == ["-1001", "555"]
    assert "When: Fri 5 Jun 2026 20:00 (Europe/Paris)" in by_chat["-1001"]
    assert "When: Fri 5 Jun 2026 14:00 (America/New_York)" in by_chat["555"]
    assert "Where: X, Bluesky · Hashtags: #keep4o" in by_chat["555"]
    assert [b.label.key for b in sent[0].reply.buttons] == [
        "wave.button.join",
        "wave.button.remind",
        "wave.button.posted",
    ]
    assert {b.key for b in sent[0].reply.buttons} == {"1"}


async def test_natural_input_is_echoed_back_as_an_absolute_time(world: World) -> None:
    # The clock says Monday 1 June 2026, 14:00 in Paris.
    reply = await create(world, when="friday 8pm")

    assert "scheduled for Fri 5 Jun 2026 20:00 (Europe/Paris)" in reply

    other = await create(world, when="Dec 4 20:00 America/New_York")
    assert "Wave #2 Friday push is scheduled for Fri 4 Dec 2026 20:00 (America/New_York)" in other


async def test_members_join_once_get_reminders_and_the_result_counts_them(world: World) -> None:
    await create(world)
    await world.deliver()
    bob = world.member(Platform.TELEGRAM, "2")
    carol = world.member(Platform.DISCORD, "3")
    erin = world.member(Platform.TELEGRAM, "4")

    assert "You're in for Friday push" in await bob.says("/wave join 1")
    assert "You were already in" in await bob.says("/wave join 1")
    assert "I'll remind you privately" in await bob.says("/wave remind 1")
    assert "I'll remind you privately" in await carol.says("/wave remind 1")
    await erin.says("/wave join 1")
    assert "Members in: 3." in await world.alice.says("/wave show 1")

    # T-24h and T-1h: every place, and privately Bob and Carol.
    for hours, offset in ((24, 1440), (1, 60)):
        await world.tick(START - timedelta(hours=hours))
        sent = await world.deliver()
        assert sorted(d.dedupe_key for d in sent) == sorted(
            f"wave:1.1:{offset}:{who}" for who in ("p1", "p2", "telegram:2", "discord:3")
        )
        dm = next(d for d in sent if d.chat_id == "2")
        assert dm.chat_kind.value == "private"
        assert f"starts in {hours} h: Fri 5 Jun 2026 20:00 (Europe/Paris)" in world.text(dm)
        rows = await world.rows(f":{offset}:")
        assert {row.not_after for row in rows} == {START + timedelta(minutes=10)}

    # T-0: each private reminder carries one of the texts (they vary) and share links.
    await world.tick(START)
    sent = await world.deliver()
    bob_dm = next(d for d in sent if d.chat_id == "2")
    carol_dm = next(d for d in sent if d.chat_id == "3")
    texts = {quoted(world.text(bob_dm)), quoted(world.text(carol_dm))}
    assert texts == {
        "> I rely on 4o every day #keep4o",
        "> Keep the model that helped me write my thesis",
    }
    links = [node for block in bob_dm.reply.body for node in _links(block)]
    assert [urlsplit(link.url).netloc for link in links] == ["x.com", "bsky.app"]
    shared = parse_qs(urlsplit(links[0].url).query)["text"][0]
    assert shared.endswith("#keep4o")
    assert shared.count("#keep4o") == 1

    assert "Thank you for posting" in await bob.says("/wave posted 1 https://x.com/bob/1")
    assert "Thank you for posting" in await carol.says("/wave posted 1")

    await world.tick(START + timedelta(hours=1))
    sent = await world.deliver()
    results = {d.chat_id: world.text(d) for d in sent}
    assert sorted(results) == ["-1001", "555"]
    assert (
        "Friday push (Fri 5 Jun 2026 20:00 (Europe/Paris)): 3 joined, 2 said they posted."
        in (results["-1001"])
    )
    assert "https://x.com/bob/1" in results["555"]
    assert (await world.wave()).status == "finished"

    # Nothing is written twice, however often the clock ticks.
    before = await world.keys()
    await world.tick(START + timedelta(hours=2))
    assert await world.keys() == before


async def test_a_member_can_leave_and_stop_private_reminders(world: World) -> None:
    await create(world)
    bob = world.member(Platform.TELEGRAM, "2")
    await bob.says("/wave remind 1")

    assert "No more private reminders" in await bob.says("/wave remind 1 off")
    await world.tick(START - timedelta(hours=24))
    assert await world.keys(":1440:telegram") == []

    assert "You left Friday push." in await bob.says("/wave leave 1")
    assert "You had not joined" in await bob.says("/wave leave 1")
    assert "Members in: 0." in await bob.says("/wave show 1")


async def test_the_announcement_buttons_join_remind_and_count_a_post(world: World) -> None:
    await create(world)
    bob = world.member(Platform.TELEGRAM, "2")
    shown = await bob.says("/wave show 1")
    assert "[1] I'm in  [2] Remind me by DM  [3] I posted" in shown

    assert "You're in for Friday push" in await bob.says("/press 1")
    remind = await bob.says("/press 2")
    assert "I'll remind you privately" in remind
    assert "[1] Stop DM reminders" in remind
    await bob.says("/wave show 1")
    assert "has not started yet" in await bob.says("/press 3")

    world.clock.set(START + timedelta(minutes=5))
    assert "Thank you for posting" in await bob.says("/press 3")


def quoted(text: str) -> str:
    [line] = [line for line in text.split("\n") if line.startswith("> ")]
    return line


def _links(block: object) -> list[Link]:
    if isinstance(block, Para):
        return [node for node in block.children if isinstance(node, Link)]
    return []


async def test_another_campaign_cannot_see_or_join_the_wave(world: World) -> None:
    await create(world)
    stranger = world.meet(
        person(Platform.TELEGRAM, "8", admin=True), group(Platform.TELEGRAM, "-2002")
    )
    await stranger.says('/setup name:"Other"')

    assert "There is no wave #1 in this campaign." in await stranger.says("/wave join 1")
    assert "There is no wave #7 in this campaign." in await world.alice.says("/wave show 7")
