"""Test doubles at the edge: a clock that only moves when told, and time literals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock for tests: starts at `start`, moves with `advance` or `set`."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FakeClock takes aware datetimes")
        self._now = moment.astimezone(UTC)


def utc(text: str) -> datetime:
    """An aware UTC instant from ISO text: `utc("2026-03-29T01:30")`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
