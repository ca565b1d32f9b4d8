"""Creating and editing schedules: validation and `next_due_at`, inside the caller's transaction.

Storage does not import the core, so the rule arithmetic that the repository needs happens
here. After the transaction commits, call `Ticker.wake()` so that an edit that made a schedule
due sooner is seen without waiting for the next tick.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.scheduling.rules import CatchUp, next_occurrence, parse_rule, rule_to_json, zone
from storage.records import Schedule
from storage.unit import Tx

# A 'missed' schedule must tolerate at least one slow tick, or everything would be missed.
MIN_GRACE_SECONDS = 60
MAX_GRACE_SECONDS = 7 * 24 * 3600


async def create_schedule(
    tx: Tx,
    *,
    kind: str,
    timezone: str,
    rule: dict[str, Any],
    catchup: str,
    payload: dict[str, Any],
    now: datetime,
    grace_seconds: int = 600,
    campaign_id: int | None = None,
    place_id: int | None = None,
) -> Schedule:
    """Validate and store a schedule whose first occurrence is the rule's first one after `now`.

    Raises ValueError (with a message fit to show an organiser) for an unknown zone, a bad rule,
    an unknown catch-up policy, a grace window out of range, or a one-off time already past.
    """
    tz = zone(timezone)
    parsed = parse_rule(rule)
    policy = _catchup(catchup)
    _check_grace(grace_seconds, policy)
    first = next_occurrence(parsed, tz, now)
    if first is None:
        raise ValueError("that time has already passed")
    return await tx.schedules.create(
        kind=kind,
        timezone=timezone,
        rule=rule_to_json(parsed),
        catchup=policy.value,
        grace_seconds=grace_seconds,
        payload=payload,
        next_due_at=first.due_at,
        now=now,
        campaign_id=campaign_id,
        place_id=place_id,
    )


async def reschedule(
    tx: Tx,
    schedule_id: int,
    *,
    now: datetime,
    rule: dict[str, Any] | None = None,
    timezone: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Schedule:
    """Change a schedule's rule, zone and/or payload; its next occurrence becomes the new
    rule's first one after `now`. Occurrences already recorded are kept and never repeated.

    Raises ValueError for an unknown or inactive schedule, a bad rule or zone, or a one-off time
    already past.
    """
    current = await tx.schedules.get(schedule_id)
    if current is None or not current.active:
        raise ValueError(f"there is no active schedule {schedule_id}")
    tz = zone(timezone if timezone is not None else current.timezone)
    parsed = parse_rule(rule if rule is not None else current.rule)
    following = next_occurrence(parsed, tz, now)
    if following is None:
        raise ValueError("that time has already passed")
    updated = await tx.schedules.update(
        schedule_id,
        next_due_at=following.due_at,
        now=now,
        rule=rule_to_json(parsed) if rule is not None else None,
        timezone=timezone,
        payload=payload,
    )
    if updated is None:  # gone since it was read (schedules are not deleted, but be plain)
        raise ValueError(f"there is no active schedule {schedule_id}")
    return updated


def _catchup(value: str) -> CatchUp:
    try:
        return CatchUp(value)
    except ValueError:
        choices = ", ".join(policy.value for policy in CatchUp)
        raise ValueError(f"unknown catch-up policy {value!r}: use one of {choices}") from None


def _check_grace(grace_seconds: int, policy: CatchUp) -> None:
    low = MIN_GRACE_SECONDS if policy is CatchUp.MISSED else 0
    if not low <= grace_seconds <= MAX_GRACE_SECONDS:
        raise ValueError(
            f"the grace window must be from {low} to {MAX_GRACE_SECONDS} seconds,"
            f" not {grace_seconds}"
        )
