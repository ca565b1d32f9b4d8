"""The migrations build exactly the schema the code declares, and can be walked back."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.database import Database
from storage.migrations_runner import alembic_config, current_revision
from storage.schema import metadata


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_matches_the_declared_tables(db: Database) -> None:
    async with db.raw_connection() as connection:
        differences = await connection.run_sync(_differences)

    assert differences == []


def _down_and_up(connection: Connection) -> tuple[str | None, str | None]:
    command.downgrade(alembic_config(connection), "base")
    emptied = current_revision(connection)
    command.upgrade(alembic_config(connection), "head")
    return emptied, current_revision(connection)


async def test_every_migration_can_be_undone_and_redone(db: Database) -> None:
    async with db.raw_connection() as connection:
        emptied, restored = await connection.run_sync(_down_and_up)
        await connection.commit()

    current, head = await db.revisions()
    assert (emptied, restored, current) == (None, head, head)
