"""Typed, bounded command options. Each parses a raw string or refuses with a clear message.

Every platform hands the dispatcher raw strings (typed in a console or Telegram message, or
sent by Discord), so validation and its messages are the same everywhere.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zoneinfo
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from bot.core.actors import Platform
from bot.core.errors import UserError
from bot.core.richtext import Msg, msg

# C0 controls but tab and newline, DEL, zero-width space and direction marks, bidi overrides and
# isolates, word joiners, BOM. The zero-width (non-)joiners are not here: see `_STRAY_JOINERS`.
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b-\u001f\u007f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
# U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER spell words (Persian می‌خواهم,
# Hindi, Malayalam) and build emoji (👨‍👩‍👧): inside a word they stay. Where they join nothing
# (at either end, or next to a space) they are invisible padding and go.
_JOINERS = "\u200c\u200d"
# A run of joiners joins no more than one does.
_JOINER_RUN = re.compile(rf"([{_JOINERS}])[{_JOINERS}]+")
# Once runs are one joiner long, a stray one has a space or an end on one side.
_STRAY_JOINERS = re.compile(rf"(?<!\S)[{_JOINERS}]|[{_JOINERS}](?!\S)")
INT_PATTERN = re.compile(r"^[+-]?\d{1,18}$")


def clean_text(raw: str, *, multiline: bool = False) -> str:
    """NFC-normalise, drop control and invisible characters, trim.

    Newlines survive only in multi-line fields; bidirectional overrides and zero-width spaces
    never do. Zero-width joiners and non-joiners survive between two visible characters,
    where they change how a word is spelled or an emoji is drawn, one per run.
    """
    text = unicodedata.normalize("NFC", raw)
    if not multiline:
        text = text.replace("\r", " ").replace("\n", " ")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JOINER_RUN.sub(r"\1", _CONTROL.sub("", text))
    return _STRAY_JOINERS.sub("", text).strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class Option(ABC):
    """One argument of a command: `name` as typed (`name:"Keep 4o"`), a one-line help."""

    name: str
    help: Msg
    required: bool = True

    @abstractmethod
    def parse(self, raw: str) -> object:
        """The typed value of `raw`, or a `UserError` naming this option."""

    def refuse(self, key: str, **args: str | int) -> UserError:
        return UserError(msg(key, option=self.name, **args))


@dataclass(frozen=True, slots=True, kw_only=True)
class TextOption(Option):
    min_length: int = 1
    max_length: int = 100

    def parse(self, raw: str) -> str:
        text = clean_text(raw)
        if len(text) < self.min_length:
            raise self.refuse("option.too_short", min=self.min_length)
        if len(text) > self.max_length:
            raise self.refuse("option.too_long", max=self.max_length)
        return text


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegerOption(Option):
    min_value: int = 0
    max_value: int = 1_000_000_000

    def parse(self, raw: str) -> int:
        text = raw.strip().replace("_", "")
        if not INT_PATTERN.match(text):
            raise self.refuse("option.not_integer", min=self.min_value, max=self.max_value)
        value = int(text)
        if not self.min_value <= value <= self.max_value:
            raise self.refuse("option.out_of_range", min=self.min_value, max=self.max_value)
        return value


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: Msg


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceOption(Option):
    choices: tuple[Choice, ...]

    def parse(self, raw: str) -> str:
        value = raw.strip().lower()
        allowed = [choice.value for choice in self.choices]
        if value not in allowed:
            raise self.refuse("option.bad_choice", choices=", ".join(allowed))
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class DateTimeOption(Option):
    """A local date and time, `YYYY-MM-DD HH:MM`; the command decides its zone."""

    def parse(self, raw: str) -> datetime:
        text = raw.strip().replace("T", " ")
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M")  # noqa: DTZ007 - zone applied by the command
        except ValueError:
            raise self.refuse("option.bad_datetime") from None


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def zone_suggestions(raw: str, limit: int = 3) -> list[str]:
    """IANA zones that look like `raw`: same city, same spelling but case, or close."""
    wanted = raw.strip().lower()
    names = _zone_names()
    by_city = [n for n in names if n.lower().rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1]]
    close = difflib.get_close_matches(raw.strip(), names, n=limit, cutoff=0.6)
    lowered = {name.lower(): name for name in names}
    close_lower = [lowered[n] for n in difflib.get_close_matches(wanted, list(lowered), n=limit)]
    ordered = dict.fromkeys(by_city + close + close_lower)
    return list(ordered)[:limit]


def parse_zone(raw: str) -> str:
    """The IANA name for `raw`, checked against the tz database (never passed to the OS)."""
    text = raw.strip()
    if text in _zone_names():
        return text
    lowered = {name.lower(): name for name in _zone_names()}
    if text.lower() in lowered:
        return lowered[text.lower()]
    suggestions = zone_suggestions(text)
    if suggestions:
        raise UserError(
            msg("option.bad_zone_suggest", zone=text, suggestions=", ".join(suggestions))
        )
    raise UserError(msg("option.bad_zone", zone=text))


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeZoneOption(Option):
    def parse(self, raw: str) -> str:
        return parse_zone(raw)


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user on some platform, as named in a command (`telegram:12345`, `<@123>`)."""

    platform: Platform
    user_id: str

    @property
    def key(self) -> str:
        return f"{self.platform.value}:{self.user_id}"


_MENTION = re.compile(r"^<@!?(\d{1,20})>$")
_QUALIFIED = re.compile(r"^(console|discord|telegram):([\w.-]{1,64})$")


def parse_user(raw: str, default_platform: Platform) -> UserRef | None:
    text = raw.strip()
    if match := _QUALIFIED.match(text):
        return UserRef(Platform(match.group(1)), match.group(2))
    if match := _MENTION.match(text):
        return UserRef(Platform.DISCORD, match.group(1))
    if re.fullmatch(r"-?\d{1,20}", text):
        return UserRef(default_platform, text)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserOption(Option):
    """A user: `platform:id`, a Discord mention, or a bare id on the caller's platform.

    The dispatcher fills in the caller's platform for a bare id.
    """

    def parse(self, raw: str) -> str:
        if parse_user(raw, Platform.CONSOLE) is None:
            raise self.refuse("option.bad_user")
        return raw.strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelOption(Option):
    """A channel: `<#id>` (Discord), an id, `@name` (a public Telegram channel), or `here`."""

    def parse(self, raw: str) -> str:
        text = raw.strip()
        if match := re.fullmatch(r"<#(\d{1,20})>", text):
            return match.group(1)
        if text == "here" or re.fullmatch(r"-?[\w-]{1,64}|@\w{5,32}", text):
            return text
        raise self.refuse("option.bad_channel")
