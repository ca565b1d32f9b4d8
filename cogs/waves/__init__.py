"""Posting waves: many members post about the campaign on other networks at the same moment.

Chorus coordinates people and never posts for anyone: it schedules the wave, counts pledges,
reminds members (in each place, and privately to those who ask) in their own time zone, and
hands them varied texts and share links that open the networks' own composers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.errors import ConfigError
from bot.core.scheduling import Ticker
from cogs.waves.drafts import DraftRules
from cogs.waves.feature import Waves
from cogs.waves.messages import Sharing
from cogs.waves.planning import PLEDGE, REMINDER, RESULT, START, Planner
from cogs.waves.pledges import WavePledges
from cogs.waves.reminders import WaveReminders, WaveStarts
from cogs.waves.results import WaveResults
from cogs.waves.service import WaveService
from cogs.waves.sharelinks import NETWORKS, is_hostname
from storage.database import Database

__all__ = ["WaveParts", "WaveService", "Waves", "build_waves"]


@dataclass(frozen=True, slots=True)
class WaveParts:
    """The cog (for the registry) and its service (whose `recipient_gone` the outbox
    senders call when a private message cannot be delivered)."""

    cog: Waves
    service: WaveService


def build_waves(
    database: Database,
    clock: Clock,
    ticker: Ticker,
    *,
    networks: str,
    mastodon_instance: str,
    grace_minutes: int,
    result_after_minutes: int,
) -> WaveParts:
    """Build the waves feature and register its schedule kinds with `ticker`.

    `networks` is the operator's comma-separated list of networks waves may target; a name
    Chorus does not know, or a Mastodon server that is not a host name, stops the start."""
    allowed = tuple(name.strip().lower() for name in networks.split(",") if name.strip())
    unknown = [name for name in allowed if name not in NETWORKS]
    if unknown or not allowed:
        raise ConfigError(
            f"CHORUS_WAVE_NETWORKS: use some of {', '.join(NETWORKS)}, not {networks!r}"
        )
    if not is_hostname(mastodon_instance):
        raise ConfigError(
            f"CHORUS_WAVE_MASTODON_INSTANCE: a host name such as mastodon.social, "
            f"not {mastodon_instance!r}"
        )
    sharing = Sharing(mastodon_instance)
    planner = Planner(timedelta(minutes=result_after_minutes))
    service = WaveService(database, clock, planner, sharing, ticker.wake)
    # The ticker hands kinds over in this order: a pledge deadline that falls with a reminder
    # is decided first, so a called-off wave writes no reminder in that tick.
    ticker.register(START, WaveStarts(planner))
    ticker.register(PLEDGE, WavePledges())
    ticker.register(REMINDER, WaveReminders(sharing))
    ticker.register(RESULT, WaveResults())
    return WaveParts(Waves(service, DraftRules(allowed, grace_minutes)), service)
