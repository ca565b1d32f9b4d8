"""Schedules and their materialised occurrences."""

from __future__ import annotations

from storage.repositories.base import Repository


class ScheduleRepository(Repository):
    """The schedules and occurrences tables."""
