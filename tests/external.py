"""Tests that need a program from outside Python (Node.js, Chromium, a PostgreSQL server).

On a developer's machine without it, such a test is skipped and says how to get it. CI sets
`CHORUS_TEST_STRICT=1`, where a missing program fails the run instead, so nothing is silently
left untested there.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def strict() -> bool:
    return os.environ.get("CHORUS_TEST_STRICT", "") not in ("", "0", "false")


def unavailable(reason: str) -> NoReturn:
    """Skip (locally) or fail (in CI) because an outside program is missing."""
    if strict():
        pytest.fail(reason)
    pytest.skip(reason)
