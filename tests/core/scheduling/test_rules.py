"""Recurrence rules: when each occurrence is due, across DST days, and what is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.core.scheduling.rules import (
    Slot,
    next_occurrence,
    occurrences_between,
    parse_rule,
    rule_to_json,
    zone,
)
from tests.fakes import utc


def following(rule: dict[str, Any], tz: str, after: str, count: int) -> list[tuple[str, str]]:
    """The next `count` occurrences after the UTC instant `after`, as (local key, UTC due)."""
    parsed, zone_info = parse_rule(rule), zone(tz)
    found: list[tuple[str, str]] = []
    instant = utc(after)
    for _ in range(count):
        slot = next_occurrence(parsed, zone_info, instant)
        assert slot is not None
        found.append((slot.local_key, slot.due_at.strftime("%Y-%m-%d %H:%M")))
        instant = slot.due_at
    return found


@pytest.mark.parametrize(
    ("tz", "at", "after", "expected"),
    [
        # Spring forward: 01:30 does not exist in London → 30 min after the gap, 02:30 BST.
        (
            "Europe/London",
            "01:30",
            "2026-03-28 12:00",
            [("2026-03-29T01:30", "2026-03-29 01:30"), ("2026-03-30T01:30", "2026-03-30 00:30")],
        ),
        # Fall back: 01:30 happens twice in London → one key, the first instance (BST).
        (
            "Europe/London",
            "01:30",
            "2026-10-24 12:00",
            [("2026-10-25T01:30", "2026-10-25 00:30"), ("2026-10-26T01:30", "2026-10-26 01:30")],
        ),
        # New York springs forward at 02:00 → 02:30 fires at 03:30 EDT.
        (
            "America/New_York",
            "02:30",
            "2026-03-07 12:00",
            [("2026-03-08T02:30", "2026-03-08 07:30"), ("2026-03-09T02:30", "2026-03-09 06:30")],
        ),
        # New York falls back at 02:00 → 01:30 once, at 01:30 EDT.
        (
            "America/New_York",
            "01:30",
            "2026-10-31 12:00",
            [("2026-11-01T01:30", "2026-11-01 05:30"), ("2026-11-02T01:30", "2026-11-02 06:30")],
        ),
        # Sydney (southern hemisphere): gap on 2026-10-04, repeat on 2026-04-05.
        (
            "Australia/Sydney",
            "02:30",
            "2026-10-03 12:00",
            [("2026-10-04T02:30", "2026-10-03 16:30"), ("2026-10-05T02:30", "2026-10-04 15:30")],
        ),
        (
            "Australia/Sydney",
            "02:30",
            "2026-04-04 12:00",
            [("2026-04-05T02:30", "2026-04-04 15:30"), ("2026-04-06T02:30", "2026-04-05 16:30")],
        ),
    ],
)
def test_a_daily_time_on_dst_days_fires_once_by_the_written_policy(
    tz: str, at: str, after: str, expected: list[tuple[str, str]]
) -> None:
    assert following({"type": "daily", "time": at}, tz, after, 2) == expected


def test_the_next_occurrence_is_strictly_after_the_instant() -> None:
    rule, london = parse_rule({"type": "daily", "time": "09:00"}), zone("Europe/London")
    first = next_occurrence(rule, london, utc("2026-06-01 07:59"))
    assert first == Slot("2026-06-01T09:00", utc("2026-06-01 08:00"))
    assert first is not None
    again = next_occurrence(rule, london, first.due_at)
    assert again == Slot("2026-06-02T09:00", utc("2026-06-02 08:00"))


def test_a_weekly_rule_fires_on_its_weekdays_only() -> None:
    rule = {"type": "weekly", "weekdays": ["mon", "thu"], "time": "18:00"}
    # 2026-06-01 is a Monday; Berlin is UTC+2 in summer.
    assert following(rule, "Europe/Berlin", "2026-05-31 00:00", 3) == [
        ("2026-06-01T18:00", "2026-06-01 16:00"),
        ("2026-06-04T18:00", "2026-06-04 16:00"),
        ("2026-06-08T18:00", "2026-06-08 16:00"),
    ]


def test_a_monthly_rule_on_the_31st_fires_on_the_last_day_of_shorter_months() -> None:
    rule = {"type": "monthly", "day": 31, "time": "09:00"}
    assert [key for key, _ in following(rule, "UTC", "2027-12-01 00:00", 5)] == [
        "2027-12-31T09:00",
        "2028-01-31T09:00",
        "2028-02-29T09:00",
        "2028-03-31T09:00",
        "2028-04-30T09:00",
    ]


def test_a_one_off_fires_once_then_never() -> None:
    rule, tokyo = parse_rule({"type": "once", "at": "2026-07-01T20:00"}), zone("Asia/Tokyo")
    slot = next_occurrence(rule, tokyo, utc("2026-06-01 00:00"))
    assert slot == Slot("2026-07-01T20:00", utc("2026-07-01 11:00"))
    assert next_occurrence(rule, tokyo, utc("2026-07-01 11:00")) is None
    span = occurrences_between(rule, tokyo, utc("2026-06-01 00:00"), utc("2026-08-01 00:00"), 5)
    assert (span.slots, span.following) == ([slot], None)


def test_an_interval_counts_real_seconds_and_ignores_dst() -> None:
    rule = {"type": "interval", "seconds": 3600}
    # Across London's fall-back night, still one every hour of real time.
    assert following(rule, "Europe/London", "2026-10-24 23:30", 3) == [
        ("2026-10-25T00:00:00Z", "2026-10-25 00:00"),
        ("2026-10-25T01:00:00Z", "2026-10-25 01:00"),
        ("2026-10-25T02:00:00Z", "2026-10-25 02:00"),
    ]
    started = {"type": "interval", "seconds": 900, "start": "2026-06-01T12:05:00Z"}
    assert following(started, "UTC", "2026-01-01 00:00", 2) == [
        ("2026-06-01T12:05:00Z", "2026-06-01 12:05"),
        ("2026-06-01T12:20:00Z", "2026-06-01 12:20"),
    ]


def test_catching_up_a_long_outage_keeps_only_the_latest_occurrences() -> None:
    rule, london = parse_rule({"type": "daily", "time": "09:00"}), zone("Europe/London")
    span = occurrences_between(
        rule, london, utc("2025-01-01 00:00"), utc("2026-06-10 12:00"), limit=3
    )
    assert [s.local_key for s in span.slots] == [
        "2026-06-08T09:00",
        "2026-06-09T09:00",
        "2026-06-10T09:00",
    ]
    assert span.truncated
    assert span.following == Slot("2026-06-11T09:00", utc("2026-06-11 08:00"))
    span = occurrences_between(
        rule, london, utc("2026-06-08 00:00"), utc("2026-06-10 12:00"), limit=3
    )
    assert len(span.slots) == 3
    assert not span.truncated


def test_a_minute_interval_over_a_year_of_downtime_is_cheap() -> None:
    rule = parse_rule({"type": "interval", "seconds": 60})
    span = occurrences_between(
        rule, zone("UTC"), utc("2025-01-01 00:00"), utc("2026-01-01 00:00"), limit=1
    )
    assert span.slots == [Slot("2026-01-01T00:00:00Z", utc("2026-01-01 00:00"))]
    assert span.truncated
    assert span.following == Slot("2026-01-01T00:01:00Z", utc("2026-01-01 00:01"))


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "once", "at": "2026-07-01T20:00"},
        {"type": "daily", "time": "00:00"},
        {"type": "weekly", "weekdays": ["mon", "sun"], "time": "23:59"},
        {"type": "monthly", "day": 1, "time": "12:00"},
        {"type": "interval", "seconds": 60},
        {"type": "interval", "seconds": 86400, "start": "2026-06-01T12:00:00Z"},
    ],
)
def test_a_rule_survives_its_json_round_trip(rule: dict[str, Any]) -> None:
    assert rule_to_json(parse_rule(rule)) == rule


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"type": "hourly"}, "unknown rule type"),
        ({"type": "daily", "time": "25:00"}, "HH:MM"),
        ({"type": "daily", "time": "9:00"}, "HH:MM"),
        ({"type": "daily", "time": "09:00", "extra": 1}, "no field"),
        ({"type": "weekly", "weekdays": [], "time": "09:00"}, "weekdays"),
        ({"type": "weekly", "weekdays": ["monday"], "time": "09:00"}, "weekdays"),
        ({"type": "monthly", "day": 32, "time": "09:00"}, "1 to 31"),
        ({"type": "once", "at": "2026-07-01T20:00+02:00"}, "YYYY-MM-DDTHH:MM"),
        ({"type": "interval", "seconds": 59}, "from 60"),
        ({"type": "interval", "seconds": 60.5}, "whole"),
        ({"type": "interval", "seconds": 600, "start": "2026-06-01T12:00"}, "offset"),
    ],
)
def test_a_bad_rule_is_refused_with_a_reason(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rule(rule)


def test_only_iana_zone_names_are_accepted() -> None:
    assert str(zone("America/New_York")) == "America/New_York"
    for bad in ("Mars/Olympus", "EST5EDT ", "../etc/passwd", ""):
        with pytest.raises(ValueError, match="unknown time zone"):
            zone(bad)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(
            parse_rule({"type": "daily", "time": "09:00"}), zone("UTC"), datetime(2026, 1, 1)
        )
