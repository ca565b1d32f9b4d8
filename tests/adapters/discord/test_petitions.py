"""Petitions on Discord: a milestone announced in the channel, the chart attached, and the
live counter edited and pinned through discord.py against the fake Discord."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.app import Core
from bot.core.outbox import OutboxSender
from cogs.petitions.livecounter import LiveUpdater
from tests.adapters.discord.conftest import new_adapter
from tests.adapters.discord.fakediscord import ADMIN, GENERAL_ID, FakeDiscord
from tests.adapters.discord.people import Person
from tests.fakes import FakeClock


@pytest.fixture
async def running(core: Core, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    adapter = new_adapter(core)
    await adapter.start()
    yield adapter
    await adapter.stop()


def channel_posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [
        r.body  # type: ignore[misc]
        for r in fake.requests
        if r.method == "POST" and r.path == f"/channels/{GENERAL_ID}/messages"
    ]


async def test_a_milestone_is_announced_in_the_channel_and_the_chart_attached(
    core: Core, fake: FakeDiscord, running: DiscordAdapter, clock: FakeClock
) -> None:
    ada = Person(fake, ADMIN, admin=True)
    await ada.slash("setup", name="Keep 4o", hashtag="keep4o")
    await ada.slash("signatures set", count=900)
    answered = await ada.slash("signatures set", count=1_250)
    assert "passes the 1,000 milestone" in answered.text

    sender = OutboxSender(core.database, running.courier, clock, "discord-test")
    assert (await sender.run_once())["sent"] == 1

    [post] = channel_posts(fake)
    assert post["content"].startswith("**🎉 1,000 signatures!**")
    assert "We are at 1,250 now." in post["content"]
    assert "\\#keep4o" in post["content"] or "#keep4o" in post["content"]
    assert post["allowed_mentions"] == {"parse": []}
    assert post["nonce"].startswith("ob")

    await ada.slash("signatures show")
    [chart] = [r for r in fake.requests if "signatures.png" in r.files]
    png = chart.files["signatures.png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1000, 500)


async def test_the_live_counter_is_edited_and_pinned(
    core: Core, fake: FakeDiscord, running: DiscordAdapter, clock: FakeClock
) -> None:
    ada = Person(fake, ADMIN, admin=True)
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("signatures set", count=400)
    await ada.slash("signatures live", state="on")
    await OutboxSender(core.database, running.courier, clock, "discord-test").run_once()
    live = LiveUpdater(core.database, clock, interval=60)
    live.attach(running.courier)
    await live.run_once()
    [first] = channel_posts(fake)

    await ada.slash("signatures set", count=480)
    clock.advance(seconds=61)
    assert await live.run_once() == 1

    pins = [r for r in fake.requests if r.method == "PUT" and "pins" in r.path]
    edits = [r for r in fake.requests if r.method == "PATCH"]
    assert len(pins) == 1
    assert [r.path.rsplit("/", 1)[-1] for r in edits] == [pins[0].path.rsplit("/", 1)[-1]]
    body = edits[0].body
    assert isinstance(body, dict)
    assert "Signatures: 480" in body["content"]
    assert body["allowed_mentions"] == {"parse": []}
    assert "Signatures: 400" in first["content"]

    # Someone deleted it: the next change posts a new one.
    fake.deleted.add(edits[0].path.rsplit("/", 1)[-1])
    await ada.slash("signatures set", count=520)
    clock.advance(seconds=61)
    await live.run_once()
    await OutboxSender(core.database, running.courier, clock, "discord-test-2").run_once()
    assert len(channel_posts(fake)) == 2


async def test_an_implausible_count_is_confirmed_with_a_button_and_undone_in_place(
    core: Core, fake: FakeDiscord, running: DiscordAdapter, clock: FakeClock
) -> None:
    ada = Person(fake, ADMIN, admin=True)
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("signatures set", count="900")

    asked = await ada.slash("signatures set", count="12,000")
    assert "The count jumped from 900 to 12,000 in one reading" in asked.text
    confirmed = await ada.press(asked, "Set 12,000")
    assert "The count is set. Total: 12,000." in confirmed.text
    assert "passes the 10,000 milestone" in confirmed.text
    sender = OutboxSender(core.database, running.courier, clock, "discord-test")
    assert (await sender.run_once())["sent"] == 1
    [announced] = channel_posts_with_ids(fake)

    shown = await ada.slash("signatures undo")
    assert "The last count set by hand is 12,000" in shown.text
    undone = await ada.press(shown, "Undo 12,000")
    assert "The count 12,000 is taken back." in undone.text
    assert (await sender.run_once())["sent"] == 1

    [edit] = [r for r in fake.requests if r.method == "PATCH"]
    assert edit.path == f"/channels/{GENERAL_ID}/messages/{announced}"
    assert isinstance(edit.body, dict)
    assert "Correction: 10,000 signatures was announced in error." in edit.body["content"]


def channel_posts_with_ids(fake: FakeDiscord) -> list[str]:
    """The ids Discord gave the messages posted in the channel (not interaction replies)."""
    return [
        str(r.answer["id"])
        for r in fake.requests
        if r.method == "POST" and r.path == f"/channels/{GENERAL_ID}/messages"
    ]
