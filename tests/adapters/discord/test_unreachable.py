"""Discord out of reach at start: one line naming what to check, and its own exit code."""

from __future__ import annotations

import io
import logging

import discord
import pytest
from pydantic import SecretStr

from bot import exit_codes
from bot.app import Terminal, serve
from bot.settings import Settings
from tests.adapters.discord.conftest import TOKEN


async def test_discord_out_of_reach_stops_the_start_in_one_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1 of this machine: the connection is refused at once.
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:1/api/v10")
    with_discord = settings.model_copy(update={"discord_token": SecretStr(TOKEN)})
    terminal = Terminal(io.StringIO(), io.StringIO(), False)

    code = await serve(with_discord, force_console=False, terminal=terminal)

    assert code == exit_codes.PLATFORM
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is None
    assert errors[0].getMessage().startswith("Discord could not be reached")
    assert "network" in errors[0].getMessage()
