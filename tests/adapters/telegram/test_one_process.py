"""One process, one database, three platforms: a campaign set up on Telegram is joined from
Discord and the console, and a change made on any of them is seen on the others."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.actors import Platform
from tests.adapters.discord.conftest import new_adapter
from tests.adapters.discord.fakediscord import ADMIN, FakeDiscord, serving
from tests.adapters.discord.people import Person as DiscordPerson
from tests.adapters.telegram.conftest import Telegram
from tests.dialogue import Member, group, invite_code, person


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with serving(monkeypatch) as fake:
        yield fake


OPERATOR = person(Platform.CONSOLE, "operator", admin=True)
CONSOLE = group(Platform.CONSOLE, "console")


async def test_one_campaign_across_telegram_discord_and_the_console(
    telegram: Telegram, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    core = telegram.core
    discord_adapter = new_adapter(core)
    await discord_adapter.start()
    try:
        tg_group = await telegram.group()
        alice = telegram.person(101, "Alice")
        await telegram.make_admin(tg_group, alice)
        ada = DiscordPerson(fake_discord, ADMIN, admin=True)
        operator = Member(core, OPERATOR, CONSOLE, tmp_path / "files")

        # Telegram: the campaign starts in a group, and its organiser makes invite codes.
        await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris', tg_group)
        [created] = await telegram.replies(tg_group)
        assert "starts here" in created.text
        await alice.says("/start")
        await telegram.replies(alice.private)
        await alice.says("/campaign invite", tg_group)
        [invite] = await telegram.replies(alice.private)
        await alice.says("/campaign invite", tg_group)
        [second_invite] = await telegram.replies(alice.private)

        # Discord and the console join with the codes.
        joined = await ada.slash("setup", join=invite_code(invite.text))
        assert "has joined the campaign **Keep 4o**" in joined.text
        joined_here = await operator.says(f"/setup join:{invite_code(second_invite.text)}")
        assert "This place has joined the campaign Keep 4o." in joined_here

        # A campaign-wide change on Telegram is seen on Discord and on the console…
        await alice.says('/campaign set name:"Keep 4o forever"', tg_group)
        await telegram.replies(tg_group)
        shown = await ada.slash("campaign show")
        assert "Keep 4o forever" in shown.text
        assert "1 on Discord, 1 on Telegram, 1 on the console" in shown.text
        assert "Campaign Keep 4o forever" in await operator.says("/campaign")

        # …and one made on the console is seen on Telegram.
        await operator.says("/campaign set hashtag:keep4o")
        await alice.says("/campaign", tg_group)
        [seen] = await telegram.replies(tg_group)
        assert "#keep4o" in seen.text
    finally:
        await discord_adapter.stop()
