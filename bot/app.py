"""The composition root: builds every component once, starts them in order, stops in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.adapters.base import Adapter
from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.console.lines import LineReader
from bot.core.clock import Clock, SystemClock
from bot.core.dispatcher import Dispatcher
from bot.core.doorbell import Doorbell
from bot.core.i18n import Catalogues
from bot.core.registry import Registry
from bot.settings import Settings
from cogs.campaigns import Campaigns, CampaignService
from cogs.help import Help
from storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Core:
    """What every platform shares: storage, time, languages, commands, and the doorbell."""

    settings: Settings
    database: Database
    clock: Clock
    catalogues: Catalogues
    registry: Registry
    dispatcher: Dispatcher
    doorbell: Doorbell


def build_core(settings: Settings, database: Database, clock: Clock) -> Core:
    """Every cog, the registry and the dispatcher, wired together."""
    catalogues = Catalogues.load()
    doorbell = Doorbell()
    registry = Registry()
    campaigns = CampaignService(database, clock, settings.invite_days)
    registry.add(Campaigns(campaigns, catalogues.locales, settings.default_timezone))
    registry.add(Help(registry))
    dispatcher = Dispatcher(
        registry=registry,
        database=database,
        clock=clock,
        owners=settings.owners,
        doorbell=doorbell,
        default_locale=settings.default_locale,
    )
    return Core(settings, database, clock, catalogues, registry, dispatcher, doorbell)


@dataclass(frozen=True)
class Terminal:
    """The console's streams; `interactive` shows a prompt."""

    stdin: TextIO
    stdout: TextIO
    interactive: bool


@contextlib.asynccontextmanager
async def running(core: Core, adapters: list[Adapter]) -> AsyncIterator[None]:
    """Start the adapters after the core, and stop everything in reverse order."""
    async with contextlib.AsyncExitStack() as stack:
        for adapter in adapters:
            await adapter.start()
            stack.push_async_callback(adapter.stop)
        yield


async def serve(
    settings: Settings, *, force_console: bool, terminal: Terminal | None = None
) -> int:
    """Run Chorus until SIGINT, SIGTERM or (on the console) the end of input; the exit code."""
    terminal = terminal or Terminal(sys.stdin, sys.stdout, sys.stdin.isatty())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with Database.connect(settings.database_url) as database:
            core = build_core(settings, database, SystemClock())
            adapters: list[Adapter] = [
                ConsoleAdapter(
                    dispatcher=core.dispatcher,
                    catalogues=core.catalogues,
                    lines=LineReader(terminal.stdin),
                    stdout=terminal.stdout,
                    attachments_dir=settings.data_dir / "files",
                    on_end_of_input=stop.set,
                    interactive=terminal.interactive,
                )
            ]
            async with running(core, adapters):
                log.info("Chorus ready: %s", ", ".join(a.platform.value for a in adapters))
                await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    log.info("Chorus stopped")
    return 0


def attachments_dir(settings: Settings) -> Path:
    return settings.data_dir / "files"
