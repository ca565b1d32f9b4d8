"""/privacy: what is kept, a member's own data as a file, and forgetting them everywhere."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app import Core
from bot.core.actors import Platform
from bot.core.delivery import Delivery
from bot.core.outbox import OutboxSender
from bot.core.privacy import KeepsPersonalData
from bot.core.render import PlainRenderer
from storage.database import Database
from tests.cogs.testimonies.conftest import (
    COMMUNITY,
    MODERATORS,
    STORY,
    Cast,
    Meet,
    reference_in,
    story,
)
from tests.core.outbox.fakes import FakeCourier
from tests.dialogue import person, private
from tests.fakes import FakeClock


def said_in(core: Core, delivery: Delivery) -> str:
    """A delivery's text as a reader of its language sees it."""
    renderer = PlainRenderer(core.catalogues.translator(delivery.locale))
    return renderer.render(delivery.reply.body)


async def test_privacy_lists_a_statement_for_every_keeper_of_personal_data(
    core: Core, cast: Cast
) -> None:
    shown = await cast.bob.says("/privacy")

    assert "What Chorus keeps about you, and why:" in shown
    assert "• Campaigns: your role in a campaign" in shown
    assert "• Testimonies: the stories you share" in shown
    assert "/privacy export sends you all of it as a file; /privacy forget erases it." in shown
    keepers = [cog for cog in core.registry.cogs if isinstance(cog, KeepsPersonalData)]
    assert {"testimonies"} <= {keeper.name for keeper in keepers}


async def test_privacy_export_sends_the_members_own_data_only(cast: Cast, tmp_path: Path) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    await cast.carla.says("/testimony", *story("Carla's story"))

    answer = await cast.bob.says("/privacy export")

    assert "Here is everything Chorus keeps about you." in answer
    data = json.loads((tmp_path / "files" / "chorus-my-data.json").read_text(encoding="utf-8"))
    assert (data["schema_version"], data["user"]) == (1, "telegram:2")
    [mine] = data["data"]["testimonies"]["testimonies"]
    assert (mine["reference"], mine["title"], mine["story"]) == (reference, STORY[0], STORY[1])
    assert "Carla's story" not in json.dumps(data)
    assert data["data"]["campaigns"] == {"roles": [], "unfinished_forms": 0}


async def test_forgetting_erases_stories_roles_and_unsent_messages_everywhere(
    cast: Cast, meet: Meet, db: Database, tmp_path: Path
) -> None:
    await cast.alice.says("/testimonies settings post_approved:yes")
    await cast.alice.says("/roles grant user:telegram:2 role:moderator")
    approved = reference_in(await cast.bob.says("/testimony", *story("Approved")))
    await cast.mona.says(f"/testimonies show {approved}")
    await cast.mona.says("/press 1")
    waiting = reference_in(await cast.bob.says("/testimony", *story("Waiting")))
    carla = reference_in(await cast.carla.says("/testimony", *story("Carla's")))
    # Bob decides on Carla's story as a moderator: that decision stays, without his name.
    await meet(cast.bob.actor, cast.mona.place).says(f"/testimonies reject {carla}", "Too short.")

    # Bob asks from his private chat with the bot, where no campaign is known.
    bob_privately = meet(cast.bob.actor, private(Platform.TELEGRAM, "2"))
    confirm = await bob_privately.says("/privacy forget")
    assert "Erase everything Chorus keeps about you?" in confirm
    assert "only the operator can manage it afterwards" in confirm
    done = await bob_privately.says("/press 1")

    assert "Done: Chorus keeps nothing about you any more." in done
    async with db.read() as tx:
        stories = [await tx.testimonies.by_reference(r) for r in (approved, waiting, carla)]
        rows = await tx.outbox.all()
        role = await tx.roles.role_of(1, "telegram:2")
        decisions = await tx.testimonies.decisions(stories[2].id)  # type: ignore[union-attr]
        audit = await tx.audit.recent()
    assert [(s.status, s.author_key, s.title, s.story) for s in stories[:2]] == [  # type: ignore[union-attr]
        ("deleted", None, "", ""),
        ("deleted", None, "", ""),
    ]
    assert stories[2] is not None
    assert stories[2].decided_by == "forgotten"
    assert [d.actor for d in decisions] == ["forgotten"]
    assert role is None
    for row in rows:
        assert row.user_key != "telegram:2"
        assert "Approved" not in json.dumps(row.payload)
        assert "Waiting" not in json.dumps(row.payload)
    about_bob = [
        r
        for r in rows
        if r.dedupe_key.startswith((f"testimony:{approved}", f"testimony:{waiting}"))
    ]
    assert {r.status for r in about_bob} == {"cancelled"}
    assert audit[0].action == "privacy.forget"
    # Who was granted a role, who rejected a story: the entries stay, Bob leaves them.
    left = [(e.action, e.actor, e.detail) for e in audit if "forgotten" in json.dumps(e.detail)]
    assert left == [("role.grant", "telegram:1", {"user": "forgotten", "role": "moderator"})]
    assert ("testimony.reject", "forgotten") in [(e.action, e.actor) for e in audit]
    assert "telegram:2" not in json.dumps([[e.actor, e.detail] for e in audit])
    await cast.mona.says("/testimonies export format:json status:all")
    [path] = list((tmp_path / "files").glob("testimonies-*.json"))
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert [t["title"] for t in exported["testimonies"]] == ["Carla's"]
    assert "You have not shared a story" in await cast.bob.says("/testimony mine")


async def test_forgetting_edits_the_members_posted_stories_out_of_the_channels(
    core: Core, cast: Cast, meet: Meet, db: Database, clock: FakeClock
) -> None:
    await cast.alice.says("/testimonies settings post_approved:yes")
    reference = reference_in(await cast.bob.says("/testimony", *story("Approved")))
    await cast.mona.says(f"/testimonies show {reference}")
    await cast.mona.says("/press 1")
    telegram = FakeCourier(Platform.TELEGRAM)
    sender = OutboxSender(db, telegram, clock, "test", composers=core.composers)
    await sender.run_once()  # the alert, the good news, and the story in both groups
    # The fake answers the nth delivery with message id `m<n>`.
    posts = {
        (d.chat_id, f"m{n}")
        for n, d in enumerate(telegram.deliveries, start=1)
        if said_in(core, d).startswith("A member's story")
    }
    assert {chat for chat, _id in posts} == {COMMUNITY.chat_id, MODERATORS.chat_id}
    sent_before = len(telegram.deliveries)

    bob_privately = meet(cast.bob.actor, private(Platform.TELEGRAM, "2"))
    await bob_privately.says("/privacy forget")
    await bob_privately.says("/press 1")
    await sender.run_once()

    edits = telegram.deliveries[sent_before:]
    assert {(d.chat_id, d.replaces) for d in edits} == posts
    assert {said_in(core, d) for d in edits} == {"This story was withdrawn by its author."}


async def test_a_forget_button_works_only_for_whom_it_was_made(cast: Cast, meet: Meet) -> None:
    await cast.bob.says("/testimony", *STORY)
    confirm = await cast.bob.says("/privacy forget")
    assert "[1] Yes, forget me" in confirm

    # Carla presses the button Bob was shown (a quiet reply in a group can be seen by all).
    carla = meet(person(Platform.TELEGRAM, "4"), cast.bob.place)
    carla.adapter._buttons = cast.bob.adapter._buttons
    refused = await carla.says("/press 1")

    assert "This button was made for someone else." in refused
    assert "waiting for review" in await cast.bob.says("/testimony mine")
