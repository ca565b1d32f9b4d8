"""Schedules in the database, materialised by a ticker: see `ticker`, `rules` and `parking`."""

from bot.core.scheduling.rules import CatchUp, Slot, next_occurrence, parse_rule, zone
from bot.core.scheduling.service import create_schedule, reschedule
from bot.core.scheduling.ticker import Fired, Materialiser, Ticker, TickResult

__all__ = [
    "CatchUp",
    "Fired",
    "Materialiser",
    "Slot",
    "TickResult",
    "Ticker",
    "create_schedule",
    "next_occurrence",
    "parse_rule",
    "reschedule",
    "zone",
]
