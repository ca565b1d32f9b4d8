"""A wave's time as people type it, read strictly and always echoed back as an absolute time.

Accepted (English words; case and extra spaces do not matter), then an optional IANA zone:

    2026-12-04 20:00            an ISO date (also 2026-12-04T20:00)
    4 December 2026 20:00       day, month name, optional year (Dec 4, December 4 2026 too)
    friday 20:00, fri 8pm       the next such day (today, if that time is still ahead)
    today 20:00, tomorrow 9:30am
    … Europe/Paris              another zone than the place's

A date that does not exist ("30 February") is refused by name, never rolled over. The local
time becomes an instant by the scheduler's DST policy: a time inside a spring-forward gap is
moved by the gap's length (02:30 → 03:30), a time that happens twice is the first one; both
are reported so the reply can say so.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.errors import UserError
from bot.core.options import parse_zone
from bot.core.richtext import msg
from bot.core.scheduling.rules import local_to_utc, zone
from cogs.waves.problems import bad

WEEKDAYS = {
    name: index
    for index, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
MONTHS = {
    name: index
    for index, full in enumerate(calendar.month_name)
    if full
    for name in (full.lower(), full.lower()[:3], "sept" if index == 9 else full.lower()[:3])
}
_ISO_T = re.compile(r"(\d)T(\d)")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR = re.compile(r"^\d{4}$")
_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


@dataclass(frozen=True, slots=True)
class When:
    """A parsed time: the wall-clock `local` time in `zone`, and the instant `at` (UTC).

    `moved` is set when `local` does not exist (DST gap) and `at` is after the gap;
    `twice` when `local` happens twice and `at` is the first of the two."""

    local: datetime
    zone: str
    at: datetime
    moved: bool = False
    twice: bool = False


def parse_when(raw: str, default_zone: str, now: datetime, field: str = "when") -> When:
    """Read `raw` (see the module docstring) in `default_zone` unless it names a zone.

    Raises a `UserError` naming `field` for anything unreadable, a date that does not exist,
    an unknown zone (with suggestions), or a time that is not in the future."""
    words = _ISO_T.sub(r"\1 \2", raw.strip()).replace(",", " ").split()
    if not words:
        raise bad(field, "wave.when.unreadable", text=raw)
    zone_name = default_zone
    if "/" in words[-1] or words[-1].upper() == "UTC" or _looks_like_zone(words):
        zone_name = _zone(words.pop(), field)
    tz = zone(zone_name)
    today = now.astimezone(tz).date()
    clock, words = _time_of_day(words, raw, field)
    day = _day(words, raw, today, clock, tz, now, field)
    local = datetime.combine(day, clock)
    at = local_to_utc(day, clock, tz)
    if at <= now:
        raise bad(field, "wave.when.past", text=raw.strip())
    round_trip = at.astimezone(tz).replace(tzinfo=None)
    second = datetime.combine(day, clock, tzinfo=tz).replace(fold=1).astimezone(UTC)
    return When(local, zone_name, at, moved=round_trip != local, twice=second != at)


def _looks_like_zone(words: list[str]) -> bool:
    # "friday 20:00 Paris": a trailing word that is neither a time nor a date word is meant
    # as a zone (parse_zone then suggests Europe/Paris).
    last = words[-1].lower()
    return (
        len(words) > 1
        and last.isalpha()
        and last not in WEEKDAYS
        and last not in MONTHS
        and last not in ("am", "pm", "today", "tomorrow", "next", "this")
        and (_TIME.match(words[-2].lower()) is not None or words[-2].lower() in ("am", "pm"))
    )


def _zone(word: str, field: str) -> str:
    try:
        return parse_zone(word)
    except UserError as refusal:
        # parse_zone names the zone and suggests close ones; say which field it was in.
        problem = refusal.message
        label = msg(f"wave.field.{field}")
        raise UserError(msg("wave.bad_field", field=label, problem=problem)) from None


def _time_of_day(words: list[str], raw: str, field: str) -> tuple[time, list[str]]:
    if len(words) >= 2 and words[-1].lower() in ("am", "pm"):
        words = [*words[:-2], words[-2] + words[-1]]
    match = _TIME.match(words[-1].lower()) if words else None
    if match is None or (match.group(2) is None and match.group(3) is None):
        raise bad(field, "wave.when.no_time", text=raw.strip())
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3):
        if not 1 <= hour <= 12:
            raise bad(field, "wave.when.no_time", text=raw.strip())
        hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
    if hour > 23 or minute > 59:
        raise bad(field, "wave.when.no_time", text=raw.strip())
    return time(hour, minute), words[:-1]


def _day(
    words: list[str],
    raw: str,
    today: date,
    clock: time,
    tz: ZoneInfo,
    now: datetime,
    field: str,
) -> date:
    lowered = [word.lower() for word in words]
    if lowered and lowered[0] in ("next", "this"):
        lowered = lowered[1:]
    if not lowered or lowered == ["today"]:
        return today
    if lowered == ["tomorrow"]:
        return today + timedelta(days=1)
    if len(lowered) == 1 and lowered[0] in WEEKDAYS:
        ahead = (WEEKDAYS[lowered[0]] - today.weekday()) % 7
        candidate = today + timedelta(days=ahead)
        if ahead == 0 and datetime.combine(candidate, clock, tzinfo=tz) <= now:
            candidate += timedelta(days=7)
        return candidate
    if len(lowered) == 1 and (iso := _ISO.match(lowered[0])):
        return _checked(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), field)
    return _named_date(lowered, raw, today, field)


def _named_date(words: list[str], raw: str, today: date, field: str) -> date:
    year: int | None = None
    if words and _YEAR.match(words[-1]):
        year = int(words.pop())
    day_match = next((hit for w in words if (hit := _DAY.match(w))), None)
    month_word = next((w for w in words if w in MONTHS), None)
    if len(words) != 2 or day_match is None or month_word is None:
        raise bad(field, "wave.when.unreadable", text=raw.strip())
    day, month = int(day_match.group(1)), MONTHS[month_word]
    if year is not None:
        return _checked(year, month, day, field)
    for candidate_year in (today.year, today.year + 1):
        if day <= calendar.monthrange(candidate_year, month)[1]:
            found = date(candidate_year, month, day)
            if found >= today:
                return found
    # No such day this year or next (30 February; 29 February outside leap years).
    return _checked(today.year if month > today.month else today.year + 1, month, day, field)


def _checked(year: int, month: int, day: int, field: str) -> date:
    if not 1 <= month <= 12:
        raise bad(field, "wave.when.no_month", month=month)
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        month_name = msg(f"wave.month.{month}")
        raise bad(field, "wave.when.no_such_day", day=day, month=month_name, days=last)
    return date(year, month, day)
