"""Fixtures for the scheduling tests: a ticker with the test kind registered."""

from __future__ import annotations

import pytest

from bot.core.scheduling import Ticker
from storage.database import Database
from tests.core.scheduling.support import OutboxKind
from tests.fakes import FakeClock


@pytest.fixture
def kind() -> OutboxKind:
    return OutboxKind()


@pytest.fixture
def ticker(db: Database, clock: FakeClock, kind: OutboxKind) -> Ticker:
    ticker = Ticker(db, clock)
    ticker.register("test", kind)
    return ticker
