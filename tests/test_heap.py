"""What start-up built is left out of later collections while Chorus runs, and only then."""

from __future__ import annotations

import gc

from bot.heap import startup_frozen


class Built:
    """Something start-up made."""


def walked(thing: object) -> bool:
    """Whether the collector's generations hold `thing` (frozen objects are in none)."""
    return any(tracked is thing for tracked in gc.get_objects())


def test_what_start_up_built_is_not_walked_while_running_and_is_again_after() -> None:
    at_start_up = Built()

    with startup_frozen():
        made_while_running = Built()
        assert not walked(at_start_up)
        assert walked(made_while_running)

    assert walked(at_start_up)
    assert gc.get_freeze_count() == 0


def test_garbage_made_while_running_is_still_collected() -> None:
    with startup_frozen():
        cycle = Built()
        cycle.itself = cycle  # type: ignore[attr-defined]
        del cycle
        assert gc.collect() >= 1
