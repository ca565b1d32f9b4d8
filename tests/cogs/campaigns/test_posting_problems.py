"""A place where Chorus lost its permission to post: what `/place` and `/campaign` say, who is
told, and how the problem ends (a change of the place's settings, or a send that works)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.actors import Platform
from bot.core.delivery import CannotPost, Gone
from bot.core.posting import PROBE_EVERY
from bot.core.render import PlainRenderer
from bot.core.richtext import Document
from storage.database import Database
from storage.records import Place
from tests.core.outbox.fakes import FakeCourier
from tests.core.outbox.helpers import make_sender, queue_message
from tests.dialogue import Member, group, invite_code, person
from tests.fakes import FakeClock

TG_GROUP = group(Platform.TELEGRAM, "-1001", "Keep 4o FR")
DC_SERVER = group(Platform.DISCORD, "555", "Keep 4o Discord")
MISSING = "403 50013: Missing Permissions"
WARNING = "⚠️ Chorus cannot post in 555 since"

Meet = Callable[..., Member]


async def two_places(meet: Meet) -> tuple[Member, Member]:
    """Alice organises from a Telegram group; Dora's Discord server joined with an invite."""
    alice = meet(person(Platform.TELEGRAM, "1", admin=True), TG_GROUP)
    await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris')
    code = invite_code(await alice.says("/campaign invite"))
    dora = meet(person(Platform.DISCORD, "7", admin=True), DC_SERVER)
    assert "has joined the campaign" in await dora.says(f"/setup join:{code}")
    return alice, dora


async def refused_on_discord(db: Database, clock: FakeClock, answer: CannotPost | Gone) -> None:
    """An announcement to Dora's server, which Discord refuses with `answer`."""
    server = await discord_place(db)
    await queue_message(
        db, clock, "milestone:1", chat="555", platform="discord", place_id=server.id
    )
    courier = FakeCourier(Platform.DISCORD)
    courier.answer(answer, chat="555")
    await make_sender(db, courier, clock).run_once()


async def test_place_and_campaign_show_the_problem_until_the_settings_change(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice, dora = await two_places(meet)
    bob = meet(person(Platform.TELEGRAM, "2"), TG_GROUP)
    await refused_on_discord(db, clock, CannotPost(MISSING))

    here = await dora.says("/place")
    assert WARNING in here
    assert MISSING in here
    assert "Announcements go to: 555" in here
    assert WARNING in await dora.says("/campaign")

    organiser_sees = await alice.says("/campaign")
    assert "Where Chorus cannot post" in organiser_sees
    assert "Keep 4o Discord (Discord): " + WARNING in organiser_sees
    assert "Where Chorus cannot post" not in await bob.says("/campaign")  # a plain member
    assert "Places: 1 on Discord, 1 on Telegram" in organiser_sees  # still in the campaign

    assert "This place's settings are updated." in await dora.says(
        "/place set timezone:Europe/Berlin"
    )
    assert WARNING not in await dora.says("/place")
    assert "Where Chorus cannot post" not in await alice.says("/campaign")


async def test_a_send_that_works_again_ends_the_problem(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice, dora = await two_places(meet)
    await refused_on_discord(db, clock, CannotPost(MISSING))
    assert WARNING in await dora.says("/place")

    server = await discord_place(db)
    await queue_message(db, clock, "digest:1", chat="555", platform="discord", place_id=server.id)
    clock.advance(seconds=PROBE_EVERY + 1)
    await make_sender(db, FakeCourier(Platform.DISCORD), clock, owner="later").run_once()

    assert WARNING not in await dora.says("/place")
    assert "Where Chorus cannot post" not in await alice.says("/campaign")


async def test_the_server_admin_and_the_organiser_are_told_privately(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    await two_places(meet)
    await refused_on_discord(db, clock, CannotPost(MISSING))

    on_discord, on_telegram = FakeCourier(Platform.DISCORD), FakeCourier(Platform.TELEGRAM)
    await make_sender(db, on_discord, clock, owner="d").run_once()
    await make_sender(db, on_telegram, clock, owner="t").run_once()

    [to_dora] = on_discord.deliveries
    [to_alice] = on_telegram.deliveries
    assert (to_dora.chat_id, to_dora.chat_kind.value, to_dora.reply.private) == (
        "7",
        "private",
        True,
    )
    assert (to_alice.chat_id, to_alice.chat_kind.value) == ("1", "private")
    told_dora = render(meet, to_dora.reply.body)
    assert f"Chorus can no longer post in 555 in Keep 4o Discord: {MISSING}." in told_dora
    assert "/place set channel:" in told_dora
    told_alice = render(meet, to_alice.reply.body)
    assert "Keep 4o Discord (Discord), a community of the campaign Keep 4o" in told_alice
    assert "Its administrators were told" in told_alice


async def test_organisers_see_a_place_the_bot_was_removed_from(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice, _dora = await two_places(meet)

    await refused_on_discord(db, clock, Gone("404 10004: Unknown Guild"))

    shown = await alice.says("/campaign")
    assert "Keep 4o Discord (Discord): Chorus was removed or its channel deleted" in shown
    assert "404 10004: Unknown Guild" in shown
    assert "Places: 0 on Discord, 1 on Telegram" in shown


async def discord_place(db: Database) -> Place:
    async with db.read() as tx:
        found = await tx.places.find("discord", "555")
    assert found is not None
    return found


def render(meet: Meet, body: Document) -> str:
    member = meet(person(Platform.CONSOLE, "0"), TG_GROUP)
    return PlainRenderer(member.core.catalogues.translator("en")).render(body)


async def test_a_new_channel_brings_back_a_place_whose_channel_was_deleted(
    meet: Meet, db: Database, clock: FakeClock
) -> None:
    alice, dora = await two_places(meet)
    await refused_on_discord(db, clock, Gone("404 10003: Unknown Channel"))
    assert "Places: 0 on Discord" in await alice.says("/campaign")

    assert "This place's settings are updated." in await dora.says("/place set channel:556")

    assert "Places: 1 on Discord" in await alice.says("/campaign")
    assert "Announcements go to: 556" in await dora.says("/place")
    assert "Where Chorus cannot post" not in await alice.says("/campaign")
