"""The campaign's total over time, its recent change, and when the next milestone may come.

Pure functions over readings. The total at an instant is the sum of each source's latest
reading at or before it; a series has one point per reading that changed the total.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cogs.petitions.milestones import Rule

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# A rate needs readings at least this far apart, or one noisy poll would predict anything.
MIN_SPAN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Reading:
    source_id: int
    count: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime
    total: int


def series(
    baseline: Mapping[int, int], readings: Sequence[Reading], *, start: datetime | None = None
) -> list[Point]:
    """The total after each reading (oldest first), starting from each source's `baseline`
    (its count before the readings); with `start`, a first point there holds the baseline's
    total, so a series read from any window agrees on the total at its start."""
    latest = dict(baseline)
    points: list[Point] = []
    if start is not None and latest:
        points.append(Point(start, sum(latest.values())))
    for reading in readings:
        latest[reading.source_id] = reading.count
        total = sum(latest.values())
        if points and points[-1].at == reading.at:
            points[-1] = Point(reading.at, total)
        elif not points or points[-1].total != total:
            points.append(Point(reading.at, total))
    return points


def total_at(points: Sequence[Point], at: datetime) -> int | None:
    """The total at `at`, or None when no reading is that old."""
    index = bisect.bisect_right([p.at for p in points], at)
    return points[index - 1].total if index else None


def change_over(points: Sequence[Point], now: datetime, span: timedelta) -> int | None:
    """How much the total moved in the last `span`; None without a reading that old."""
    before = total_at(points, now - span)
    current = total_at(points, now)
    if before is None or current is None:
        return None
    return current - before


def rate_per_second(points: Sequence[Point], now: datetime, window: timedelta = WEEK) -> float:
    """Signatures per second over the last `window` (from the first point in it, or the
    last point before it), 0 when the readings span less than MIN_SPAN or nothing grew."""
    start = now - window
    inside = [p for p in points if start <= p.at <= now]
    earlier = [p for p in points if p.at < start]
    if earlier:
        inside.insert(0, Point(start, earlier[-1].total))
    if len(inside) < 2:
        return 0.0
    first, last = inside[0], inside[-1]
    # Measured up to now: a count that stopped growing hours ago is slowing down.
    span = now - first.at
    if span < MIN_SPAN or last.total <= first.total:
        return 0.0
    return (last.total - first.total) / span.total_seconds()


def eta(total: int, target: int | None, rate: float, now: datetime) -> datetime | None:
    """When `target` is reached at `rate` per second, or None without a rate or a target."""
    if target is None or rate <= 0:
        return None
    seconds = (target - total) / rate
    if seconds > 10 * 365 * 86_400:
        return None
    return now + timedelta(seconds=max(0.0, seconds))


def next_milestone(rule: Rule, total: int, passed: Iterable[int]) -> int | None:
    """The next threshold to announce: the first above the total and above every threshold
    already passed (a count that fell back under one does not make it "next" again)."""
    return rule.next_above(max([total, *passed]))


def outlook(
    rule: Rule,
    total: int | None,
    passed: Iterable[int],
    points: Sequence[Point],
    now: datetime,
) -> tuple[int | None, datetime | None]:
    """The next milestone and when it may be reached: the one estimate `/signatures` and the
    digest both show. `points` must start at or before a week ago (see `series`' start)."""
    if total is None:
        return None, None
    target = next_milestone(rule, total, passed)
    return target, eta(total, target, rate_per_second(points, now), now)


def thin(points: Sequence[Point], limit: int) -> list[Point]:
    """At most about `limit` points, keeping the first, the last and the shape (for charts)."""
    if len(points) <= limit:
        return list(points)
    step = len(points) / limit
    kept = [points[int(i * step)] for i in range(limit)]
    if kept[-1] != points[-1]:
        kept.append(points[-1])
    return kept
