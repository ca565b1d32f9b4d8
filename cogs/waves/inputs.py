"""Reading what an organiser typed into a wave: every field checked before anything is saved.

Each reader returns clean values or raises a `UserError` that names the field at fault, so a
wave is created (or edited) whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.options import TextOption
from bot.core.richtext import Msg, msg
from bot.core.scheduling.rules import WEEKDAYS
from cogs.waves.problems import bad
from cogs.waves.sharelinks import (
    LIMITS,
    NETWORKS,
    is_https,
    length_on,
    normalise_network,
    post_for,
)
from cogs.waves.timeparse import When

MAX_TEXTS = 10
MAX_TEXT = 1000
MAX_REMINDERS = 5
MAX_OFFSET_MINUTES = 72 * 60  # a reminder at most three days ahead
DEFAULT_OFFSETS = (24 * 60, 60, 0)
PLEDGE_CAP = 10_000
REPEATS = ("none", "daily", "weekly", "monthly")
_HASHTAG = re.compile(r"^#?(\w{1,60})$")
_OFFSET = re.compile(r"^(-?)(\d{1,4})\s*(d|h|m|min|mins|minutes?|hours?|days?)?$")
_UNIT_MINUTES = {"d": 1440, "h": 60, "m": 1}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOption(TextOption):
    """A text option that one of these readers checks as soon as it is parsed: a bad value
    is refused with the command, before any form opens (the value stays the text typed)."""

    reader: Callable[[str], object] | None = None

    def parse(self, raw: str) -> str:
        text = TextOption.parse(self, raw)
        if self.reader is not None:
            self.reader(text)
        return text


@dataclass(frozen=True, slots=True)
class Targets:
    networks: tuple[str, ...]
    hashtags: tuple[str, ...]


def read_targets(raw: str, allowed: Sequence[str], default_hashtag: str) -> Targets:
    """`x bluesky #keep4o #AI`: network names and hashtags, in any order."""
    networks: list[str] = []
    hashtags: list[str] = []
    for word in raw.replace(",", " ").split():
        if word.startswith("#"):
            match = _HASHTAG.match(word)
            if match is None:
                raise bad("networks", "wave.targets.bad_hashtag", hashtag=word)
            if match.group(1).lower() not in (tag.lower() for tag in hashtags):
                hashtags.append(match.group(1))
            continue
        network = normalise_network(word)
        if network is None or network not in allowed:
            raise bad(
                "networks", "wave.targets.bad_network", network=word, allowed=", ".join(allowed)
            )
        if network not in networks:
            networks.append(network)
    if not hashtags and default_hashtag:
        hashtags.append(default_hashtag)
    if not hashtags:
        raise bad("networks", "wave.targets.no_hashtag")
    return Targets(tuple(networks or [n for n in NETWORKS if n in allowed]), tuple(hashtags))


def read_texts(raw: str) -> tuple[str, ...]:
    """Suggested post texts, one per line (or separated by ` | ` on one line): at most 10."""
    lines = raw.splitlines() if "\n" in raw else raw.split(" | ")
    texts = tuple(line.strip() for line in lines if line.strip())
    if len(texts) > MAX_TEXTS:
        raise bad("texts", "wave.texts.too_many", count=len(texts), max=MAX_TEXTS)
    for number, text in enumerate(texts, start=1):
        if len(text) > MAX_TEXT:
            raise bad("texts", "wave.texts.way_too_long", number=number, max=MAX_TEXT)
    return texts


def check_lengths(
    texts: Sequence[str], hashtags: Sequence[str], link: str, networks: Sequence[str]
) -> None:
    """Every text, with its hashtags and link, fits every target network as it counts."""
    for number, text in enumerate(texts or ("",), start=1):
        for network in networks:
            length = length_on(network, post_for(network, text, hashtags, link))
            if length > LIMITS[network]:
                raise bad(
                    "texts",
                    "wave.texts.too_long",
                    number=number,
                    network=_network_name(network),
                    length=length,
                    limit=LIMITS[network],
                )


def read_link(raw: str, field: str = "link") -> str:
    link = raw.strip()
    if link and not is_https(link):
        raise bad(field, "wave.link.not_https", link=link)
    if len(link) > 500:
        raise bad(field, "wave.link.too_long", max=500)
    return link


def read_offsets(raw: str) -> tuple[int, ...]:
    """`24h, 1h, 0` (also `1d`, `90m`, `30 min`): minutes before the start, largest first."""
    if not raw.strip():
        return DEFAULT_OFFSETS
    offsets: list[int] = []
    for word in (w.strip() for w in raw.replace(";", ",").split(",")):
        match = _OFFSET.match(word.lower().replace(" ", ""))
        if match is None:
            raise bad("reminders", "wave.reminders.unreadable", value=word)
        if match.group(1):
            raise bad("reminders", "wave.reminders.negative", value=word)
        unit = (match.group(3) or "m")[0]
        minutes = int(match.group(2)) * _UNIT_MINUTES[unit]
        if minutes in offsets:
            raise bad("reminders", "wave.reminders.duplicate", value=word)
        if minutes > MAX_OFFSET_MINUTES:
            raise bad("reminders", "wave.reminders.too_far", value=word, hours=72)
        offsets.append(minutes)
    if len(offsets) > MAX_REMINDERS:
        raise bad("reminders", "wave.reminders.too_many", max=MAX_REMINDERS)
    return tuple(sorted(offsets, reverse=True))


def recurrence(repeat: str, days: str, when: When) -> dict[str, Any]:
    """The scheduling rule of a wave first starting at `when`, repeated as asked."""
    at = f"{when.local.hour:02d}:{when.local.minute:02d}"
    if repeat in ("", "none"):
        if days.strip():
            raise bad("days", "wave.days.only_weekly")
        return {"type": "once", "at": when.local.isoformat(timespec="minutes")}
    if repeat == "daily":
        return {"type": "daily", "time": at}
    if repeat == "monthly":
        return {"type": "monthly", "day": when.local.day, "time": at}
    chosen = read_days(days) or [WEEKDAYS[when.local.weekday()]]
    return {"type": "weekly", "weekdays": sorted(chosen, key=WEEKDAYS.index), "time": at}


def read_days(raw: str) -> list[str]:
    """`sat, sun` (or `Saturday Sunday`): weekday names, each once, as typed."""
    chosen: list[str] = []
    for word in raw.replace(",", " ").split():
        name = word.strip().lower()[:3]
        if name not in WEEKDAYS:
            raise bad("days", "wave.days.unknown", day=word)
        if name not in chosen:
            chosen.append(name)
    return chosen


def check_offsets_fit(rule: dict[str, Any], offsets: Sequence[int]) -> None:
    """A recurring wave's reminders come after the previous start (else they would overlap)."""
    period = _shortest_gap_minutes(rule)
    if period is not None and offsets and max(offsets) >= period:
        raise bad("reminders", "wave.reminders.longer_than_repeat", hours=period // 60)


def _shortest_gap_minutes(rule: dict[str, Any]) -> int | None:
    if rule["type"] == "daily":
        return 23 * 60  # a day can be 23 hours long (spring forward)
    if rule["type"] == "weekly":
        days = sorted(WEEKDAYS.index(day) for day in rule["weekdays"])
        gaps = [(b - a) % 7 or 7 for a, b in zip(days, [*days[1:], days[0]], strict=True)]
        return min(gaps) * 24 * 60 - 60
    if rule["type"] == "monthly":
        return 27 * 24 * 60
    return None


def pledge_deadline(start: datetime, given: When | None, now: datetime) -> datetime:
    """When pledges are counted: as given, or an hour before the start; always ahead."""
    deadline = given.at if given is not None else start - timedelta(hours=1)
    if deadline > start:
        raise bad("pledge_by", "wave.pledge.after_start")
    if deadline <= now:
        raise bad("pledge_by", "wave.pledge.too_soon")
    return deadline


def _network_name(network: str) -> Msg:
    return msg(f"wave.network.{network}")
