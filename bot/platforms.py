"""Which platforms run, and how each adapter is built (part of the composition root).

The platform libraries are imported only when their token is set, so a console-only start
stays fast and an operator who never uses Discord never loads discord.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from bot.adapters.base import Adapter
from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.console.lines import LineReader
from bot.core.errors import ConfigError
from bot.settings import Settings, token_problem

if TYPE_CHECKING:
    from bot.app import Core


@dataclass(frozen=True)
class Terminal:
    """The console's streams; `interactive` shows a prompt."""

    stdin: TextIO
    stdout: TextIO
    interactive: bool


@dataclass(frozen=True)
class PlatformPlan:
    """One platform to start: its name and how to build its adapter."""

    name: str
    build: Callable[[], Adapter]


def plan_platforms(
    settings: Settings,
    core: Core,
    *,
    force_console: bool,
    terminal: Terminal,
    on_end_of_input: Callable[[], None],
) -> list[PlatformPlan]:
    """The platforms to run: every one with a token, or the console when none has one.

    A malformed token is refused here, with the reason, before anything connects.
    """
    tokens = {} if force_console else settings.platform_tokens()
    plans: list[PlatformPlan] = []
    if "discord" in tokens:
        plans.append(PlatformPlan("discord", lambda: _discord(settings, core)))
    if "telegram" in tokens:
        plans.append(PlatformPlan("telegram", lambda: _telegram(settings, core)))
    if not tokens:
        plans.append(
            PlatformPlan(
                "console",
                lambda: ConsoleAdapter(
                    dispatcher=core.dispatcher,
                    catalogues=core.catalogues,
                    lines=LineReader(terminal.stdin),
                    stdout=terminal.stdout,
                    attachments_dir=settings.data_dir / "files",
                    on_end_of_input=on_end_of_input,
                    interactive=terminal.interactive,
                ),
            )
        )
    return plans


def _checked_token(settings: Settings, platform: str) -> str:
    token = settings.platform_tokens()[platform]
    if problem := token_problem(platform, token):
        raise ConfigError(f"{platform.capitalize()} token refused: {problem}")
    return token


def _discord(settings: Settings, core: Core) -> Adapter:
    token = _checked_token(settings, "discord")
    from bot.adapters.discord.adapter import DiscordAdapter

    return DiscordAdapter(
        token=token,
        dispatcher=core.dispatcher,
        catalogues=core.catalogues,
        place_events=core.place_events,
    )


def _telegram(settings: Settings, core: Core) -> Adapter:
    token = _checked_token(settings, "telegram")
    # PTB 22 reports retry_after as a timedelta only when asked; the int form is deprecated.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    from bot.adapters.telegram.adapter import TelegramAdapter

    return TelegramAdapter(
        token=token,
        api_url=settings.telegram_api_url,
        dispatcher=core.dispatcher,
        catalogues=core.catalogues,
        place_events=core.place_events,
        database=core.database,
        clock=core.clock,
        # Opening a held answer's link re-enables DM opt-ins that failed messages turned off.
        on_recipient_back=core.waves.service.recipient_back,
    )
