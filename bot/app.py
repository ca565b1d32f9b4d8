"""The composition root: builds every component once, starts them in order, stops in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot import exit_codes
from bot.adapters.base import Adapter
from bot.core.clock import Clock, SystemClock
from bot.core.dispatcher import Dispatcher
from bot.core.doorbell import Doorbell
from bot.core.errors import ConfigError, PlatformUnreachable
from bot.core.i18n import Catalogues
from bot.core.outbox import OutboxSender, make_owner
from bot.core.outbox.compose import Composers
from bot.core.places import PlaceChanges, PlaceEvents
from bot.core.redaction import Redactor
from bot.core.registry import Registry
from bot.core.scheduling import Ticker
from bot.heap import startup_frozen
from bot.platforms import PlatformPlan, Terminal, plan_platforms
from bot.settings import Settings, install_secret
from cogs.campaigns import Campaigns, CampaignService
from cogs.campaigns.outbox import CampaignOutbox
from cogs.campaigns.outbox_service import CampaignOutboxService
from cogs.digest import DigestParts, build_digest
from cogs.help import Help
from cogs.petitions import PetitionConfig, PetitionRuntime, build_petitions
from cogs.petitions.chart import ChartPainter
from cogs.privacy import CampaignData, Privacy
from cogs.testimonies import Limits, build_testimonies
from cogs.waves import WaveParts, build_waves
from storage.database import Database

__all__ = ["Core", "Terminal", "build_core", "serve"]

log = logging.getLogger(__name__)

EXIT_OK = exit_codes.OK
EXIT_CONFIG = exit_codes.SETTINGS
EXIT_PLATFORM = exit_codes.PLATFORM


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
    place_events: PlaceEvents
    ticker: Ticker
    petitions: PetitionRuntime
    waves: WaveParts
    composers: Composers
    digest: DigestParts
    painter: ChartPainter  # draws every chart, one at a time


def build_core(settings: Settings, database: Database, clock: Clock) -> Core:
    """Every cog, the registry, the dispatcher and the ticker, wired together."""
    catalogues = Catalogues.load()
    doorbell = Doorbell()
    registry = Registry()
    place_changes = PlaceChanges()
    campaigns = CampaignService(database, clock, settings.invite_days, place_changes)
    registry.add(Campaigns(campaigns, catalogues.locales, settings.default_timezone))
    registry.add(CampaignOutbox(CampaignOutboxService(database, clock)))
    secret = install_secret(settings)
    limits = Limits(settings.testimony_daily_limit, settings.testimony_pending_limit)
    # Rows whose message is composed when it is sent (review alerts, the daily digest).
    composers = Composers()
    registry.add(build_testimonies(database, clock, catalogues, secret, limits, composers))
    registry.add(Privacy(registry, database, clock, secret, keepers=(CampaignData(),)))
    registry.add(Help(registry))
    dispatcher = Dispatcher(
        registry=registry,
        database=database,
        clock=clock,
        owners=settings.owners,
        doorbell=doorbell,
        default_locale=settings.default_locale,
    )
    ticker = Ticker(database, clock, on_outbox_written=doorbell.ring)
    # matplotlib draws one figure at a time: every chart of the process goes through this.
    painter = ChartPainter()
    waves = build_waves(
        database,
        clock,
        ticker,
        networks=settings.wave_networks,
        mastodon_instance=settings.wave_mastodon_instance,
        grace_minutes=settings.wave_grace_minutes,
        result_after_minutes=settings.wave_result_after_minutes,
    )
    registry.add(waves.cog)
    petitions = build_petitions(
        PetitionConfig(
            allow_private_sources=settings.allow_private_sources,
            poll_interval_seconds=settings.poll_interval_seconds,
            max_drop=settings.petition_max_drop,
            max_jump=settings.petition_max_jump,
            live_counter_interval_seconds=settings.live_counter_interval_seconds,
            undo_hours=settings.petition_undo_hours,
        ),
        database,
        clock,
        catalogues,
        ticker,
        doorbell,
        painter,
    )
    registry.add(petitions.cog)
    digest = build_digest(database, clock, catalogues, ticker, composers, painter)
    place_changes.listen(digest.service)
    registry.add(digest.cog)
    return Core(
        settings,
        database,
        clock,
        catalogues,
        registry,
        dispatcher,
        doorbell,
        PlaceEvents(database, clock, doorbell),
        ticker,
        petitions,
        waves,
        composers,
        digest,
        painter,
    )


@contextlib.asynccontextmanager
async def running(core: Core, plans: list[PlatformPlan]) -> AsyncIterator[list[Adapter]]:
    """Start each platform and its outbox sender, then the ticker; stop all in reverse.

    A platform that fails to start (a refused token, or servers out of reach) stops
    everything when CHORUS_FAIL_FAST is on (the default); otherwise it is logged and the others
    run without it.
    """
    async with contextlib.AsyncExitStack() as stack:
        started: list[Adapter] = []
        for plan in plans:
            try:
                adapter = plan.build()
                await _start(plan.name, adapter)
            except ConfigError as error:
                if core.settings.fail_fast or len(plans) == 1:
                    raise
                log.error("%s is not running: %s", plan.name, error)
                continue
            stack.push_async_callback(adapter.stop)
            sender = OutboxSender(
                core.database,
                adapter.courier,
                core.clock,
                make_owner(adapter.platform),
                redact=Redactor(core.settings.secret_values()),
                # A private chat that refuses for good: DM opt-ins stop, waves fall back.
                on_recipient_gone=core.waves.service.recipient_gone,
                composers=core.composers,
            )
            core.doorbell.listen(sender.wake)
            core.petitions.attach(adapter.courier)
            await sender.start()
            # The sender stops before its adapter: in-flight sends still need the client.
            stack.push_async_callback(sender.stop)
            started.append(adapter)
        if not started:
            raise ConfigError("no platform could start")
        await core.ticker.start()
        stack.push_async_callback(core.ticker.stop)
        await core.petitions.start()
        stack.push_async_callback(core.petitions.stop)
        yield started


async def _start(name: str, adapter: Adapter) -> None:
    """Start one platform; a network failure is `PlatformUnreachable`, in one line."""
    try:
        await adapter.start()
    except (OSError, TimeoutError) as error:
        log.debug("%s could not start", name, exc_info=error)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PlatformUnreachable(
            f"{name.capitalize()} could not be reached ({reason}): check this machine's"
            " network, DNS and proxy, or the platform's status page"
        ) from error


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
            plans = plan_platforms(
                settings,
                core,
                force_console=force_console,
                terminal=terminal,
                on_end_of_input=stop.set,
            )
            async with running(core, plans) as adapters:
                with startup_frozen():
                    names = ", ".join(adapter.platform.value for adapter in adapters)
                    log.info("Chorus ready: %s", names)
                    await stop.wait()
    except PlatformUnreachable as error:
        log.error("%s", error)
        return EXIT_PLATFORM
    except ConfigError as error:
        log.error("%s", error)
        return EXIT_CONFIG
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    log.info("Chorus stopped")
    return EXIT_OK
