"""Options of the testimonies commands that the core does not offer: a reference, a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.core.options import Option, TextOption
from bot.core.richtext import msg

REFERENCE = TextOption(name="ref", help=msg("testimony.option.ref"), min_length=4, max_length=12)


@dataclass(frozen=True, slots=True, kw_only=True)
class DateOption(Option):
    """A calendar date, `YYYY-MM-DD`; the command places it in the place's time zone."""

    def parse(self, raw: str) -> str:
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            raise self.refuse("testimonies.option.bad_date") from None


def start_of(day: str, zone: str) -> datetime | None:
    """Midnight of `day` in `zone`, or None for no day."""
    if not day:
        return None
    return datetime.combine(date.fromisoformat(day), time(0), ZoneInfo(zone))
