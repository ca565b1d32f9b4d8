"""Chorus's Discord adapter on a fake Discord (REST + gateway on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.app import Core
from bot.core.places import PlaceEvents
from tests.adapters.discord.fakediscord import ADMIN, MEMBER, FakeDiscord, serving
from tests.adapters.discord.people import Person

TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAxMA.fake.not-a-real-token-at-all"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake Discord, with discord.py's REST and gateway URLs pointing at it."""
    async with serving(monkeypatch) as fake:
        yield fake


def new_adapter(core: Core, *, defer_after: float = 1.5) -> DiscordAdapter:
    return DiscordAdapter(
        token=TOKEN,
        dispatcher=core.dispatcher,
        catalogues=core.catalogues,
        place_events=PlaceEvents(core.database, core.clock, core.doorbell),
        guild_ready_timeout=0.01,
        defer_after=defer_after,
    )


@pytest.fixture
async def adapter(core: Core, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    """Chorus connected to the fake Discord and ready."""
    adapter = new_adapter(core)
    await adapter.start()
    yield adapter
    await adapter.stop()


@pytest.fixture
def ada(fake: FakeDiscord, adapter: DiscordAdapter) -> Person:
    """The server's administrator (Manage Server)."""
    return Person(fake, ADMIN, admin=True)


@pytest.fixture
def max_(fake: FakeDiscord, adapter: DiscordAdapter) -> Person:
    """A plain member of the server."""
    return Person(fake, MEMBER)
