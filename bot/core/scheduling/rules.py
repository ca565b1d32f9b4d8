"""Recurrence rules and the local → UTC arithmetic behind them. Pure: no I/O, no clock.

A rule is stored as JSON in `schedules.rule`:

    {"type": "once", "at": "2026-05-01T18:00"}              a local date-time, fires once
    {"type": "once", "at_utc": "2026-05-01T17:00:00Z"}      an instant, fires once (e.g. a
                                                            reminder N minutes before a
                                                            local start: computed in UTC,
                                                            so it never lands on a repeated
                                                            or missing local hour)
    {"type": "daily", "time": "01:30"}                      every local day at HH:MM
    {"type": "weekly", "weekdays": ["mon", "thu"], "time": "18:00"}
    {"type": "monthly", "day": 31, "time": "09:00"}         a month without that day (April,
                                                            February) fires on its last day
    {"type": "interval", "seconds": 900}                    every N seconds of real time
    {"type": "interval", "seconds": 900, "start": "2026-06-01T12:00:00Z"}

Every occurrence has a `local_key`: the local wall-clock date-time of the rule as ISO text
("2026-10-25T01:30"), or for an interval (and an `at_utc` once) its UTC instant
("2026-06-01T12:15:00Z"). Occurrences are unique per (schedule, local_key), which is what makes
a repeated local time fire once.

Daylight saving, decided here and nowhere else:
- a local time that occurs twice (autumn fall-back) has one key and fires once, at its first
  instance (`fold=0`): Europe/London 2026-10-25 01:30 fires at 00:30 UTC;
- a local time that does not exist (spring-forward gap) fires at the same offset after the gap:
  Europe/London 2026-03-29 01:30 fires at 02:30 BST = 01:30 UTC. Python gives exactly this
  when a gap time with `fold=0` is converted with the offset in force before the transition.

Arithmetic on instants is done in UTC only: adding a timedelta to an aware local datetime works
in wall-clock time and can go backwards across a fall-back, so local datetimes are only ever
built from a date and a time, then converted.
"""

from __future__ import annotations

import calendar
import functools
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple, TypeAlias
from zoneinfo import ZoneInfo, available_timezones

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 366 * 24 * 3600
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CatchUp(StrEnum):
    """What the ticker does with occurrences it finds late (after downtime, or a slow tick).

    MISSED: an occurrence later than its grace window is recorded 'missed' and never sent late
        (wave reminders: the moment has passed; organisers are told instead).
    LATE_ONCE: only the latest late occurrence is sent, once; older ones are recorded 'skipped'
        (digests: one late digest is useful, five are noise).
    RUN: only the latest runs, now; older ones are not recorded (polls: just look again).
    """

    MISSED = "missed"
    LATE_ONCE = "late_once"
    RUN = "run"


class Slot(NamedTuple):
    """One occurrence of a rule: its unique local key and the instant it is due (aware UTC)."""

    # A named tuple, not a frozen dataclass: a big tick makes tens of thousands of these.
    local_key: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Span:
    """What `occurrences_between` found: `slots` in the range (oldest first), whether older ones
    in the range were left out (`truncated`), and the first one after it (`following`, None
    when the rule has no more)."""

    slots: list[Slot]
    truncated: bool
    following: Slot | None


@dataclass(frozen=True, slots=True)
class Once:
    at: datetime  # naive: local wall-clock date-time; with `utc`, an aware UTC instant
    utc: bool = False


@dataclass(frozen=True, slots=True)
class Daily:
    at: time


@dataclass(frozen=True, slots=True)
class Weekly:
    weekdays: frozenset[int]  # datetime.weekday(): Monday is 0
    at: time


@dataclass(frozen=True, slots=True)
class Monthly:
    day: int
    at: time


@dataclass(frozen=True, slots=True)
class Interval:
    seconds: int
    start: datetime = EPOCH  # aware UTC; the default aligns slots to whole multiples of N


Rule: TypeAlias = Once | Daily | Weekly | Monthly | Interval


