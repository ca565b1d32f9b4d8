"""Alembic, driven from code on a connection we already hold (no alembic.ini to find)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from storage.errors import SchemaTooNew

__all__ = [
    "SchemaTooNew",
    "current_revision",
    "head_revision",
    "is_known",
    "schema_too_new",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the migrations ship with the package: there is a head
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_known(revision: str) -> bool:
    """Whether this code has a migration called `revision` (else a newer Chorus wrote it)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def schema_too_new(revision: str) -> str:
    """What to tell an operator whose database is at a revision this code does not know."""
    return (
        f"this database was written by a newer Chorus (schema {revision});"
        " upgrade Chorus, or restore a backup made by this version"
    )


def upgrade(connection: Connection) -> None:
    """Bring the schema to head inside the caller's transaction."""
    current = current_revision(connection)
    if current is not None and not is_known(current):
        raise SchemaTooNew(schema_too_new(current))
    command.upgrade(alembic_config(connection), "head")
