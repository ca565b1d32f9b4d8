"""The petitions cog and its background work, built once by the composition root.

Besides its commands, the cog runs two background tasks per process: the `Poller` (reads
due count sources) and the `LiveUpdater` (edits live counter messages). `build_petitions`
registers the poll schedule kind with the ticker and wires both to the doorbell.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.delivery import Courier
from bot.core.doorbell import Doorbell
from bot.core.i18n import Catalogues
from bot.core.scheduling import Ticker
from cogs.petitions.chart import ChartPainter
from cogs.petitions.corrections import Corrections
from cogs.petitions.feature import Petitions
from cogs.petitions.livecounter import LiveCounters, LiveUpdater
from cogs.petitions.manual import ManualCounts
from cogs.petitions.poller import POLL_KIND, PollDue, Poller
from cogs.petitions.readings import Limits
from cogs.petitions.service import PetitionService
from cogs.petitions.sources import Fetcher
from storage.database import Database


@dataclass(frozen=True)
class PetitionRuntime:
    """The cog, its service, and the tasks that run beside the platforms."""

    cog: Petitions
    service: PetitionService
    poller: Poller
    updater: LiveUpdater

    def attach(self, courier: Courier) -> None:
        """A platform started: keep its live counters up to date (if it can edit)."""
        self.updater.attach(courier)

    async def start(self) -> None:
        await self.poller.start()
        await self.updater.start()

    async def stop(self) -> None:
        await self.updater.stop()
        await self.poller.stop()


@dataclass(frozen=True)
class PetitionConfig:
    """The operator's settings the feature reads (from `CHORUS_…`, see `.env.example`)."""

    allow_private_sources: bool = False
    poll_interval_seconds: int = 300
    max_drop: float = 0.2
    max_jump: float = 5.0
    live_counter_interval_seconds: int = 60
    undo_hours: int = 24


def build_petitions(
    config: PetitionConfig,
    database: Database,
    clock: Clock,
    catalogues: Catalogues,
    ticker: Ticker,
    doorbell: Doorbell,
    painter: ChartPainter,
) -> PetitionRuntime:
    """Everything the petitions feature needs, wired; register `runtime.cog` yourself.
    `painter` draws the charts, shared with every other feature that draws."""
    fetcher = Fetcher(allow_private=config.allow_private_sources)
    limits = Limits(config.max_drop, config.max_jump)
    owner = f"poll:{socket.gethostname()[:24]}:{os.getpid()}:{secrets.token_hex(4)}"
    poller = Poller(
        database,
        clock,
        fetcher,
        owner,
        limits=limits,
        on_outbox_written=doorbell.ring,
    )
    updater = LiveUpdater(database, clock, interval=config.live_counter_interval_seconds)
    ticker.register(POLL_KIND, PollDue())
    doorbell.listen(poller.wake)
    doorbell.listen(updater.wake)
    service = PetitionService(
        database,
        clock,
        fetcher,
        poll_interval=config.poll_interval_seconds,
        limits=limits,
        on_schedules_changed=ticker.wake,
    )
    corrections = Corrections(database, clock, timedelta(hours=config.undo_hours))
    cog = Petitions(
        service,
        ManualCounts(service, corrections),
        LiveCounters(database, clock),
        catalogues,
        painter,
    )
    return PetitionRuntime(cog, service, poller, updater)
