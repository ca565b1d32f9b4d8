"""Per-caller quotas of commands (`Command.quota`), counted in the database.

Only accepted actions count: a unit is taken, in one statement, before the handler runs (so
two requests at once cannot both pass the limit) and given back when the handler refuses.
The time a spent quota renews is said in the caller's place's zone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.commands import Context, Quota
from bot.core.errors import QuotaExceeded
from bot.core.richtext import Moment, msg
from storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Taken:
    """One unit of a quota, taken for an action that is running."""

    key: str
    window_start: datetime


class Quotas:
    """Checks, takes and gives back units of the commands' quotas."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def check_left(self, quota: Quota | None, actor: Actor, context: Context) -> None:
        """Refuse (`QuotaExceeded`) a caller with no unit left, taking nothing: asked before a
        form opens, so that nobody types answers that could not be accepted."""
        if quota is None:
            return
        start, end = self._window(quota)
        async with self._database.read() as tx:
            used = await tx.quotas.used(_key(quota, actor), start)
        if used >= quota.limit:
            raise _exceeded(end, context)

    async def take(self, quota: Quota | None, actor: Actor, context: Context) -> Taken | None:
        """Take one unit now, or refuse (`QuotaExceeded`) when none is left."""
        if quota is None:
            return None
        start, end = self._window(quota)
        taken = Taken(_key(quota, actor), start)
        async with self._database.transaction() as tx:
            allowed = await tx.quotas.take(taken.key, taken.window_start, quota.limit)
        if not allowed:
            raise _exceeded(end, context)
        return taken

    async def give_back(self, taken: Taken | None) -> None:
        """Return a unit taken for an action that was refused."""
        if taken is None:
            return
        try:
            async with self._database.transaction() as tx:
                await tx.quotas.give_back(taken.key, taken.window_start)
        except Exception:
            # The refusal still reaches the caller; only this one unit stays spent.
            log.exception("could not give back a unit of quota %s", taken.key)

    def _window(self, quota: Quota) -> tuple[datetime, datetime]:
        """The start and end of the quota's window that holds now."""
        now = self._clock.now()
        start = now - timedelta(seconds=now.timestamp() % quota.window_seconds)
        return start, start + timedelta(seconds=quota.window_seconds)


def _key(quota: Quota, actor: Actor) -> str:
    return f"{quota.name}:{actor.key}"


def _exceeded(renews: datetime, context: Context) -> QuotaExceeded:
    return QuotaExceeded(msg("error.quota", when=Moment(renews, _zone(context))))


def _zone(context: Context) -> str:
    """The time zone the caller reads times in: the place's, else its campaign's."""
    if context.place is not None:
        return context.place.timezone
    if context.campaign is not None:
        return context.campaign.timezone
    return "UTC"
