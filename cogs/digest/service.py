"""A place's digest settings and its one daily schedule.

Each place with the digest on has one `digest` schedule: a daily rule at the place's time in
the place's zone, catch-up `late_once` (a digest missed while Chorus was down is sent once,
late, the same local day). Its outbox rows are keyed by the **local date**,
`digest:<place>:<YYYY-MM-DD>`, so whatever happens to the schedule (a new time, a new zone,
off and on again, two processes) a place gets at most one digest per local date.

When the time or zone changes, the next occurrence is placed by hand:
- today's digest already went: the new time applies from tomorrow;
- it has not, and the new time is still ahead today: today, at the new time;
- it has not, and the new time has passed today: now, late (never skipped silently).
Turning the digest on is not a change: a time already past today starts tomorrow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.core.clock import Clock
from bot.core.errors import refuse
from bot.core.scheduling import Ticker, create_schedule, next_occurrence, parse_rule, reschedule
from bot.core.scheduling.rules import local_to_utc, zone
from cogs.digest.compose import default_settings
from storage.database import Database
from storage.records import Place
from storage.repositories.digest import DigestSettings
from storage.unit import Tx

KIND = "digest"
QUIET_POLICIES = ("skip", "short")
_24H = re.compile(r"^(\d{1,2}):(\d{2})$")
_12H = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?$")


def parse_time(raw: str) -> str:
    """`HH:MM` (24-hour) from `18:30`, `7:05`, `7pm`, `7:30 am`; anything ambiguous (`7`)
    or impossible (`25:00`, `13pm`) is refused, naming what was typed."""
    text = raw.strip().lower()
    hour = minute = -1
    if match := _24H.match(text):
        hour, minute = int(match.group(1)), int(match.group(2))
    elif match := _12H.match(text):
        twelve, minute = int(match.group(1)), int(match.group(2) or "0")
        if 1 <= twelve <= 12:
            hour = twelve % 12 + (12 if match.group(3) == "p" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise refuse("digest.bad_time", time=raw.strip()[:20])
    return f"{hour:02d}:{minute:02d}"


@dataclass(frozen=True, slots=True)
class Status:
    """A place's digest settings and, when it is on, when the next one goes.

    `next_at` is always ahead of now: a digest whose time has passed is never shown as the
    next one. `late_now` says that today's, past its time and not sent yet, goes out now."""

    settings: DigestSettings
    next_at: datetime | None
    late_now: bool = False


class DigestService:
    """Changes a place's digest settings and keeps its schedule in step, in one transaction."""

    def __init__(self, database: Database, clock: Clock, ticker: Ticker) -> None:
        self._db = database
        self._clock = clock
        self._ticker = ticker

    async def status(self, place: Place) -> Status:
        async with self._db.read() as tx:
            settings = await tx.digest.settings(place.id)
            if settings is None:
                return Status(default_settings(place.id), None)
            return await self._status(tx, place, settings, self._clock.now())

    async def turn(self, place: Place, on: bool) -> Status:
        """Turn the digest on (scheduling it) or off (stopping its schedule)."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            settings = await tx.digest.save_settings(place.id, now, enabled=on)
            if on:
                settings = await self._schedule(tx, place, settings, now, catch_up=False)
            elif settings.schedule_id is not None:
                await tx.schedules.deactivate(settings.schedule_id, now)
                settings = await tx.digest.save_settings(place.id, now, schedule_id=None)
            status = await self._status(tx, place, settings, now)
        self._ticker.wake()
        return status

    async def set_time(self, place: Place, hhmm: str) -> Status:
        """Send the digest at `hhmm` in the place's zone (see the module's rules)."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            settings = await tx.digest.save_settings(place.id, now, time=hhmm)
            if settings.enabled:
                settings = await self._schedule(tx, place, settings, now, catch_up=True)
            status = await self._status(tx, place, settings, now)
        self._ticker.wake()
        return status

    async def change(self, place: Place, **changes: str | bool) -> DigestSettings:
        """Change the channel, chart or quiet-day policy (read when a digest is composed)."""
        async with self._db.transaction() as tx:
            return await tx.digest.save_settings(place.id, self._clock.now(), **changes)

    async def place_changed(self, tx: Tx, before: Place, after: Place) -> None:
        """A new time zone moves the schedule, by the same rules as a new time."""
        if before.timezone == after.timezone:
            return
        settings = await tx.digest.settings(after.id)
        if settings is not None and settings.enabled:
            await self._schedule(tx, after, settings, self._clock.now(), catch_up=True)
            self._ticker.wake()

    async def _status(
        self, tx: Tx, place: Place, settings: DigestSettings, now: datetime
    ) -> Status:
        if not settings.enabled or settings.schedule_id is None:
            return Status(settings, None)
        schedule = await tx.schedules.get(settings.schedule_id)
        due = schedule.next_due_at if schedule is not None and schedule.active else None
        if due is None:
            return Status(settings, None)
        if due > now:
            return Status(settings, due)
        # Due already: the ticker sends it at its next turn if its local day is today (a
        # day that ended is not sent), and the next one to wait for is on a later day.
        tz = zone(place.timezone)
        today = now.astimezone(tz).date()
        sent = await tx.digest.materialised(place.id, today.isoformat())
        late_now = not sent and due.astimezone(tz).date() == today
        todays = _first_on_or_after(today, settings.time, place.timezone)
        if todays > now and not sent and not late_now:
            return Status(settings, todays)
        return Status(
            settings,
            _first_on_or_after(today + timedelta(days=1), settings.time, place.timezone),
            late_now,
        )

    async def _schedule(
        self, tx: Tx, place: Place, settings: DigestSettings, now: datetime, *, catch_up: bool
    ) -> DigestSettings:
        """Create or move the place's schedule to its time and zone; place its next due."""
        rule = {"type": "daily", "time": settings.time}
        schedule = None
        if settings.schedule_id is not None:
            schedule = await tx.schedules.get(settings.schedule_id)
        if schedule is None or not schedule.active:
            schedule = await create_schedule(
                tx,
                kind=KIND,
                timezone=place.timezone,
                rule=rule,
                catchup="late_once",
                payload={"place_id": place.id},
                now=now,
                campaign_id=place.campaign_id,
                place_id=place.id,
            )
            settings = await tx.digest.save_settings(place.id, now, schedule_id=schedule.id)
        else:
            await reschedule(tx, schedule.id, now=now, rule=rule, timezone=place.timezone)
        due = await self._first_due(tx, place, settings.time, now, catch_up=catch_up)
        await tx.schedules.update(schedule.id, next_due_at=due, now=now)
        return settings

    async def _first_due(
        self, tx: Tx, place: Place, hhmm: str, now: datetime, *, catch_up: bool
    ) -> datetime:
        tz = zone(place.timezone)
        today = now.astimezone(tz).date()
        at = time.fromisoformat(hhmm)
        today_due = local_to_utc(today, at, tz)
        if await tx.digest.materialised(place.id, today.isoformat()):
            return _first_on_or_after(today + timedelta(days=1), hhmm, place.timezone)
        if today_due > now or catch_up:
            return today_due
        return _first_on_or_after(today + timedelta(days=1), hhmm, place.timezone)


def _first_on_or_after(day: date, hhmm: str, timezone: str) -> datetime:
    """The daily rule's first occurrence on local `day` or later."""
    tz = zone(timezone)
    midnight = local_to_utc(day, time(0), tz)
    found = next_occurrence(
        parse_rule({"type": "daily", "time": hhmm}), tz, midnight - timedelta(microseconds=1)
    )
    assert found is not None  # a daily rule never ends
    return found.due_at
