"""`chorus outbox list|retry|drop`: the messages that did not go out, for the operator.

A `failed` row was refused by its platform (or could not be read); a `dead` row failed
every attempt it was allowed. Retrying gives a row a fresh set of attempts, due at once
(a running bot picks it up within its poll interval); dropping cancels it for good, after a
confirmation. Each action is written to the audit log, by `operator`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from bot import exit_codes
from bot.cli_failures import fatal_errors
from bot.core.clock import SystemClock
from storage.database import Database
from storage.repositories.outbox_trouble import TroubledRow
from storage.unit import Tx

ACTOR = "operator"

RowNumber = Annotated[
    int, typer.Argument(help="The row's number, as `chorus outbox list` shows.", min=1)
]


def build_outbox_app() -> typer.Typer:
    """The `chorus outbox` commands."""
    app = typer.Typer(help="Messages that did not go out: list, retry, drop.", no_args_is_help=True)
    app.command("list")(list_rows)
    app.command("retry")(retry_row)
    app.command("drop")(drop_row)
    return app


def list_rows(
    campaign: Annotated[
        int | None, typer.Option("--campaign", help="Only this campaign's number.", min=1)
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="How many rows at most, newest first.", min=1, max=1000)
    ] = 20,
) -> None:
    """List the most recent failed and dead outbox rows, with why."""
    from bot.cli import _load_settings

    with fatal_errors():
        settings = _load_settings()
        rows = asyncio.run(_troubled(settings.database_url, campaign, limit))
    if not rows:
        typer.echo("No failed or dead outbox rows.")
        return
    table = Table(
        "#", "status", "attempts", "last due (UTC)", "campaign", "key", "reason", box=None
    )
    for row in rows:
        table.add_row(
            str(row.id),
            row.status,
            str(row.attempts),
            row.last_due.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            str(row.campaign_id) if row.campaign_id is not None else "—",
            row.dedupe_key,
            row.reason,
        )
    Console(soft_wrap=True).print(table)


def retry_row(row: RowNumber) -> None:
    """Send a failed or dead row again, now, with a fresh set of attempts."""
    from bot.cli import _load_settings

    with fatal_errors():
        settings = _load_settings()
        retried = asyncio.run(_retry(settings.database_url, row))
    if retried is None:
        _no_such_row(row)
    typer.echo(f"Row {row} ({retried.dedupe_key}) will be sent again now.")


def drop_row(
    row: RowNumber,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for a confirmation.")] = False,
) -> None:
    """Give up on a failed or dead row for good (asks first)."""
    from bot.cli import _load_settings

    with fatal_errors():
        settings = _load_settings()
        found = asyncio.run(_find(settings.database_url, row))
        if found is None:
            _no_such_row(row)
        question = f"Drop row {row} ({found.dedupe_key})? It will never be sent."
        if not yes and not typer.confirm(question, default=False):
            typer.echo("Nothing dropped.", err=True)
            raise typer.Exit(exit_codes.DECLINED)
        dropped = asyncio.run(_drop(settings.database_url, row))
    if dropped is None:  # retried by someone else while we asked
        _no_such_row(row)
    typer.echo(f"Row {row} ({dropped.dedupe_key}) dropped; it will not be sent.")


def _no_such_row(row: int) -> NoReturn:
    typer.echo(f"No failed or dead outbox row {row} (see `chorus outbox list`).", err=True)
    raise typer.Exit(exit_codes.NOT_FOUND)


async def _troubled(url: str, campaign: int | None, limit: int) -> list[TroubledRow]:
    async with Database.connect(url) as database, database.read() as tx:
        return await tx.outbox.troubled(campaign, limit)


async def _find(url: str, row: int) -> TroubledRow | None:
    async with Database.connect(url) as database, database.read() as tx:
        return await tx.outbox.find_troubled(row)


async def _retry(url: str, row: int) -> TroubledRow | None:
    now = SystemClock().now()
    async with Database.connect(url) as database, database.transaction() as tx:
        retried = await tx.outbox.retry_troubled(row, now)
        if retried is not None:
            await _audit(tx, "outbox.retry", retried, now)
        return retried


async def _drop(url: str, row: int) -> TroubledRow | None:
    now = SystemClock().now()
    async with Database.connect(url) as database, database.transaction() as tx:
        dropped = await tx.outbox.drop_troubled(row, f"dropped by the {ACTOR}")
        if dropped is not None:
            await _audit(tx, "outbox.drop", dropped, now)
        return dropped


async def _audit(tx: Tx, action: str, row: TroubledRow, now: datetime) -> None:
    await tx.audit.record(
        at=now, actor=ACTOR, action=action, campaign_id=row.campaign_id, outbox_id=row.id
    )
