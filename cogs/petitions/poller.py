"""Polling count sources: the ticker says when, the poller fetches, never inside a transaction.

1. Each web source has an interval schedule (kind `petition.poll`, catch-up `run`). When it
   comes due, the ticker's transaction calls `PollDue.materialise`, which only writes the
   window's key on the source (`due_window`). No network there: the tick holds the write
   lock, and a slow petition site must never stall every other write.
2. `Poller` (one per process) finds sources with an unread window, leases one in a short
   transaction (a second process skips it), fetches with no transaction open, then settles
   the result in another short transaction: the snapshot, milestones and announcements
   (`readings.accept_reading`), or the failure with its back-off.
3. Failures back off exponentially with jitter (`retry_at`). A transient failure (timeout,
   5xx, 429) retries the same window; a refused reading (not a number, an implausible
   jump or drop, a changed page) waits for the next window. Organisers are alerted once
   per unhealthy streak: at once for a refused reading, after three transient failures.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.outbox import Backoff
from bot.core.outbox.backoff import Jitter
from bot.core.periodic import Periodic
from bot.core.richtext import Msg, msg
from bot.core.scheduling import Fired
from cogs.petitions.announce import error_to_text
from cogs.petitions.readings import Limits, accept_reading, alert_organisers, implausible
from cogs.petitions.sources import Fetched, Fetcher, SourceError, SourceSpec
from storage.database import Database
from storage.repositories.petitions import Source
from storage.unit import Tx

log = logging.getLogger(__name__)


POLL_KIND = "petition.poll"
TRANSIENT_ALERT_AFTER = 3


class PollDue:
    """The `petition.poll` schedule kind: marks each fired source's window as due."""

    def __init__(self, wake: Callable[[], None] | None = None) -> None:
        self._wake = wake

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Inside the tick's transaction: record the window to read, nothing else."""
        windows = []
        for item in fired:
            source_id = item.schedule.payload.get("source_id")
            if isinstance(source_id, int) and item.occurrences:
                windows.append((source_id, item.occurrences[-1].local_key))
        await tx.petitions.mark_due(windows)

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Polls use the 'run' catch-up policy: nothing is ever missed, only coalesced."""


@dataclass(frozen=True, slots=True)
class PollSettings:
    """Lease per poll, how many polls at once, and the back-off after failures."""

    lease_seconds: float = 90.0
    batch: int = 20
    check_every: float = 15.0
    backoff: Backoff = field(default_factory=lambda: Backoff(base=30.0, cap=3600.0))


class Poller:
    """Reads due sources. `start()`/`stop()` it in the app; tests call `run_once()`."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        fetcher: Fetcher,
        owner: str,
        *,
        limits: Limits,
        settings: PollSettings | None = None,
        jitter: Jitter = random.random,
        on_outbox_written: Callable[[], None] | None = None,
    ) -> None:
        self._db = database
        self._clock = clock
        self._fetcher = fetcher
        self._owner = owner[:64]
        self._limits = limits
        self._settings = settings or PollSettings()
        self._jitter = jitter
        self._on_outbox_written = on_outbox_written
        self._periodic = Periodic("petition-poller", self.run_once, self._settings.check_every)

    # --- running ---------------------------------------------------------------------------

    def wake(self) -> None:
        """A window may have come due: look now rather than at the next check."""
        self._periodic.wake()

    async def start(self) -> None:
        await self._periodic.start()

    async def stop(self) -> None:
        """Finish the pass in progress (a few seconds at most), then stop."""
        await self._periodic.stop()

    async def run_once(self) -> int:
        """Read every source due now (a few at a time); returns how many were read."""
        async with self._db.read() as tx:
            due = await tx.petitions.due_polls(self._clock.now(), self._settings.batch)
        results = await asyncio.gather(*(self._poll(source) for source in due))
        return sum(results)

    # --- one poll ---------------------------------------------------------------------------

    async def _poll(self, source: Source) -> int:
        window = source.due_window
        if window is None:
            return 0
        now = self._clock.now()
        until = now + timedelta(seconds=self._settings.lease_seconds)
        async with self._db.transaction() as tx:
            if not await tx.petitions.lease_poll(source.id, window, self._owner, now, until):
                return 0  # another poller has it
        spec = SourceSpec(source.kind, source.url, source.pointer, source.pattern)
        try:
            fetched = await self._fetcher.read(spec, source.etag, source.last_modified)
        except SourceError as error:
            await self._failed(source, window, error.message, transient=error.transient)
            return 1
        except Exception:
            log.exception("petition source %s: unexpected error", source.id)
            await self._failed(source, window, msg("petitions.error.unexpected"), transient=True)
            return 1
        await self._settle(source, window, fetched)
        return 1

    async def _settle(self, source: Source, window: str, fetched: Fetched) -> None:
        if fetched.count is None:
            async with self._db.transaction() as tx:
                await tx.petitions.record_unchanged(source.id, window)
            return
        problem = implausible(source.last_count, fetched.count, self._limits)
        if problem is not None:
            await self._failed(source, window, problem, transient=False)
            return
        async with self._db.transaction() as tx:
            fresh = await tx.petitions.source(source.id)
            if fresh is None:
                return  # removed while we were fetching
            accepted = await accept_reading(
                tx,
                fresh,
                fetched.count,
                window=window,
                now=self._clock.now(),
                polled=True,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
            )
        if accepted.announced is not None:
            log.info(
                "petition campaign %s passed %s (total %s)",
                source.campaign_id,
                accepted.announced,
                accepted.total,
            )
            self._ring()

    async def _failed(self, source: Source, window: str, error: Msg, *, transient: bool) -> None:
        now = self._clock.now()
        failures = source.failures + 1
        retry_at = now + timedelta(seconds=self._settings.backoff.delay(failures, self._jitter))
        alert = not source.alerted and (not transient or failures >= TRANSIENT_ALERT_AFTER)
        async with self._db.transaction() as tx:
            if await tx.petitions.source(source.id) is None:
                return
            await tx.petitions.record_failure(
                source.id,
                error=error_to_text(error),
                at=now,
                retry_at=retry_at,
                alerted=source.alerted or alert,
                window=None if transient else window,
            )
            if alert:
                await alert_organisers(tx, source, error, now)
        log.warning("petition source %s: %s (failure %d)", source.id, error.key, failures)
        if alert:
            self._ring()

    def _ring(self) -> None:
        if self._on_outbox_written is not None:
            self._on_outbox_written()
