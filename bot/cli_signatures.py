"""`chorus signatures import FILE.csv`: backfill a campaign's count history (date, count).

The file is checked whole before anything is written; a problem is reported in one line
with its line number and nothing changes. A Rich progress bar shows the writing on a
terminal. Each kind of refusal has its exit code (`bot.exit_codes`): an option that names
nothing usable is a usage error, a file that cannot be read at all a file error, and a file
whose content is refused an input error.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from bot import exit_codes
from bot.cli_failures import fatal_errors
from bot.core.clock import SystemClock
from storage.database import Database

if TYPE_CHECKING:
    from cogs.petitions.importing import ImportResult, Row


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
    from bot.cli import _load_settings
    from cogs.petitions.importing import (
        MAX_FILE_BYTES,
        HistoryError,
        ImportOptionError,
        check_campaign,
        decode_history,
        read_rows,
        source_name,
    )

    with fatal_errors():
        settings = _load_settings()
        try:
            check_campaign(campaign)
            name = source_name(source)
            data = _read(path, MAX_FILE_BYTES + 1)
            rows = read_rows(decode_history(data), SystemClock().now())
            result = asyncio.run(_import(settings.database_url, campaign, name, rows))
        except OSError as error:
            typer.echo(f"Cannot read {path}: {_why(error)}.", err=True)
            raise typer.Exit(exit_codes.FILE) from None
        except ImportOptionError as error:
            typer.echo(f"{error}. Nothing imported.", err=True)
            raise typer.Exit(exit_codes.USAGE) from None
        except HistoryError as error:
            if len(error.problems) == 1:
                typer.echo(f"Nothing imported from {path}: {error.problems[0]}.", err=True)
            else:
                typer.echo(f"Nothing imported from {path}:", err=True)
                for problem in error.problems:
                    typer.echo(f"  {problem}", err=True)
            raise typer.Exit(exit_codes.INPUT) from None
    typer.echo(
        f"Imported {result.rows} rows into campaign {campaign} ({result.added} new); "
        f"{result.milestones} milestones recorded from the history."
    )


def _read(path: Path, most: int) -> bytes:
    """Up to `most` bytes of the file (a device or a pipe that never ends reads no further)."""
    with path.open("rb") as handle:
        return handle.read(most)


def _why(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "there is no such file"
    if isinstance(error, IsADirectoryError):
        return "it is a directory, not a file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return (error.strerror or type(error).__name__).lower()


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
