"""`chorus signatures import FILE.csv`: backfill a campaign's count history (date, count).

The file is checked whole before anything is written; a problem is reported with its line
number and nothing changes. A Rich progress bar shows the writing on a terminal.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from bot.core.clock import SystemClock
from storage.database import Database

if TYPE_CHECKING:
    from cogs.petitions.importing import ImportResult, Row

EXIT_FAILED = 1


def build_signatures_app() -> typer.Typer:
    """The `chorus signatures` commands."""
    app = typer.Typer(help="The petition's signature count.", no_args_is_help=True)
    app.command("import")(import_csv)
    return app


def import_csv(
    path: Annotated[Path, typer.Argument(help="A CSV file of date,count lines.")],
    campaign: Annotated[int, typer.Option("--campaign", help="The campaign's number.")] = 1,
    source: Annotated[
        str, typer.Option("--source", help="The source the readings belong to.")
    ] = "manual",
) -> None:
    """Backfill the count history of a campaign from a CSV file (date, count)."""
    # Imported here: the CLI module stays light, and settings errors are reported its way.
    from bot.cli import _fatal_errors, _load_settings
    from cogs.petitions.importing import HistoryError, read_rows

    with _fatal_errors():
        settings = _load_settings()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            typer.echo(f"Cannot read {path}: {error}", err=True)
            raise typer.Exit(EXIT_FAILED) from None
        try:
            rows = read_rows(text, SystemClock().now())
            result = asyncio.run(_import(settings.database_url, campaign, source, rows))
        except HistoryError as error:
            typer.echo(f"Nothing imported from {path}:", err=True)
            for problem in error.problems:
                typer.echo(f"  {problem}", err=True)
            raise typer.Exit(EXIT_FAILED) from None
    typer.echo(
        f"Imported {result.rows} rows into campaign {campaign} ({result.added} new); "
        f"{result.milestones} milestones recorded from the history."
    )


async def _import(url: str, campaign: int, source: str, readings: list[Row]) -> ImportResult:
    # The feature (and matplotlib with it) loads only when this command runs.
    from cogs.petitions.importing import import_history

    errors = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )
    async with Database.connect(url) as database:
        with progress:
            task = progress.add_task("Importing", total=len(readings))
            return await import_history(
                database,
                campaign,
                readings,
                source_name=source,
                now=SystemClock().now(),
                progress=lambda done: progress.update(task, completed=done),
            )
