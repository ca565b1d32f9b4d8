"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when configured)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import Core, build_core
from bot.core.actors import Actor, PlaceRef
from bot.logs import CHATTY_LOGGERS, QUIET_LOGGERS
from bot.settings import Settings
from storage.database import Database
from tests.dialogue import Member
from tests.external import strict, unavailable
from tests.fakes import FakeClock

POSTGRES_URL = os.environ.get("CHORUS_TEST_POSTGRES_URL", "")


async def reset_postgres(url: str) -> None:
    """Start every PostgreSQL test from an empty schema."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def _create_or_drop(url: str, name: str, *, create: bool) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test run's own on the configured server, dropped at the end.

    Its own, so that two test runs on one server (two developers, CI) never collide.
    """
    if not POSTGRES_URL:
        unavailable("set CHORUS_TEST_POSTGRES_URL to test on PostgreSQL")
    name = f"chorus_test_{os.getpid()}"
    # First requested from inside a test's event loop: run the set-up on a loop of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _create_or_drop(POSTGRES_URL, name, create=True)).result()
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        pool.submit(asyncio.run, _create_or_drop(POSTGRES_URL, name, create=False)).result()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL and not strict(),
                reason="set CHORUS_TEST_POSTGRES_URL to test on PostgreSQL",
            ),
        ),
    ]
)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty database: a SQLite file, or a clean PostgreSQL schema."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        await reset_postgres(url)
        return url
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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for tests: no `.env` is read, the data directory is the test's own."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'chorus.db'}",
        owner_ids="telegram:999",
    )


@pytest.fixture
def core(settings: Settings, db: Database, clock: FakeClock) -> Core:
    """The whole core (cogs, registry, dispatcher) on the test database and clock."""
    return build_core(settings, db, clock)


@pytest.fixture
def meet(core: Core, tmp_path: Path) -> Callable[..., Member]:
    """`meet(actor, place)`: someone to hold a dialogue with."""

    def _meet(actor: Actor, place: PlaceRef) -> Member:
        return Member(core, actor, place, tmp_path / "files")

    return _meet


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Leave the process's logging as the test found it (for tests that set it up)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in (*QUIET_LOGGERS, *CHATTY_LOGGERS)}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, quiet_level in quiet.items():
        logging.getLogger(name).setLevel(quiet_level)
