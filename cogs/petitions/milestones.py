"""Milestone thresholds: the rules, and which thresholds a change of count passes. Pure.

A campaign's rule is one of:
- `ladder` (the default): 1k, 2.5k, 5k, 10k, 25k, 50k, 100k, 250k, 500k, 1M, then every 1M;
- `every` N: every multiple of N;
- `list`: the thresholds an organiser typed.

Which thresholds are announced, and when, is decided in `readings` with the
`petition_milestones` table (unique per campaign and threshold); this module only counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LADDER = (1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000)
MILLION = 1_000_000
MIN_STEP = 100
MAX_LIST = 50
# One reading never records more thresholds than this (a tiny step and a huge manual jump).
MAX_PASSED = 1_000


@dataclass(frozen=True, slots=True)
class Rule:
    """How a campaign's thresholds are made."""

    kind: str = "ladder"
    step: int = 0
    values: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "every" and self.step < MIN_STEP:
            raise ValueError(f"a step is at least {MIN_STEP}")
        if self.kind == "list" and not self.values:
            raise ValueError("a list needs at least one threshold")
        if self.kind not in ("ladder", "every", "list"):
            raise ValueError(f"unknown rule {self.kind!r}")

    def between(self, low: int, high: int) -> list[int]:
        """Thresholds t with low < t ≤ high, ascending (at most the top MAX_PASSED)."""
        if high <= low:
            return []
        if self.kind == "list":
            return [t for t in self.values if low < t <= high][-MAX_PASSED:]
        if self.kind == "every":
            return _multiples(self.step, low, high)
        found = [t for t in LADDER if low < t <= high]
        return (found + _multiples(MILLION, max(low, MILLION), high))[-MAX_PASSED:]

    def next_above(self, count: int) -> int | None:
        """The first threshold above `count`, or None (a list that is used up)."""
        if self.kind == "list":
            return next((t for t in self.values if t > count), None)
        if self.kind == "every":
            return (count // self.step + 1) * self.step
        found = next((t for t in LADDER if t > count), None)
        return found if found is not None else (count // MILLION + 1) * MILLION

    def highest_at_most(self, count: int) -> int | None:
        """The highest threshold ≤ `count`, or None."""
        passed = self.between(-1, count)
        return passed[-1] if passed else None

    def describe(self) -> str:
        """The rule as `/milestones set` takes it back (`ladder`, `every:5000`, a list)."""
        if self.kind == "every":
            return f"every:{self.step}"
        if self.kind == "list":
            return ",".join(str(value) for value in self.values)
        return "ladder"


def _multiples(step: int, low: int, high: int) -> list[int]:
    first = low // step + 1
    last = high // step
    first = max(first, last - MAX_PASSED + 1, 1)
    return [n * step for n in range(first, last + 1)]


def parse_list(text: str, maximum: int) -> tuple[int, ...]:
    """Thresholds typed as "1000, 5k, 10000 2.5k 1M": sorted, unique. ValueError if bad."""
    values: set[int] = set()
    for word in text.replace(",", " ").replace(";", " ").split():
        values.add(parse_amount(word, maximum))
    if not values or len(values) > MAX_LIST:
        raise ValueError(f"1 to {MAX_LIST} thresholds")
    return tuple(sorted(values))


def parse_amount(word: str, maximum: int) -> int:
    """A whole count, with an optional k or M suffix ("2.5k" is 2500)."""
    lowered = word.strip().lower()
    scale = 1
    if lowered.endswith("k"):
        scale, lowered = 1_000, lowered[:-1]
    elif lowered.endswith("m"):
        scale, lowered = 1_000_000, lowered[:-1]
    if (
        not lowered
        or not all(ch.isdigit() or ch == "." for ch in lowered)
        or lowered.count(".") > 1
    ):
        raise ValueError(word)
    whole, _, fraction = lowered.partition(".")
    if len(fraction) > 6:
        raise ValueError(word)
    # Exact decimal arithmetic: "2.5k" is 2500, never 2499.999….
    value: int = int(whole or "0") * scale + int(fraction or "0") * scale // 10 ** len(fraction)
    if int(fraction or "0") * scale % 10 ** len(fraction):
        raise ValueError(word)
    if not 1 <= value <= maximum:
        raise ValueError(word)
    return value


def passed_since(rule: Rule, previous: int, current: int, known: Iterable[int]) -> list[int]:
    """Thresholds `current` passes that `previous` had not, leaving out those `known`."""
    seen = set(known)
    return [t for t in rule.between(previous, current) if t not in seen]
