"""What the composition root needs from every platform adapter."""

from __future__ import annotations

from typing import Protocol

from bot.core.actors import Platform
from bot.core.delivery import Courier


class Adapter(Protocol):
    """A platform connection: started after the core, stopped before it."""

    platform: Platform

    @property
    def courier(self) -> Courier:
        """Sends outbox messages on this platform."""
        ...

    async def start(self) -> None:
        """Connect and begin receiving commands; return once ready."""
        ...

    async def stop(self) -> None:
        """Stop receiving, finish what is in flight, disconnect."""
        ...
