"""A doorbell between whoever writes outbox rows and the senders that deliver them."""

from __future__ import annotations

from collections.abc import Callable


class Doorbell:
    """Rings every listener: "new outbox rows may be waiting". Cheap, and safe to ring often."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def ring(self) -> None:
        for listener in self._listeners:
            listener()
