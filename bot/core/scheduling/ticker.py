"""The schedule ticker: turns due schedules into occurrences and outbox rows, once.

The database is the source of truth; APScheduler (in memory) only says "tick now". One tick is
one transaction: select the due schedules → work out their occurrences since `next_due_at`
(bounded, coalesced by each schedule's catch-up policy) → insert them with unique keys → hand
the ones actually inserted to the kind's `Materialiser`, which writes outbox rows in the same
transaction → advance `next_due_at` → commit. Because every write is keyed, re-running a tick,
or two processes ticking at once, writes nothing twice.

One bad schedule never stops the others. The hand-over runs in a savepoint; if a handler
raises, the savepoint is undone and the schedules are handed over again one by one, each in its
own savepoint, and the ones that still fail are parked with their error (`parking`), their
organisers told once; the rest are committed. A schedule that cannot be read is parked too. A
failure of the database itself (connection lost, locked, disk full) is nobody's fault: it
rolls the whole tick back, to be retried at the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.clock import Clock
from bot.core.scheduling.parking import incident_id, park
from bot.core.scheduling.rules import CatchUp, next_occurrence, occurrences_between, parse_rule
from bot.core.scheduling.rules import zone as load_zone
from storage.database import Database
from storage.records import NewOccurrence, Occurrence, Schedule
from storage.unit import Tx, database_unavailable

log = logging.getLogger(__name__)

# Occurrence statuses written by the ticker.
MATERIALISED = "materialised"  # handed to Materialiser.materialise
MISSED = "missed"  # later than its grace window; handed to Materialiser.missed, never sent
SKIPPED = "skipped"  # an older late occurrence under 'late_once'; nobody is called

# At most this many late occurrences per schedule are recorded in one tick; older ones are
# dropped (and logged), so a long outage or a wild clock jump costs bounded work.
CATCHUP_LIMIT = 100
_JOB_ID = "chorus-schedule-tick"
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Fired:
    """A schedule and its occurrences newly recorded by this tick, oldest first."""

    schedule: Schedule
    occurrences: tuple[Occurrence, ...]


class Materialiser(Protocol):
    """What a schedule kind does when its occurrences come due. One handler per kind.

    Both methods run inside the tick's transaction and receive every schedule of their kind that
    fired in this tick, at once, so they can write all their outbox rows with one
    `tx.outbox.add_many` (give each row a dedupe key derived from the occurrence id, e.g.
    f"wave:{occurrence.id}:{recipient}"). They must not commit, open other transactions or
    talk to the network. Raising undoes the call's writes (a savepoint); the ticker then calls
    again with one schedule at a time and parks each schedule whose call still raises. A call
    can therefore be repeated, with fewer schedules, but for each occurrence exactly one call
    is ever committed.
    """

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Write what the occurrences cause (normally outbox rows)."""
        ...

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        """Occurrences found later than their grace window under the 'missed' policy: they are
        not sent; write whatever tells people so (e.g. an outbox row to the organisers)."""
        ...


@dataclass(frozen=True, slots=True)
class TickResult:
    """What one tick did, in numbers."""

    schedules: int = 0  # due schedules handled and advanced
    materialised: int = 0  # occurrences newly handed to materialise()
    missed: int = 0  # occurrences newly handed to missed()
    skipped: int = 0  # older late occurrences recorded as skipped
    ignored: int = 0  # due schedules not handled: a kind without a handler, or unreadable
    parked: int = 0  # schedules set aside by this tick: unreadable, or their handler raised
    full: bool = False  # the batch limit was reached: more schedules may be due


@dataclass(slots=True)
class Plan:
    """What `plan` decided for one schedule."""

    occurrences: list[NewOccurrence]
    next_due: datetime | None


def plan(schedule: Schedule, now: datetime) -> Plan:
    """The occurrences `schedule` owes at `now` under its catch-up policy, and its next due
    instant. ValueError if its zone, rule or policy cannot be read."""
    tz = load_zone(schedule.timezone)
    rule = parse_rule(schedule.rule)
    policy = CatchUp(schedule.catchup)
    if schedule.next_due_at is None:
        following = next_occurrence(rule, tz, now)
        return Plan([], following.due_at if following else None)
    # The stored next_due_at is itself an occurrence: start just before it to include it.
    after = schedule.next_due_at - _JUST_BEFORE
    limit = 1 if policy is CatchUp.RUN else CATCHUP_LIMIT
    span = occurrences_between(rule, tz, after, now, limit)
    next_due = span.following.due_at if span.following else None
    slots = span.slots
    if span.truncated and policy is not CatchUp.RUN:
        log.warning(
            "schedule %s (%s): only the latest %s late occurrences were recorded",
            schedule.id,
            schedule.kind,
            CATCHUP_LIMIT,
        )
    grace = timedelta(seconds=schedule.grace_seconds)
    new: list[NewOccurrence] = []
    for index, slot in enumerate(slots):
        if policy is CatchUp.MISSED:
            status = MISSED if slot.due_at + grace < now else MATERIALISED
        else:
            status = MATERIALISED if index == len(slots) - 1 else SKIPPED
        new.append(NewOccurrence(schedule.id, slot.local_key, slot.due_at, status))
    return Plan(new, next_due)


