"""A channel where someone took Chorus's permission away, through discord.py and the fake
Discord: the server stays in the campaign, its administrator is told by DM, the channel is
tried once per probe (one 403, not one per message), and posting resumes when allowed."""

from __future__ import annotations

from typing import Any

from bot.adapters.discord.adapter import DiscordAdapter
from bot.app import Core
from bot.core.outbox import OutboxSender, RateLimiter
from bot.core.posting import PROBE_EVERY
from tests.adapters.discord.fakediscord import (
    ADMIN,
    ADMIN_ID,
    DM_CHANNEL_ID,
    GENERAL_ID,
    GUILD_ID,
    FakeDiscord,
)
from tests.adapters.discord.people import Person
from tests.core.outbox.fakes import ClockTime
from tests.fakes import FakeClock


def sender(core: Core, adapter: DiscordAdapter, clock: FakeClock) -> OutboxSender:
    """The outbox sender, its limiter on the test's clock (so a probe's wait can pass)."""
    time = ClockTime(clock)
    limiter = RateLimiter(adapter.courier.limits, time_source=time, sleep=time.sleep)
    return OutboxSender(core.database, adapter.courier, clock, "discord-test", limiter=limiter)


def answered(fake: FakeDiscord, channel: int) -> list[tuple[int, dict[str, Any]]]:
    """Each post to `channel`: Discord's status and what was posted."""
    return [
        (r.status, r.body)  # type: ignore[misc]
        for r in fake.requests
        if r.method == "POST" and r.path == f"/channels/{channel}/messages"
    ]


async def test_a_lost_permission_keeps_the_server_tells_its_admin_and_ends_when_allowed(
    core: Core, fake: FakeDiscord, adapter: DiscordAdapter, clock: FakeClock
) -> None:
    ada = Person(fake, ADMIN, admin=True)
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("signatures set", count=900)
    fake.forbid(GENERAL_ID, 50013)
    await ada.slash("signatures set", count=1_250)
    outbox = sender(core, adapter, clock)

    assert (await outbox.run_once())["cannot_post"] == 1
    await outbox.run_once()  # the notice to the server's administrator

    opened = [r.body for r in fake.requests if r.path == "/users/@me/channels"]
    assert opened == [{"recipient_id": ADMIN_ID}]
    [notice] = answered(fake, DM_CHANNEL_ID)
    assert "Chorus can no longer post in" in notice[1]["content"]
    assert "403 50013: Missing Permissions" in notice[1]["content"]
    shown = await ada.slash("place show")
    assert "Chorus cannot post in" in shown.text
    async with core.database.read() as tx:
        place = await tx.places.find("discord", str(GUILD_ID))
    assert place is not None
    assert place.active

    # More news while the channel refuses: it waits, and Discord sees no second 403.
    await ada.slash("signatures set", count=2_600)
    await outbox.run_once()
    assert len(answered(fake, GENERAL_ID)) == 1

    fake.allow(GENERAL_ID)
    clock.advance(seconds=PROBE_EVERY + 1)
    await outbox.run_once()

    [refused, delivered] = answered(fake, GENERAL_ID)
    assert (refused[0], delivered[0]) == (403, 200)
    assert "2,500 signatures" in delivered[1]["content"]
    assert "Chorus cannot post in" not in (await ada.slash("place show")).text
    assert len(answered(fake, DM_CHANNEL_ID)) == 1  # told once


async def test_missing_access_is_a_posting_problem_and_not_a_removal(
    core: Core, fake: FakeDiscord, adapter: DiscordAdapter, clock: FakeClock
) -> None:
    ada = Person(fake, ADMIN, admin=True)
    await ada.slash("setup", name="Keep 4o")
    await ada.slash("signatures set", count=900)
    fake.forbid(GENERAL_ID, 50001)
    await ada.slash("signatures set", count=1_250)

    await sender(core, adapter, clock).run_once()

    async with core.database.read() as tx:
        place = await tx.places.find("discord", str(GUILD_ID))
    assert place is not None
    assert place.active
    assert place.posting_problem == "403 50001: Missing Access"
    shown = await ada.slash("campaign show")
    assert "Chorus cannot post in" in shown.text