@functools.cache
def _zone_names() -> frozenset[str]:
    # Reading the tz database is slow (a directory walk); the set does not change at run time.
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (e.g. "Europe/London"); ValueError if it is not a known zone name."""
    if not isinstance(name, str) or name not in _zone_names():
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/London'")
    return ZoneInfo(name)


def parse_rule(data: Mapping[str, Any]) -> Rule:
    """Validate a rule's JSON form (see the module docstring); ValueError says what is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError("a rule is an object with a 'type'")
    kind = data.get("type")
    fields = {
        "once": {"at", "at_utc"},
        "daily": {"time"},
        "weekly": {"weekdays", "time"},
        "monthly": {"day", "time"},
        "interval": {"seconds", "start"},
    }
    if kind not in fields:
        raise ValueError(f"unknown rule type {kind!r}: use one of {sorted(fields)}")
    unknown = set(data) - fields[kind] - {"type"}
    if unknown:
        raise ValueError(f"a {kind} rule has no field(s) {sorted(unknown)}")
    if kind == "once":
        if "at_utc" in data:
            if "at" in data:
                raise ValueError("a once rule has either 'at' (local) or 'at_utc', not both")
            return Once(_utc_instant(data.get("at_utc")), utc=True)
        return Once(_local_datetime(data.get("at")))
    if kind == "daily":
        return Daily(_clock_time(data.get("time")))
    if kind == "weekly":
        return Weekly(_weekdays(data.get("weekdays")), _clock_time(data.get("time")))
    if kind == "monthly":
        day = data.get("day")
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31:
            raise ValueError(f"a monthly rule needs a day of the month from 1 to 31, not {day!r}")
        return Monthly(day, _clock_time(data.get("time")))
    seconds = data.get("seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise ValueError(f"an interval rule needs whole 'seconds', not {seconds!r}")
    if not MIN_INTERVAL_SECONDS <= seconds <= MAX_INTERVAL_SECONDS:
        raise ValueError(
            f"an interval must be from {MIN_INTERVAL_SECONDS} to {MAX_INTERVAL_SECONDS} seconds,"
            f" not {seconds}"
        )
    start = data.get("start")
    return Interval(seconds, EPOCH if start is None else _utc_instant(start))


def rule_to_json(rule: Rule) -> dict[str, Any]:
    """The JSON form of `rule`; `parse_rule(rule_to_json(r)) == r`."""
    if isinstance(rule, Once):
        if rule.utc:
            return {"type": "once", "at_utc": _utc_key(rule.at)}
        return {"type": "once", "at": rule.at.isoformat(timespec="minutes")}
    if isinstance(rule, Daily):
        return {"type": "daily", "time": _hhmm(rule.at)}
    if isinstance(rule, Weekly):
        days = [WEEKDAYS[d] for d in sorted(rule.weekdays)]
        return {"type": "weekly", "weekdays": days, "time": _hhmm(rule.at)}
    if isinstance(rule, Monthly):
        return {"type": "monthly", "day": rule.day, "time": _hhmm(rule.at)}
    data: dict[str, Any] = {"type": "interval", "seconds": rule.seconds}
    if rule.start != EPOCH:
        data["start"] = _utc_key(rule.start)
    return data


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant of local wall-clock `day` `at` in `tz`, by the DST policy above.

    A repeated time gives its first instance; a time in a gap gives the same offset after it.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def next_occurrence(rule: Rule, tz: ZoneInfo, after: datetime) -> Slot | None:
    """The first occurrence of `rule` in `tz` due strictly after the instant `after`, or None
    (a `once` rule whose time has passed)."""
    return next(_slots(rule, tz, _aware(after)), None)


def occurrences_between(
    rule: Rule, tz: ZoneInfo, after: datetime, until: datetime, limit: int
) -> Span:
    """Occurrences due in (`after`, `until`], oldest first, keeping only the latest `limit`,
    and the first occurrence after `until` (computed in the same pass).

    Work is bounded by `limit`, not by the length of the range, so a year of downtime with an
    every-minute rule costs no more than a short one.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    after, until = _aware(after), _aware(until)
    start = after
    lookback = _lookback(rule, limit)
    if lookback is not None and until - lookback > after:
        start = until - lookback
    kept: deque[Slot] = deque(maxlen=limit)
    seen = 0
    following = None
    for slot in _slots(rule, tz, start):
        if slot.due_at > until:
            following = slot
            break
        kept.append(slot)
        seen += 1
    truncated = seen > limit
    if start > after and not truncated:
        # The look-back window cut the range: were there occurrences before it?
        older = next_occurrence(rule, tz, after)
        truncated = older is not None and older.due_at <= start
    return Span(list(kept), truncated, following)


def _lookback(rule: Rule, limit: int) -> timedelta | None:
    # A window that surely holds `limit` occurrences (generously: DST days are 23-25 h long).
    if isinstance(rule, Once):
        return None
    if isinstance(rule, Daily):
        return timedelta(days=2 * (limit + 1))
    if isinstance(rule, Weekly):
        return timedelta(days=8 * (limit + 1))
    if isinstance(rule, Monthly):
        return timedelta(days=32 * (limit + 1))
    return timedelta(seconds=rule.seconds * (limit + 1))


def _slots(rule: Rule, tz: ZoneInfo, after: datetime) -> Iterator[Slot]:
    """Every occurrence due strictly after `after`, in order (infinite unless `once`)."""
    if isinstance(rule, Interval):
        yield from _interval_slots(rule, after)
        return
    if isinstance(rule, Once):
        if rule.utc:
            if rule.at > after:
                yield Slot(_utc_key(rule.at), rule.at)
            return
        due = local_to_utc(rule.at.date(), rule.at.time(), tz)
        if due > after:
            yield Slot(_local_key(rule.at.date(), rule.at.time()), due)
        return
    # Start a day before the local date of `after`: a gap can push a day's occurrence past
    # midnight. The due instants grow with the local date, so the order is kept.
    hhmm = _hhmm(rule.at)
    for day in _candidate_days(rule, after.astimezone(tz).date() - timedelta(days=1)):
        due = local_to_utc(day, rule.at, tz)
        if due > after:
            yield Slot(f"{day.isoformat()}T{hhmm}", due)


def _candidate_days(rule: Daily | Weekly | Monthly, first: date) -> Iterator[date]:
    if isinstance(rule, Monthly):
        year, month = first.year, first.month
        while True:
            last = calendar.monthrange(year, month)[1]
            day = date(year, month, min(rule.day, last))
            if day >= first:
                yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = first
    while True:
        if isinstance(rule, Daily) or day.weekday() in rule.weekdays:
            yield day
        day += timedelta(days=1)


def _interval_slots(rule: Interval, after: datetime) -> Iterator[Slot]:
    step = timedelta(seconds=rule.seconds)
    index = 0 if after < rule.start else (after - rule.start) // step + 1
    while True:
        due = rule.start + index * step
        yield Slot(_utc_key(due), due)
        index += 1


def _local_key(day: date, at: time) -> str:
    return datetime.combine(day, at).isoformat(timespec="minutes")


def _utc_key(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _hhmm(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("pass an aware instant, not a naive datetime")
    return instant.astimezone(UTC)


def _clock_time(value: object) -> time:
    if isinstance(value, str) and len(value) == 5 and value[2] == ":":
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"a time of day is written HH:MM (24-hour), not {value!r}")


def _local_datetime(value: object) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None and parsed.second == 0:
            return parsed.replace(microsecond=0)
    raise ValueError(f"a local date-time is written YYYY-MM-DDTHH:MM, not {value!r}")


def _utc_instant(value: object) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    raise ValueError(f"an instant is written in ISO form with an offset or Z, not {value!r}")


def _weekdays(value: object) -> frozenset[int]:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        names = [v.lower() for v in value]
        if all(n in WEEKDAYS for n in names):
            return frozenset(WEEKDAYS.index(n) for n in names)
    raise ValueError(f"weekdays is a non-empty list of {', '.join(WEEKDAYS)}, not {value!r}")