class Ticker:
    """Materialises due schedules, on a timer and on request.

    The composition root builds one per process, `register`s every schedule kind's handler,
    awaits `start()` inside the running event loop and `stop()` on the way out; whoever edits a
    schedule calls `wake()` after committing. Tests call `tick(now)` directly with a fake
    clock's instant.
    """

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        interval_seconds: float = 15.0,
        batch_size: int = 10_000,
        on_outbox_written: Callable[[], object] | None = None,
    ) -> None:
        """`on_outbox_written` is called (synchronously, on the loop) after a tick committed
        occurrences whose handlers may have written outbox rows: connect the outbox sender's
        wake() to it. `batch_size` caps the schedules one tick's transaction takes on; when it
        is reached, another tick follows at once."""
        if interval_seconds <= 0 or batch_size < 1:
            raise ValueError("interval_seconds must be positive and batch_size at least 1")
        self._database = database
        self._clock = clock
        self._interval = interval_seconds
        self._batch_size = batch_size
        self._on_outbox_written = on_outbox_written
        self._handlers: dict[str, Materialiser] = {}
        self._scheduler: AsyncIOScheduler | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._again = False
        self._stopping = False

    def register(self, kind: str, handler: Materialiser) -> None:
        """Make `handler` the one handler of schedules of `kind`."""
        if kind in self._handlers:
            raise ValueError(f"schedule kind {kind!r} already has a handler")
        self._handlers[kind] = handler

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    async def tick(self, now: datetime) -> TickResult:
        """Materialise everything due at `now`, in one transaction, parking the schedules that
        cannot be read or whose handler raises. Safe to repeat and to run concurrently in
        several processes. Raises (after rolling back) only if the database itself fails."""
        async with self._database.transaction() as tx:
            due = await tx.schedules.due(now, self._batch_size, kinds=self._handlers.keys())
            planned: dict[int, list[NewOccurrence]] = {}
            moves: dict[int, datetime | None] = {}
            by_id: dict[int, Schedule] = {}
            broken: list[tuple[Schedule, str, str]] = []  # (schedule, incident, error)
            for schedule in due:
                try:
                    step = plan(schedule, now)
                except ValueError as error:
                    # It cannot fire until someone edits it (which recomputes next_due_at).
                    broken.append((schedule, incident_id(), f"cannot be read: {error}"))
                    continue
                by_id[schedule.id] = schedule
                planned[schedule.id] = step.occurrences
                moves[schedule.id] = step.next_due
            counts, failed = await self._materialise(tx, by_id, planned, now)
            for schedule_id, (incident, reason) in failed.items():
                # Not advanced: once resumed, its catch-up policy decides what is owed.
                del moves[schedule_id]
                broken.append((by_id[schedule_id], incident, reason))
            await tx.schedules.advance(sorted(moves.items()))
            parked = 0
            for schedule, incident, reason in broken:
                parked += await park(tx, schedule, incident, reason, now)
            # Kinds nobody registered are not selected above (so they cannot crowd out the
            # batch) but stay due, and are reported at every tick until someone handles them.
            # Counted after advancing, so that only rows still due are scanned.
            unknown = await tx.schedules.count_due_by_kind(now, excluding=self._handlers.keys())
        if unknown:
            log.warning("due schedules of kinds without a handler: %s", unknown)
        result = TickResult(
            schedules=len(moves),
            materialised=counts[MATERIALISED],
            missed=counts[MISSED],
            skipped=counts[SKIPPED],
            ignored=len(broken) + sum(unknown.values()),
            parked=parked,
            full=len(due) >= self._batch_size,
        )
        if (result.materialised or result.missed or parked) and self._on_outbox_written:
            try:
                self._on_outbox_written()
            except Exception:
                # Committed already; the sender will find the rows on its own next pass.
                log.exception("on_outbox_written failed")
        return result

    async def _materialise(
        self,
        tx: Tx,
        by_id: dict[int, Schedule],
        planned: dict[int, list[NewOccurrence]],
        now: datetime,
    ) -> tuple[Counter[str], dict[int, tuple[str, str]]]:
        """Record the planned occurrences and hand them over: all at once, and if a handler
        raises, again one schedule at a time. The counts of what was committed, and the
        schedules whose hand-over failed on their own: id → (incident, error)."""
        try:
            async with tx.savepoint():
                everything = [o for occurrences in planned.values() for o in occurrences]
                inserted = await tx.schedules.add_occurrences(everything, now)
                return await self._hand_over(tx, by_id, inserted), {}
        except Exception as error:
            if database_unavailable(error):
                raise
            log.warning("a schedule handler failed; handing over one schedule at a time")
        counts: Counter[str] = Counter()
        failed: dict[int, tuple[str, str]] = {}
        for schedule_id in sorted(planned):
            if not planned[schedule_id]:
                continue
            try:
                async with tx.savepoint():
                    inserted = await tx.schedules.add_occurrences(planned[schedule_id], now)
                    one = {schedule_id: by_id[schedule_id]}
                    handed = await self._hand_over(tx, one, inserted)
            except Exception as error:
                if database_unavailable(error):
                    raise
                incident = incident_id()
                log.exception("incident %s: schedule %s failed", incident, schedule_id)
                failed[schedule_id] = (incident, f"{error.__class__.__name__}: {error}")
            else:
                counts += handed
        return counts, failed

    async def _hand_over(
        self, tx: Tx, by_id: dict[int, Schedule], inserted: list[Occurrence]
    ) -> Counter[str]:
        # A fixed order (kind registration, schedule id, due time), so that a retried tick
        # hands over the same occurrences in the same order.
        per_schedule: dict[int, list[Occurrence]] = defaultdict(list)
        for occurrence in inserted:
            per_schedule[occurrence.schedule_id].append(occurrence)
        per_kind: dict[str, list[int]] = defaultdict(list)
        for schedule_id in sorted(per_schedule):
            per_kind[by_id[schedule_id].kind].append(schedule_id)
        counts: Counter[str] = Counter(occurrence.status for occurrence in inserted)
        for kind, handler in self._handlers.items():
            on_time: list[Fired] = []
            late: list[Fired] = []
            for schedule_id in per_kind.get(kind, ()):
                found = per_schedule[schedule_id]
                schedule = by_id[schedule_id]
                if len(found) == 1:  # the usual case, kept cheap for big ticks
                    status = found[0].status
                    if status == MATERIALISED:
                        on_time.append(Fired(schedule, (found[0],)))
                    elif status == MISSED:
                        late.append(Fired(schedule, (found[0],)))
                    continue
                found.sort(key=lambda o: (o.due_at, o.id))
                sent = tuple(o for o in found if o.status == MATERIALISED)
                missed = tuple(o for o in found if o.status == MISSED)
                if sent:
                    on_time.append(Fired(schedule, sent))
                if missed:
                    late.append(Fired(schedule, missed))
            if on_time:
                await handler.materialise(tx, on_time)
            if late:
                await handler.missed(tx, late)
        return counts

    async def start(self) -> None:
        """Start ticking every `interval_seconds`, beginning now. Call inside the running loop."""
        if self._scheduler is not None:
            raise RuntimeError("the ticker is already running")
        self._stopping = False
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._on_timer,
            IntervalTrigger(seconds=self._interval, timezone=UTC),
            id=_JOB_ID,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()  # needs the running loop (asyncio.get_running_loop inside)
        self._scheduler = scheduler

    async def stop(self) -> None:
        """Stop the timer and wait for a tick in progress to finish (it is not cancelled: a
        cancelled tick would only roll back and be redone, but finishing is cheaper)."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        self._stopping = True
        # AsyncIOScheduler shuts down in a later loop callback: wait for it, so that no timer
        # fires after stop() returns.
        stopped = asyncio.Event()
        scheduler.add_listener(lambda _event: stopped.set(), EVENT_SCHEDULER_SHUTDOWN)
        scheduler.shutdown(wait=False)
        await stopped.wait()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None

    async def quiet(self) -> None:
        """Wait until the tick in progress, and the ticks it queued (`wake()` during it, a full
        batch), are done; return at once when none is running. Nothing is cancelled."""
        while self._loop_task is not None and not self._loop_task.done():
            await asyncio.shield(self._loop_task)

    def wake(self) -> None:
        """Tick as soon as possible (e.g. after a schedule was created or edited). Call from the
        event loop's thread. A tick already running is followed by one more. Does nothing when
        the ticker is not running."""
        if self._scheduler is None or self._stopping:
            return
        if self._loop_task is not None and not self._loop_task.done():
            self._again = True
            return
        self._loop_task = asyncio.get_running_loop().create_task(
            self._tick_until_quiet(), name="chorus-schedule-tick"
        )

    async def _on_timer(self) -> None:
        # The APScheduler job only starts our own task and returns, so that shutting the
        # scheduler down (which cancels its pending jobs) never cancels a tick half-way.
        self.wake()

    async def _tick_until_quiet(self) -> None:
        while True:
            self._again = False
            try:
                result = await self.tick(self._clock.now())
            except Exception:
                # Rolled back; the next timer tick tries again. Keep the timer alive.
                log.exception("schedule tick failed")
                return
            if result.materialised or result.missed or result.skipped:
                log.info("%s", result)
            if self._stopping or not (self._again or result.full):
                return
