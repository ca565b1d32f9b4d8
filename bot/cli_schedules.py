"""`chorus schedules list|resume`: the schedules the ticker parked after an error, for the operator.

A schedule is parked when its handler failed on it (or it could not be read): the ticker
leaves it alone so that the others go on, and its campaign's organisers are told. An edit of
what it belongs to resumes it; `resume` does so by hand, once the cause is fixed. A running bot
picks a resumed schedule up at its next tick.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot import exit_codes
from bot.cli_failures import fatal_errors
from storage.database import Database
from storage.records import Schedule


def build_schedules_app() -> typer.Typer:
    """The `chorus schedules` commands."""
    app = typer.Typer(help="Schedules set aside after an error.", no_args_is_help=True)
    app.command("list")(list_parked)
    app.command("resume")(resume)
    return app


def list_parked(
    campaign: Annotated[
        int | None, typer.Option("--campaign", help="Only this campaign's schedules.")
    ] = None,
) -> None:
    """List the parked schedules, with the error that stopped each."""
    from bot.cli import _load_settings

    with fatal_errors():
        settings = _load_settings()
        parked = asyncio.run(_parked(settings.database_url, campaign))
    if not parked:
        typer.echo("No schedule is parked.")
        return
    table = Table("id", "kind", "campaign", "parked at (UTC)", "error", title="Parked schedules")
    for schedule in parked:
        when = schedule.parked_at.strftime("%Y-%m-%d %H:%M") if schedule.parked_at else ""
        table.add_row(
            str(schedule.id),
            Text(schedule.kind),
            str(schedule.campaign_id or ""),
            when,
            Text(schedule.parked_error),
        )
    Console(highlight=False).print(table)
    typer.echo("Fix the cause, then `chorus schedules resume ID`.")


def resume(
    schedule: Annotated[int, typer.Argument(help="The parked schedule's id.", min=1)],
) -> None:
    """Resume a parked schedule; what came due meanwhile follows its catch-up policy."""
    from bot.cli import _load_settings

    with fatal_errors():
        settings = _load_settings()
        resumed = asyncio.run(_resume(settings.database_url, schedule))
    if resumed is None:
        typer.echo(f"Schedule {schedule} is not parked: see `chorus schedules list`.", err=True)
        raise typer.Exit(exit_codes.NOT_FOUND)
    typer.echo(f"Schedule {schedule} ({resumed.kind}) resumed; it runs at the next tick.")


async def _parked(url: str, campaign: int | None) -> list[Schedule]:
    async with Database.connect(url) as database, database.read() as tx:
        return await tx.schedules.parked(campaign)


async def _resume(url: str, schedule_id: int) -> Schedule | None:
    async with Database.connect(url) as database, database.transaction() as tx:
        return await tx.schedules.resume(schedule_id)
