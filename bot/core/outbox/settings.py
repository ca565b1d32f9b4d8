"""How a sender claims and paces, and who holds its leases."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field

from bot.core.actors import Platform
from bot.core.outbox.backoff import Backoff


@dataclass(frozen=True, slots=True)
class SenderSettings:
    """How a sender claims and paces.

    `batch_size` rows per claim; `concurrency` rows in hand at most (claimed, not yet
    settled); `lease_seconds` for each claim; `poll_interval` between claims when nobody
    calls `wake()`; `stop_grace` for in-flight sends at shutdown; a chat whose limits would
    hold a row longer than `defer_after` seconds gets its rows back into the table until
    then, so it does not hold places in hand that other chats could use. A courier that has
    not answered within `send_timeout` seconds (couriers give up sooner on their own; this
    is the backstop for one that hangs) counts as a transient failure. Whether the rows in
    hand are still this sender's is read for all of them at once and trusted for
    `lease_check_seconds`, or until `wake()` (see `leases`); 0 reads before every send.
    """

    batch_size: int = 20
    concurrency: int = 32
    lease_seconds: float = 60.0
    poll_interval: float = 1.0
    stop_grace: float = 5.0
    defer_after: float = 5.0
    send_timeout: float = 120.0
    lease_check_seconds: float = 0.5
    backoff: Backoff = field(default_factory=Backoff)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.concurrency < 1:
            raise ValueError("batch_size and concurrency must be at least 1")
        if self.lease_seconds <= 0 or self.poll_interval <= 0 or self.send_timeout <= 0:
            raise ValueError("lease_seconds, poll_interval and send_timeout must be positive")
        if self.lease_check_seconds < 0:
            raise ValueError("lease_check_seconds cannot be negative")


def make_owner(platform: Platform) -> str:
    """A lease owner id unique to this process run (fits the 64-character column)."""
    host = socket.gethostname()[:24]
    return f"{platform.value}:{host}:{os.getpid()}:{secrets.token_hex(4)}"
