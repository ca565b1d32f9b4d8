"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.database import Database
from tests.fakes import FakeClock

POSTGRES_URL = os.environ.get("CHORUS_TEST_POSTGRES_URL", "")


async def reset_postgres(url: str) -> None:
    """Start every PostgreSQL test from an empty schema."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="set CHORUS_TEST_POSTGRES_URL to test on PostgreSQL"
            ),
        ),
    ]
)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty database: a SQLite file, or a clean PostgreSQL schema."""
    if request.param == "postgresql":
        await reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, on each configured engine."""
    async with Database.connect(database_url) as database:
        yield database


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database, for tests about one engine's behaviour."""
    async with Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}") as database:
        yield database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
