"""The digest tests' world, on each database engine."""

from __future__ import annotations

import pytest

from bot.app import Core
from storage.database import Database
from tests.cogs.digest.support import Meet, World, campaign
from tests.fakes import FakeClock


@pytest.fixture
async def world(core: Core, db: Database, clock: FakeClock, meet: Meet) -> World:
    return await campaign(core, db, clock, meet)
