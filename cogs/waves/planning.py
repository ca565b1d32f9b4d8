"""A wave's schedules: what drives it, all rows of the core `schedules` table.

- `wave.start`: the wave's own rule (once, daily, weekly, monthly) in its zone, so daylight
  saving follows the scheduler's policy; each start records the occurrence as started and,
  for a recurring wave, plans the next one. Catch-up `run`: it sends nothing itself.
- `wave.reminder`: one per reminder of one occurrence, a `once` rule at the UTC instant
  `start − offset` (computed in UTC, so never on a repeated or missing local hour). Catch-up
  `missed` with a grace reaching `start + wave grace`: a reminder that cannot be written by
  then is recorded missed (the organisers are told), never sent late.
- `wave.pledge`: once, at the pledge deadline; `wave.result`: once, after each occurrence.

Editing a wave's time moves the reminders that have not fired yet (a reminder that already
went out is never sent again: its outbox keys are per occurrence and offset, not per time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.core.scheduling import create_schedule, next_occurrence, parse_rule, zone
from bot.core.scheduling.rules import rule_to_json
from storage.repositories.waves import Wave, WaveOccurrence
from storage.unit import Tx

START = "wave.start"
REMINDER = "wave.reminder"
PLEDGE = "wave.pledge"
RESULT = "wave.result"
_JUST_BEFORE = timedelta(microseconds=1)


def at_utc(instant: datetime) -> dict[str, Any]:
    return rule_to_json(parse_rule({"type": "once", "at_utc": instant.isoformat()}))


def first_start(rule: dict[str, Any], timezone: str, at: datetime) -> datetime:
    """The wave's first start: the rule's first occurrence at or after `at`."""
    slot = next_occurrence(parse_rule(rule), zone(timezone), at - _JUST_BEFORE)
    if slot is None:
        raise ValueError("a wave's rule has no occurrence after its start")
    return slot.due_at


def next_start(wave: Wave, after: datetime) -> datetime | None:
    """The start after `after` of a recurring wave; None for a one-off."""
    slot = next_occurrence(parse_rule(wave.rule), zone(wave.timezone), after)
    return slot.due_at if slot is not None else None


class Planner:
    """Writes a wave's schedules; `result_after` is how long after a start results come."""

    def __init__(self, result_after: timedelta) -> None:
        self._result_after = result_after

    async def plan_wave(self, tx: Tx, wave: Wave, start: datetime, now: datetime) -> WaveOccurrence:
        """The start schedule, the first occurrence (with its reminders and result) and the
        pledge deadline of a new wave."""
        schedule = await create_schedule(
            tx,
            kind=START,
            timezone=wave.timezone,
            rule=wave.rule,
            catchup="run",
            grace_seconds=0,
            payload={"wave": wave.id},
            now=now,
            campaign_id=wave.campaign_id,
        )
        await tx.schedules.update(schedule.id, next_due_at=start, now=now)
        await tx.waves.link_schedule(schedule.id, wave.id, "start")
        occurrence = await tx.waves.add_occurrence(wave.id, 1, start)
        await self.plan_occurrence(tx, wave, occurrence, planned_at=now, now=now)
        if wave.pledge_target is not None and wave.pledge_deadline is not None:
            await _once(tx, wave, PLEDGE, wave.pledge_deadline, now, occurrence.id)
        return occurrence

    async def plan_occurrence(
        self,
        tx: Tx,
        wave: Wave,
        occurrence: WaveOccurrence,
        *,
        planned_at: datetime,
        now: datetime,
    ) -> None:
        """Reminder schedules (those still ahead of `planned_at`) and the result schedule of
        one occurrence. `planned_at` is when the occurrence became known: the previous start
        for a recurring wave, so a tick that runs a little late still plans every reminder."""
        await plan_reminders(tx, wave, occurrence, wave.offsets, planned_at, now)
        await _once(
            tx, wave, RESULT, self.result_time(wave, occurrence.starts_at), now, occurrence.id
        )

    def result_time(self, wave: Wave, starts_at: datetime) -> datetime:
        """Results come once members had time to post, after the grace window has closed."""
        return starts_at + max(self._result_after, timedelta(seconds=wave.grace_seconds + 60))


async def plan_reminders(
    tx: Tx,
    wave: Wave,
    occurrence: WaveOccurrence,
    offsets: tuple[int, ...],
    planned_at: datetime,
    now: datetime,
) -> None:
    """One reminder schedule per offset whose instant is still ahead of `planned_at` (a wave
    created 30 minutes ahead gets no "24 hours before" reminder)."""
    for offset in offsets:
        due = occurrence.starts_at - timedelta(minutes=offset)
        if due <= planned_at:
            continue
        await _once(
            tx,
            wave,
            REMINDER,
            due,
            now,
            occurrence.id,
            offset=offset,
            grace_seconds=offset * 60 + wave.grace_seconds,
        )


async def _once(
    tx: Tx,
    wave: Wave,
    kind: str,
    due: datetime,
    now: datetime,
    occurrence_id: int | None = None,
    *,
    offset: int | None = None,
    grace_seconds: int = 60,
) -> None:
    catchup = "missed" if kind == REMINDER else "late_once"
    payload: dict[str, Any] = {"wave": wave.id, "occurrence": occurrence_id}
    if offset is not None:
        payload["offset"] = offset
    schedule = await tx.schedules.create(
        kind=kind,
        timezone="UTC",
        rule=at_utc(due),
        catchup=catchup,
        grace_seconds=grace_seconds if kind == REMINDER else 0,
        payload=payload,
        next_due_at=due,
        now=now,
        campaign_id=wave.campaign_id,
    )
    role = kind.removeprefix("wave.")
    await tx.waves.link_schedule(schedule.id, wave.id, role, occurrence_id, offset)


async def move_schedule(tx: Tx, schedule_id: int, due: datetime, now: datetime) -> None:
    """A once schedule that has not fired yet now fires at `due`."""
    await tx.schedules.update(schedule_id, next_due_at=due, now=now, rule=at_utc(due))
