"""Reading a database URL (CHORUS_DATABASE_URL) without the rest of the code parsing it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from storage.errors import StorageError


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """The parts of a database URL that operators' tools need."""

    backend: str
    host: str | None
    port: int | None
    username: str | None
    password: str | None
    database: str | None
    masked: str


def parse_database_url(url: str) -> DatabaseUrl:
    """The URL's parts; `StorageError` when it is not a database URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError("CHORUS_DATABASE_URL is not a database URL") from None
    return DatabaseUrl(
        backend=parsed.get_backend_name(),
        host=parsed.host,
        port=parsed.port,
        username=parsed.username,
        password=str(parsed.password) if parsed.password is not None else None,
        database=parsed.database,
        masked=parsed.render_as_string(hide_password=True),
    )


# The one async driver Chorus speaks for each database it supports.
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
EXAMPLES = "sqlite+aiosqlite:///./data/chorus.db or postgresql+asyncpg://user@host/name"


def check_supported(url: str) -> DatabaseUrl:
    """The URL's parts, or a `StorageError` saying what to write instead.

    Chorus runs on SQLite through aiosqlite and on PostgreSQL through asyncpg; any other
    database or driver would fail later with a driver's traceback.
    """
    parts = parse_database_url(url)
    parsed = make_url(url)
    wanted = DRIVERS.get(parts.backend)
    if wanted is None:
        raise StorageError(
            f"CHORUS_DATABASE_URL names {parts.backend!r}; Chorus runs on SQLite or PostgreSQL"
            f" ({EXAMPLES})"
        )
    if parsed.drivername != wanted:
        fixed = parsed.set(drivername=wanted).render_as_string(hide_password=True)
        raise StorageError(
            f"CHORUS_DATABASE_URL must use the {wanted.split('+')[1]} driver: write {fixed}"
        )
    return parts
