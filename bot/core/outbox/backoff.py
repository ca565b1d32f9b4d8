"""How long to wait after a transient failure: exponential back-off with full jitter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# A source of uniform numbers in [0, 1): `random.random` in production, fixed in tests.
Jitter = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits grow `base · 2^(n-1)` up to `cap` after the n-th failure; the wait actually
    used is drawn uniformly below that ceiling ("full jitter"), so senders that failed
    together do not retry together. After `max_attempts` failures a row is given up.
    """

    base: float = 2.0
    cap: float = 15 * 60.0
    max_attempts: int = 8

    def ceiling(self, failures: int) -> float:
        """The longest wait after `failures` transient failures (1 or more)."""
        exponent = max(0, failures - 1)
        # Cap the exponent too: 2.0 ** 2000 overflows long before any cap applies.
        return min(self.cap, self.base * 2.0 ** min(exponent, 64))

    def delay(self, failures: int, jitter: Jitter) -> float:
        """The wait to use after `failures` transient failures, drawn with `jitter`."""
        return self.ceiling(failures) * min(max(jitter(), 0.0), 1.0)

    def exhausted(self, failures: int) -> bool:
        """Whether `failures` transient failures are enough to give up."""
        return failures >= self.max_attempts
