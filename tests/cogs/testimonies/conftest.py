"""The cast of the testimony dialogues, and a mailroom that hands outbox messages to them.

A campaign "Keep 4o" runs in a Telegram group (its community) and a second group where its
moderators meet; Alice organises it, Mona moderates it, Bob and Carla are members. The
mailroom delivers each pending outbox message to the person (or the group) it is addressed
to, through their console adapter: what they see, and the buttons they can press.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot.app import Core
from bot.core.actors import ChatKind, Platform
from bot.core.delivery import Delivery
from bot.core.dispatcher import Response
from bot.core.outbox.compose import ComposeRequest, Composers, budget_for, message_of
from bot.core.render import PlainRenderer
from storage.database import Database
from storage.records import OutboxEntry
from tests.dialogue import Member, group, person

COMMUNITY = group(Platform.TELEGRAM, "-1001", "Keep 4o FR")
MODERATORS = group(Platform.TELEGRAM, "-1009", "Keep 4o moderators")
# title, story, how it helped, name (blank: none), consent: the form's questions in order.
STORY = (
    "My thesis",
    "It helped me write my thesis when nothing else would.\nI defended it in May.",
    "study",
    "Bob B.",
    "named",
)
REFERENCE = re.compile(r"T-[2-9A-HJ-NP-Z]{4,8}")

Meet = Callable[..., Member]


def reference_in(text: str) -> str:
    match = REFERENCE.search(text)
    assert match, text
    return match.group(0)


def said(core: Core, response: Response) -> str:
    """A response as the console would print it (without buttons)."""
    return PlainRenderer(core.catalogues.translator(response.locale)).render(response.reply.body)


def story(
    title: str = STORY[0], text: str = STORY[1], *, consent: str = "named"
) -> tuple[str, ...]:
    return (title, text, STORY[2], STORY[3], consent)


class Mailroom:
    """Delivers pending outbox messages to whoever they are addressed to, once each."""

    def __init__(self, db: Database, composers: Composers) -> None:
        self._db = db
        self._composers = composers
        self._delivered: set[int] = set()

    async def pending(self) -> list[OutboxEntry]:
        async with self._db.read() as tx:
            return [row for row in await tx.outbox.all() if row.status == "pending"]

    async def deliver(self, member: Member) -> str:
        """What `member` (in their place, or privately) receives now; "" when nothing."""
        printed = []
        for row in await self.pending():
            if row.id in self._delivered or not _addressed_to(row, member):
                continue
            self._delivered.add(row.id)
            platform = Platform(row.platform)
            kind = ChatKind(row.chat_kind)
            request = ComposeRequest(row.id, platform, kind, row.payload, budget_for(platform))
            message = await message_of(self._composers, request)
            if message is None:  # as the sender does: not sent any more
                continue
            start = member._out.tell()
            await member.adapter.courier.deliver(
                Delivery(row.id, row.dedupe_key, row.chat_id, kind, message.reply, message.locale)
            )
            member._out.seek(start)
            printed.append(member._out.read().strip())
        return "\n".join(printed)


def _addressed_to(row: OutboxEntry, member: Member) -> bool:
    if row.chat_kind == ChatKind.PRIVATE:
        return (row.platform, row.chat_id) == (member.actor.platform.value, member.actor.user_id)
    return (row.platform, row.chat_id) == (member.place.platform.value, member.place.chat_id)


@dataclass
class Cast:
    alice: Member  # organiser, in the community
    mona: Member  # moderator, in the moderators' group (the review place)
    bob: Member  # member, in the community
    carla: Member  # member, in the community
    mail: Mailroom


async def start_campaign(meet: Meet, db: Database, *, review_place: bool = True) -> Cast:
    alice = meet(person(Platform.TELEGRAM, "1", admin=True), COMMUNITY)
    await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris')
    code = reference_code(await alice.says("/campaign invite"))
    await meet(person(Platform.TELEGRAM, "1", admin=True), MODERATORS).says(f"/setup join:{code}")
    await alice.says("/roles grant user:telegram:3 role:moderator")
    mona = meet(person(Platform.TELEGRAM, "3"), MODERATORS)
    if review_place:
        assert "review place" in await mona.says("/testimonies review here")
    return Cast(
        alice,
        mona,
        meet(person(Platform.TELEGRAM, "2"), COMMUNITY),
        meet(person(Platform.TELEGRAM, "4"), COMMUNITY),
        Mailroom(db, alice.core.composers),
    )


def reference_code(text: str) -> str:
    match = re.search(r"join:([A-Z0-9]{8})", text)
    assert match, text
    return match.group(1)


@pytest.fixture
async def cast(meet: Meet, db: Database) -> Cast:
    """The campaign with its review place set, nobody having shared anything yet."""
    return await start_campaign(meet, db)
